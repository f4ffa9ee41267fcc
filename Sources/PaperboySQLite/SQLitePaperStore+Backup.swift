import Foundation
import GRDB
import PaperboyStore

/// Why a backup or a restore was refused or failed; nothing was changed at the destination.
public enum SQLiteBackupError: Error, CustomStringConvertible, Equatable {
    case destinationExists(String)
    case notADatabase(path: String, reason: String)
    case damaged(path: String, report: String)
    case unknownMigrations(path: String, [String])
    case destinationNotEmpty(path: String, papers: Int)

    public var description: String {
        switch self {
        case .destinationExists(let path):
            "\(path) already exists; back up to a new file (a backup never overwrites)"
        case .notADatabase(let path, let reason):
            "\(path) is not a Paperboy SQLite database: \(reason)"
        case .damaged(let path, let report):
            "\(path) fails SQLite's integrity check: \(report.prefix(500))"
        case .unknownMigrations(let path, let names):
            "\(path) was made by a newer Paperboy (migrations \(names.joined(separator: ", "))); restore it with that version"
        case .destinationNotEmpty(let path, let papers):
            "\(path) already holds \(papers) papers; pass --replace to overwrite it with the backup"
        }
    }
}

extension SQLitePaperStore {
    /// Copies the whole database, as it was at one moment, into a new file at `path`, with
    /// SQLite's online backup API in one step from a read snapshot: writers carry on meanwhile
    /// (WAL), and none of their transactions is half in the copy. The copy is then checked.
    /// Returns the copy's size in bytes.
    public func backup(to path: String) throws -> Int {
        guard !FileManager.default.fileExists(atPath: path) else { throw SQLiteBackupError.destinationExists(path) }
        do {
            let destination = try DatabaseQueue(path: path)
            try database.backup(to: destination)
            try destination.close()
        } catch {
            // A half-written copy must not be mistaken for a backup.
            try? FileManager.default.removeItem(atPath: path)
            throw error
        }
        try Self.checkBackup(at: path)
        return (try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int) ?? 0
    }

    /// Fails unless `path` is an intact Paperboy database whose migrations this binary knows.
    public static func checkBackup(at path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else { throw SQLiteBackupError.notADatabase(path: path, reason: "no such file") }
        var configuration = Configuration()
        configuration.readonly = true
        let queue: DatabaseQueue
        let report: String
        let applied: [String]
        do {
            queue = try DatabaseQueue(path: path, configuration: configuration)
            (report, applied) = try queue.read { db in
                let rows = try String.fetchAll(db, sql: "PRAGMA integrity_check")
                return (rows.joined(separator: "; "), try SQLiteMigrations.migrator.appliedIdentifiers(db).sorted())
            }
        } catch {
            throw SQLiteBackupError.notADatabase(path: path, reason: "\(error)")
        }
        try queue.close()
        guard report == "ok" else { throw SQLiteBackupError.damaged(path: path, report: report) }
        guard !applied.isEmpty else { throw SQLiteBackupError.notADatabase(path: path, reason: "it has no Paperboy tables") }
        let unknown = applied.filter { !SQLiteMigrations.migrator.migrations.contains($0) }
        guard unknown.isEmpty else { throw SQLiteBackupError.unknownMigrations(path: path, unknown) }
    }

    /// Replaces the database at `path` (made if missing) with the backup at `backup`, after
    /// checking the backup, and brings it to this binary's schema. Stop the servers using `path`
    /// first: they would keep serving what they cached from the old contents.
    /// `replace`: whether a database that already holds papers may be overwritten.
    public static func restore(from backup: String, to path: String, replace: Bool) async throws {
        try checkBackup(at: backup)
        if FileManager.default.fileExists(atPath: path), !replace {
            let existing = try SQLitePaperStore(path: path)
            let papers = try await existing.reading { db in
                try db.tableExists("paper") ? try Int.fetchOne(db, sql: "SELECT count(*) FROM paper") ?? 0 : 0
            }
            try existing.database.close()
            if papers > 0 { throw SQLiteBackupError.destinationNotEmpty(path: path, papers: papers) }
        }
        var configuration = Configuration()
        configuration.readonly = true
        let source = try DatabaseQueue(path: backup, configuration: configuration)
        let destination = try SQLitePaperStore(path: path)
        try source.backup(to: destination.database)
        try source.close()
        try await destination.migrate()
        try destination.database.close()
    }
}
