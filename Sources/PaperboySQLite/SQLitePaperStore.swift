import Foundation
import PaperboyStore
import GRDB
import PaperboyCore
import Synchronization

/// The embedded default store: one SQLite file in WAL mode, so page reads never wait for an import.
public final class SQLitePaperStore: PaperStore {
    let database: DatabasePool
    let readers: SQLiteReaders
    let writes = Atomic<UInt64>(0)
    let pool: SQLitePoolCounts
    /// Search terms' paper counts until the next write.
    let termCounts = TermCounts()
    /// The feed's latest day and days' neighbours until the next write.
    let feedDays = FeedDays()
    /// Papers as decoded, by row version, for page reads.
    let decoded = DecodedPapers()
    /// See `SearchStore.postingBudget`.
    public let postingBudget: Int

    public var changeCount: UInt64 { writes.load(ordering: .acquiring) }

    /// Opens (creating if needed) the database file at `path`. Call `migrate()` before use.
    public init(path: String, searchPostingBudget: Int = PostingBudget.exact) throws {
        postingBudget = searchPostingBudget
        var configuration = Configuration()
        configuration.label = "paperboy"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            db.add(function: SQLitePaperStore.trendingFunction)
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
            // Reads through a memory map of the file instead of pread into each connection's
            // 2 MB page cache: an uncached feed page spent 13% of its time in pread and the
            // kernel's copy at 100k papers (issue 17). SQLite's own limit (2 GB) applies.
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            // The map covers the file's first gigabyte; a large database's newest papers lie
            // beyond it, and a For-you day at a million papers still spent 9% in pread with the
            // 2 MB default. 32 MB a connection holds a period's rows and their index pages.
            try db.execute(sql: "PRAGMA cache_size = -32768")
            StoreMetrics.profile(db)
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        // As many readers of the store's own as GRDB's pool has (`SQLiteReaders`).
        pool = SQLitePoolCounts(readers: 2 * configuration.maximumReaderCount)
        do {
            database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
        readers = SQLiteReaders(database: database, limit: configuration.maximumReaderCount)
    }

    /// The trending score of a `paper` row (see `Trending`): imported upvotes as cast when the
    /// paper reached the feed, plus each local vote by its own age. Binds `now` twice.
    static let trendingExpression = """
        (trending_score(paper.source_upvotes, paper.submitted_on_daily_at, ?)
         + COALESCE((SELECT sum(trending_score(1, vote.created_at, ?)) FROM vote WHERE vote.paper_key = paper.key), 0))
        """

    /// `trending_score(upvotes, cast_at, now)`: the formula documented on `Trending`.
    static let trendingFunction = DatabaseFunction("trending_score", argumentCount: 3, pure: true, function: trendingScore)

    // Swift 6.3.1's optimizer crashes (CopyPropagation, "Found ownership error") on this
    // function in release builds; it is a few arithmetic operations, so skip optimizing it.
    @_optimize(none)
    @Sendable static func trendingScore(_ arguments: [DatabaseValue]) -> (any DatabaseValueConvertible)? {
        func number(_ value: DatabaseValue) -> Double? {
            switch value.storage {
            case .int64(let integer): Double(integer)
            case .double(let double): double
            default: nil
            }
        }
        let dailyAt = number(arguments[1]).map { Date(timeIntervalSince1970: $0) }
        let now = Date(timeIntervalSince1970: number(arguments[2]) ?? 0)
        return Trending.score(upvotes: Int(number(arguments[0]) ?? 0), castAt: dailyAt, now: now)
    }

    public func migrate() async throws {
        try SQLiteMigrations.migrator.migrate(database)
    }

    /// Runs FTS5's integrity check: the search index must hold exactly the paper table's text.
    public func checkSearchIndex() async throws {
        // FTS5 takes its commands as inserts, so even a check needs the writer.
        try await writing { db in
            try db.execute(sql: "INSERT INTO paper_search(paper_search, rank) VALUES ('integrity-check', 1)")
        }
    }

    /// The search index's FTS5 `automerge` setting: `defaultAutomerge` but while a bulk batch
    /// is indexed (`bulkAutomerge`).
    public func searchIndexAutomerge() async throws -> Int {
        try await reading { db in
            try Int.fetchOne(db, sql: "SELECT v FROM paper_search_config WHERE k = 'automerge'") ?? Self.defaultAutomerge
        }
    }

    public var knownMigrations: [String] { SQLiteMigrations.migrator.migrations }

    /// Applied migration identifiers, oldest first.
    /// Those of a newer binary, which GRDB's own list leaves out, come last, so `/readyz` sees them.
    public func appliedMigrations() async throws -> [String] {
        try await reading { db in
            let migrator = SQLiteMigrations.migrator
            let known = try migrator.appliedMigrations(db)
            return known + (try migrator.appliedIdentifiers(db)).subtracting(known).sorted()
        }
    }

    /// Batches at least this large index their new rows in one statement instead of by trigger.
    static let bulkIndexingThreshold = 500
    /// FTS5's `automerge` while a bulk batch is indexed (`defaultAutomerge` the rest of the time).
    static let bulkAutomerge = 16
    /// FTS5's own default `automerge`.
    static let defaultAutomerge = 4

    public func upsert(_ records: [PaperRecord]) async throws -> UpsertResult {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            var result = UpsertResult()
            // Indexing row by row through the trigger doubles the cost of a bulk import; one
            // INSERT … SELECT at the end of the batch, in the same transaction, does the same work
            // at half the price, and no other connection ever sees the triggers missing.
            let bulk = records.count >= Self.bulkIndexingThreshold
            let lastKeyBefore = try Int64.fetchOne(db, sql: "SELECT COALESCE(max(key), 0) FROM paper") ?? 0
            if bulk {
                // A bulk import touches the id index and the search index all over: with SQLite's
                // default 2 MB cache the writer re-read pages from the file system for a tenth of
                // its time (perf). The writer's own connection only; it holds what it uses.
                try db.execute(sql: "PRAGMA cache_size = -131072")
                try db.execute(sql: "DROP TRIGGER paper_search_insert; DROP TRIGGER paper_search_update")
                try db.execute(sql: SearchIndexTriggers.update(onlyUpToKey: lastKeyBefore))
            }
            let lookup = try db.cachedStatement(sql: "SELECT content_hash, daily_day IS NOT NULL FROM paper WHERE id = ?")
            let write = try db.cachedStatement(sql: SQLitePaperStore.upsertSQL)
            let now = Date().timeIntervalSince1970
            for record in records {
                let hash = ContentHash.of(record)
                let existing = try Row.fetchOne(lookup, arguments: [record.paper.id])
                if let existing, ContentHash.changesNothing(record, hash: hash, storedHash: existing[0], storedOnFeed: existing[1]) {
                    result.unchanged += 1
                    continue
                }
                try write.execute(arguments: SQLitePaperStore.arguments(for: record, hash: hash, now: now))
                if existing == nil { result.inserted += 1 } else { result.updated += 1 }
            }
            if bulk {
                // FTS5 merges its segments four at a time by default: over an import of 2,000-paper
                // batches that merging was 30% of the search index's cost (5.6 s → 3.9 s for
                // 100k papers at 16, sqlite3 shell). Sixteen for the batch only; later writes
                // merge the rest back down at the default, and until then a keyword look-up
                // reads more segments (10% slower in the same measurement).
                try db.execute(sql: "INSERT INTO paper_search(paper_search, rank) VALUES ('automerge', \(Self.bulkAutomerge))")
                try db.execute(sql: """
                    INSERT INTO paper_search(rowid, title, abstract, authors)
                    SELECT key, title, abstract, authors FROM paper WHERE key > ?
                    """, arguments: [lastKeyBefore])
                try db.execute(sql: "INSERT INTO paper_search(paper_search, rank) VALUES ('automerge', \(Self.defaultAutomerge))")
                try db.execute(sql: "DROP TRIGGER paper_search_update")
                try db.execute(sql: SearchIndexTriggers.insert)
                try db.execute(sql: SearchIndexTriggers.update(onlyUpToKey: nil))
            }
            return result
        }
    }

