import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import Synchronization

/// Per-reader recommendations over the store: keeps the TF-IDF vocabulary counted as papers
/// arrive, retrains readers' models when their signals change (called from a background job,
/// never from a request), and scores only the papers a page shows.
public final class Recommender: Sendable {
    public struct Settings: Sendable {
        public var vocabulary: TermVocabulary.Parameters
        /// How many unliked papers a model is trained against ("the rest", sampled).
        public var restSample: Int
        public var seed: UInt64

        public init(vocabulary: TermVocabulary.Parameters = TermVocabulary.Parameters(minimumDocuments: 3, maximumDocumentShare: 0.1, maximumTerms: 50_000),
                    restSample: Int = 1_000, seed: UInt64 = 15) {
            self.vocabulary = vocabulary
            self.restSample = restSample
            self.seed = seed
        }
    }

    let store: any PaperStore
    let semantic: SemanticIndex?
    let settings: Settings
    let logger: Logger
    let features = Mutex<HybridFeatures?>(nil)
    /// Features of papers recently scored, by id and text: a day's papers are scored for
    /// every reader, and tokenising them is most of the cost. Cleared with the vocabulary.
    let featureCache = Mutex<[String: (textHash: Int, vector: FeatureVector)]>([:])
    static let featureCacheLimit = 200_000

    /// Bound models by account and tag, with the training time they were read at.
    let models = Mutex<[String: (trainedAt: Date, model: BoundRecommendationModel)]>([:])
    /// See `lastBackgroundScheduling`; a class so the training closure can set it.
    let backgroundScheduling = SchedulingRecord()

    public init(store: any PaperStore, semantic: SemanticIndex?, settings: Settings = Settings(), logger: Logger = Logger(label: "paperboy.recommend")) {
        self.store = store
        self.semantic = semantic
        self.settings = settings
        self.logger = logger
    }

    // MARK: Vocabulary

    /// Counts the terms of papers added since the last count into the store, then reloads the
    /// vocabulary. Returns how many papers were counted. Instances racing count each paper once.
    @discardableResult
    /// `inBackground` (the server's job): each batch is counted on `IdleThread`, after a moment
    /// without requests, as `train` does.
    public func updateVocabulary(batchSize: Int = 2_000, inBackground: Bool = false) async throws -> Int {
        var counted = 0
        while true {
            let cursor = try await store.termCountPosition().throughKey
            let texts = try await store.paperTexts(afterKey: cursor, limit: batchSize)
            guard let last = texts.last else { break }
            let count: @Sendable () -> [String: Int] = {
                var counts: [String: Int] = [:]
                for text in texts {
                    for term in TermExtractor.termCounts(TermExtractor.text(title: text.title, abstract: text.abstract)).keys { counts[term, default: 0] += 1 }
                }
                return counts
            }
            let counts: [String: Int]
            if inBackground {
                try await RequestActivity.waitForQuiet()
                counts = try await IdleThread.shared.run(count)
            } else {
                counts = count()
            }
            if try await store.addTermCounts(counts, documents: texts.count, expectedCursor: cursor, throughKey: last.key) {
                counted += texts.count
            }
            await Task.yield()
        }
        if counted > 0 || features.withLock({ $0 == nil }) { try await reloadVocabulary() }
        return counted
    }

    public func reloadVocabulary() async throws {
        let statistics = try await store.termStatistics(minimumDocuments: settings.vocabulary.minimumDocuments)
        let loaded = HybridFeatures(vocabulary: TermVocabulary(statistics: statistics, parameters: settings.vocabulary))
        features.withLock { $0 = loaded }
        models.withLock { $0.removeAll() }
        featureCache.withLock { $0.removeAll() }
    }

    public func currentFeatures() async throws -> HybridFeatures {
        if let loaded = features.withLock({ $0 }) { return loaded }
        try await reloadVocabulary()
        guard let loaded = features.withLock({ $0 }) else { throw RecommenderError.noVocabulary }
        return loaded
    }

    // MARK: Training

