import Metrics

/// What `/metrics` shows of the pool: how long a statement waited for a connection, and how long
/// it held one (its statements, a transaction's included). Recorded only when the server has a
/// metrics backend; otherwise swift-metrics drops them.
enum StoreMetrics {
    static let poolWait = Timer(label: "paperboy_store_pool_wait_seconds", dimensions: [("store", "postgres")], preferredDisplayUnit: .seconds)
    static let connectionUse = Timer(label: "paperboy_store_query_duration_seconds", dimensions: [("store", "postgres")], preferredDisplayUnit: .seconds)
}
