import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// Batched writes for `upsert`: a statement per round trip costs more than the row, so a batch
/// goes to the server as one JSON parameter (`jsonb_to_recordset`), one UPDATE for the stored
/// papers and one INSERT for the new ones, with the same field rules as `upsertSQL`.
extension PostgresPaperStore {
    /// One paper as the batch statements read it; nil optionals are left out and read as NULL.
    struct BatchRow: Encodable {
        let id: String
        let title: String
        let abstract: String
        let authors: [String]
        let author_count: Int
        let categories: [String]
        let published_at: Double?
        let updated_at: Double?
        let version: Int?
        let doi: String?
        let journal_ref: String?
        let author_comments: String?
        let github_repo: String?
        let project_page: String?
        let pdf_url: String?
        let source: String
        let daily_day: Int?
        let submitted_on_daily_at: Double?
        let submitted_by: String?
        /// Nil when the source carries no count: the stored one stays.
        let upvotes: Int?
        let comment_count: Int?
        let content_hash: Int64

        init(_ record: PaperRecord, hash: Int64) {
            let paper = record.paper
            id = paper.id
            title = paper.title
            abstract = paper.abstract
            authors = paper.authors
            author_count = paper.authorCount
            categories = paper.categories
            published_at = paper.publishedAt?.timeIntervalSince1970
            updated_at = paper.updatedAt?.timeIntervalSince1970
            version = paper.version
            doi = paper.doi
            journal_ref = paper.journalRef
            author_comments = paper.authorComments
            github_repo = paper.githubRepo
            project_page = paper.projectPage
            pdf_url = paper.pdfURL
            source = paper.source
            daily_day = paper.dailyDay?.daysSinceEpoch
            submitted_on_daily_at = paper.submittedOnDailyAt?.timeIntervalSince1970
            submitted_by = paper.submittedBy
            upvotes = record.hasUpvotes ? paper.upvotes : nil
            comment_count = record.hasCommentCount ? paper.commentCount : nil
            content_hash = hash
        }
    }

    static let batchColumns = """
        id text, title text, abstract text, authors text[], author_count bigint, categories text[],
        published_at float8, updated_at float8, version bigint, doi text, journal_ref text, author_comments text,
        github_repo text, project_page text, pdf_url text, source text, daily_day bigint, submitted_on_daily_at float8,
        submitted_by text, upvotes bigint, comment_count bigint, content_hash bigint
        """

    /// The stored papers of the batch, merged by `mergedFields`.
    static let batchUpdateSQL = """
        UPDATE paper SET
        \(mergedFields(from: "batch", upvotes: "batch.upvotes", commentCount: "batch.comment_count", modifiedAt: "$2"))
        FROM jsonb_to_recordset($1::jsonb) AS batch(\(batchColumns))
        WHERE paper.id = batch.id
        """

    /// The new papers of the batch; ids another transaction inserted meanwhile come back missing.
    static let batchInsertSQL = """
        INSERT INTO paper (\(importedColumns))
        SELECT id, title, abstract, authors, author_count, categories, published_at, updated_at, version,
            doi, journal_ref, author_comments, github_repo, project_page, pdf_url, source,
            daily_day, submitted_on_daily_at, submitted_by, COALESCE(upvotes, 0), COALESCE(comment_count, 0),
            COALESCE(upvotes, 0), COALESCE(comment_count, 0), content_hash, $2, $2
        FROM jsonb_to_recordset($1::jsonb) AS batch(\(batchColumns))
        ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """

    /// A write the batch decided on: the record, its hash, and whether its row exists by then.
    struct PlannedWrite {
        let record: PaperRecord
        let hash: Int64
        let exists: Bool
    }

    /// Writes `writes` (each id at most once) with two statements, falling back to the one-row
    /// upsert for papers another transaction inserted since this one looked.
    static func writeBatch(_ writes: [PlannedWrite], now: Double, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let encoder = JSONEncoder()
        let updates = writes.filter(\.exists)
        if !updates.isEmpty {
            let json = String(decoding: try encoder.encode(updates.map { BatchRow($0.record, hash: $0.hash) }), as: UTF8.self)
            var binds = PostgresBindings(capacity: 2)
            binds.append(json)
            binds.append(now)
            try await connection.run(PostgresQuery(unsafeSQL: batchUpdateSQL, binds: binds), logger: logger)
        }
        let inserts = writes.filter { !$0.exists }
        if !inserts.isEmpty {
            let json = String(decoding: try encoder.encode(inserts.map { BatchRow($0.record, hash: $0.hash) }), as: UTF8.self)
            var binds = PostgresBindings(capacity: 2)
            binds.append(json)
            binds.append(now)
            let inserted = Set(try await connection.query(PostgresQuery(unsafeSQL: batchInsertSQL, binds: binds), logger: logger)
                .collect().map { try $0.decode(String.self) })
            for write in inserts where !inserted.contains(write.record.paper.id) {
                try await connection.run(upsertQuery(for: write.record, hash: write.hash, now: now), logger: logger)
            }
        }
    }
}