    /// The texts of `keys` that are stored, in order, for computing their features later.
    func trainingTexts(keys: [UInt32]) async throws -> [(key: UInt32, text: String)] {
        guard !keys.isEmpty else { return [] }
        let papers = try await store.papers(keys: keys)
        return keys.compactMap { key in papers[key].map { (key, TermExtractor.text(title: $0.title, abstract: $0.abstract)) } }
    }

    /// The texts of a sample of papers to train against: a few runs of consecutive keys from random places.
    func restSampleTexts(excluding: Set<UInt32>, features: HybridFeatures, generator: inout SplitMix64) async throws -> [(key: UInt32, text: String)] {
        let total = max(features.vocabulary.documents, Int(try await store.termCountPosition().throughKey))
        guard total > 0 else { return [] }
        let runs = 10
        let perRun = max(1, settings.restSample / runs)
        var sample: [(key: UInt32, text: String)] = []
        for _ in 0..<runs {
            let start = UInt32(truncatingIfNeeded: Int(generator.next() % UInt64(max(1, total - perRun + 1))))
            for text in try await store.paperTexts(afterKey: start, limit: perRun) where !excluding.contains(text.key) {
                sample.append((text.key, TermExtractor.text(title: text.title, abstract: text.abstract)))
            }
        }
        return sample
    }

    /// Trains a model from explicit signals (the reader's, or an API caller's lists of papers).
    ///
    /// The store is read first; then the computing (tokenising, embedding an interest paragraph,
    /// the SVM) runs in one piece: on the caller's task for a request, or, `inBackground` (the
    /// retraining job), on `IdleThread` after waiting for a moment without requests, as the
    /// background embedding does (issue 20), so retraining never takes a core from a request.
    public func train(
        liked: [UInt32], negatives: [UInt32], follows: [Follow], interestParagraph: String?, inBackground: Bool = false
    ) async throws -> RecommendationModel {
        let features = try await currentFeatures()
        let likedTexts = try await trainingTexts(keys: liked)
        let paragraph = interestParagraph.flatMap { $0.isEmpty ? nil : $0 }
        if likedTexts.isEmpty && paragraph == nil {
            return RecommendationModel(
                termWeights: [:], embeddingWeights: [], bias: 0, embeddingScale: features.embeddingScale, likedKeys: [],
                followedAuthors: follows.filter { $0.kind == .author }.map(\.value), followedCategories: follows.filter { $0.kind == .category }.map(\.value))
        }
        let negativeTexts = try await trainingTexts(keys: negatives)
        var generator = SplitMix64(seed: settings.seed &+ UInt64(liked.count))
        let restTexts = try await restSampleTexts(excluding: Set(liked).union(negatives), features: features, generator: &generator)
        let semantic = semantic
        let backgroundScheduling = backgroundScheduling
        let compute: @Sendable () -> RecommendationModel = {
            if inBackground {
                let scheduling = IdleThread.currentScheduling()
                backgroundScheduling.withLock { $0 = scheduling }
            }
            func vectors(_ texts: [(key: UInt32, text: String)]) -> [FeatureVector] {
                texts.map { features.features(text: $0.text, embedding: semantic?.embedding(forKey: $0.key)) }
            }
            var likedVectors = vectors(likedTexts)
            if let paragraph {
                // Cold start: the paragraph is one more liked "paper", embedded like one.
                likedVectors.append(features.features(text: paragraph, embedding: semantic?.embedder.embed(paragraph)))
            }
            return RecommendationTrainer.train(TrainingSet(liked: likedVectors, negatives: vectors(negativeTexts), rest: vectors(restTexts)),
                                               features: features, likedKeys: Array(liked.suffix(200)), follows: follows)
        }
        guard inBackground else { return compute() }
        try await RequestActivity.waitForQuiet()
        return try await IdleThread.shared.run(compute)
    }

    /// The scheduling (policy, nice) the last background training ran under, for tests and the log.
    public var lastBackgroundScheduling: (policy: Int32, nice: Int32)? { backgroundScheduling.withLock { $0 } }

