import Foundation
import PaperboyCore

/// The `paper` row, described once: every column's name, type, and how an import record merges
/// into a stored row. Both stores derive from it their column lists, the import statements (the
/// SQLite upsert, the PostgreSQL upsert and batch statements), the values they bind, and the
/// decoding of a `Paper`, which reads columns by their place in the select list.
package enum PaperRow {
    package enum Kind: Sendable {
        case text, list, integer, real, boolean
    }

    /// What an import does with a column when the paper is already stored.
    package enum Merge: Sendable {
        /// The record's value (title, source, the content hash, the time of the write).
        case record
        /// The record's, unless it is empty: an import without an abstract keeps the stored one.
        case recordUnlessEmpty
        /// The larger of the two (the author count: a list cut short never lowers it).
        case greatest
        /// The record's when it has one: optional metadata keeps its stored value otherwise.
        case recordIfPresent
        /// The stored value once there is one: a paper keeps its feed day and who submitted it.
        case storedIfPresent
        /// A community count: the source's count (the record's, or the stored one when the record
        /// has none) plus what was counted here (`stored - stored source count`).
        case sourcePlusLocal(sourceColumn: String)
        /// The source's own count: the record's when it has one.
        case sourceCount
        /// Written when the row is made, never by a later import (`created_at`).
        case insertOnly
        /// Not written by imports at all: curation, search keys.
        case notImported
    }

    package struct Column: Sendable {
        package let name: String
        package let kind: Kind
        package let isOptional: Bool
        package let merge: Merge
        /// Read into every `Paper`.
        package let isRead: Bool

        init(_ name: String, _ kind: Kind, optional: Bool = false, merge: Merge, read: Bool = true) {
            self.name = name
            self.kind = kind
            self.isOptional = optional
            self.merge = merge
            self.isRead = read
        }

        /// Whether an import writes it into a new row.
        package var isImported: Bool { if case .notImported = merge { false } else { true } }
    }

    package static let columns: [Column] = [
        Column("id", .text, merge: .record),
        Column("title", .text, merge: .record),
        Column("abstract", .text, merge: .recordUnlessEmpty),
        Column("authors", .list, merge: .recordUnlessEmpty),
        Column("author_count", .integer, merge: .greatest),
        Column("categories", .list, merge: .recordUnlessEmpty),
        Column("published_at", .real, optional: true, merge: .recordIfPresent),
        Column("updated_at", .real, optional: true, merge: .recordIfPresent),
        Column("version", .integer, optional: true, merge: .recordIfPresent),
        Column("doi", .text, optional: true, merge: .recordIfPresent),
        Column("journal_ref", .text, optional: true, merge: .recordIfPresent),
        Column("author_comments", .text, optional: true, merge: .recordIfPresent),
        Column("github_repo", .text, optional: true, merge: .recordIfPresent),
        Column("project_page", .text, optional: true, merge: .recordIfPresent),
        Column("pdf_url", .text, optional: true, merge: .recordIfPresent),
        Column("source", .text, merge: .record),
        Column("daily_day", .integer, optional: true, merge: .storedIfPresent),
        Column("submitted_on_daily_at", .real, optional: true, merge: .storedIfPresent),
        Column("submitted_by", .text, optional: true, merge: .storedIfPresent),
        // The record's counts are optional (nil: the source carries none); the stored ones are not.
        Column("upvotes", .integer, optional: true, merge: .sourcePlusLocal(sourceColumn: "source_upvotes")),
        Column("comment_count", .integer, optional: true, merge: .sourcePlusLocal(sourceColumn: "source_comment_count")),
        Column("source_upvotes", .integer, optional: true, merge: .sourceCount, read: false),
        Column("source_comment_count", .integer, optional: true, merge: .sourceCount, read: false),
        Column("featured", .boolean, merge: .notImported),
        Column("hidden", .boolean, merge: .notImported),
        Column("content_hash", .integer, merge: .record, read: false),
        Column("created_at", .real, merge: .insertOnly, read: false),
        Column("modified_at", .real, merge: .record, read: false),
        // Enrichment (v9): written by their own jobs, never by imports, so re-imports keep them.
        Column("key_phrases", .list, merge: .notImported),
        /// The `content_hash` the key phrases were computed from: a change of the text redoes them.
        Column("key_phrases_hash", .integer, optional: true, merge: .notImported, read: false),
        Column("github_stars", .integer, optional: true, merge: .notImported),
        Column("github_etag", .text, optional: true, merge: .notImported, read: false),
        Column("github_checked_at", .real, optional: true, merge: .notImported, read: false),
        Column("thumbnail", .text, optional: true, merge: .notImported),
    ]

    package static let imported = columns.filter(\.isImported)
    package static let read = columns.filter(\.isRead)

    /// The columns every paper query selects, optionally qualified (`paper.title`).
    package static func selectList(qualifier: String? = nil) -> String {
        read.map { column in qualifier.map { "\($0).\(column.name)" } ?? column.name }.joined(separator: ", ")
    }

    /// One column's value as an import writes it.
    package enum Value: Sendable, Equatable {
        case text(String?)
        case list([String])
        case integer(Int64?)
        case real(Double?)
        case boolean(Bool)
    }

    /// Every imported column's value for `record`, by name.
    package static func values(for record: PaperRecord, hash: Int64, now: Double) -> [String: Value] {
        let paper = record.paper
        let upvotes = record.hasUpvotes ? Int64(paper.upvotes) : nil
        let comments = record.hasCommentCount ? Int64(paper.commentCount) : nil
        return [
            "id": .text(paper.id), "title": .text(paper.title), "abstract": .text(paper.abstract),
            "authors": .list(paper.authors), "author_count": .integer(Int64(paper.authorCount)), "categories": .list(paper.categories),
            "published_at": .real(paper.publishedAt?.timeIntervalSince1970), "updated_at": .real(paper.updatedAt?.timeIntervalSince1970),
            "version": .integer(paper.version.map(Int64.init)), "doi": .text(paper.doi), "journal_ref": .text(paper.journalRef),
            "author_comments": .text(paper.authorComments), "github_repo": .text(paper.githubRepo),
            "project_page": .text(paper.projectPage), "pdf_url": .text(paper.pdfURL), "source": .text(paper.source),
            "daily_day": .integer(paper.dailyDay.map { Int64($0.daysSinceEpoch) }),
            "submitted_on_daily_at": .real(paper.submittedOnDailyAt?.timeIntervalSince1970), "submitted_by": .text(paper.submittedBy),
            "upvotes": .integer(upvotes), "comment_count": .integer(comments),
            "source_upvotes": .integer(upvotes), "source_comment_count": .integer(comments),
            "content_hash": .integer(hash), "created_at": .real(now), "modified_at": .real(now),
        ]
    }

    /// How the two SQL dialects differ where the merge rules are written.
    package struct Dialect: Sendable {
        /// `MAX(a, b)` or `GREATEST(a, b)`.
        let greatest: @Sendable (String, String) -> String
        /// Whether a record's value of a column is empty (an empty text, or a list with nothing in it).
        let isEmpty: @Sendable (Column, String) -> String

        package static let sqlite = Dialect(
            greatest: { "MAX(\($0), \($1))" },
            // Lists are stored as text (see `ListColumn`).
            isEmpty: { _, value in "\(value) = ''" })

        package static let postgres = Dialect(
            greatest: { "GREATEST(\($0), \($1))" },
            isEmpty: { column, value in column.kind == .list ? "cardinality(\(value)) = 0" : "\(value) = ''" })
    }

    /// The expression a new row gets for `column` from the record's value `value`.
    package static func insertValue(_ column: Column, _ value: String) -> String {
        switch column.merge {
        case .sourcePlusLocal, .sourceCount: "COALESCE(\(value), 0)"
        default: value
        }
    }

    /// The SET list that merges an import record into the stored `paper` row. `value` gives the
    /// SQL for the record's value of a column (a parameter, `excluded.x`, a batch row's field).
    package static func mergeAssignments(_ dialect: Dialect, value: (Column) -> String) -> String {
        imported.compactMap { column -> String? in
            let record = value(column)
            let stored = "paper.\(column.name)"
            let expression: String
            switch column.merge {
            case .record: expression = record
            case .recordUnlessEmpty: expression = "CASE WHEN \(dialect.isEmpty(column, record)) THEN \(stored) ELSE \(record) END"
            case .greatest: expression = dialect.greatest(record, stored)
            case .recordIfPresent, .sourceCount: expression = "COALESCE(\(record), \(stored))"
            case .storedIfPresent: expression = "COALESCE(\(stored), \(record))"
            case .sourcePlusLocal(let source): expression = "COALESCE(\(record), paper.\(source)) + (\(stored) - paper.\(source))"
            case .insertOnly, .notImported: return nil
            }
            return "\(column.name) = \(expression)"
        }.joined(separator: ",\n    ")
    }

    /// One of the `read` columns: its name, and its place in `selectList()`.
    package struct Field: Sendable {
        package let name: String
        package let index: Int
    }

    /// The `read` columns in their order, handed out one after the other as a paper is decoded:
    /// a reader can take a column by its place instead of looking its name up (GRDB compares
    /// names case-insensitively; on a copied row it lowercases every column's name per look-up).
    struct Fields {
        private var next = 0

        mutating func callAsFunction(_ name: String) -> Field {
            defer { next += 1 }
            assert(PaperRow.read[next].name == name, "PaperRow.paper(from:) reads \(name) where `read` has \(PaperRow.read[next].name)")
            return Field(name: name, index: next)
        }
    }

    /// Reads a column of a result row, by its name or its place, in whichever driver's terms.
    /// (SQLite's reads cannot fail: its `Failure` is `Never`.)
    package protocol Reader {
        associatedtype Failure: Error
        func text(_ field: Field) throws(Failure) -> String
        func optionalText(_ field: Field) throws(Failure) -> String?
        func list(_ field: Field) throws(Failure) -> [String]
        func integer(_ field: Field) throws(Failure) -> Int
        func optionalInteger(_ field: Field) throws(Failure) -> Int?
        func optionalReal(_ field: Field) throws(Failure) -> Double?
        func boolean(_ field: Field) throws(Failure) -> Bool
    }

    /// A paper from a row that holds the `read` columns in their order (after `Reader`'s own offset).
    /// The arguments are evaluated in order, so `field` hands out the columns' places in turn.
    package static func paper<Row: Reader>(from row: Row) throws(Row.Failure) -> Paper {
        var field = Fields()
        return Paper(
            id: try row.text(field("id")),
            title: try row.text(field("title")),
            abstract: try row.text(field("abstract")),
            authors: try row.list(field("authors")),
            authorCount: try row.integer(field("author_count")),
            categories: try row.list(field("categories")),
            publishedAt: try row.optionalReal(field("published_at")).map(Date.init(timeIntervalSince1970:)),
            updatedAt: try row.optionalReal(field("updated_at")).map(Date.init(timeIntervalSince1970:)),
            version: try row.optionalInteger(field("version")),
            doi: try row.optionalText(field("doi")),
            journalRef: try row.optionalText(field("journal_ref")),
            authorComments: try row.optionalText(field("author_comments")),
            githubRepo: try row.optionalText(field("github_repo")),
            projectPage: try row.optionalText(field("project_page")),
            pdfURL: try row.optionalText(field("pdf_url")),
            source: try row.text(field("source")),
            dailyDay: try row.optionalInteger(field("daily_day")).map(Day.init(daysSinceEpoch:)),
            submittedOnDailyAt: try row.optionalReal(field("submitted_on_daily_at")).map(Date.init(timeIntervalSince1970:)),
            submittedBy: try row.optionalText(field("submitted_by")),
            upvotes: try row.integer(field("upvotes")),
            commentCount: try row.integer(field("comment_count")),
            featured: try row.boolean(field("featured")),
            hidden: try row.boolean(field("hidden")),
            keyPhrases: try row.list(field("key_phrases")),
            githubStars: try row.optionalInteger(field("github_stars")),
            thumbnail: try row.optionalText(field("thumbnail")).flatMap(ThumbnailState.init(rawValue:))
        )
    }
}
