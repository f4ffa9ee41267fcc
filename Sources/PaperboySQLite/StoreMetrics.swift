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

/// Reads and writes in flight, for the pool gauges: `readers` reader connections (the store's own
/// `SQLiteReaders` and GRDB's pool's) and one writer, and a read or write beyond those waits for
/// one to come free.
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

/// Reader connections of the store's own, beside GRDB's pool, for `reading`: taken and given
/// back under one lock. GRDB's pool takes a reader through a semaphore and two `sync` calls on
/// its own dispatch queue (and as many to give it back); that was 4% of an uncached daily page
/// and 12% of a paper page, which make one and five reads (perf, issue 17). A read runs on its
/// connection's queue as before (`DatabaseQueue`, read-only, the pool's configuration: the same
/// functions and pragmas). When all `limit` are busy, a read takes one of the pool's readers,
/// which also serve `readingAside` and GRDB's own reads (migrations, backups).
final class SQLiteReaders: Sendable {
    private let path: String
    private let configuration: Configuration
    private let limit: Int
    private let state = Mutex<(idle: [DatabaseQueue], opened: Int)>(([], 0))

    init(database: DatabasePool, limit: Int) {
        path = database.path
        // As GRDB configures its pool's readers: read-only, no transaction left open between
        // reads, and a busy timeout for WAL's rare busy cases (another process's recovery): the
        // store's own 10 s, which a read-only connection takes.
        var configuration = database.configuration
        configuration.readonly = true
        configuration.allowsUnsafeTransactions = false
        configuration.label = (configuration.label ?? "paperboy") + ".reader"
        self.configuration = configuration
        self.limit = limit
    }

    /// `body` on an idle reader of these, or else on one of `pool`'s; without a transaction of
    /// its own when it is `singleStatement` (see `SQLiteAccess.reading`).
    func read<T>(singleStatement: Bool, otherwise pool: DatabasePool, _ body: (Database) throws -> T) throws -> T {
        guard let reader = try take() else {
            return singleStatement ? try pool.unsafeRead(body) : try pool.read(body)
        }
        defer { state.withLock { $0.idle.append(reader) } }
        return try reader.inDatabase { db in singleStatement ? try body(db) : try Self.inReadTransaction(db, body) }
    }

    /// `body` in one read transaction, as `DatabaseQueue.read` runs it, but by cached
    /// statements: GRDB prepares its `BEGIN DEFERRED TRANSACTION` anew for every read, and that
    /// parse was 2% of an uncached paper page (perf, issue 17). The connection is read-only, so
    /// the transaction can only read; a failed body rolls it back and the connection is idle again.
    static func inReadTransaction<T>(_ db: Database, _ body: (Database) throws -> T) throws -> T {
        try db.cachedStatement(sql: "BEGIN DEFERRED").execute()
        do {
            let value = try body(db)
            try db.cachedStatement(sql: "COMMIT").execute()
            return value
        } catch {
            if db.isInsideTransaction { try? db.cachedStatement(sql: "ROLLBACK").execute() }
            throw error
        }
    }

    /// An idle reader; a new one while fewer than `limit` are open; nil when all are busy.
    private func take() throws -> DatabaseQueue? {
        enum Taken { case idle(DatabaseQueue), open, none }
        let taken: Taken = state.withLock { state in
            if let reader = state.idle.popLast() { return .idle(reader) }
            guard state.opened < limit else { return .none }
            state.opened += 1
            return .open
        }
        switch taken {
        case .idle(let reader): return reader
        case .none: return nil
        case .open:
            do {
                return try DatabaseQueue(path: path, configuration: configuration)
            } catch {
                state.withLock { $0.opened -= 1 }
                throw error
            }
        }
    }
}

/// What reads and writes the database: the store and its keyword index.
protocol SQLiteAccess {
    var database: DatabasePool { get }
    var readers: SQLiteReaders { get }
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
    /// A synchronous read on an idle reader runs inline instead (`DispatchQueue.sync`), on one of
    /// the store's own readers (`SQLiteReaders`), which are opened as reads first overlap: about
    /// as many as there are cooperative threads, since no read here suspends.
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
    /// statements must leave it false, or a write between them would show half-way; the one
    /// exception is `DecodedPapers`, whose second statement reads rows the first named, where a
    /// row newer than the first statement saw is as good as a write that came just after it.
    func reading<T: Sendable>(_ function: String = #function, singleStatement: Bool = false, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "sqlite"
            pool.begin(writing: false)
            defer { pool.end(writing: false) }
            return try readers.read(singleStatement: singleStatement, otherwise: database, body)
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
    /// `values` as statement arguments. GRDB's generic initializer maps them through a key path
    /// that Swift builds anew on every call (3% of an uncached paper page, perf); its existential
    /// one takes a closure.
    static func arguments(_ values: [some DatabaseValueConvertible]) -> StatementArguments {
        StatementArguments(values.map { $0 as (any DatabaseValueConvertible)? })
    }

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
