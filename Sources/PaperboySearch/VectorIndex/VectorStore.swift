import Dispatch
import Synchronization

/// The vector collection a server keeps: vectors can be added, replaced and removed while
/// searches run on other tasks.
///
/// Below `Configuration.exactSearchLimit` vectors it searches exactly; above it, an
/// `InvertedFileIndex`. New vectors join the nearest list of the current index at once (no
/// retraining); once the collection has grown by `retrainGrowth` since the index was trained,
/// a new index is trained on a background queue from a snapshot while the old one keeps
/// serving, and changes made meanwhile are replayed into it before it takes over.
///
/// Loading many vectors: `init(dimensions:keys:vectors:)` builds once, and
/// `add(keys:vectors:)` assigns a batch with one matrix product; single adds into the
/// approximate index cost one centroid scan each.
///
/// Concurrency: state sits behind a mutex that is held only to copy or change the index value.
/// A search copies the index (copy-on-write, so only reference counts) and scans outside the
/// lock; a change made while a search holds that copy duplicates just the block or list (and
/// key-map shard) it touches.
public final class VectorStore: Sendable {
    public struct Configuration: Sendable {
        /// Exact search costs time in proportion to the vectors; around 100k it stops meeting the
        /// 5 ms budget, and the approximate index is far faster there at nearly the same recall
        /// (BENCHMARKS.md, `paperboy bench vectors`).
        public static let defaultExactSearchLimit = 100_000

        /// Above this many vectors the store switches to the approximate index; it switches back
        /// below half of it.
        public var exactSearchLimit: Int
        /// Retrain once the collection is this many times the size the index was trained on
        /// (or has shrunk by the same factor).
        public var retrainGrowth: Double
        /// Index settings for a given collection size.
        public var approximateParameters: @Sendable (Int) -> InvertedFileIndex.Parameters
        /// When false, the rebuild runs in the `add` call that triggers it (for tests and tools).
        public var rebuildsInBackground: Bool

        public init(
            exactSearchLimit: Int = Configuration.defaultExactSearchLimit,
            retrainGrowth: Double = 2,
            approximateParameters: @escaping @Sendable (Int) -> InvertedFileIndex.Parameters = {
                InvertedFileIndex.Parameters.recommended(forCount: $0)
            },
            rebuildsInBackground: Bool = true
        ) {
            self.exactSearchLimit = exactSearchLimit
            self.retrainGrowth = max(retrainGrowth, 1.1)
            self.approximateParameters = approximateParameters
            self.rebuildsInBackground = rebuildsInBackground
        }
    }

    public let dimensions: Int
    public let configuration: Configuration
    private let state: Mutex<State>
    private let rebuildQueue = DispatchQueue(label: "paperboy.vector-store.rebuild", qos: .utility)
    private let rebuildScheduling = Mutex<(policy: Int32, nice: Int32)?>(nil)
    /// The scheduling policy and nice value the last background rebuild ran under (for tests).
    public var lastRebuildScheduling: (policy: Int32, nice: Int32)? { rebuildScheduling.withLock { $0 } }

    public init(dimensions: Int, configuration: Configuration = Configuration()) {
        precondition(dimensions > 0, "dimensions must be positive")
        self.dimensions = dimensions
        self.configuration = configuration
        state = Mutex(State(index: StoreIndex(exact: ExactVectorIndex(dimensions: dimensions))))
    }

    /// Starts with `keys.count` vectors stored back to back in `vectors`, building the right kind
    /// of index once (faster than adding them one by one).
    public convenience init(dimensions: Int, keys: [UInt32], vectors: [Float], configuration: Configuration = Configuration()) {
        precondition(vectors.count == keys.count * dimensions, "vectors must hold keys.count × dimensions values")
        self.init(dimensions: dimensions, configuration: configuration)
        let index = StoreIndex.build(
            from: [VectorBlock(keys: keys, values: vectors)], count: keys.count,
            dimensions: dimensions, configuration: configuration)
        state.withLock { $0.index = index }
    }

    // MARK: Reading

    public var count: Int { state.withLock { $0.index.count } }

    /// Whether searches currently go to the approximate index.
    public var isApproximate: Bool { state.withLock { $0.index.isApproximate } }

    /// Rebuilt indexes that have replaced the current one so far (for tests and diagnostics).
    var completedRebuilds: UInt64 { state.withLock { $0.generation } }