    /// One import record, inserted or merged into the stored row by `PaperRow`'s rules. The
    /// record's values are numbered parameters (`?3`) in `PaperRow.imported` order, used again in
    /// the merge. Numbered, not named: binding by name looked each name up among all of them, a
    /// tenth of the single writer's time in a bulk import (perf).
    static let upsertSQL = """
        INSERT INTO paper (\(PaperRow.imported.map(\.name).joined(separator: ", ")))
        VALUES (\(PaperRow.imported.map { PaperRow.insertValue($0, parameter($0)) }.joined(separator: ", ")))
        ON CONFLICT(id) DO UPDATE SET
            \(PaperRow.mergeAssignments(.sqlite) { parameter($0) })
        """

    private static func parameter(_ column: PaperRow.Column) -> String {
        guard let index = PaperRow.imported.firstIndex(where: { $0.name == column.name }) else {
            preconditionFailure("\(column.name) is not an imported column")
        }
        return "?\(index + 1)"
    }

    static func arguments(for record: PaperRecord, hash: Int64, now: Double) -> StatementArguments {
        let values = PaperRow.values(for: record, hash: hash, now: now)
        return StatementArguments(PaperRow.imported.map { column -> (any DatabaseValueConvertible)? in
            guard let value = values[column.name] else { preconditionFailure("PaperRow.values has no \(column.name)") }
            return switch value {
            case .text(let text): text
            case .list(let list): ListColumn.encode(list)
            case .integer(let number): number
            case .real(let number): number
            case .boolean(let flag): flag
            }
        })
    }

