import Foundation
import PaperboyCore

/// A simulated reader: one research interest and the papers judged relevant to it, graded.
public struct ReaderProfile: Sendable, Decodable {
    public struct Judgment: Sendable, Decodable {
        public let title: String
        public let grade: Int
    }

    public let id: String
    public let interest: String
    public let kind: String
    public let relevant: [Judgment]

    public static func load(_ path: String) throws -> [ReaderProfile] {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try text.split(separator: "\n").enumerated().map { number, line in
            do {
                return try JSONDecoder().decode(ReaderProfile.self, from: Data(line.utf8))
            } catch {
                throw EvaluationError.badLine(number + 1, "\(error)")
            }
        }
    }

    /// The two liked papers: the highest grades, file order on ties.
    public var liked: [String] {
        relevant.enumerated().sorted { ($0.element.grade, -$0.offset) > ($1.element.grade, -$1.offset) }.prefix(2).map(\.element.title)
    }
}

/// One paper of the evaluation corpus with its embedding.
public struct EvaluationPaper: Sendable {
    public let title: String
    public let abstract: String
    public let upvotes: Int
    public let embedding: [Float]

    public init(title: String, abstract: String, upvotes: Int, embedding: [Float]) {
        self.title = title
        self.abstract = abstract
        self.upvotes = upvotes
        self.embedding = embedding
    }
}

public enum RecommendationMethod: String, Sendable, CaseIterable {
    /// The day's feed as it is: most upvotes first, the same for every reader.
    case upvotes
    /// Cosine similarity to the mean embedding of the liked papers.
    case centroid
    /// arxiv-sanity-lite: TF-IDF of 1–2-grams, a linear SVM (squared hinge, C = 0.01, balanced
    /// classes) trained on the liked papers against every other paper.
    case tfidfSVM = "tfidf-svm"
    /// TF-IDF joined with the MiniLM embedding, the same solver with `RecommendationTrainer.parameters`.
    case paperboy
}

public struct RecommendationEvaluationReport: Sendable {
    public struct Scores: Sendable {
        public var ndcg: Double
        public var recall: Double
    }

    public struct Row: Sendable {
        public let profile: String
        public let kind: String
        public let method: RecommendationMethod
        public let ndcg: Double
        public let recall: Double
    }

    public let rows: [Row]
    /// Paperboy's score of every (reader, not-liked paper) pair, and whether the reader's set holds it.
    public let paperboyScores: [(score: Float, relevant: Bool)]

    /// Precision and recall of "score above `threshold`" as a test for relevant papers, over all readers.
    public func thresholdQuality(_ threshold: Float) -> (precision: Double, recall: Double, f1: Double) {
        let above = paperboyScores.filter { $0.score > threshold }
        let relevant = paperboyScores.filter(\.relevant).count
        let hits = above.filter(\.relevant).count
        let precision = above.isEmpty ? 0 : Double(hits) / Double(above.count)
        let recall = relevant == 0 ? 0 : Double(hits) / Double(relevant)
        return (precision, recall, precision + recall == 0 ? 0 : 2 * precision * recall / (precision + recall))
    }

    public func overall(_ method: RecommendationMethod, kind: String? = nil) -> Scores {
        let chosen = rows.filter { $0.method == method && (kind == nil || $0.kind == kind) }
        guard !chosen.isEmpty else { return Scores(ndcg: 0, recall: 0) }
        return Scores(ndcg: chosen.map(\.ndcg).reduce(0, +) / Double(chosen.count),
                      recall: chosen.map(\.recall).reduce(0, +) / Double(chosen.count))
    }

    /// Profiles where `method` scored a lower nDCG@10 than `other`.
    public func losses(of method: RecommendationMethod, to other: RecommendationMethod) -> [String] {
        let byProfile = Dictionary(grouping: rows, by: \.profile)
        return byProfile.keys.sorted().filter { profile in
            let mine = byProfile[profile]?.first { $0.method == method }?.ndcg ?? 0
            let theirs = byProfile[profile]?.first { $0.method == other }?.ndcg ?? 0
            return mine < theirs - 1e-9
        }
    }
}

/// The recommendation evaluation: each simulated reader likes two papers; every method ranks the
/// rest of the corpus; nDCG@10 and recall@10 are measured against the reader's other judged papers.
public enum RecommendationEvaluation {
    /// arxiv-sanity-lite's `LinearSVC(class_weight="balanced", C=0.01, tol=1e-6, max_iter=10000)`.
    public static let sanityParameters = LinearSVM.Parameters(cost: 0.01, loss: .squaredHinge, balanced: true, tolerance: 1e-6, maximumPasses: 10_000)
    /// arxiv-sanity-lite's vectoriser keeps terms in at most 10% of papers; `min_df` is 5 there, on
    /// tens of thousands of papers; on the 228-paper demo corpus a term in two papers is kept.
    public static let vocabularyParameters = TermVocabulary.Parameters(minimumDocuments: 2, maximumDocumentShare: 0.1, maximumTerms: 20_000)