    /// Whether a background rebuild is under way.
    public var isRebuilding: Bool { state.withLock { $0.journal != nil } }

    /// Estimated bytes held: vectors, keys, key map, centroids, and changes waiting for a rebuild.
    public var memoryBytes: Int {
        state.withLock { $0.index.memoryBytes + $0.journalBytes }
    }

    /// Top `k` by dot product, best first; `allowed` restricts results to the keys it accepts.
    public func search(_ query: [Float], k: Int, allowed: ((UInt32) -> Bool)? = nil) -> [VectorMatch] {
        let snapshot = state.withLock { $0.index }
        return snapshot.search(query, k: k, allowed: allowed)
    }

    public func vector(forKey key: UInt32) -> [Float]? {
        state.withLock { $0.index.vector(forKey: key) }
    }

    /// How many neighbour lists are kept at most; all are dropped when it is reached.
    static let neighbourCapacity = 4_096

    /// The top `k` to the vector stored under `key` (itself among them, usually first); nil when
    /// there is none. Lists are kept until the store next changes: a paper's page asks for the
    /// same neighbours on every view (a scan of every vector, or at a million an approximate
    /// search), and they change only when a vector does.
    public func neighbours(ofKey key: UInt32, k: Int) -> [VectorMatch]? {
        let query = NeighbourQuery(key: key, k: k)
        let (kept, changes) = state.withLock { ($0.neighbours[query], $0.changes) }
        if let kept { return kept }
        guard let vector = vector(forKey: key) else { return nil }
        let matches = search(vector, k: k)
        state.withLock { state in
            // A change since `changes` was read may have made the list stale: not kept.
            guard state.changes == changes else { return }
            if state.neighbours.count >= Self.neighbourCapacity { state.neighbours.removeAll(keepingCapacity: true) }
            state.neighbours[query] = matches
        }
        return matches
    }

    private struct NeighbourQuery: Hashable, Sendable {
        let key: UInt32
        let k: Int
    }

    /// The current index as a value: later changes to the store do not affect it.
    public func snapshot() -> any VectorIndex {
        state.withLock { $0.index.current }
    }

    /// The approximate index as a value, nil while searches are exact.
    public func approximateSnapshot() -> InvertedFileIndex? {
        state.withLock { $0.index.approximate }
    }

    /// Rebuilt indexes that have replaced the current one so far.
    public var generation: UInt64 { state.withLock { $0.generation } }

    // MARK: Changing

    /// Starts an empty store from an index saved earlier; false (and nothing changed) when the
    /// store already holds vectors or is rebuilding.
    public func restore(_ index: InvertedFileIndex) -> Bool {
        state.withLock { state in
            guard state.index.count == 0, state.journal == nil, index.dimensions == dimensions else { return false }
            state.index = StoreIndex(approximate: index)
            return true
        }
    }

    /// Drops every vector: a restored index that turned out not to match the database.
    public func removeAll() {
        state.withLock { state in
            state.index = StoreIndex(exact: ExactVectorIndex(dimensions: dimensions))
            state.generation &+= 1
        }
    }

    /// Adds a vector, or replaces the one stored under `key`.
    public func add(key: UInt32, vector: [Float]) {
        precondition(vector.count == dimensions, "vector has \(vector.count) values, store has \(dimensions) dimensions")
        let rebuild = state.withLock { state -> RebuildStart? in
            state.index.add(key: key, vector: vector)
            state.record(.add(key: key, vector: vector))
            return startRebuildIfNeeded(&state)
        }
        if let rebuild { run(rebuild) }
    }

    /// Adds or replaces `keys.count` vectors stored back to back in `vectors`. Cheaper than
    /// single adds for large batches: list assignment runs as one matrix product, outside the lock.
    public func add(keys: [UInt32], vectors: [Float]) {
        precondition(vectors.count == keys.count * dimensions, "vectors must hold keys.count × dimensions values")
        guard !keys.isEmpty else { return }
        // Only the centroids are taken out of the lock: holding a copy of the whole index
        // would make the insertions below copy every list they touch.
        let (centroids, generation) = state.withLock { ($0.index.approximate?.centroidValues, $0.generation) }
        let lists = centroids.map {
            InvertedFileIndex.nearestLists(forRows: vectors, count: keys.count, centroids: $0, dimensions: dimensions)
        }
        let rebuild = state.withLock { state -> RebuildStart? in
            if let lists, state.generation == generation {
                state.index.add(keys: keys, vectors: vectors, lists: lists)
            } else {
                state.index.add(keys: keys, vectors: vectors, lists: nil)
            }
            state.record(.addBatch(keys: keys, vectors: vectors))
            return startRebuildIfNeeded(&state)
        }
        if let rebuild { run(rebuild) }
    }

