import ArgumentParser
import Foundation
import Logging
import PaperboyPostgres
import PaperboyStore

/// `--database`, shared by every command that touches the store.
/// Order of precedence: the flag, then `PAPERBOY_DATABASE`, then `var/paperboy.sqlite`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite file path, sqlite:PATH URL or postgres://USER:PASSWORD@HOST:PORT/DATABASE URL (env: PAPERBOY_DATABASE; default: var/paperboy.sqlite).")
    var database: String?

    var location: String {
        database ?? ProcessInfo.processInfo.environment["PAPERBOY_DATABASE"] ?? "var/paperboy.sqlite"
    }

    /// Where the store is, with any password left out, for messages.
    var displayLocation: String {
        guard isPostgres, var components = URLComponents(string: location), components.password != nil else { return location }
        components.password = "***"
        return components.string ?? location
    }

    var isPostgres: Bool { location.hasPrefix("postgres://") || location.hasPrefix("postgresql://") }

    /// Opens and migrates the store. A PostgreSQL store runs its connection pool until the process ends.
    func openStore() async throws -> any PaperStore {
        var path = location
        if isPostgres {
            // postgres-nio reports every failed reconnect at info: during an outage that is a line
            // every few milliseconds. The server logs one warning per refused request instead.
            var logger = Logger(label: "paperboy.postgres")
            logger.logLevel = .warning
            let store = try PostgresPaperStore(url: path, logger: logger)
            try await store.migrate()
            return store
        }
        if path.hasPrefix("sqlite://") { path.removeFirst("sqlite://".count) } else if path.hasPrefix("sqlite:") { path.removeFirst("sqlite:".count) }
        guard !path.isEmpty else { throw ValidationError("--database needs a file path.") }
        let store = try SQLitePaperStore(path: path)
        try await store.migrate()
        return store
    }
}
