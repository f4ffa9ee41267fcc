import GRDB
import Metrics

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
