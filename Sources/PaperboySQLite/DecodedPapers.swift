import GRDB
import PaperboyCore
import Synchronization

/// Papers as last decoded, each with the `row_version` of the row it came from (v11: every
/// change to a row moves it). A page's read selects its papers' keys and versions, in its own
/// order, and decodes only the rows it has not seen at that version: turning a day's 17 rows
/// into `Paper` values, and SQLite reading all their columns, was a third of an uncached daily
/// page (perf, issue 17). Every read still asks the database which rows it shows and at which
/// version, so a vote or an edit shows on the next request, as before. Small reads only (a page
/// of papers); the last `capacity` papers are kept.
final class DecodedPapers: Sendable {
    static let capacity = 4_096
    /// Reads of more keys than this decode their rows as before and keep none.
    static let largestRead = 100

    private let entries = Mutex<[UInt32: (version: Int64, paper: Paper)]>([:])

    /// The papers whose keys and row versions `sql` selects (its first two columns), in its
    /// order: the kept ones, and the others read by key and kept. A row changed since the first
    /// statement saw it is read at its new version: as if the change had come just after it.
    func papers(_ db: Database, _ sql: String, arguments: StatementArguments) throws -> [(key: UInt32, paper: Paper)] {
        let rows = try Array(Row.fetchCursor(db.cachedStatement(sql: sql), arguments: arguments).map {
            (key: UInt32($0[0] as Int64), version: $0[1] as Int64)
        })
        var found: [UInt32: Paper] = [:]
        var missing: [UInt32] = []
        entries.withLock { entries in
            for row in rows {
                if let kept = entries[row.key], kept.version == row.version {
                    found[row.key] = kept.paper
                } else {
                    missing.append(row.key)
                }
            }
        }
        if !missing.isEmpty {
            var read: [(key: UInt32, version: Int64, paper: Paper)] = []
            for chunk in CachedSQL.chunks(missing) {
                let list = CachedSQL.inList(chunk.map { Int64($0) })
                let cursor = try Row.fetchCursor(
                    db.cachedStatement(sql: "SELECT key, row_version, \(SQLitePaperStore.columns) FROM paper WHERE key IN (\(list.marks))"),
                    arguments: CachedSQL.arguments(list.values))
                while let row = try cursor.next() {
                    let paper = SQLitePaperStore.paper(from: row, offset: 2)
                    read.append((UInt32(row[0] as Int64), row[1], paper))
                }
            }
            entries.withLock { entries in
                if entries.count + read.count > Self.capacity { entries.removeAll(keepingCapacity: true) }
                for row in read {
                    entries[row.key] = (row.version, row.paper)
                    found[row.key] = row.paper
                }
            }
        }
        return rows.compactMap { row in found[row.key].map { (row.key, $0) } }
    }
}
