import Foundation
import GRDB
import PaperboyCore
import Synchronization

/// The embedded default store: one SQLite file in WAL mode, so page reads never wait for an import.
public final class SQLitePaperStore: PaperStore {
    let database: DatabasePool
    let writes = Atomic<UInt64>(0)
    /// See `keywordSearch`; lowered by tests to exercise the planned path on a small corpus.
    let postingBudget: Int

    public var changeCount: UInt64 { writes.load(ordering: .acquiring) }

    /// Opens (creating if needed) the database file at `path`. Call `migrate()` before use.
    public init(path: String, searchPostingBudget: Int = SQLitePaperStore.exactPostingBudget) throws {
        postingBudget = searchPostingBudget
        var configuration = Configuration()
        configuration.label = "paperboy"
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in
            db.add(function: SQLitePaperStore.trendingFunction)
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        let directory = URL(fileURLWithPath: path).deletingLastPathComponent().path
        if !FileManager.default.fileExists(atPath: directory) {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        }
        do {
            database = try DatabasePool(path: path, configuration: configuration)
        } catch {
            throw StoreError.cannotOpen(path: path, reason: "\(error)")
        }
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
        try await database.write { db in
            try db.execute(sql: "INSERT INTO paper_search(paper_search, rank) VALUES ('integrity-check', 1)")
        }
    }

    /// Applied migration identifiers, oldest first.
    public func appliedMigrations() async throws -> [String] {
        try await database.read { db in try SQLiteMigrations.migrator.appliedMigrations(db) }
    }

    /// Batches at least this large index their new rows in one statement instead of by trigger.
    static let bulkIndexingThreshold = 500

    public func upsert(_ records: [PaperRecord]) async throws -> UpsertResult {
        defer { writes.add(1, ordering: .releasing) }
        return try await database.write { db in
            var result = UpsertResult()
            // Indexing row by row through the trigger doubles the cost of a bulk import; one
            // INSERT … SELECT at the end of the batch, in the same transaction, does the same work
            // at half the price, and no other connection ever sees the triggers missing.
            let bulk = records.count >= Self.bulkIndexingThreshold
            let lastKeyBefore = try Int64.fetchOne(db, sql: "SELECT COALESCE(max(key), 0) FROM paper") ?? 0
            if bulk {
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
                try db.execute(sql: """
                    INSERT INTO paper_search(rowid, title, abstract, authors)
                    SELECT key, title, abstract, authors FROM paper WHERE key > ?
                    """, arguments: [lastKeyBefore])
                try db.execute(sql: "DROP TRIGGER paper_search_update")
                try db.execute(sql: SearchIndexTriggers.insert)
                try db.execute(sql: SearchIndexTriggers.update(onlyUpToKey: nil))
            }
            return result
        }
    }