    public static func run(profiles: [ReaderProfile], corpus: [EvaluationPaper], methods: [RecommendationMethod] = RecommendationMethod.allCases) throws -> RecommendationEvaluationReport {
        let texts = corpus.map { TermExtractor.text(title: $0.title, abstract: $0.abstract) }
        let vocabulary = TermVocabulary(statistics: TermVocabulary.statistics(of: texts), parameters: vocabularyParameters)
        let hybrid = HybridFeatures(vocabulary: vocabulary)
        let tfidfOnly = corpus.indices.map { FeatureVector(sparse: vocabulary.vector(texts[$0]), dense: []) }
        let hybridFeatures = corpus.indices.map { hybrid.features(text: texts[$0], embedding: corpus[$0].embedding) }
        var indexOfTitle: [String: Int] = [:]
        for (index, paper) in corpus.enumerated() { indexOfTitle[paper.title] = index }

        var rows: [RecommendationEvaluationReport.Row] = []
        var paperboyScores: [(score: Float, relevant: Bool)] = []
        for profile in profiles {
            let likedTitles = profile.liked
            let liked = try likedTitles.map { title in
                guard let index = indexOfTitle[title] else { throw EvaluationError.unknownTitle(query: profile.id, title: title) }
                return index
            }
            var grades: [String: Int] = [:]
            for judgment in profile.relevant where !likedTitles.contains(judgment.title) {
                guard indexOfTitle[judgment.title] != nil else { throw EvaluationError.unknownTitle(query: profile.id, title: judgment.title) }
                grades[judgment.title] = judgment.grade
            }
            let likedSet = Set(liked)
            let candidates = corpus.indices.filter { !likedSet.contains($0) }
            for method in methods {
                let scores: [Float]
                switch method {
                case .upvotes:
                    scores = corpus.map { Float($0.upvotes) }
                case .centroid:
                    var centroid = [Float](repeating: 0, count: corpus[liked[0]].embedding.count)
                    for index in liked { for dimension in centroid.indices { centroid[dimension] += corpus[index].embedding[dimension] } }
                    scores = corpus.map { paper in zip(centroid, paper.embedding).reduce(0) { $0 + $1.0 * $1.1 } }
                case .tfidfSVM:
                    let labels = corpus.indices.map { likedSet.contains($0) }
                    let svm = LinearSVM.train(tfidfOnly, labels: labels, sparseDimensions: vocabulary.count, denseDimensions: 0, parameters: sanityParameters)
                    scores = tfidfOnly.map { svm.decision($0) }
                case .paperboy:
                    let set = TrainingSet(liked: liked.map { hybridFeatures[$0] }, negatives: [],
                                          rest: corpus.indices.filter { !likedSet.contains($0) }.map { hybridFeatures[$0] })
                    let model = RecommendationTrainer.train(set, features: hybrid, likedKeys: [], follows: []).bound(to: hybrid)
                    scores = hybridFeatures.map { model.score($0) }
                    for index in candidates { paperboyScores.append((scores[index], grades[corpus[index].title] != nil)) }
                }
                // Ties keep corpus order, so every method breaks them the same way.
                let ranked = candidates.sorted { (scores[$0], -$0) > (scores[$1], -$1) }.map { corpus[$0].title }
                rows.append(.init(profile: profile.id, kind: profile.kind, method: method,
                                  ndcg: RankingMetrics.ndcg(ranked: ranked, grades: grades),
                                  recall: RankingMetrics.recall(ranked: ranked, grades: grades)))
            }
        }
        return RecommendationEvaluationReport(rows: rows, paperboyScores: paperboyScores)
    }
}

extension RecommendationEvaluation {
    /// Every (judged query, paper) pair's cosine similarity, and whether the query judges the paper relevant.
    public static func topicSimilarities(_ queries: [JudgedQuery], corpus: [EvaluationPaper], embed: (String) -> [Float]) throws -> [(similarity: Float, relevant: Bool)] {
        var pairs: [(similarity: Float, relevant: Bool)] = []
        for query in queries {
            let vector = embed(query.query)
            let relevant = Set(query.relevant.map(\.title))
            for paper in corpus {
                pairs.append((zip(vector, paper.embedding).reduce(0) { $0 + $1.0 * $1.1 }, relevant.contains(paper.title)))
            }
        }
        return pairs
    }
}