    public func paper(id: String) async throws -> Paper? {
        let decoded = decoded
        return try await reading(singleStatement: true) { db in try Self.paper(db, id: id, decoded: decoded)?.paper }
    }

    /// The paper `id` and its key: its key and row version, then the paper as decoded before at
    /// that version or read now (`DecodedPapers`).
    static func paper(_ db: Database, id: String, decoded: DecodedPapers) throws -> (key: UInt32, paper: Paper)? {
        try decoded.papers(db, "SELECT key, row_version FROM paper WHERE id = ?", arguments: [id]).first
    }

    /// One read transaction instead of four reads: on the paper page each read's own cost (a
    /// reader, its WAL read lock, the span) was about as much as its SQL (perf, issue 17).
    public func paperPage(id: String, includeHiddenComments: Bool) async throws -> PaperPageRecord? {
        let decoded = decoded
        return try await reading { db in
            guard let found = try Self.paper(db, id: id, decoded: decoded) else { return nil }
            // By the paper's own id: `id` may be any spelling the route accepted.
            return PaperPageRecord(
                paper: found.paper, key: found.key,
                comments: try Self.comments(db, paperID: found.paper.id, includeHidden: includeHiddenComments),
                claims: try Self.authorClaims(db, paperID: found.paper.id),
                searchText: try Self.searchTextVersion(db))
        }
    }

    /// `SearchTextVersion` as the v12 migration keeps it; nil if its row is missing.
    static func searchTextVersion(_ db: Database) throws -> SearchTextVersion? {
        try Row.fetchOne(
            db.cachedStatement(sql: "SELECT changes, (SELECT COALESCE(max(key), 0) FROM paper) FROM search_text_version WHERE id = 1")
        ).map { SearchTextVersion(changes: $0[0], lastKey: $0[1]) }
    }