    // Optional metadata and community fields keep their stored value when an import lacks them.
    static let upsertSQL = """
        INSERT INTO paper (
            id, title, abstract, authors, author_count, categories, published_at, updated_at, version,
            doi, journal_ref, author_comments, github_repo, project_page, pdf_url, source,
            daily_day, submitted_on_daily_at, submitted_by, upvotes, comment_count, source_upvotes, source_comment_count,
            content_hash, created_at, modified_at)
        VALUES (:id, :title, :abstract, :authors, :authorCount, :categories, :publishedAt, :updatedAt, :version,
            :doi, :journalRef, :authorComments, :githubRepo, :projectPage, :pdfURL, :source,
            :dailyDay, :submittedOnDailyAt, :submittedBy, COALESCE(:upvotes, 0), COALESCE(:commentCount, 0),
            COALESCE(:upvotes, 0), COALESCE(:commentCount, 0), :hash, :now, :now)
        ON CONFLICT(id) DO UPDATE SET
            title = excluded.title,
            abstract = CASE WHEN excluded.abstract = '' THEN paper.abstract ELSE excluded.abstract END,
            authors = CASE WHEN excluded.authors = '' THEN paper.authors ELSE excluded.authors END,
            author_count = MAX(excluded.author_count, paper.author_count),
            categories = CASE WHEN excluded.categories = '' THEN paper.categories ELSE excluded.categories END,
            published_at = COALESCE(excluded.published_at, paper.published_at),
            updated_at = COALESCE(excluded.updated_at, paper.updated_at),
            version = COALESCE(excluded.version, paper.version),
            doi = COALESCE(excluded.doi, paper.doi),
            journal_ref = COALESCE(excluded.journal_ref, paper.journal_ref),
            author_comments = COALESCE(excluded.author_comments, paper.author_comments),
            github_repo = COALESCE(excluded.github_repo, paper.github_repo),
            project_page = COALESCE(excluded.project_page, paper.project_page),
            pdf_url = COALESCE(excluded.pdf_url, paper.pdf_url),
            source = excluded.source,
            daily_day = COALESCE(paper.daily_day, excluded.daily_day),
            submitted_on_daily_at = COALESCE(paper.submitted_on_daily_at, excluded.submitted_on_daily_at),
            submitted_by = COALESCE(paper.submitted_by, excluded.submitted_by),
            source_upvotes = COALESCE(:upvotes, paper.source_upvotes),
            source_comment_count = COALESCE(:commentCount, paper.source_comment_count),
            upvotes = COALESCE(:upvotes, paper.source_upvotes) + (paper.upvotes - paper.source_upvotes),
            comment_count = COALESCE(:commentCount, paper.source_comment_count) + (paper.comment_count - paper.source_comment_count),
            content_hash = excluded.content_hash,
            modified_at = excluded.modified_at
        """

    static func arguments(for record: PaperRecord, hash: Int64, now: Double) -> StatementArguments {
        let paper = record.paper
        return [
            "id": paper.id,
            "title": paper.title,
            "abstract": paper.abstract,
            "authors": ListColumn.encode(paper.authors),
            "authorCount": paper.authorCount,
            "categories": ListColumn.encode(paper.categories),
            "publishedAt": paper.publishedAt?.timeIntervalSince1970,
            "updatedAt": paper.updatedAt?.timeIntervalSince1970,
            "version": paper.version,
            "doi": paper.doi,
            "journalRef": paper.journalRef,
            "authorComments": paper.authorComments,
            "githubRepo": paper.githubRepo,
            "projectPage": paper.projectPage,
            "pdfURL": paper.pdfURL,
            "source": paper.source,
            "dailyDay": paper.dailyDay?.daysSinceEpoch,
            "submittedOnDailyAt": paper.submittedOnDailyAt?.timeIntervalSince1970,
            "submittedBy": paper.submittedBy,
            "upvotes": record.hasUpvotes ? paper.upvotes : nil,
            "commentCount": record.hasCommentCount ? paper.commentCount : nil,
            "hash": hash,
            "now": now,
        ]
    }

    public func paper(id: String) async throws -> Paper? {
        try await database.read { db in
            try Row.fetchOne(db, sql: "SELECT \(SQLitePaperStore.columns) FROM paper WHERE id = ?", arguments: [id])
                .map { SQLitePaperStore.paper(from: $0) }
        }
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
        let sql = """
            SELECT \(SQLitePaperStore.columns) FROM paper
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY \(order)
            LIMIT ? OFFSET ?
            """
        let bound = arguments
        return try await database.read { db in
            try Row.fetchAll(db.cachedStatement(sql: sql), arguments: bound).map { SQLitePaperStore.paper(from: $0) }
        }
    }

    public func neighbouringDays(of day: Day) async throws -> (previous: Day?, next: Day?) {
        try await database.read { db in
            let previous = try Int.fetchOne(db, sql: "SELECT MAX(daily_day) FROM paper WHERE daily_day < ?", arguments: [day.daysSinceEpoch])
            let next = try Int.fetchOne(db, sql: "SELECT MIN(daily_day) FROM paper WHERE daily_day > ?", arguments: [day.daysSinceEpoch])
            return (previous.map(Day.init(daysSinceEpoch:)), next.map(Day.init(daysSinceEpoch:)))
        }
    }

