import Foundation
import PaperboyCore
import PaperboyStore

/// How a paper becomes a feature vector for Paperboy's model: its TF-IDF terms (L2 norm 1)
/// joined with its MiniLM embedding (norm 1) times `embeddingScale`, so both halves weigh alike.
public struct HybridFeatures: Sendable {
    public let vocabulary: TermVocabulary
    public let embeddingScale: Float

    public init(vocabulary: TermVocabulary, embeddingScale: Float = 1) {
        self.vocabulary = vocabulary
        self.embeddingScale = embeddingScale
    }

    public func features(text: String, embedding: [Float]?) -> FeatureVector {
        FeatureVector(sparse: vocabulary.vector(text), dense: (embedding ?? []).map { $0 * embeddingScale })
    }
}

/// A reader's (or a tag's) trained model, as stored: weights by term, so a model stays meaningful
/// when the vocabulary grows; the embedding weights; and what explains a recommendation.
public struct RecommendationModel: Sendable, Codable, Equatable {
    public static let embeddingDimensions = 384

    public var termWeights: [String: Float]
    public var embeddingWeights: [Float]
    public var bias: Float
    public var embeddingScale: Float
    /// The liked papers (keys) the model was trained on, for "like X, which you saved".
    public var likedKeys: [UInt32]
    public var followedAuthors: [String]
    public var followedCategories: [String]

    public init(termWeights: [String: Float], embeddingWeights: [Float], bias: Float, embeddingScale: Float,
                likedKeys: [UInt32], followedAuthors: [String], followedCategories: [String]) {
        self.termWeights = termWeights
        self.embeddingWeights = embeddingWeights
        self.bias = bias
        self.embeddingScale = embeddingScale
        self.likedKeys = likedKeys
        self.followedAuthors = followedAuthors
        self.followedCategories = followedCategories
    }

    public func encoded() throws -> Data { try JSONEncoder().encode(self) }

    public static func decode(_ data: Data) throws -> RecommendationModel { try JSONDecoder().decode(Self.self, from: data) }

    /// The model with its term weights laid out over `vocabulary`, ready to score many papers.
    public func bound(to features: HybridFeatures) -> BoundRecommendationModel {
        BoundRecommendationModel(model: self, features: features)
    }
}

/// What the trainer needs: the liked papers, the explicit negatives and a sample of the rest.
public struct TrainingSet: Sendable {
    public var liked: [FeatureVector]
    public var negatives: [FeatureVector]
    public var rest: [FeatureVector]

    public init(liked: [FeatureVector], negatives: [FeatureVector], rest: [FeatureVector]) {
        self.liked = liked
        self.negatives = negatives
        self.rest = rest
    }
}

public enum RecommendationTrainer {
    /// Paperboy's settings. C = 0.1 (ten times arxiv-sanity-lite's 0.01): with the embedding half
    /// the classes separate more easily, and the looser margin lets two or three liked papers pull
    /// the boundary towards their neighbours. Explicit negatives cost three times an unlabelled paper.
    public static let parameters = LinearSVM.Parameters(cost: 0.1, loss: .squaredHinge, balanced: true, tolerance: 1e-3, maximumPasses: 200)
    public static let negativeWeight: Float = 3
    /// Term weights a stored model keeps, the largest by magnitude.
    public static let maximumTerms = 5_000

    public static func train(
        _ set: TrainingSet, features: HybridFeatures, likedKeys: [UInt32], follows: [Follow],
        parameters: LinearSVM.Parameters = RecommendationTrainer.parameters
    ) -> RecommendationModel {
        let examples = set.liked + set.negatives + set.rest
        let labels = [Bool](repeating: true, count: set.liked.count) + [Bool](repeating: false, count: set.negatives.count + set.rest.count)
        let weights = [Float](repeating: 1, count: set.liked.count) + [Float](repeating: negativeWeight, count: set.negatives.count)
            + [Float](repeating: 1, count: set.rest.count)
        let dense = examples.first { !$0.dense.isEmpty }?.dense.count ?? 0
        let svm = LinearSVM.train(examples, labels: labels, weights: weights, sparseDimensions: features.vocabulary.count,
                                  denseDimensions: dense, parameters: parameters)
        // Only the largest weights are kept: loading a model (every digest, every first page view)
        // costs a dictionary entry per term, and the smallest weights barely move a score.
        var termWeights: [String: Float] = [:]
        let kept = svm.sparseWeights.enumerated().filter { $0.element != 0 }
            .sorted { abs($0.element) > abs($1.element) }.prefix(maximumTerms)
        for (index, weight) in kept { termWeights[features.vocabulary.terms[index]] = weight }
        return RecommendationModel(
            termWeights: termWeights, embeddingWeights: svm.denseWeights, bias: svm.bias, embeddingScale: features.embeddingScale,
            likedKeys: likedKeys, followedAuthors: follows.filter { $0.kind == .author }.map(\.value).sorted(),
            followedCategories: follows.filter { $0.kind == .category }.map(\.value).sorted())
    }
}

