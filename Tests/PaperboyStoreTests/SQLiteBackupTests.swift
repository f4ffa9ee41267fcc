import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Synchronization
import Testing

/// `paperboy backup` and `paperboy restore` on SQLite: a copy made while the server writes.
@Suite struct SQLiteBackupTests {
    static let batch = 25

    static func batchOfPapers(_ number: Int) -> [PaperRecord] {
        (0..<batch).map { index in
            let id = String(format: "2601.%05d", number * batch + index)
            return record(samplePaper(
                id: id, title: "Backup paper \(number)-\(index) on sparse attention",
                abstract: String(repeating: "Words about attention, sparsity and the batch \(number). ", count: 20), upvotes: index))
        }
    }

    @Test func backup_whileAWriterCommitsBatches_isIntact_andHoldsOnlyWholeBatches() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        // Some megabytes, so the copy takes a while.
        for number in 0..<120 { _ = try await store.upsert(Self.batchOfPapers(number)) }
        let before = try await store.paperCount()

        let batches = Atomic<Int>(120)
        let stop = Atomic<Bool>(false)
        let writer = Task {
            while !stop.load(ordering: .acquiring) {
                let number = batches.load(ordering: .acquiring)
                _ = try await store.upsert(Self.batchOfPapers(number))
                batches.store(number + 1, ordering: .releasing)
            }
        }
        while batches.load(ordering: .acquiring) < 125 { try await Task.sleep(for: .milliseconds(1)) }
        let path = directory.path("backup.sqlite")
        let bytes = try await Task.detached { try store.backup(to: path) }.value
        let atBackupEnd = batches.load(ordering: .acquiring)
        while batches.load(ordering: .acquiring) < atBackupEnd + 5 { try await Task.sleep(for: .milliseconds(1)) }
        stop.store(true, ordering: .releasing)
        try await writer.value
        let after = try await store.paperCount()

        #expect(bytes > 1_000_000)
        try SQLitePaperStore.checkBackup(at: path)
        let copy = try SQLitePaperStore(path: path)
        let copied = try await copy.paperCount()
        #expect(copied > before && copied < after, "the copy is of one moment while the writer ran: \(before) < \(copied) < \(after)")
        // Each batch is one transaction: a copy of one moment holds whole batches only.
        #expect(copied % Self.batch == 0, "\(copied) papers is not a whole number of batches")
        // Search data is consistent with the rows it indexes.
        try await copy.checkSearchIndex()
        let lastCopied = String(format: "2601.%05d", copied - 1)
        #expect(try await copy.paper(id: lastCopied) == store.paper(id: lastCopied))
        #expect(try await copy.paper(id: String(format: "2601.%05d", copied)) == nil)
        #expect(try await copy.appliedMigrations() == store.knownMigrations)
    }

    @Test func restore_replacesOnlyWhenAllowed_andReadsTheSame() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        for number in 0..<3 { _ = try await store.upsert(Self.batchOfPapers(number)) }
        let backup = directory.path("backup.sqlite")
        _ = try store.backup(to: backup)
        // A backup never overwrites.
        #expect(throws: SQLiteBackupError.destinationExists(backup)) { try store.backup(to: backup) }

        // Into a new file.
        let fresh = directory.path("restored/paperboy.sqlite")
        try await SQLitePaperStore.restore(from: backup, to: fresh, replace: false)
        let restored = try SQLitePaperStore(path: fresh)
        #expect(try await restored.paperCount() == 75)
        #expect(try await restored.paper(id: "2601.00042") == store.paper(id: "2601.00042"))

        // Over a database with papers: only with replace, and then it reads as the backup.
        _ = try await store.upsert(Self.batchOfPapers(3))
        let live = directory.path("paperboy.sqlite")
        await #expect(throws: SQLiteBackupError.destinationNotEmpty(path: live, papers: 100)) {
            try await SQLitePaperStore.restore(from: backup, to: live, replace: false)
        }
        #expect(try await store.paperCount() == 100)
        try await SQLitePaperStore.restore(from: backup, to: live, replace: true)
        let reopened = try SQLitePaperStore(path: live)
        #expect(try await reopened.paperCount() == 75)
        try await reopened.checkSearchIndex()
    }

    @Test func restore_fromAFileThatIsNoBackup_isRefused_andChangesNothing() async throws {
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert(Self.batchOfPapers(0))
        let garbage = try directory.write("garbage.sqlite", String(repeating: "not a database ", count: 500))
        let live = directory.path("paperboy.sqlite")
        await #expect(throws: SQLiteBackupError.self) { try await SQLitePaperStore.restore(from: garbage, to: live, replace: true) }
        let missing = directory.path("missing.sqlite")
        #expect(throws: SQLiteBackupError.notADatabase(path: missing, reason: "no such file")) { try SQLitePaperStore.checkBackup(at: missing) }
        #expect(try await store.paperCount() == 25)
    }
}