    /// Retrains the reader's model (tag nil: their own; else the tag's) when its signals changed
    /// since it was trained; returns whether it trained.
    @discardableResult
    public func retrainIfStale(accountID: Int64, tag: String?, now: Date, inBackground: Bool = false) async throws -> Bool {
        let signals = try await store.readerSignals(accountID: accountID, tag: tag)
        let stored = try await store.recommendationModel(accountID: accountID, tag: tag ?? "")
        if stored?.fingerprint == signals.fingerprint || (stored == nil && signals.isEmpty) { return false }
        let model = try await train(liked: signals.likedPaperKeys, negatives: signals.negativePaperKeys, follows: signals.follows,
                                    interestParagraph: tag == nil ? signals.interestParagraph : nil, inBackground: inBackground)
        try await store.saveRecommendationModel(StoredRecommendationModel(
            accountID: accountID, tag: tag ?? "", fingerprint: signals.fingerprint, weights: try model.encoded(), trainedAt: now))
        return true
    }

    /// Every reader with signals whose model is stale, and each of their tags: the background job
    /// (`inBackground`: see `train`).
    @discardableResult
    public func retrainStaleModels(now: Date, inBackground: Bool = false) async throws -> Int {
        var trained = 0
        for accountID in try await store.accountsWithSignals() {
            if try await retrainIfStale(accountID: accountID, tag: nil, now: now, inBackground: inBackground) { trained += 1 }
            for tag in try await store.libraryTags(accountID: accountID) {
                if try await retrainIfStale(accountID: accountID, tag: tag.name, now: now, inBackground: inBackground) { trained += 1 }
            }
            await Task.yield()
        }
        // This instance sees new models at once; others within the community cache's minute.
        if trained > 0 { community.withLock { $0 = nil } }
        return trained
    }

    // MARK: Scoring

    /// The reader's stored model over the current vocabulary; nil when none was trained yet.
    public func model(accountID: Int64, tag: String?) async throws -> BoundRecommendationModel? {
        let cacheKey = "\(accountID)/\(tag ?? "")"
        guard let stored = try await store.recommendationModel(accountID: accountID, tag: tag ?? "") else { return nil }
        if let cached = models.withLock({ $0[cacheKey] }), cached.trainedAt == stored.trainedAt { return cached.model }
        let bound = try RecommendationModel.decode(stored.weights).bound(to: try await currentFeatures())
        models.withLock { cache in
            if cache.count > 10_000 { cache.removeAll() }
            cache[cacheKey] = (stored.trainedAt, bound)
        }
        return bound
    }

    /// Every reader's own model, bound, reloaded at most once a minute (the community order).
    let community = Mutex<(loadedAt: ContinuousClock.Instant, models: [BoundRecommendationModel])?>(nil)

    func communityModels() async throws -> [BoundRecommendationModel] {
        if let cached = community.withLock({ $0 }), ContinuousClock.now - cached.loadedAt < .seconds(60) { return cached.models }
        let features = try await currentFeatures()
        var bound: [BoundRecommendationModel] = []
        for stored in try await store.readerRecommendationModels() {
            let model = try RecommendationModel.decode(stored.weights)
            // A reader with only follows or negatives has no learned weights to add.
            if !model.termWeights.isEmpty || !model.embeddingWeights.isEmpty { bound.append(model.bound(to: features)) }
        }
        community.withLock { $0 = (ContinuousClock.now, bound) }
        return bound
    }

    /// What the feature and interest caches compare to notice an edited title or abstract.
    static func textHash(_ paper: Paper) -> Int {
        paper.title.hashValue &+ 31 &* paper.abstract.hashValue
    }

    /// Whether any reader has a model with learned weights (from the minute-long cache).
    public func hasCommunityModels() async throws -> Bool {
        try await !communityModels().isEmpty
    }

