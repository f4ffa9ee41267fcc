import ArgumentParser
import Foundation
import PaperboyApp
import PaperboySQLite
import PaperboyStore

struct Backup: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Copy the SQLite database into a new file while the server keeps running.",
        discussion: """
            The copy is of one moment (SQLite's online backup API, from a read snapshot): the server \
            goes on answering and writing meanwhile, and none of its transactions is half in the copy. \
            The copy is checked (SQLite's integrity check) before this reports success. \
            For PostgreSQL use pg_dump instead (README, "Backups").
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The new file to write the copy to; it must not exist yet.")
    var to: String

    func run() async throws {
        let configuration = try await loadConfiguration(database)
        guard case .sqlite(let path) = configuration.database else {
            throw ValidationError("paperboy backup copies SQLite databases; for PostgreSQL use pg_dump -Fc (see README, \"Backups\")")
        }
        guard FileManager.default.fileExists(atPath: path) else { throw ValidationError("there is no database at \(path)") }
        let store = try SQLitePaperStore(path: path)
        let started = Date()
        let bytes: Int
        do {
            bytes = try store.backup(to: to)
        } catch let error as SQLiteBackupError {
            throw ValidationError(error.description)
        }
        let copy = try SQLitePaperStore(path: to)
        let papers = try await copy.paperCount()
        let schema = try await copy.appliedMigrations().last ?? "none"
        let seconds = String(format: "%.1f", Date().timeIntervalSince(started))
        print("backed up \(path) to \(to): \(papers) papers, schema \(schema), \(bytes / 1024) KiB in \(seconds) s; integrity check ok")
    }
}

struct Restore: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replace the SQLite database with a backup made by paperboy backup.",
        discussion: """
            Stop the servers using the database first: they would go on serving pages and search \
            results cached from the old contents. The backup is checked before anything is written, \
            and brought to this version's schema afterwards. A database that holds papers is replaced \
            only with --replace.
            """)

    @OptionGroup var database: DatabaseOptions

    @Option(help: "The backup file to restore.")
    var from: String

    @Flag(help: "Overwrite a database that already holds papers.")
    var replace = false

    func run() async throws {
        let configuration = try await loadConfiguration(database)
        guard case .sqlite(let path) = configuration.database else {
            throw ValidationError("paperboy restore writes SQLite databases; for PostgreSQL use pg_restore (see README, \"Backups\")")
        }
        do {
            try await SQLitePaperStore.restore(from: from, to: path, replace: replace)
        } catch let error as SQLiteBackupError {
            throw ValidationError(error.description)
        }
        let store = try SQLitePaperStore(path: path)
        let papers = try await store.paperCount()
        let schema = try await store.appliedMigrations().last ?? "none"
        print("restored \(from) into \(path): \(papers) papers, schema \(schema)")
    }
}
