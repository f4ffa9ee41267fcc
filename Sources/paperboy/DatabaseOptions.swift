import ArgumentParser
import Foundation
import PaperboyStore

/// `--database`, shared by every command that touches the store.
/// Order of precedence: the flag, then `PAPERBOY_DATABASE`, then `var/paperboy.sqlite`.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "SQLite file path or sqlite:PATH URL (env: PAPERBOY_DATABASE; default: var/paperboy.sqlite).")
    var database: String?

    var location: String {
        database ?? ProcessInfo.processInfo.environment["PAPERBOY_DATABASE"] ?? "var/paperboy.sqlite"
    }

    /// Opens and migrates the store.
    func openStore() async throws -> SQLitePaperStore {
        var path = location
        if path.hasPrefix("postgres://") || path.hasPrefix("postgresql://") {
            throw ValidationError("PostgreSQL is not supported by this version yet; use a SQLite file path.")
        }
        if path.hasPrefix("sqlite://") { path.removeFirst("sqlite://".count) } else if path.hasPrefix("sqlite:") { path.removeFirst("sqlite:".count) }
        guard !path.isEmpty else { throw ValidationError("--database needs a file path.") }
        let store = try SQLitePaperStore(path: path)
        try await store.migrate()
        return store
    }
}