    /// The community's interest in each paper: every reader's model adds between 0 and 1 (its
    /// margin m mapped by clamp((m + 1) / 2, 0, 1): 1 for a paper well inside what they like,
    /// 0 for one well outside). Empty when no reader has a model. Each paper's figure is kept
    /// until the models are reloaded (or its text or embedding changes): an uncached feed page
    /// would otherwise tokenise the whole period's papers on every request (issue 17).
    public func communityInterest(_ papers: [Paper]) async throws -> [String: Double] {
        let models = try await communityModels()
        guard !models.isEmpty, let features = models.first?.features else { return [:] }
        let generation = community.withLock { $0?.loadedAt }
        var interest: [String: Double] = [:]
        var missing: [(paper: Paper, textHash: Int)] = []
        communityInterestCache.withLock { cache in
            if cache.generation != generation { cache = (generation, [:]) }
            for paper in papers {
                let textHash = Self.textHash(paper)
                if let hit = cache.values[paper.id], hit.textHash == textHash { interest[paper.id] = hit.interest } else { missing.append((paper, textHash)) }
            }
        }
        guard !missing.isEmpty else { return interest }
        let keys = try await store.paperKeys(ids: missing.map(\.paper.id))
        var made: [(id: String, textHash: Int, interest: Double)] = []
        for (paper, textHash) in missing {
            let embedding = keys[paper.id].flatMap { semantic?.embedding(forKey: $0) }
            let vector = features.features(text: TermExtractor.text(title: paper.title, abstract: paper.abstract), embedding: embedding)
            let value = models.reduce(0) { $0 + Double(min(max(($1.score(vector) + 1) / 2, 0), 1)) }
            interest[paper.id] = value
            // Without its embedding yet, a paper is scored again once the embedding arrives.
            if semantic == nil || embedding != nil { made.append((paper.id, textHash, value)) }
        }
        communityInterestCache.withLock { cache in
            guard cache.generation == generation else { return }
            if cache.values.count + made.count > Self.featureCacheLimit { cache.values.removeAll() }
            for entry in made { cache.values[entry.id] = (entry.textHash, entry.interest) }
        }
        return interest
    }

    /// `communityInterest`'s figures, for the community models loaded at `generation`.
    let communityInterestCache = Mutex<(generation: ContinuousClock.Instant?, values: [String: (textHash: Int, interest: Double)])>((nil, [:]))

    /// A model trained on the fly (the API's lists), laid over the current vocabulary.
    public func bind(_ model: RecommendationModel) async throws -> BoundRecommendationModel {
        model.bound(to: try await currentFeatures())
    }

    /// Papers with their features made once, to be scored by many models (a digest run).
    public struct CandidateSet: Sendable {
        public let papers: [Paper]
        let keys: [UInt32?]
        let vectors: [FeatureVector]
        let embeddings: [[Float]?]
    }

    public func candidateSet(_ papers: [Paper]) async throws -> CandidateSet {
        let features = try await currentFeatures()
        let keys = try await store.paperKeys(ids: papers.map(\.id))
        let embeddings = papers.map { paper in keys[paper.id].flatMap { semantic?.embedding(forKey: $0) } }
        let cached = featureCache.withLock { cache in papers.map { cache[$0.id] } }
        var made: [(String, Int, FeatureVector)] = []
        let vectors = papers.indices.map { index -> FeatureVector in
            let paper = papers[index]
            // An edited title or abstract, or an embedding that arrived since, makes a new vector.
            let textHash = Self.textHash(paper)
            if let hit = cached[index], hit.textHash == textHash, hit.vector.dense.count == (embeddings[index]?.count ?? 0) { return hit.vector }
            let vector = features.features(text: TermExtractor.text(title: paper.title, abstract: paper.abstract), embedding: embeddings[index])
            made.append((paper.id, textHash, vector))
            return vector
        }
        if !made.isEmpty {
            featureCache.withLock { cache in
                if cache.count + made.count > Self.featureCacheLimit { cache.removeAll() }
                for (id, textHash, vector) in made { cache[id] = (textHash, vector) }
            }
        }
        return CandidateSet(papers: papers, keys: papers.map { keys[$0.id] }, vectors: vectors, embeddings: embeddings)
    }