    public func dailyPapers(_ query: DailyQuery) async throws -> [Paper] {
        var conditions = ["daily_day IS NOT NULL", "hidden = 0"]
        var arguments: StatementArguments = []
        if let period = query.period {
            conditions.append("daily_day BETWEEN ? AND ?")
            _ = arguments.append(contentsOf: [period.days.lowerBound.daysSinceEpoch, period.days.upperBound.daysSinceEpoch])
        }
        if let submitter = query.submitter {
            conditions.append("submitted_by = ?")
            _ = arguments.append(contentsOf: [submitter])
        }
        // Without a period the newest day comes first, as on the Hub.
        let dayOrder = query.period == nil ? "daily_day DESC, " : ""
        // Within a period, curators' picks lead (the whole feed keeps its index order).
        let featuredFirst = query.period == nil ? "" : "featured DESC, "
        let order: String
        switch query.sort {
        case .upvotes:
            order = "\(dayOrder)\(featuredFirst)upvotes DESC, published_at DESC, id"
        case .publishedAt:
            order = "\(dayOrder)\(featuredFirst)published_at DESC, upvotes DESC, id"
        case .trending:
            order = "\(Self.trendingExpression) DESC, upvotes DESC, id"
            _ = arguments.append(contentsOf: [query.now.timeIntervalSince1970, query.now.timeIntervalSince1970])
        }
        _ = arguments.append(contentsOf: [query.limit, query.offset])
        if query.limit <= DecodedPapers.largestRead {
            // A page: its keys and row versions in order, then the papers decoded before at
            // those versions, and only the others read (`DecodedPapers`).
            let sql = """
                SELECT key, row_version FROM paper
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY \(order)
                LIMIT ? OFFSET ?
                """
            let bound = arguments
            let decoded = decoded
            return try await reading(singleStatement: true) { db in
                try decoded.papers(db, sql, arguments: bound).map(\.paper)
            }
        }
        // The page's keys are ordered first, and only then are their rows read. Ordering whole
        // rows put every paper of the period, abstract and all, into SQLite's sorter: 122 µs
        // against 71 µs for a day of 17 papers, 407 against 178 µs for a week (Python's sqlite3,
        // demo). The subquery runs as a co-routine in the outer loop (CROSS JOIN keeps it
        // there), so its rows come out in its order; `dailyPapers_keepTheirOrder…` checks it.
        let sql = """
            SELECT \(SQLitePaperStore.qualifiedColumns) FROM (
                SELECT key FROM paper
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY \(order)
                LIMIT ? OFFSET ?
            ) AS page CROSS JOIN paper ON paper.key = page.key
            """
        let bound = arguments
        return try await reading(singleStatement: true) { db in
            try Array(Row.fetchCursor(db.cachedStatement(sql: sql), arguments: bound).map { SQLitePaperStore.paper(from: $0) })
        }
    }

    public func neighbouringDays(of day: Day) async throws -> (previous: Day?, next: Day?) {
        let version = changeCount
        if let known = feedDays.neighbours.value(for: day.daysSinceEpoch, version: version) { return (known.previous, known.next) }
        let found = try await reading(singleStatement: true) { db in
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT (SELECT MAX(daily_day) FROM paper WHERE daily_day < ?1), (SELECT MIN(daily_day) FROM paper WHERE daily_day > ?1)
                """), arguments: [day.daysSinceEpoch])
            return FeedDays.Neighbours(previous: (row?[0] as Int?).map(Day.init(daysSinceEpoch:)), next: (row?[1] as Int?).map(Day.init(daysSinceEpoch:)))
        }
        feedDays.neighbours.keep(found, for: day.daysSinceEpoch, version: version)
        return (found.previous, found.next)
    }

    public func latestDay() async throws -> Day? {
        let version = changeCount
        if let known = feedDays.latest.value(for: 0, version: version) { return known }
        let latest = try await reading(singleStatement: true) { db in
            try Int.fetchOne(db.cachedStatement(sql: "SELECT MAX(daily_day) FROM paper WHERE daily_day IS NOT NULL")).map(Day.init(daysSinceEpoch:))
        }
        feedDays.latest.keep(latest, for: 0, version: version)
        return latest
    }

    public func paperCount() async throws -> Int {
        try await reading { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM paper") ?? 0 }
    }

    /// What every paper query selects (`PaperRow.read`).
    static let columns = PaperRow.selectList()

    /// A paper from a row holding `columns` from its `offset`th column on, read by place: a
    /// look-up by name lowercases and compares column names (a copied row, as `fetchOne` gives,
    /// on every look-up), which was half of row decoding and 5% of a For-you day's ordering at a
    /// million papers (issue 15).
    static func paper(from row: Row, offset: Int = 0) -> Paper {
        PaperRow.paper(from: SQLiteRowReader(row: row, offset: offset))
    }
}

/// `PaperRow.Reader` over a GRDB row, by column index.
struct SQLiteRowReader: PaperRow.Reader {
    typealias Failure = Never
    let row: Row
    let offset: Int

    func text(_ field: PaperRow.Field) -> String { row[offset + field.index] }
    func optionalText(_ field: PaperRow.Field) -> String? { row[offset + field.index] }
    func list(_ field: PaperRow.Field) -> [String] { ListColumn.decode(row[offset + field.index]) }
    func integer(_ field: PaperRow.Field) -> Int { row[offset + field.index] }
    func optionalInteger(_ field: PaperRow.Field) -> Int? { row[offset + field.index] }
    func optionalReal(_ field: PaperRow.Field) -> Double? { row[offset + field.index] }
    func boolean(_ field: PaperRow.Field) -> Bool { row[offset + field.index] }
}

