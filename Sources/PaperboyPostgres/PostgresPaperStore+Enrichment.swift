import Foundation
import NIOCore
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// Authors, claims, key phrases, GitHub stars and thumbnails (issue 19), as the SQLite store.
extension PostgresPaperStore {
    // MARK: Authors

    public func papers(byAuthor name: String, limit: Int) async throws -> [Paper] {
        // `authors @> ARRAY[name]` is answered from the GIN index of v9.
        try await read { [logger] connection in
            try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM paper
                WHERE authors @> ARRAY[\(name)]::text[] AND NOT hidden
                ORDER BY published_at DESC NULLS LAST, key DESC LIMIT \(limit)
                """, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }

    // MARK: Claims

    static let claimSelect = """
        SELECT paper.id, author_claim.account_id, account.username, author_claim.author_name, author_claim.status,
            author_claim.verified_by, author_claim.created_at, author_claim.decided_at
        FROM author_claim JOIN paper ON paper.key = author_claim.paper_key JOIN account ON account.id = author_claim.account_id
        """

    static func claim(from row: PostgresRow) throws -> AuthorClaim {
        let (paperID, accountID, username, authorName, status, verifiedBy, createdAt, decidedAt) =
            try row.decode((String, Int64, String, String, String, String?, Double, Double?).self)
        return AuthorClaim(
            paperID: paperID, accountID: accountID, username: username, authorName: authorName,
            status: AuthorClaim.Status(rawValue: status) ?? .pending, verifiedBy: verifiedBy,
            createdAt: Date(timeIntervalSince1970: createdAt), decidedAt: decidedAt.map(Date.init(timeIntervalSince1970:)))
    }

    public func claimAuthorship(paperID: String, accountID: Int64, authorName: String, verifiedBy: String?, now: Date) async throws -> AuthorClaim {
        defer { writes.add(1, ordering: .releasing) }
        let status: AuthorClaim.Status = verifiedBy == nil ? .pending : .approved
        let decidedAt: Double? = verifiedBy == nil ? nil : now.timeIntervalSince1970
        let created = now.timeIntervalSince1970
        return try await write { [logger] connection in
            guard let keyRow = try await connection.query("SELECT key FROM paper WHERE id = \(paperID)", logger: logger).collect().first else {
                throw CommunityError.noSuchPaper(paperID)
            }
            let key = try keyRow.decode(Int64.self)
            try await connection.query("""
                INSERT INTO author_claim AS author_claim (account_id, paper_key, author_name, status, verified_by, created_at, decided_at)
                VALUES (\(accountID), \(key), \(authorName), \(status.rawValue), \(verifiedBy), \(created), \(decidedAt))
                ON CONFLICT (account_id, paper_key) DO UPDATE SET
                    status = 'approved', verified_by = excluded.verified_by, decided_at = excluded.decided_at,
                    author_name = excluded.author_name
                WHERE excluded.status = 'approved' AND author_claim.status <> 'approved'
                """, logger: logger).collect()
            guard let row = try await connection.query(
                "\(unescaped: Self.claimSelect) WHERE author_claim.account_id = \(accountID) AND author_claim.paper_key = \(key)", logger: logger
            ).collect().first else { throw CommunityError.noSuchPaper(paperID) }
            return try Self.claim(from: row)
        }
    }

    public func authorClaims(paperID: String) async throws -> [AuthorClaim] {
        try await read { [logger] connection in
            try await connection.query(
                "\(unescaped: Self.claimSelect) WHERE paper.id = \(paperID) ORDER BY author_claim.created_at, author_claim.account_id", logger: logger
            ).collect().map(Self.claim)
        }
    }

    public func pendingAuthorClaims(limit: Int) async throws -> [AuthorClaim] {
        try await read { [logger] connection in
            try await connection.query(
                "\(unescaped: Self.claimSelect) WHERE author_claim.status = 'pending' ORDER BY author_claim.created_at, author_claim.account_id LIMIT \(limit)",
                logger: logger
            ).collect().map(Self.claim)
        }
    }

    public func decideAuthorClaim(paperID: String, accountID: Int64, approve: Bool, now: Date) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        let status = approve ? "approved" : "rejected"
        let decided = now.timeIntervalSince1970
        return try await write { [logger] connection in
            try await !connection.query("""
                UPDATE author_claim SET status = \(status), decided_at = \(decided)
                WHERE account_id = \(accountID) AND paper_key = (SELECT key FROM paper WHERE id = \(paperID)) AND status = 'pending'
                RETURNING account_id
                """, logger: logger).collect().isEmpty
        }
    }

    public func claimedPapers(username: String, limit: Int) async throws -> [Paper] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT \(unescaped: Self.qualifiedColumns) FROM author_claim JOIN account ON account.id = author_claim.account_id
                JOIN paper ON paper.key = author_claim.paper_key
                WHERE lower(account.username) = lower(\(username)) AND author_claim.status = 'approved' AND NOT paper.hidden
                ORDER BY paper.published_at DESC NULLS LAST, paper.key DESC LIMIT \(limit)
                """, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }

    // MARK: Key phrases

    public func papersNeedingKeyPhrases(afterKey: UInt32, limit: Int) async throws -> [KeyPhraseSource] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT key, title, abstract, content_hash FROM paper
                WHERE key > \(Int64(afterKey)) AND (key_phrases_hash IS NULL OR key_phrases_hash <> content_hash)
                ORDER BY key LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (key, title, abstract, hash) = try row.decode((Int64, String, String, Int64).self)
                return KeyPhraseSource(key: UInt32(key), title: title, abstract: abstract, contentHash: hash)
            }
        }
    }

    public func saveKeyPhrases(_ phrases: [ComputedKeyPhrases]) async throws {
        guard !phrases.isEmpty else { return }
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            for item in phrases {
                try await connection.query("""
                    UPDATE paper SET key_phrases = \(item.phrases), key_phrases_hash = \(item.contentHash)
                    WHERE key = \(Int64(item.key)) AND content_hash = \(item.contentHash)
                    """, logger: logger).collect()
            }
        }
    }

    // MARK: GitHub stars

    public func papersNeedingStars(since: Date, checkedBefore: Date, limit: Int) async throws -> [StarsTarget] {
        let sinceSeconds = since.timeIntervalSince1970
        let sinceDay = Int64(Day(containing: since).daysSinceEpoch)
        let before = checkedBefore.timeIntervalSince1970
        return try await read { [logger] connection in
            try await connection.query("""
                SELECT key, id, github_repo, github_etag FROM paper
                WHERE github_repo IS NOT NULL AND NOT hidden
                  AND (published_at >= \(sinceSeconds) OR daily_day >= \(sinceDay))
                  AND (github_checked_at IS NULL OR github_checked_at < \(before))
                ORDER BY github_checked_at NULLS FIRST, key LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (key, id, repository, etag) = try row.decode((Int64, String, String, String?).self)
                return StarsTarget(key: UInt32(key), paperID: id, repository: repository, etag: etag)
            }
        }
    }

    public func saveStars(paperKey: UInt32, outcome: StarsOutcome, checkedAt: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        let key = Int64(paperKey)
        let checked = checkedAt.timeIntervalSince1970
        try await write { [logger] connection in
            switch outcome {
            case .stars(let stars, let etag):
                try await connection.query(
                    "UPDATE paper SET github_stars = \(Int64(stars)), github_etag = \(etag), github_checked_at = \(checked) WHERE key = \(key)",
                    logger: logger).collect()
            case .unchanged:
                try await connection.query("UPDATE paper SET github_checked_at = \(checked) WHERE key = \(key)", logger: logger).collect()
            case .missing:
                try await connection.query(
                    "UPDATE paper SET github_stars = NULL, github_etag = NULL, github_checked_at = \(checked) WHERE key = \(key)",
                    logger: logger).collect()
            }
        }
    }

    // MARK: Thumbnails

    /// Papers that have a PDF: a stored link, or an arXiv id (new-style or old-style).
    static let hasPDF = #"(pdf_url IS NOT NULL OR id ~ '^[0-9]{4}\.[0-9]' OR id ~ '^[a-z][a-zA-Z.-]*/[0-9]')"#

    public func papersNeedingThumbnails(afterKey: UInt32, arrivedSince: Date?, limit: Int) async throws -> [ThumbnailSource] {
        let since = arrivedSince?.timeIntervalSince1970 ?? -Double.greatestFiniteMagnitude
        return try await read { [logger] connection in
            try await connection.query("""
                SELECT key, id, pdf_url FROM paper
                WHERE key > \(Int64(afterKey)) AND thumbnail IS NULL AND NOT hidden AND \(unescaped: Self.hasPDF) AND created_at >= \(since)
                ORDER BY key LIMIT \(limit)
                """, logger: logger).collect().compactMap { row -> ThumbnailSource? in
                let (key, id, pdfURL) = try row.decode((Int64, String, String?).self)
                guard let url = pdfURL ?? (ArxivID.isValid(id) ? Links.arxivPDF(id) : nil) else { return nil }
                return ThumbnailSource(key: UInt32(key), paperID: id, pdfURL: url)
            }
        }
    }

    public func thumbnailProgress() async throws -> (done: Int, total: Int) {
        try await read { [logger] connection in
            let row = try await connection.query(
                "SELECT COUNT(thumbnail), COUNT(*) FROM paper WHERE NOT hidden AND \(unescaped: Self.hasPDF)", logger: logger
            ).collect().first
            guard let row else { return (0, 0) }
            let (done, total) = try row.decode((Int64, Int64).self)
            return (Int(done), Int(total))
        }
    }

    public func saveThumbnail(paperKey: UInt32, images: ThumbnailImages?, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        let key = Int64(paperKey)
        let rendered = now.timeIntervalSince1970
        let state = (images == nil ? ThumbnailState.placeholder : .image).rawValue
        try await write { [logger] connection in
            if let images {
                let small = ByteBuffer(bytes: images.small)
                let large = ByteBuffer(bytes: images.large)
                try await connection.query("""
                    INSERT INTO paper_thumbnail (paper_key, media_type, small, large, rendered_at)
                    VALUES (\(key), \(images.mediaType), \(small), \(large), \(rendered))
                    ON CONFLICT (paper_key) DO UPDATE SET media_type = excluded.media_type, small = excluded.small,
                        large = excluded.large, rendered_at = excluded.rendered_at
                    """, logger: logger).collect()
            } else {
                try await connection.query("DELETE FROM paper_thumbnail WHERE paper_key = \(key)", logger: logger).collect()
            }
            try await connection.query("UPDATE paper SET thumbnail = \(state) WHERE key = \(key)", logger: logger).collect()
        }
    }

    public func thumbnail(paperID: String, size: ThumbnailSize) async throws -> (data: Data, mediaType: String)? {
        let column = size == .small ? "small" : "large"
        return try await read { [logger] connection in
            guard let row = try await connection.query("""
                SELECT paper_thumbnail.\(unescaped: column), paper_thumbnail.media_type FROM paper_thumbnail
                JOIN paper ON paper.key = paper_thumbnail.paper_key WHERE paper.id = \(paperID) AND NOT paper.hidden
                """, logger: logger).collect().first else { return nil }
            let (bytes, mediaType) = try row.decode((ByteBuffer, String).self)
            return (Data(bytes.readableBytesView), mediaType)
        }
    }
}
