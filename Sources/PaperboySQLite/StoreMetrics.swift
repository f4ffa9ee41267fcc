import Dispatch
import GRDB
import Metrics
import PaperboyStore
import Synchronization
import Tracing

/// Statement times for `/metrics`, from SQLite's own profile of each statement.
enum StoreMetrics {
    static let statement = Timer(label: "paperboy_store_query_duration_seconds", dimensions: [("store", "sqlite")], preferredDisplayUnit: .seconds)

    /// Called for every connection GRDB opens.
    static func profile(_ db: Database) {
        db.trace(options: .profile) { event in
            if case let .profile(_, duration) = event { statement.recordSeconds(duration) }
        }
    }
}

/// Reads and writes in flight, for the pool gauges: GRDB's pool has `readers` reader connections
/// and one writer, and a read or write beyond those waits for one to come free.
final class SQLitePoolCounts: Sendable {
    let readers: Int
    private let reading = Atomic<Int>(0)
    private let writing = Atomic<Int>(0)

    init(readers: Int) {
        self.readers = readers
    }

    func begin(writing isWrite: Bool) {
        if isWrite { writing.add(1, ordering: .relaxed) } else { reading.add(1, ordering: .relaxed) }
    }

    func end(writing isWrite: Bool) {
        if isWrite { writing.subtract(1, ordering: .relaxed) } else { reading.subtract(1, ordering: .relaxed) }
    }

    var usage: StorePoolUsage {
        let reads = reading.load(ordering: .relaxed)
        let writes = writing.load(ordering: .relaxed)
        let inUse = min(reads, readers) + min(writes, 1)
        return StorePoolUsage(
            store: "sqlite", inUse: inUse, idle: readers + 1 - inUse,
            waiting: max(0, reads - readers) + max(0, writes - 1), limit: readers + 1)
    }
}

/// What reads and writes the database: the store and its keyword index.
protocol SQLiteAccess {
    var database: DatabasePool { get }
    var pool: SQLitePoolCounts { get }
}

extension SQLitePaperStore: SQLiteAccess {}

extension SQLiteAccess {
    /// Every short read of the store goes through here: one trace span per store method (named
    /// after it, `store dailyPapers`), a child of the request's span when tracing is on, and the
    /// counts behind the pool gauges.
    ///
    /// The read runs on the calling thread. GRDB's async read hops to a reader's dispatch queue
    /// and back (three thread hand-offs per read), and a page makes several reads: on the
    /// uncached paper page the hand-offs were a quarter of the CPU (futex and scheduler work).
    /// A synchronous read on an idle reader runs inline instead (`DispatchQueue.sync`).
    ///
    /// Safe because no read of this store suspends while it holds a reader: every read is made
    /// here or in `readingAside`, both synchronous inside. A thread that waits for a free reader
    /// (more reads than readers) therefore always waits for a running thread. GRDB's async read
    /// must not be used beside it: it keeps its reader across an `await`, and with the
    /// cooperative threads all waiting for a reader it could never give it back.
    ///
    /// `singleStatement`: the body runs one statement, so the read needs no transaction of its
    /// own. SQLite runs a lone statement in an implicit transaction and it sees one state of the
    /// database either way; the explicit `BEGIN` and `COMMIT` around it were two statements more
    /// for every page read (7% of the uncached daily page's CPU, perf). A body of two or more
    /// statements must leave it false, or a write between them would show half-way.
    func reading<T: Sendable>(_ function: String = #function, singleStatement: Bool = false, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "sqlite"
            pool.begin(writing: false)
            defer { pool.end(writing: false) }
            return singleStatement ? try database.unsafeRead(body) : try database.read(body)
        }
    }

    /// A read that may take long (a whole table, a batch of thousands of rows, a background
    /// job's scan): as `reading`, but on a dispatch thread, so it does not hold one of the few
    /// cooperative threads that serve requests meanwhile.
    func readingAside<T: Sendable>(_ function: String = #function, _ body: @escaping @Sendable (Database) throws -> T) async throws -> T {
        try await withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "sqlite"
            pool.begin(writing: false)
            defer { pool.end(writing: false) }
            let database = database
            return try await withCheckedThrowingContinuation { continuation in
                DispatchQueue.global().async {
                    continuation.resume(with: Result { try database.read(body) })
                }
            }
        }
    }

    /// Every write: as `reading`, in one transaction on the single writer.
    func writing<T: Sendable>(_ function: String = #function, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "sqlite"
            pool.begin(writing: true)
            defer { pool.end(writing: true) }
            return try await database.write(body)
        }
    }

    /// `dailyPapers(_:)` → `store dailyPapers`: the method, without its argument labels.
    static func spanName(_ function: String) -> String {
        "store " + (function.split(separator: "(", maxSplits: 1).first.map(String.init) ?? function)
    }

}

/// Statements the page reads reuse. GRDB keeps a connection's cached statements for its life,
/// so only SQL with a few fixed forms is cached (every value bound as an argument); compiling a
/// statement again (SQLite's parser and planner, and GRDB's authoriser callback for each column)
/// was a fifth of an uncached paper page.
enum CachedSQL {
    /// The most values one `IN (…)` list binds: a longer list is read in chunks of this many
    /// (`chunks`), one statement each, which keeps a statement under SQLite's bound-parameter
    /// limit. A read of at most this many is one statement (`reading(singleStatement:)`).
    static let listChunk = 512

    /// `values` in lists of at most `listChunk`.
    static func chunks<Value>(_ values: [Value]) -> [[Value]] {
        stride(from: 0, to: values.count, by: listChunk).map { Array(values[$0..<min($0 + listChunk, values.count)]) }
    }

    /// `values` padded to a power of two (at most `chunk`) by repeating the last, with as many
    /// `?` marks: an `IN (…)` list then has eight or so forms instead of one per length.
    /// Repeated values do not change what `IN` matches.
    static func inList<Value>(_ values: [Value], chunk: Int = listChunk) -> (marks: String, values: [Value]) {
        guard let last = values.last else { return ("", []) }
        var size = 1
        while size < values.count { size *= 2 }
        size = max(min(size, chunk), values.count)
        let padded = values + Array(repeating: last, count: size - values.count)
        return (Array(repeating: "?", count: padded.count).joined(separator: ","), padded)
    }
}

extension SQLitePaperStore {
    public var poolUsage: StorePoolUsage? { pool.usage }
}
