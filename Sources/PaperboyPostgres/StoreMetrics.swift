import Metrics
import PaperboyStore
import PostgresNIO
import Synchronization

/// What `/metrics` shows of the pool: how long a statement waited for a connection, and how long
/// it held one (its statements, a transaction's included). Recorded only when the server has a
/// metrics backend; otherwise swift-metrics drops them.
enum StoreMetrics {
    static let poolWait = Timer(label: "paperboy_store_pool_wait_seconds", dimensions: [("store", "postgres")], preferredDisplayUnit: .seconds)
    static let connectionUse = Timer(label: "paperboy_store_query_duration_seconds", dimensions: [("store", "postgres")], preferredDisplayUnit: .seconds)
}

/// This process's connections, for the pool gauges: those leased now, those waited for, and
/// those open. postgres-nio's pool does not report its connections, so a connection counts as open
/// from its first lease until its channel closes (one opened but never leased is not seen).
final class PostgresPoolCounts: Sendable {
    let limit: Int
    let inUse = Atomic<Int>(0)
    let waiting = Atomic<Int>(0)
    private let open = Mutex<Set<Int>>([])

    init(limit: Int) {
        self.limit = limit
    }

    func leased(_ connection: PostgresConnection) {
        inUse.add(1, ordering: .relaxed)
        let id = connection.id
        let isNew = open.withLock { $0.insert(id).inserted }
        if isNew {
            connection.closeFuture.whenComplete { [self] _ in open.withLock { _ = $0.remove(id) } }
        }
    }

    var usage: StorePoolUsage {
        let leased = inUse.load(ordering: .relaxed)
        let opened = open.withLock { $0.count }
        return StorePoolUsage(
            store: "postgres", inUse: leased, idle: max(0, opened - leased), waiting: waiting.load(ordering: .relaxed), limit: limit)
    }
}
