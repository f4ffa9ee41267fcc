import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

/// Authors, claims, key phrases, GitHub stars and thumbnails (issue 19).
extension SQLitePaperStore {
    // MARK: Authors

    public func papers(byAuthor name: String, limit: Int) async throws -> [Paper] {
        // The full-text index finds papers with the name's words in their authors; the list is
        // then matched entry by entry, so "Ada Lovelace" is not found in "Ada Lovelace-Byron".
        guard name.unicodeScalars.contains(where: { $0.properties.isAlphabetic || $0.properties.numericType != nil }) else { return [] }
        let phrase = "authors : " + SQLiteKeywordIndex.quoted(name)
        return try await reading { db in
            try Array(Row.fetchCursor(db, sql: """
                SELECT \(Self.columns) FROM paper
                WHERE key IN (SELECT rowid FROM paper_search WHERE paper_search MATCH ?)
                  AND instr(char(31) || authors || char(31), char(31) || ? || char(31)) > 0 AND hidden = 0
                ORDER BY published_at DESC, key DESC LIMIT ?
                """, arguments: [phrase, name, limit]).map { Self.paper(from: $0) })
        }
    }

    // MARK: Claims

    static let claimColumns = """
        paper.id, author_claim.account_id, account.username, author_claim.author_name, author_claim.status,
        author_claim.verified_by, author_claim.created_at, author_claim.decided_at
        """
    static let claimJoins = "FROM author_claim JOIN paper ON paper.key = author_claim.paper_key JOIN account ON account.id = author_claim.account_id"

    static func claim(from row: Row) -> AuthorClaim {
        AuthorClaim(
            paperID: row[0], accountID: row[1], username: row[2], authorName: row[3],
            status: AuthorClaim.Status(rawValue: row[4]) ?? .pending, verifiedBy: row[5],
            createdAt: Date(timeIntervalSince1970: row[6]), decidedAt: (row[7] as Double?).map(Date.init(timeIntervalSince1970:)))
    }

