import Foundation
import PaperboyCore

/// One keyword match: the paper's integer key and id, and its BM25 rank (lower is better).
public struct KeywordHit: Sendable, Equatable {
    public let key: UInt32
    public let id: String
    public let rank: Double

    public init(key: UInt32, id: String, rank: Double) {
        self.key = key
        self.id = id
        self.rank = rank
    }
}

/// A word of the full-text index's vocabulary (stemmed) and how many papers contain it.
public struct IndexedTerm: Sendable, Equatable {
    public let term: String
    public let documents: Int

    public init(term: String, documents: Int) {
        self.term = term
        self.documents = documents
    }
}

/// What the embedding indexer needs of a paper.
public struct EmbeddingSource: Sendable, Equatable {
    public let key: UInt32
    public let title: String
    public let abstract: String
    public let modifiedAt: Double

    public init(key: UInt32, title: String, abstract: String, modifiedAt: Double) {
        self.key = key
        self.title = title
        self.abstract = abstract
        self.modifiedAt = modifiedAt
    }

    /// The text the model embeds: title and abstract.
    public var text: String { abstract.isEmpty ? title : "\(title). \(abstract)" }
}

public struct StoredEmbedding: Sendable {
    public let key: UInt32
    public let vector: [Float]
    public let sourceModifiedAt: Double

    public init(key: UInt32, vector: [Float], sourceModifiedAt: Double) {
        self.key = key
        self.vector = vector
        self.sourceModifiedAt = sourceModifiedAt
    }
}

/// The store's side of search: full-text matching and embedding storage.
public protocol SearchStore: Sendable {
    /// How many postings (papers × query terms) `KeywordSearch` may rank exactly; above it, the
    /// query is planned (`KeywordPlan`). A property of the store because it is a cost of its index;
    /// tests lower it to exercise the planned path on a small corpus.
    var postingBudget: Int { get }

    /// Runs `body` with the full-text index, in one read transaction (or on one connection).
    func withKeywordIndex<Result: Sendable>(_ body: @escaping @Sendable (any KeywordIndex) async throws -> Result) async throws -> Result

    /// Papers passing `filters`, newest first, with ranks that keep that order: what a query of
    /// filters alone lists.
    func filteredPapers(_ filters: SearchFilters, limit: Int) async throws -> [KeywordHit]

    /// Whether any paper contains `word` (after stemming), as a title, abstract or author word.
    func containsWord(_ word: String) async throws -> Bool

    /// Vocabulary terms starting with `prefix`, most common first.
    func indexedTerms(startingWith prefix: String, limit: Int) async throws -> [IndexedTerm]

    /// Papers keyed by their integer keys; unknown keys and hidden papers are left out.
    func papers(keys: [UInt32]) async throws -> [UInt32: Paper]

    func paperKey(id: String) async throws -> UInt32?

    /// Papers with no embedding from `model`, or one older than their last change, after `afterKey`.
    func papersNeedingEmbeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource]

    func saveEmbeddings(_ embeddings: [StoredEmbedding], model: String) async throws

    func embeddingCount(model: String) async throws -> Int

    /// Count, key sum and saved-time sum of the embeddings of `model` at or before `cursor` in
    /// the order they were saved: what a saved vector index checks against to know that nothing
    /// it holds was deleted or replaced since (a replaced embedding moves past the cursor).
    func embeddingSummary(model: String, through cursor: EmbeddingCursor) async throws -> EmbeddingSummary

    /// Embeddings of `model` saved (or saved again) after `cursor`, oldest first, a page at a
    /// time: how a server picks up what other processes and instances embedded. `savedAt` comes
    /// from the database's clock where it has one, so instances need not agree on the time.
    func embeddingsSaved(model: String, after cursor: EmbeddingCursor, limit: Int) async throws -> [SavedEmbedding]
}

/// A position in the order embeddings were saved in: (time saved, paper key).
public struct EmbeddingCursor: Sendable, Equatable, Comparable {
    public var savedAt: Double
    public var key: UInt32

    public init(savedAt: Double, key: UInt32) {
        self.savedAt = savedAt
        self.key = key
    }

    public static func < (lhs: EmbeddingCursor, rhs: EmbeddingCursor) -> Bool {
        (lhs.savedAt, lhs.key) < (rhs.savedAt, rhs.key)
    }
}

/// A fingerprint of a run of saved embeddings (`SearchStore.embeddingSummary`).
public struct EmbeddingSummary: Sendable, Equatable, Codable {
    public var count: Int
    public var keySum: Int64
    /// Sum of the times saved, each in whole milliseconds: exact, so two stores agree.
    public var savedAtMillisecondSum: Int64

    public init(count: Int, keySum: Int64, savedAtMillisecondSum: Int64) {
        self.count = count
        self.keySum = keySum
        self.savedAtMillisecondSum = savedAtMillisecondSum
    }
}

public struct SavedEmbedding: Sendable {
    public let embedding: StoredEmbedding
    public let cursor: EmbeddingCursor

    public init(embedding: StoredEmbedding, cursor: EmbeddingCursor) {
        self.embedding = embedding
        self.cursor = cursor
    }
}