    /// Removes the vector under `key`; returns whether there was one.
    @discardableResult
    public func remove(key: UInt32) -> Bool {
        let (removed, rebuild) = state.withLock { state -> (Bool, RebuildStart?) in
            guard state.index.remove(key: key) else { return (false, nil) }
            state.record(.remove(key: key))
            return (true, startRebuildIfNeeded(&state))
        }
        if let rebuild { run(rebuild) }
        return removed
    }

    /// Waits until rebuilds started so far have finished (or returns at once if none is running).
    public func waitForRebuilds() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            rebuildQueue.async { continuation.resume() }
        }
    }

    // MARK: Rebuilding

    private struct RebuildStart: Sendable {
        let snapshot: StoreIndex
    }

    /// Called with the lock held after a change: starts a rebuild when the collection has
    /// outgrown (or shrunk well below) the index and no rebuild is running.
    private func startRebuildIfNeeded(_ state: inout State) -> RebuildStart? {
        guard state.journal == nil, needsRebuild(state.index) else { return nil }
        state.journal = []
        state.journalBytes = 0
        return RebuildStart(snapshot: state.index)
    }

    private func needsRebuild(_ index: StoreIndex) -> Bool {
        let count = index.count
        guard let approximate = index.approximate else { return count > configuration.exactSearchLimit }
        if count < configuration.exactSearchLimit / 2 { return true }
        let trained = Double(approximate.trainedCount)
        return Double(count) >= trained * configuration.retrainGrowth
            || Double(count) * configuration.retrainGrowth <= trained
    }

    private func run(_ start: RebuildStart) {
        if configuration.rebuildsInBackground {
            // The queue keeps rebuilds in order (and `waitForRebuilds` waits on it); the k-means
            // training itself runs on the idle thread, so a rebuild (minutes at a million papers)
            // takes only the CPU requests leave (issue 20). Its thread's scheduling is recorded.
            rebuildQueue.async {
                IdleThread.shared.runAndWait {
                    self.rebuildScheduling.withLock { $0 = IdleThread.currentScheduling() }
                    self.rebuild(from: start)
                }
            }
        } else {
            rebuild(from: start)
        }
    }

    private func rebuild(from start: RebuildStart) {
        var next: RebuildStart? = start
        while next != nil {
            var index = build(taking: &next)
            // Replay changes made during the build without the lock, then the last few with it.
            let pending = state.withLock { state -> [JournalEntry] in
                let entries = state.journal ?? []
                state.journal = []
                state.journalBytes = 0
                return entries
            }
            index.apply(pending)
            next = state.withLock { state -> RebuildStart? in
                index.apply(state.journal ?? [])
                state.index = index
                state.generation &+= 1
                state.journal = nil
                state.journalBytes = 0
                // Changes during the build may already call for another one.
                return startRebuildIfNeeded(&state)
            }
        }
    }

    /// Builds from the snapshot in `start` and clears it, so that the snapshot is released on
    /// return and later changes stop copying the blocks it shares.
    private func build(taking start: inout RebuildStart?) -> StoreIndex {
        guard let snapshot = start?.snapshot else { return StoreIndex(exact: ExactVectorIndex(dimensions: dimensions)) }
        start = nil
        return StoreIndex.build(from: snapshot.storedBlocks, count: snapshot.count,
                                dimensions: dimensions, configuration: configuration)
    }

    // MARK: State

    private enum JournalEntry: Sendable {
        case add(key: UInt32, vector: [Float])
        case addBatch(keys: [UInt32], vectors: [Float])
        case remove(key: UInt32)

        var bytes: Int {
            switch self {
            case .add(_, let vector): 4 + vector.count * 4 + 32
            case .addBatch(let keys, let vectors): keys.count * 4 + vectors.count * 4 + 64
            case .remove: 4 + 16
            }
        }
    }

    private struct State: Sendable {
        /// Every change to it drops the kept neighbour lists. (`didSet` without `oldValue`
        /// changes the index in place, SE-0268.)
        var index: StoreIndex {
            didSet {
                changes &+= 1
                if !neighbours.isEmpty { neighbours.removeAll() }
            }
        }
        /// Changes to `index` so far.
        var changes: UInt64 = 0
        /// `neighbours(ofKey:k:)` answers since the last change, by key and k.
        var neighbours: [NeighbourQuery: [VectorMatch]] = [:]
        /// Bumped whenever a rebuilt index replaces the current one.
        var generation: UInt64 = 0
        /// Changes since the running rebuild took its snapshot; nil when none is running.
        var journal: [JournalEntry]?
        var journalBytes = 0

        mutating func record(_ entry: JournalEntry) {
            guard journal != nil else { return }
            journal?.append(entry)
            journalBytes += entry.bytes
        }
    }

    /// Exactly one of the two indexes. Two optionals rather than an enum with payloads, so that
    /// changes mutate the index in place instead of copying it out of the enum first.
    private struct StoreIndex: Sendable {
        private(set) var exact: ExactVectorIndex?
        private(set) var approximate: InvertedFileIndex?

        init(exact: ExactVectorIndex) {
            self.exact = exact
        }

        init(approximate: InvertedFileIndex) {
            self.approximate = approximate
        }

        static func build(from blocks: [VectorBlock], count: Int, dimensions: Int, configuration: Configuration) -> StoreIndex {
            if count > configuration.exactSearchLimit {
                return StoreIndex(approximate: InvertedFileIndex(
                    dimensions: dimensions, sources: blocks,
                    parameters: configuration.approximateParameters(count)))
            }
            var exact = ExactVectorIndex(dimensions: dimensions)
            for block in blocks { exact.add(block: block) }
            return StoreIndex(exact: exact)
        }

        var current: any VectorIndex {
            if let approximate { return approximate }
            if let exact { return exact }
            preconditionFailure("a store always holds one of the two indexes")
        }

        var isApproximate: Bool { approximate != nil }
        var count: Int { approximate?.count ?? exact?.count ?? 0 }
        var memoryBytes: Int { approximate?.memoryBytes ?? exact?.memoryBytes ?? 0 }
        var storedBlocks: [VectorBlock] { approximate?.storedBlocks ?? exact?.storedBlocks ?? [] }

        func search(_ query: [Float], k: Int, allowed: ((UInt32) -> Bool)?) -> [VectorMatch] {
            approximate?.search(query, k: k, allowed: allowed) ?? exact?.search(query, k: k, allowed: allowed) ?? []
        }

        func vector(forKey key: UInt32) -> [Float]? {
            approximate?.vector(forKey: key) ?? exact?.vector(forKey: key)
        }

        mutating func add(key: UInt32, vector: [Float]) {
            approximate?.add(key: key, vector: vector)
            exact?.add(key: key, vector: vector)
        }

        /// `lists`, when given, are nearest lists computed in advance for the approximate index.
        mutating func add(keys: [UInt32], vectors: [Float], lists: [UInt32]?) {
            if approximate != nil {
                approximate?.add(keys: keys, vectors: vectors, lists: lists)
            } else {
                exact?.add(block: VectorBlock(keys: keys, values: vectors))
            }
        }

        mutating func remove(key: UInt32) -> Bool {
            approximate?.remove(key: key) ?? exact?.remove(key: key) ?? false
        }

        /// Replays changes in order. Runs of additions go in as one batch, so the approximate
        /// index assigns them with one matrix product rather than one centroid scan each.
        mutating func apply(_ entries: [JournalEntry]) {
            var keys: [UInt32] = []
            var vectors: [Float] = []
            for entry in entries {
                switch entry {
                case .add(let key, let vector):
                    keys.append(key)
                    vectors.append(contentsOf: vector)
                case .addBatch(let batchKeys, let batchVectors):
                    keys.append(contentsOf: batchKeys)
                    vectors.append(contentsOf: batchVectors)
                case .remove(let key):
                    if !keys.isEmpty {
                        add(keys: keys, vectors: vectors, lists: nil)
                        keys.removeAll()
                        vectors.removeAll()
                    }
                    _ = remove(key: key)
                }
            }
            if !keys.isEmpty { add(keys: keys, vectors: vectors, lists: nil) }
        }
    }
}
