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
    /// Every read of the store goes through here: one trace span per store method (named after
    /// it, `store dailyPapers`), a child of the request's span when tracing is on, and the
    /// counts behind the pool gauges.
    func reading<T: Sendable>(_ function: String = #function, _ body: @Sendable (Database) throws -> T) async throws -> T {
        try await withSpan(Self.spanName(function), ofKind: .client) { span in
            span.attributes["db.system.name"] = "sqlite"
            pool.begin(writing: false)
            defer { pool.end(writing: false) }
            return try await database.read(body)
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

extension SQLitePaperStore {
    public var poolUsage: StorePoolUsage? { pool.usage }
}