    public func claimAuthorship(paperID: String, accountID: Int64, authorName: String, verifiedBy: String?, now: Date) async throws -> AuthorClaim {
        defer { writes.add(1, ordering: .releasing) }
        return try await database.write { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT key FROM paper WHERE id = ?", arguments: [paperID]) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            let status: AuthorClaim.Status = verifiedBy == nil ? .pending : .approved
            try db.execute(sql: """
                INSERT INTO author_claim (account_id, paper_key, author_name, status, verified_by, created_at, decided_at)
                VALUES (?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (account_id, paper_key) DO UPDATE SET
                    status = 'approved', verified_by = excluded.verified_by, decided_at = excluded.decided_at,
                    author_name = excluded.author_name
                WHERE excluded.status = 'approved' AND author_claim.status <> 'approved'
                """, arguments: [accountID, key, authorName, status.rawValue, verifiedBy, now.timeIntervalSince1970,
                                 verifiedBy == nil ? nil : now.timeIntervalSince1970])
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.claimColumns) \(Self.claimJoins) WHERE author_claim.account_id = ? AND author_claim.paper_key = ?", arguments: [accountID, key]) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            return Self.claim(from: row)
        }
    }

    public func authorClaims(paperID: String) async throws -> [AuthorClaim] {
        try await reading(singleStatement: true) { db in try Self.authorClaims(db, paperID: paperID) }
    }

    /// A paper's authorship claims, oldest first (`authorClaims(paperID:)`, `paperPage`).
    static func authorClaims(_ db: Database, paperID: String) throws -> [AuthorClaim] {
        try Row.fetchAll(db.cachedStatement(sql: "SELECT \(claimColumns) \(claimJoins) WHERE paper.id = ? ORDER BY author_claim.created_at, author_claim.account_id"), arguments: [paperID])
            .map(claim)
    }

    public func pendingAuthorClaims(limit: Int) async throws -> [AuthorClaim] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.claimColumns) \(Self.claimJoins) WHERE author_claim.status = 'pending' ORDER BY author_claim.created_at, author_claim.account_id LIMIT ?", arguments: [limit])
                .map(Self.claim)
        }
    }

    public func decideAuthorClaim(paperID: String, accountID: Int64, approve: Bool, now: Date) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await database.write { db in
            try db.execute(sql: """
                UPDATE author_claim SET status = ?, decided_at = ?
                WHERE account_id = ? AND paper_key = (SELECT key FROM paper WHERE id = ?) AND status = 'pending'
                """, arguments: [approve ? "approved" : "rejected", now.timeIntervalSince1970, accountID, paperID])
            return db.changesCount == 1
        }
    }

    public func claimedPapers(username: String, limit: Int) async throws -> [Paper] {
        try await reading { db in
            try Array(Row.fetchCursor(db, sql: """
                SELECT \(Self.qualifiedColumns) FROM author_claim JOIN account ON account.id = author_claim.account_id
                JOIN paper ON paper.key = author_claim.paper_key
                WHERE account.username = ? AND author_claim.status = 'approved' AND paper.hidden = 0
                ORDER BY paper.published_at DESC, paper.key DESC LIMIT ?
                """, arguments: [username, limit]).map { Self.paper(from: $0) })
        }
    }

    // MARK: Key phrases

    public func papersNeedingKeyPhrases(afterKey: UInt32, limit: Int) async throws -> [KeyPhraseSource] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: """
                SELECT key, title, abstract, content_hash FROM paper
                WHERE key > ? AND (key_phrases_hash IS NULL OR key_phrases_hash <> content_hash)
                ORDER BY key LIMIT ?
                """, arguments: [Int64(afterKey), limit]).map {
                KeyPhraseSource(key: UInt32($0[0] as Int64), title: $0[1], abstract: $0[2], contentHash: $0[3])
            }
        }
    }

    public func saveKeyPhrases(_ phrases: [ComputedKeyPhrases]) async throws {
        guard !phrases.isEmpty else { return }
        defer { writes.add(1, ordering: .releasing) }
        try await database.write { db in
            let statement = try db.cachedStatement(sql: "UPDATE paper SET key_phrases = ?, key_phrases_hash = ? WHERE key = ? AND content_hash = ?")
            for item in phrases {
                try statement.execute(arguments: [ListColumn.encode(item.phrases), item.contentHash, Int64(item.key), item.contentHash])
            }
        }
    }

    // MARK: GitHub stars

    public func papersNeedingStars(since: Date, checkedBefore: Date, limit: Int) async throws -> [StarsTarget] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: """
                SELECT key, id, github_repo, github_etag FROM paper
                WHERE github_repo IS NOT NULL AND hidden = 0
                  AND (published_at >= ? OR daily_day >= ?)
                  AND (github_checked_at IS NULL OR github_checked_at < ?)
                ORDER BY github_checked_at IS NOT NULL, github_checked_at, key LIMIT ?
                """, arguments: [since.timeIntervalSince1970, Day(containing: since).daysSinceEpoch, checkedBefore.timeIntervalSince1970, limit]).map {
                StarsTarget(key: UInt32($0[0] as Int64), paperID: $0[1], repository: $0[2], etag: $0[3])
            }
        }
    }

    public func saveStars(paperKey: UInt32, outcome: StarsOutcome, checkedAt: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await database.write { db in
            switch outcome {
            case .stars(let stars, let etag):
                try db.execute(sql: "UPDATE paper SET github_stars = ?, github_etag = ?, github_checked_at = ? WHERE key = ?",
                               arguments: [stars, etag, checkedAt.timeIntervalSince1970, Int64(paperKey)])
            case .unchanged:
                try db.execute(sql: "UPDATE paper SET github_checked_at = ? WHERE key = ?", arguments: [checkedAt.timeIntervalSince1970, Int64(paperKey)])
            case .missing:
                try db.execute(sql: "UPDATE paper SET github_stars = NULL, github_etag = NULL, github_checked_at = ? WHERE key = ?",
                               arguments: [checkedAt.timeIntervalSince1970, Int64(paperKey)])
            }
        }
    }

    // MARK: Thumbnails

    /// Papers that have a PDF: a stored link, or an arXiv id (new-style or old-style).
    static let hasPDF = "(pdf_url IS NOT NULL OR id GLOB '[0-9][0-9][0-9][0-9].[0-9]*' OR id GLOB '[a-z]*/[0-9]*')"

    public func papersNeedingThumbnails(afterKey: UInt32, arrivedSince: Date?, limit: Int) async throws -> [ThumbnailSource] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: """
                SELECT key, id, pdf_url FROM paper
                WHERE key > ? AND thumbnail IS NULL AND hidden = 0 AND \(Self.hasPDF) AND created_at >= ?
                ORDER BY key LIMIT ?
                """, arguments: [Int64(afterKey), arrivedSince?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude, limit]).compactMap { row -> ThumbnailSource? in
                let id: String = row[1]
                guard let url = (row[2] as String?) ?? (ArxivID.isValid(id) ? Links.arxivPDF(id) : nil) else { return nil }
                return ThumbnailSource(key: UInt32(row[0] as Int64), paperID: id, pdfURL: url)
            }
        }
    }

    public func thumbnailProgress() async throws -> (done: Int, total: Int) {
        try await readingAside { db in
            let row = try Row.fetchOne(db, sql: """
                SELECT COUNT(thumbnail), COUNT(*) FROM paper WHERE hidden = 0 AND \(Self.hasPDF)
                """)
            return (row?[0] ?? 0, row?[1] ?? 0)
        }
    }

    public func saveThumbnail(paperKey: UInt32, images: ThumbnailImages?, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await database.write { db in
            if let images {
                try db.execute(sql: """
                    INSERT INTO paper_thumbnail (paper_key, media_type, small, large, rendered_at) VALUES (?, ?, ?, ?, ?)
                    ON CONFLICT (paper_key) DO UPDATE SET media_type = excluded.media_type, small = excluded.small,
                        large = excluded.large, rendered_at = excluded.rendered_at
                    """, arguments: [Int64(paperKey), images.mediaType, images.small, images.large, now.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM paper_thumbnail WHERE paper_key = ?", arguments: [Int64(paperKey)])
            }
            try db.execute(sql: "UPDATE paper SET thumbnail = ? WHERE key = ?",
                           arguments: [(images == nil ? ThumbnailState.placeholder : .image).rawValue, Int64(paperKey)])
        }
    }

    public func thumbnail(paperID: String, size: ThumbnailSize) async throws -> (data: Data, mediaType: String)? {
        let column = size == .small ? "small" : "large"
        return try await reading { db in
            try Row.fetchOne(db, sql: """
                SELECT paper_thumbnail.\(column), paper_thumbnail.media_type FROM paper_thumbnail
                JOIN paper ON paper.key = paper_thumbnail.paper_key WHERE paper.id = ? AND paper.hidden = 0
                """, arguments: [paperID]).map { (data: $0[0] as Data, mediaType: $0[1] as String) }
        }
    }
}