/// A paper's For-you score and the one line that explains it.
public struct Recommendation: Sendable, Equatable {
    public let paperID: String
    public let score: Float
    public let reason: String

    public init(paperID: String, score: Float, reason: String) {
        self.paperID = paperID
        self.score = score
        self.reason = reason
    }
}

/// A model laid over the current vocabulary: scoring a paper is one sparse and one 384-float dot product.
public struct BoundRecommendationModel: Sendable {
    /// Added for a followed author or category: about the margin between a liked and an unliked
    /// paper, so a followed author's paper comes near the top without outranking everything.
    public static let followBonus: Float = 0.5

    public let model: RecommendationModel
    public let features: HybridFeatures
    let sparseWeights: [Float]

    init(model: RecommendationModel, features: HybridFeatures) {
        self.model = model
        self.features = features
        sparseWeights = features.vocabulary.terms.map { model.termWeights[$0] ?? 0 }
    }

    public func score(_ vector: FeatureVector) -> Float {
        var sum = model.bias
        for (index, value) in zip(vector.sparse.indexes, vector.sparse.values) { sum += sparseWeights[Int(index)] * value }
        for (weight, value) in zip(model.embeddingWeights, vector.dense) { sum += weight * value }
        return sum
    }

    /// The terms of `vector` that pushed its score up most, best first.
    public func topTerms(_ vector: FeatureVector, count: Int = 3) -> [String] {
        zip(vector.sparse.indexes, vector.sparse.values)
            .map { (term: features.vocabulary.terms[Int($0.0)], contribution: sparseWeights[Int($0.0)] * $0.1) }
            .filter { $0.contribution > 0 }
            .sorted { $0.contribution > $1.contribution }
            .prefix(count).map(\.term)
    }

    /// Scores one paper; `embedding` is its MiniLM vector when known, `liked` the reader's liked
    /// papers' titles and embeddings, for the reason line.
    public func recommend(_ paper: Paper, embedding: [Float]?, liked: [(title: String, embedding: [Float])]) -> Recommendation {
        let vector = features.features(text: TermExtractor.text(title: paper.title, abstract: paper.abstract), embedding: embedding)
        return recommend(paper, vector: vector, embedding: embedding, liked: liked)
    }

    /// The model's score plus the bonuses for a followed author or category: what `recommend`
    /// orders by, without the reason line.
    public func score(_ paper: Paper, vector: FeatureVector) -> Float {
        var score = score(vector)
        if paper.authors.contains(where: model.followedAuthors.contains) { score += Self.followBonus }
        if paper.categories.contains(where: model.followedCategories.contains) { score += Self.followBonus / 2 }
        return score
    }

    /// As above, with the paper's features already made (shared by many readers' models).
    public func recommend(_ paper: Paper, vector: FeatureVector, embedding: [Float]?, liked: [(title: String, embedding: [Float])]) -> Recommendation {
        let followedAuthor = paper.authors.first { model.followedAuthors.contains($0) }
        let followedCategory = paper.categories.first { model.followedCategories.contains($0) }
        return Recommendation(paperID: paper.id, score: score(paper, vector: vector), reason: reason(
            vector: vector, embedding: embedding, liked: liked, followedAuthor: followedAuthor, followedCategory: followedCategory))
    }

    /// "by Ada Lovelace, whom you follow", else "like *X*, which you liked" when a liked paper is
    /// close (cosine ≥ 0.6), else the top matching words.
    func reason(vector: FeatureVector, embedding: [Float]?, liked: [(title: String, embedding: [Float])],
                followedAuthor: String?, followedCategory: String?) -> String {
        if let followedAuthor { return "by \(followedAuthor), whom you follow" }
        if let embedding {
            let closest = liked.map { (title: $0.title, similarity: zip($0.embedding, embedding).reduce(Float(0)) { $0 + $1.0 * $1.1 }) }
                .max { $0.similarity < $1.similarity }
            if let closest, closest.similarity >= 0.6 { return "like “\(closest.title)”, which you liked" }
        }
        let terms = topTerms(vector)
        if !terms.isEmpty { return "matches your interest in \(terms.joined(separator: ", "))" }
        if let followedCategory { return "in \(followedCategory), which you follow" }
        return "close to what you liked"
    }
}
