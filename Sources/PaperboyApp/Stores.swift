import Foundation
import Logging
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore

/// Where a database is: a SQLite file or a PostgreSQL URL. The one parser of `--database`,
/// `PAPERBOY_DATABASE` and `paperboy copy`'s `--from` and `--to`.
public enum DatabaseLocation: Sendable, Equatable {
    case sqlite(path: String)
    case postgres(url: String)

    /// A file path, `sqlite:PATH`, `sqlite://PATH`, or `postgres://…` (`postgresql://…`).
    public init(_ text: String, option: String) throws(ConfigurationError) {
        let lowered = text.lowercased()
        if lowered.hasPrefix("postgres://") || lowered.hasPrefix("postgresql://") {
            self = .postgres(url: text)
            return
        }
        var path = text
        if lowered.hasPrefix("sqlite://") {
            path.removeFirst("sqlite://".count)
        } else if lowered.hasPrefix("sqlite:") {
            path.removeFirst("sqlite:".count)
        } else if let scheme = text.range(of: "^[A-Za-z][A-Za-z0-9+.-]*://", options: .regularExpression) {
            throw ConfigurationError("\(option): unsupported database URL scheme \(text[scheme].dropLast(3)); use sqlite:PATH or postgres://…")
        }
        guard !path.isEmpty else { throw ConfigurationError("\(option) needs a file path.") }
        self = .sqlite(path: path)
    }

    public var isPostgres: Bool { if case .postgres = self { true } else { false } }

    /// For messages: a PostgreSQL password is shown as `***`.
    public var display: String {
        switch self {
        case .sqlite(let path):
            return path
        case .postgres(let url):
            if var components = URLComponents(string: url), components.password != nil {
                components.password = "***"
                return components.string ?? url
            }
            return url
        }
    }
}

public enum Stores {
    /// Opens and migrates the store at `location`. A PostgreSQL store runs its connection pool
    /// until the process ends (or `close()`).
    public static func open(_ location: DatabaseLocation, concurrentUpserts: Int = 4) async throws -> any PaperStore {
        switch location {
        case .postgres(let url):
            // postgres-nio reports every failed reconnect at info: during an outage that is a line
            // every few milliseconds. The server logs one warning per refused request instead.
            var logger = Logger(label: "paperboy.postgres")
            logger.logLevel = .warning
            let store = try PostgresPaperStore(url: url, logger: logger)
            store.setConcurrentUpserts(concurrentUpserts)
            try await store.migrate()
            return store
        case .sqlite(let path):
            let store = try SQLitePaperStore(path: path)
            try await store.migrate()
            return store
        }
    }

    /// The configured store, opened and migrated.
    public static func open(_ configuration: PaperboyConfiguration) async throws -> any PaperStore {
        try await open(configuration.database, concurrentUpserts: configuration.postgresConcurrentUpserts)
    }
}
