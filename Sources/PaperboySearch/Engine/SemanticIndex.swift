import Dispatch
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
    /// What the saved index file reflects (`saveIndex`).
    private let saving = Mutex(SaveState())

    private struct SaveState {
        /// Vectors added since start, and how many of them the file reflects (-1: unknown).
        var made = 0
        var saved = -1
        /// The index generation (rebuilds so far) the file was saved from.
        var generation: UInt64?
    }
    /// Each refresh reads again what was saved in this many seconds before its cursor: a
    /// transaction on another instance may commit after later saves were already read.
    static let commitMargin: Double = 60

    public init(embedder: SentenceEmbedder, store: any PaperStore, logger: Logger = Logger(label: "paperboy.search")) {
        self.embedder = embedder
        self.store = store
        self.logger = logger
        vectors = VectorStore(dimensions: SentenceEmbedder.dimensions)
    }

    /// With vector store settings of its own (tests use a small approximate index).
    init(embedder: SentenceEmbedder, store: any PaperStore, vectorConfiguration: VectorStore.Configuration) {
        self.embedder = embedder
        self.store = store
        logger = Logger(label: "paperboy.search")
        vectors = VectorStore(dimensions: SentenceEmbedder.dimensions, configuration: vectorConfiguration)
    }

    public var modelName: String { SentenceEmbedder.modelName }

    public var count: Int { vectors.count }

    public var memoryBytes: Int { vectors.memoryBytes }

    /// Loads embeddings saved since the last load (new papers, re-embedded ones, from any process
    /// or instance) into memory; returns how many were new to this index.
    @discardableResult
    public func loadStoredEmbeddings() async throws -> Int {
        let previous = loadedThrough.withLock { $0 }
        let start = previous.savedAt > 0 ? EmbeddingCursor(savedAt: previous.savedAt - Self.commitMargin, key: 0) : previous
        return try await loadStoredEmbeddings(after: start, newerThan: previous)
    }

    /// Loads what was saved after `start`; counts as new what is past `previous`.
    private func loadStoredEmbeddings(after start: EmbeddingCursor, newerThan previous: EmbeddingCursor) async throws -> Int {
        var cursor = start
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
        if loaded > 0 { saving.withLock { $0.made += loaded } }
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
                vectors = try await IdleThread.shared.run { embedder.embed(texts, onCallingThreadOnly: true) }
            } else {
                vectors = embedder.embed(texts)
            }
            let embeddings = zip(sources, vectors).map { StoredEmbedding(key: $0.key, vector: $1, sourceModifiedAt: $0.modifiedAt) }
            try await store.saveEmbeddings(embeddings, model: modelName)
            self.vectors.add(keys: embeddings.map(\.key), vectors: embeddings.flatMap(\.vector))
            done += sources.count
            saving.withLock { $0.made += sources.count }
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

    // MARK: The saved index

    /// Starts from the index saved at `path` (`saveIndex`), loading only what was saved to the
    /// store since, instead of every embedding and a new k-means training. Used only when it
    /// still describes the store: the store's summary of the embeddings up to the file's
    /// position equals the one in the file (none deleted, replaced or added with an earlier
    /// time since), and with the newer ones loaded the index holds as many as the store.
    /// Returns how many papers it holds and what the load took; otherwise throws
    /// `VectorIndexFile.FileError` saying why, with this index left empty.
    public func loadSavedIndex(from path: String) async throws -> SavedIndexLoad {
        let started = ContinuousClock.now
        // The store's summary up to the file's position is computed while the body is read
        // (1.3 s and 2.1 s at a million papers: one after the other they missed 3 s; issue 17).
        let position = try VectorIndexFile.position(in: path)
        async let storeSummary = store.embeddingSummary(model: modelName, through: position.cursor)
        let contents = try await withCheckedThrowingContinuation { continuation in
            // A gigabyte or more of reading and checksumming: off the cooperative threads.
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try VectorIndexFile.read(from: path, model: self.modelName, dimensions: SentenceEmbedder.dimensions)
                })
            }
        }
        let read = ContinuousClock.now
        guard contents.cursor == position.cursor, contents.summary == position.summary else {
            throw VectorIndexFile.FileError.mismatch("the file was replaced while it was being read")
        }
        let summary = try await storeSummary
        guard summary == contents.summary else {
            throw VectorIndexFile.FileError.mismatch(
                "the database's embeddings up to the saved position have changed since (\(summary.count) now, \(contents.summary.count) then)")
        }
        guard vectors.restore(contents.index) else { throw VectorIndexFile.FileError.mismatch("the index already holds vectors") }
        loadedThrough.withLock { $0 = contents.cursor }
        // Only what was saved after the file's position: the matching summary says nothing was
        // committed late below it (a late commit would have changed the summary), so the usual
        // margin (which rereads the last minute of saves, all of them after a bulk embedding)
        // is not needed here; later refreshes keep it.
        let newer = try await loadStoredEmbeddings(after: contents.cursor, newerThan: contents.cursor)
        let stored = try await store.embeddingCount(model: modelName)
        guard stored == vectors.count else {
            let held = vectors.count
            vectors.removeAll()
            loadedThrough.withLock { $0 = EmbeddingCursor(savedAt: 0, key: 0) }
            saving.withLock { $0 = SaveState() }
            throw VectorIndexFile.FileError.mismatch("\(held) vectors with the newer ones loaded, the database has \(stored)")
        }
        // What was loaded since the file's position is not in the file yet.
        let generation = vectors.generation
        saving.withLock { state in
            state.saved = state.made == 0 ? 0 : -1
            state.generation = generation
        }
        let now = ContinuousClock.now
        return SavedIndexLoad(papers: vectors.count, newer: newer, fileSeconds: (read - started).inSeconds,
                              databaseSeconds: (now - read).inSeconds)
    }

    /// What `loadSavedIndex` did, for the start-up log.
    public struct SavedIndexLoad: Sendable {
        public let papers: Int
        /// Embeddings saved after the file, loaded from the store.
        public let newer: Int
        /// Reading and checking the file (the store's check runs beside it); then what remained
        /// of the store's check and loading the newer ones.
        public let fileSeconds: Double
        public let databaseSeconds: Double
    }

    /// Saves the approximate index to `path` with the position in the store it reflects, unless
    /// nothing changed since the last save. Exact search (up to 100k papers) saves nothing:
    /// loading those vectors from the store is fast. Returns whether it wrote the file.
    /// `onlyIfRebuilt`: save only when the index was retrained since the last save (the
    /// refresh job's check; other changes are saved at shutdown).
    @discardableResult
    public func saveIndex(to path: String, onlyIfRebuilt: Bool = false) async throws -> Bool {
        let generation = vectors.generation
        let made = saving.withLock { state -> Int? in
            if onlyIfRebuilt, state.generation == generation { return nil }
            return state.saved == state.made && state.generation == generation ? nil : state.made
        }
        guard let made else { return false }
        // The position first, then the index: the index then holds at least everything up to it.
        let cursor = loadedThrough.withLock { $0 }
        guard cursor > EmbeddingCursor(savedAt: 0, key: 0), let index = vectors.approximateSnapshot() else { return false }
        let summary = try await store.embeddingSummary(model: modelName, through: cursor)
        let model = modelName
        try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Void, any Error>) in
            // Gigabytes of writing at a million papers: off the cooperative threads.
            DispatchQueue.global(qos: .utility).async {
                continuation.resume(with: Result { try VectorIndexFile.write(index, model: model, cursor: cursor, summary: summary, to: path) })
            }
        }
        saving.withLock { state in
            state.saved = made
            state.generation = generation
        }
        return true
    }

    /// What the background embedding is doing, for `/readyz`; nil when it has nothing to do.
    public var backgroundStatus: String? { backgroundState.withLock { $0 } }

    /// Nearest papers to a text query.
    /// Returns once background builds of the approximate index started so far have finished.
    public func waitForIndexBuilds() async {
        await vectors.waitForRebuilds()
    }

    public func search(_ text: String, k: Int) async throws -> [VectorMatch] {
        let query = withSpan("search.embed_query") { _ in embedder.embedQuery(text) }
        return withSpan("search.vector_index") { span in
            span.attributes["paperboy.vector_index.papers"] = vectors.count
            return vectors.search(query, k: k, allowed: nil)
        }
    }

    /// Nearest papers to a stored paper; `nil` when that paper has no embedding.
    public func neighbours(ofKey key: UInt32, k: Int) -> [VectorMatch]? {
        vectors.neighbours(ofKey: key, k: k)
    }
}
