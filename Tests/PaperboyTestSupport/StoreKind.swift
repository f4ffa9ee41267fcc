import Foundation
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore

/// The store implementations the conformance suite runs against.
public enum StoreKind: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite
    case postgres

    public var description: String { rawValue }

    /// The migrations a new store of this kind has applied, in order (the same for both kinds).
    public var migrations: [String] {
        ["v1-papers", "v2-search", "v3-community", "v4-digests", "v5-coordination", "v6-embedding-changes", "v7-bm25", "v8-for-you", "v9-enrichment", "v10-postings", "v11-row-version", "v12-search-text-version"]
    }

    /// Runs `body` with a fresh, migrated store: a new SQLite file, or a new database on the
    /// shared test PostgreSQL server; the PostgreSQL store's connections are closed afterwards.
    public func withStore<Result>(
        searchPostingBudget: Int = PostingBudget.exact, _ body: (any PaperStore) async throws -> Result
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
    maximumConnections: Int = 8, searchPostingBudget: Int = PostingBudget.exact
) async throws -> PostgresPaperStore {
    let url = try await PostgresServer.shared().createDatabase()
    let store = try PostgresPaperStore(url: url, maximumConnections: maximumConnections, searchPostingBudget: searchPostingBudget)
    try await store.migrate()
    return store
}