    public func latestDay() async throws -> Day? {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT MAX(daily_day) FROM paper WHERE daily_day IS NOT NULL").map(Day.init(daysSinceEpoch:))
        }
    }

    public func paperCount() async throws -> Int {
        try await database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM paper") ?? 0 }
    }

    static let columns = """
        id, title, abstract, authors, author_count, categories, published_at, updated_at, version, doi, journal_ref,
        author_comments, github_repo, project_page, pdf_url, source, daily_day, submitted_on_daily_at, submitted_by,
        upvotes, comment_count, featured, hidden
        """

    /// A paper from `columns`, starting at column `offset` of `row`.
    static func paper(from row: Row, offset: Int = 0) -> Paper {
        Paper(
            id: row[offset],
            title: row[offset + 1],
            abstract: row[offset + 2],
            authors: ListColumn.decode(row[offset + 3]),
            authorCount: row[offset + 4],
            categories: ListColumn.decode(row[offset + 5]),
            publishedAt: (row[offset + 6] as Double?).map(Date.init(timeIntervalSince1970:)),
            updatedAt: (row[offset + 7] as Double?).map(Date.init(timeIntervalSince1970:)),
            version: row[offset + 8],
            doi: row[offset + 9],
            journalRef: row[offset + 10],
            authorComments: row[offset + 11],
            githubRepo: row[offset + 12],
            projectPage: row[offset + 13],
            pdfURL: row[offset + 14],
            source: row[offset + 15],
            dailyDay: (row[offset + 16] as Int?).map(Day.init(daysSinceEpoch:)),
            submittedOnDailyAt: (row[offset + 17] as Double?).map(Date.init(timeIntervalSince1970:)),
            submittedBy: row[offset + 18],
            upvotes: row[offset + 19],
            commentCount: row[offset + 20],
            featured: row[offset + 21],
            hidden: row[offset + 22]
        )
    }
}

/// Ordered string lists (authors, categories) in one column, separated by the ASCII unit separator,
/// which imports strip from names. Cheaper to read on every page than JSON.
enum ListColumn {
    static let separator: Character = "\u{1F}"

    static func encode(_ values: [String]) -> String {
        values.joined(separator: String(separator))
    }

    static func decode(_ text: String) -> [String] {
        text.isEmpty ? [] : text.split(separator: separator, omittingEmptySubsequences: false).map(String.init)
    }
}

/// A fingerprint of everything an import record says, so re-importing the same data is a no-op.
/// A day the import chose (placement) is not part of what the source said, so it is left out.
/// Shared with the PostgreSQL store, so both judge "unchanged" alike.
package enum ContentHash {
    package static func of(_ record: PaperRecord) -> Int64 {
        let paper = record.paper
        var hasher = FNV1a()
        let fields: [String?] = [
            paper.id, paper.title, paper.abstract, ListColumn.encode(paper.authors), String(paper.authorCount),
            ListColumn.encode(paper.categories), paper.publishedAt.map { "\($0.timeIntervalSince1970)" },
            paper.updatedAt.map { "\($0.timeIntervalSince1970)" }, paper.version.map(String.init), paper.doi,
            paper.journalRef, paper.authorComments, paper.githubRepo, paper.projectPage, paper.pdfURL, paper.source,
            record.dayIsPlacement ? nil : paper.dailyDay?.iso,
            record.dayIsPlacement ? nil : paper.submittedOnDailyAt.map { "\($0.timeIntervalSince1970)" }, paper.submittedBy,
            record.hasUpvotes ? String(paper.upvotes) : nil, record.hasCommentCount ? String(paper.commentCount) : nil,
        ]
        for field in fields {
            if let field { hasher.add(field) } else { hasher.add("\u{0}nil") }
            hasher.add("\u{1E}")
        }
        return Int64(bitPattern: hasher.value)
    }

    /// Whether writing `record` (whose hash is `hash`) over a stored paper would change nothing:
    /// the same content, and no placed feed day for a paper that has none yet.
    package static func changesNothing(_ record: PaperRecord, hash: Int64, storedHash: Int64, storedOnFeed: Bool) -> Bool {
        storedHash == hash && (!record.dayIsPlacement || storedOnFeed)
    }
}

struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }
}
