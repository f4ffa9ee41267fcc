import Foundation
import Tracing
import Synchronization
import Logging
import PaperboyCore
import PaperboyStore

/// The embedding model and the in-memory vectors of every embedded paper, kept in step with the store.
public final class SemanticIndex: Sendable {
    public let embedder: SentenceEmbedder
    let vectors: VectorStore
    let store: any PaperStore
    let logger: Logger
    /// How far the store's saved embeddings have been read, so a refresh reads only what changed.
    private let loadedThrough = Mutex(EmbeddingCursor(savedAt: 0, key: 0))
    private let backgroundState = Mutex<String?>(nil)
    /// Each refresh reads again what was saved in this many seconds before its cursor: a
    /// transaction on another instance may commit after later saves were already read.
    static let commitMargin: Double = 60

    public init(embedder: SentenceEmbedder, store: any PaperStore, logger: Logger = Logger(label: "paperboy.search")) {
        self.embedder = embedder
        self.store = store
        self.logger = logger
        vectors = VectorStore(dimensions: SentenceEmbedder.dimensions)
    }

    public var modelName: String { SentenceEmbedder.modelName }

    public var count: Int { vectors.count }

    public var memoryBytes: Int { vectors.memoryBytes }

    /// Loads embeddings saved since the last load (new papers, re-embedded ones, from any process
    /// or instance) into memory; returns how many were new to this index.
    @discardableResult
    public func loadStoredEmbeddings() async throws -> Int {
        let previous = loadedThrough.withLock { $0 }
        var cursor = previous.savedAt > 0 ? EmbeddingCursor(savedAt: previous.savedAt - Self.commitMargin, key: 0) : previous
        var loaded = 0
        while true {
            let page = try await store.embeddingsSaved(model: modelName, after: cursor, limit: 5_000)
            guard let last = page.last else { break }
            // One batch add per page (it replaces vectors already held): assigning vectors to
            // index lists is a matrix product then.
            let valid = page.filter { $0.embedding.vector.count == SentenceEmbedder.dimensions }
            vectors.add(keys: valid.map(\.embedding.key), vectors: valid.flatMap(\.embedding.vector))
            loaded += page.lazy.filter { $0.cursor > previous }.count
            cursor = last.cursor
        }
        loadedThrough.withLock { $0 = max($0, cursor) }
        return loaded
    }

    /// Embeds papers that have no embedding yet (or changed since), stores and indexes them.
    /// Safe to stop at any point: what was saved stays, and the next run continues from there.
    ///
    /// `inBackground` (the server's refresh job): each batch is embedded on `IdleThread` and waits
    /// first while requests are being answered, so a backlog never slows the site (issue 20).
    @discardableResult
    public func embedMissing(batchSize: Int = 32, inBackground: Bool = false, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        var after: UInt32 = 0
        var done = 0
        let embedder = embedder
        let started = ContinuousClock.now
        // The log gets a line when a backlog starts and about every 1,000 papers after.
        var logged = 0
        while true {
            let sources = try await store.papersNeedingEmbeddings(model: modelName, afterKey: after, limit: batchSize)
            guard let last = sources.last else { break }
            let texts = sources.map(\.text)
            let vectors: [[Float]]
            if inBackground {
                try await RequestActivity.waitForQuiet()
                vectors = try await IdleThread.shared.run { embedder.embed(texts) }
            } else {
                vectors = embedder.embed(texts)
            }
            let embeddings = zip(sources, vectors).map { StoredEmbedding(key: $0.key, vector: $1, sourceModifiedAt: $0.modifiedAt) }
            try await store.saveEmbeddings(embeddings, model: modelName)
            self.vectors.add(keys: embeddings.map(\.key), vectors: embeddings.flatMap(\.vector))
            done += sources.count
            after = last.key
            progress?(done)
            if inBackground {
                let status = "embedding new papers in the background (\(IdleThread.shared.priority), pausing while requests are answered): \(done) this round, \(String(format: "%.1f", Double(done) / max((ContinuousClock.now - started).inSeconds, 0.001))) papers/s"
                backgroundState.withLock { $0 = status }
                if logged == 0 || done - logged >= 1_000 {
                    logger.notice("\(status)")
                    logged = done
                }
            }
        }
        if inBackground {
            backgroundState.withLock { $0 = nil }
            if done > 0 { logger.notice("embedding in the background: done, \(done) papers this round") }
        }
        return done
    }

    /// What the background embedding is doing, for `/readyz`; nil when it has nothing to do.
    public var backgroundStatus: String? { backgroundState.withLock { $0 } }

    /// Nearest papers to a text query.
    /// Returns once background builds of the approximate index started so far have finished.
    public func waitForIndexBuilds() async {
        await vectors.waitForRebuilds()
    }

    public func search(_ text: String, k: Int) async throws -> [VectorMatch] {
        let query = withSpan("search.embed_query") { _ in embedder.embed(text) }
        return withSpan("search.vector_index") { span in
            span.attributes["paperboy.vector_index.papers"] = vectors.count
            return vectors.search(query, k: k, allowed: nil)
        }
    }

    /// Nearest papers to a stored paper; `nil` when that paper has no embedding.
    public func neighbours(ofKey key: UInt32, k: Int) -> [VectorMatch]? {
        guard let vector = vectors.vector(forKey: key) else { return nil }
        return vectors.search(vector, k: k, allowed: nil)
    }
}
