import Foundation
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore

/// The store implementations the conformance suite runs against.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// Runs `body` with a fresh, migrated store: a new SQLite file, or a new database on the
    /// shared test PostgreSQL server; the PostgreSQL store's connections are closed afterwards.
    public func withStore<Result>(
        searchPostingBudget: Int = SQLitePaperStore.exactPostingBudget, _ body: (any PaperStore) async throws -> Result
    ) async throws -> Result {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory()
            let store = try SQLitePaperStore(path: directory.path("paperboy.sqlite"), searchPostingBudget: searchPostingBudget)
            try await store.migrate()
            let result = try await body(store)
            // The folder (and the file in it) must outlive the test body.
            withExtendedLifetime(directory) {}
            return result
        case .postgres:
            let store = try await makePostgresStore(searchPostingBudget: searchPostingBudget)
            do {
                let result = try await body(store)
                await store.close()
                return result
            } catch {
                await store.close()
                throw error
            }
        }
    }
}

/// A migrated PostgreSQL store on a new database of the shared test server.
public func makePostgresStore(
    maximumConnections: Int = 8, searchPostingBudget: Int = SQLitePaperStore.exactPostingBudget
) async throws -> PostgresPaperStore {
    let url = try await PostgresServer.shared().createDatabase()
    let store = try PostgresPaperStore(url: url, maximumConnections: maximumConnections, searchPostingBudget: searchPostingBudget)
    try await store.migrate()
    return store
}