    /// Scores `papers` (only these) with `model`, best first, each with its reason line.
    public func rank(_ papers: [Paper], with model: BoundRecommendationModel, limit: Int? = nil) async throws -> [Recommendation] {
        try await rank(try await candidateSet(papers), with: model, limit: limit)
    }

    /// Scores a candidate set, best first; with `minimumScore`, only papers scoring above it;
    /// with `excludingLiked`, not the papers the model was trained to like (a digest); with
    /// `limit`, only the best `limit`. Every paper is scored; only those returned get a reason
    /// line, which compares the paper with up to 50 liked ones and cost more than scoring a
    /// whole day (most of a For-you page's 47 ms at a million papers, issue 15).
    public func rank(_ candidates: CandidateSet, with model: BoundRecommendationModel, minimumScore: Float? = nil,
                     excludingLiked: Bool = false, limit: Int? = nil) async throws -> [Recommendation] {
        let likedSet = excludingLiked ? Set(model.model.likedKeys) : []
        var scored: [(index: Int, score: Float)] = []
        scored.reserveCapacity(candidates.papers.count)
        for index in candidates.papers.indices {
            if let key = candidates.keys[index], likedSet.contains(key) { continue }
            let score = model.score(candidates.papers[index], vector: candidates.vectors[index])
            if let minimumScore, score <= minimumScore { continue }
            scored.append((index, score))
        }
        scored.sort { ($0.score, candidates.papers[$1.index].id) > ($1.score, candidates.papers[$0.index].id) }
        let kept = scored.prefix(limit ?? scored.count)
        guard !kept.isEmpty else { return [] }
        let likedKeys = Array(model.model.likedKeys.suffix(50))
        let liked = try await store.papers(keys: likedKeys)
        let likedEmbeddings: [(title: String, embedding: [Float])] = likedKeys.compactMap { key in
            guard let paper = liked[key], let embedding = semantic?.embedding(forKey: key) else { return nil }
            return (paper.title, embedding)
        }
        return kept.map { entry in
            model.recommend(candidates.papers[entry.index], vector: candidates.vectors[entry.index],
                            embedding: candidates.embeddings[entry.index], liked: likedEmbeddings)
        }
    }

    /// Cosine similarity of `topic` (embedded once) to each paper's embedding; nil without the model.
    public func topicSimilarities(_ topic: String, papers: [Paper]) async throws -> [String: Float]? {
        guard let semantic else { return nil }
        let query = semantic.embedder.embedQuery(topic)
        let keys = try await store.paperKeys(ids: papers.map(\.id))
        var similarities: [String: Float] = [:]
        for paper in papers {
            guard let vector = keys[paper.id].flatMap({ semantic.embedding(forKey: $0) }) else { continue }
            similarities[paper.id] = zip(query, vector).reduce(0) { $0 + $1.0 * $1.1 }
        }
        return similarities
    }

    /// Candidates for a model when no page gives them: the papers nearest the liked ones by
    /// embedding (the semantic index), at most `limit`, liked and negative papers left out.
    public func candidateKeys(near liked: [UInt32], excluding: Set<UInt32>, limit: Int) -> [UInt32] {
        guard let semantic else { return [] }
        var seen = excluding
        var keys: [UInt32] = []
        let perPaper = max(10, limit / max(1, liked.count) + 1)
        for key in liked {
            for match in semantic.neighbours(ofKey: key, k: perPaper) ?? [] where seen.insert(match.key).inserted {
                keys.append(match.key)
            }
        }
        return Array(keys.prefix(limit))
    }
}

public enum RecommenderError: Error, CustomStringConvertible {
    case noVocabulary

    public var description: String {
        switch self {
        case .noVocabulary: "the recommendation vocabulary could not be loaded"
        }
    }
}

/// The scheduling a background training last ran under.
final class SchedulingRecord: Sendable {
    private let value = Mutex<(policy: Int32, nice: Int32)?>(nil)

    func withLock<Result>(_ body: (inout (policy: Int32, nice: Int32)?) -> Result) -> Result {
        value.withLock { body(&$0) }
    }
}
