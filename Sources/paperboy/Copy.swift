import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore

struct Copy: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy a whole deployment (papers, embeddings, accounts, votes, comments, subscribers, digests) into an empty database.",
        discussion: """
            Copies between SQLite and PostgreSQL in either direction (or SQLite to SQLite), keeping every id, \
            so links, sessions and unsubscribe tokens keep working. The destination is created (migrated) \
            and must hold no rows; the source is only read and must be at the current schema. \
            Leases are not copied. Stop the servers writing to the source first: rows written during the copy may be missed, \
            and the final count check then fails.
            """)

    @Option(help: "The database to copy: sqlite:PATH (or a file path) or postgres://USER:PASSWORD@HOST:PORT/DATABASE.")
    var from: String

    @Option(help: "The empty database to copy into, in the same forms.")
    var to: String

    @Option(name: .customLong("batch-size"), help: "Rows read and written per transaction.")
    var batchSize: Int = 1_000

    func run() async throws {
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 100000") }
        let sourceLocation = try DatabaseLocation(copying: from, option: "--from")
        let destinationLocation = try DatabaseLocation(copying: to, option: "--to")
        if sourceLocation == destinationLocation { throw ValidationError("--from and --to name the same database") }

        let source = try await sourceLocation.openSource()
        let destination = try await destinationLocation.openDestination()
        let copier = StoreCopier(source: source, destination: destination, batchSize: batchSize)
        // Checked here too (run checks again), so a refusal is the only thing printed.
        try await copier.checkSourceSchema()
        try await copier.checkDestinationEmpty()
        print("copying \(sourceLocation.copyDisplay) to \(destinationLocation.copyDisplay)")
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let started = Date()
        // Without a terminal (a log file), a line every so many rows instead of the bar.
        let reportEvery = max(100_000 / batchSize, 1) * batchSize
        let summary = try await copier.run { table, copied, total, finished in
            if finished {
                bar.finish()
                print("\(table): \(copied) rows")
            } else if bar.enabled {
                bar.show(done: copied, total: total, label: "\(table) \(copied)/\(total)")
            } else if copied % reportEvery == 0 {
                print("\(table): \(copied) of \(total) rows")
            }
        }
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        let counts = summary.tables.map { "\($0.name) \($0.destination)" }.joined(separator: ", ")
        print("copied in \(seconds) s, counts match the source: \(counts)")
        if let source = source as? PostgresPaperStore { await source.close() }
        if let destination = destination as? PostgresPaperStore { await destination.close() }
    }
}

/// Where `paperboy copy` reads or writes: a SQLite file or a PostgreSQL URL.
extension DatabaseLocation {
    init(copying text: String, option: String) throws {
        do { self = try DatabaseLocation(text, option: option) } catch { throw ValidationError(error.description) }
    }

    var copyDisplay: String {
        switch self {
        case .sqlite(let path): "sqlite:\(path)"
        case .postgres: display
        }
    }

    /// Opens the source without migrating it or creating anything: a missing file is an error, not a new database.
    func openSource() async throws -> any TransferableStore {
        switch self {
        case .sqlite(let path):
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), !isDirectory.boolValue else {
                throw CopyCommandError.unreadableSource(path: path, reason: "no such file")
            }
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw CopyCommandError.unreadableSource(path: path, reason: "permission denied")
            }
            let store = try SQLitePaperStore(path: path)
            try await store.checkReachable()
            return store
        case .postgres(let url):
            let store = try PostgresPaperStore(url: url, maximumConnections: 4)
            try await store.checkReachable()
            return store
        }
    }

    /// Opens and migrates the destination (a new SQLite file is created).
    func openDestination() async throws -> any TransferableStore {
        let store: any TransferableStore = switch self {
        case .sqlite(let path): try SQLitePaperStore(path: path)
        case .postgres(let url): try PostgresPaperStore(url: url, maximumConnections: 4)
        }
        try await store.migrate()
        return store
    }
}

enum CopyCommandError: Error, CustomStringConvertible {
    case unreadableSource(path: String, reason: String)

    var description: String {
        switch self {
        case .unreadableSource(let path, let reason): "cannot read the source database at \(path): \(reason)"
        }
    }
}
