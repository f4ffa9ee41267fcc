import Foundation
import PaperboyStore
import GRDB
import PaperboyCore

extension SQLitePaperStore {
    static let accountColumns = "id, username, email, role, password_hash, created_at"

    /// `columns` with the table name, for queries that join other tables with an `id`.
    static let qualifiedColumns = PaperRow.selectList(qualifier: "paper")

    static func account(from row: Row) -> Account {
        Account(
            id: row[0], username: row[1], email: row[2], role: Role(rawValue: row[3]) ?? .member,
            passwordHash: row[4], createdAt: Date(timeIntervalSince1970: row[5]))
    }

    public func createAccount(username: String, email: String, role: Role, passwordHash: String?, now: Date) async throws -> Account {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ?", arguments: [username]) == true {
                throw CommunityError.usernameTaken(username)
            }
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE email = ?", arguments: [email]) == true {
                throw CommunityError.emailTaken(email)
            }
            try db.execute(
                sql: "INSERT INTO account (username, email, role, password_hash, created_at) VALUES (?, ?, ?, ?, ?)",
                arguments: [username, email, role.rawValue, passwordHash, now.timeIntervalSince1970])
            return Account(id: db.lastInsertedRowID, username: username, email: email, role: role, passwordHash: passwordHash, createdAt: now)
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.accountColumns) FROM account WHERE id = ?", arguments: [id]).map(Self.account)
        }
    }

    public func account(username: String) async throws -> Account? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.accountColumns) FROM account WHERE username = ?", arguments: [username]).map(Self.account)
        }
    }

    public func account(email: String) async throws -> Account? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.accountColumns) FROM account WHERE email = ?", arguments: [email]).map(Self.account)
        }
    }

    public func accountCount() async throws -> Int {
        try await reading { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM account") ?? 0 }
    }

    public func setRole(_ role: Role, username: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            try db.execute(sql: "UPDATE account SET role = ? WHERE username = ?", arguments: [role.rawValue, username])
            if db.changesCount == 0 { throw CommunityError.noSuchAccount(username) }
        }
    }

    public func setPasswordHash(_ hash: String?, accountID: Int64) async throws {
        try await writing { db in
            try db.execute(sql: "UPDATE account SET password_hash = ? WHERE id = ?", arguments: [hash, accountID])
        }
    }

    public func renameAccount(id: Int64, to username: String) async throws {
        try await database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE username = ? AND id <> ?", arguments: [username, id]) == true {
                throw CommunityError.usernameTaken(username)
            }
            guard let old = try String.fetchOne(db, sql: "SELECT username FROM account WHERE id = ?", arguments: [id]) else {
                throw CommunityError.noSuchAccount("#\(id)")
            }
            try db.execute(sql: "UPDATE account SET username = ? WHERE id = ?", arguments: [username, id])
            try db.execute(sql: "UPDATE paper SET submitted_by = ? WHERE submitted_by = ?", arguments: [username, old])
        }
    }

    public func setEmail(_ email: String, accountID: Int64) async throws {
        try await database.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM account WHERE email = ? AND id <> ?", arguments: [email, accountID]) == true {
                throw CommunityError.emailTaken(email)
            }
            try db.execute(sql: "UPDATE account SET email = ? WHERE id = ?", arguments: [email, accountID])
        }
    }

    // MARK: Sign-in tokens and sessions

    public func saveSignInToken(hash: Data, email: String, expiresAt: Date) async throws {
        try await writing { db in
            // Expired tokens are useless; clearing them here keeps the table small without a job.
            try db.execute(sql: "DELETE FROM sign_in_token WHERE expires_at < ?", arguments: [expiresAt.timeIntervalSince1970 - 86_400])
            try db.execute(
                sql: "INSERT INTO sign_in_token (token_hash, email, expires_at) VALUES (?, ?, ?)",
                arguments: [hash, email, expiresAt.timeIntervalSince1970])
        }
    }

    public func consumeSignInToken(hash: Data, now: Date) async throws -> String? {
        try await writing { db in
            try String.fetchOne(db, sql: """
                UPDATE sign_in_token SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
                RETURNING email
                """, arguments: [now.timeIntervalSince1970, hash, now.timeIntervalSince1970])
        }
    }

    public func signInTokenIsValid(hash: Data, now: Date) async throws -> String? {
        try await reading { db in
            try String.fetchOne(db, sql: """
                SELECT email FROM sign_in_token WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?
                """, arguments: [hash, now.timeIntervalSince1970])
        }
    }

    public func createSession(hash: Data, accountID: Int64, now: Date, expiresAt: Date) async throws {
        try await writing { db in
            try db.execute(sql: "DELETE FROM session WHERE expires_at < ?", arguments: [now.timeIntervalSince1970])
            try db.execute(
                sql: "INSERT INTO session (token_hash, account_id, created_at, expires_at) VALUES (?, ?, ?, ?)",
                arguments: [hash, accountID, now.timeIntervalSince1970, expiresAt.timeIntervalSince1970])
        }
    }

    public func sessionAccount(hash: Data, now: Date) async throws -> Account? {
        try await reading(singleStatement: true) { db in
            try Row.fetchOne(db.cachedStatement(sql: """
                SELECT account.id, username, email, role, password_hash, account.created_at
                FROM session JOIN account ON account.id = session.account_id
                WHERE session.token_hash = ? AND session.expires_at > ?
                """), arguments: [hash, now.timeIntervalSince1970]).map(Self.account)
        }
    }

    public func sessionStartedAt(hash: Data) async throws -> Date? {
        try await reading { db in
            try Double.fetchOne(db, sql: "SELECT created_at FROM session WHERE token_hash = ?", arguments: [hash])
                .map(Date.init(timeIntervalSince1970:))
        }
    }

    public func deleteSession(hash: Data) async throws {
        try await writing { db in
            try db.execute(sql: "DELETE FROM session WHERE token_hash = ?", arguments: [hash])
        }
    }

    // MARK: Submissions and votes

    public func submit(_ record: PaperRecord, by username: String, day: Day, now: Date) async throws -> SubmissionOutcome {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            if let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM paper WHERE id = ?", arguments: [record.paper.id]) {
                let stored = Self.paper(from: row)
                if let onFeed = stored.dailyDay { return .alreadyOnFeed(stored, day: onFeed) }
            } else {
                try db.execute(sql: Self.upsertSQL, arguments: Self.arguments(for: record, hash: ContentHash.of(record), now: now.timeIntervalSince1970))
            }
            try db.execute(sql: """
                UPDATE paper SET daily_day = ?, submitted_on_daily_at = ?, submitted_by = ?, modified_at = ?
                WHERE id = ?
                """, arguments: [day.daysSinceEpoch, now.timeIntervalSince1970, username, now.timeIntervalSince1970, record.paper.id])
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.columns) FROM paper WHERE id = ?", arguments: [record.paper.id]) else {
                throw CommunityError.noSuchPaper(record.paper.id)
            }
            return .added(Self.paper(from: row))
        }
    }

    public func setVote(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws -> VoteState {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT key FROM paper WHERE id = ?", arguments: [paperID]) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            if on {
                try db.execute(
                    sql: "INSERT INTO vote (account_id, paper_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
                    arguments: [accountID, key, now.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM vote WHERE account_id = ? AND paper_key = ?", arguments: [accountID, key])
            }
            // Recounted from the rows, never incremented: the total cannot drift from them.
            let upvotes = try Int.fetchOne(db, sql: """
                UPDATE paper SET upvotes = source_upvotes + (SELECT count(*) FROM vote WHERE paper_key = ?)
                WHERE key = ? RETURNING upvotes
                """, arguments: [key, key]) ?? 0
            return VoteState(upvoted: on, upvotes: upvotes)
        }
    }

    public func votedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        return try await reading(singleStatement: paperIDs.count <= CachedSQL.listChunk) { db in
            var ids = Set<String>()
            for chunk in CachedSQL.chunks(paperIDs) {
                let list = CachedSQL.inList(chunk)
                let rows = try String.fetchAll(db.cachedStatement(sql: """
                    SELECT paper.id FROM vote JOIN paper ON paper.key = vote.paper_key
                    WHERE vote.account_id = ? AND paper.id IN (\(list.marks))
                    """), arguments: StatementArguments([accountID] as [any DatabaseValueConvertible] + list.values))
                ids.formUnion(rows)
            }
            return ids
        }
    }

    public func voteRowCount(paperID: String) async throws -> Int {
        try await reading { db in
            try Int.fetchOne(db, sql: "SELECT count(*) FROM vote JOIN paper ON paper.key = vote.paper_key WHERE paper.id = ?", arguments: [paperID]) ?? 0
        }
    }

    // MARK: Comments

    static let commentColumns = """
        comment.id, paper.id, account.username, comment.body, comment.created_at, comment.edited_at, comment.hidden, comment.deleted
        """
    static let commentJoins = "FROM comment JOIN paper ON paper.key = comment.paper_key JOIN account ON account.id = comment.account_id"

    static func comment(from row: Row) -> Comment {
        Comment(
            id: row[0], paperID: row[1], author: row[2], body: row[3], createdAt: Date(timeIntervalSince1970: row[4]),
            editedAt: (row[5] as Double?).map(Date.init(timeIntervalSince1970:)), hidden: row[6], deleted: row[7])
    }

    public func comments(paperID: String, includeHidden: Bool) async throws -> [Comment] {
        try await reading(singleStatement: true) { db in try Self.comments(db, paperID: paperID, includeHidden: includeHidden) }
    }

    /// A paper's comments, oldest first (`comments(paperID:)`, `paperPage`).
    static func comments(_ db: Database, paperID: String, includeHidden: Bool) throws -> [Comment] {
        try Row.fetchAll(db.cachedStatement(sql: """
            SELECT \(commentColumns) \(commentJoins)
            WHERE paper.id = ? \(includeHidden ? "" : "AND comment.hidden = 0")
            ORDER BY comment.created_at, comment.id
            """), arguments: [paperID]).map(comment)
    }

    public func comments(accountID: Int64, includeHidden: Bool, limit: Int) async throws -> [AccountComment] {
        try await reading { db in
            try Row.fetchAll(db, sql: """
                SELECT \(Self.commentColumns), paper.title \(Self.commentJoins)
                WHERE comment.account_id = ? AND comment.deleted = 0 \(includeHidden ? "" : "AND comment.hidden = 0 AND paper.hidden = 0")
                ORDER BY comment.created_at DESC, comment.id DESC LIMIT ?
                """, arguments: [accountID, limit]).map { AccountComment(comment: Self.comment(from: $0), paperTitle: $0[8]) }
        }
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.commentColumns) \(Self.commentJoins) WHERE comment.id = ?", arguments: [id]).map(Self.comment)
        }
    }

    /// Visible comments plus what the source said; run inside every transaction that changes comments.
    static func recountComments(_ db: Database, paperKey: Int64) throws {
        try db.execute(sql: """
            UPDATE paper SET comment_count = source_comment_count
                + (SELECT count(*) FROM comment WHERE paper_key = ? AND hidden = 0 AND deleted = 0)
            WHERE key = ?
            """, arguments: [paperKey, paperKey])
    }

    public func addComment(paperID: String, accountID: Int64, body: String, now: Date) async throws -> Comment {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            guard let key = try Int64.fetchOne(db, sql: "SELECT key FROM paper WHERE id = ?", arguments: [paperID]) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            try db.execute(
                sql: "INSERT INTO comment (paper_key, account_id, body, created_at) VALUES (?, ?, ?, ?)",
                arguments: [key, accountID, body, now.timeIntervalSince1970])
            let id = db.lastInsertedRowID
            try Self.recountComments(db, paperKey: key)
            guard let row = try Row.fetchOne(db, sql: "SELECT \(Self.commentColumns) \(Self.commentJoins) WHERE comment.id = ?", arguments: [id]) else {
                throw CommunityError.noSuchComment(id)
            }
            return Self.comment(from: row)
        }
    }

    public func editComment(id: Int64, accountID: Int64, body: String, now: Date) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            try db.execute(
                sql: "UPDATE comment SET body = ?, edited_at = ? WHERE id = ? AND account_id = ? AND deleted = 0",
                arguments: [body, now.timeIntervalSince1970, id, accountID])
            return db.changesCount > 0
        }
    }

    public func deleteComment(id: Int64, accountID: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            guard let key = try Int64.fetchOne(db, sql: """
                UPDATE comment SET deleted = 1, body = '' WHERE id = ? AND account_id = ? AND deleted = 0 RETURNING paper_key
                """, arguments: [id, accountID]) else { return false }
            try Self.recountComments(db, paperKey: key)
            return true
        }
    }

    public func setCommentHidden(_ hidden: Bool, id: Int64) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            guard let key = try Int64.fetchOne(db, sql: "UPDATE comment SET hidden = ? WHERE id = ? RETURNING paper_key", arguments: [hidden, id]) else {
                throw CommunityError.noSuchComment(id)
            }
            try Self.recountComments(db, paperKey: key)
        }
    }

    // MARK: Curation

    public func setFeatured(_ featured: Bool, paperID: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            try db.execute(sql: "UPDATE paper SET featured = ? WHERE id = ?", arguments: [featured, paperID])
            if db.changesCount == 0 { throw CommunityError.noSuchPaper(paperID) }
        }
    }

    public func setPaperHidden(_ hidden: Bool, paperID: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            try db.execute(sql: "UPDATE paper SET hidden = ? WHERE id = ?", arguments: [hidden, paperID])
            if db.changesCount == 0 { throw CommunityError.noSuchPaper(paperID) }
        }
    }

    public func curation(paperID: String) async throws -> (featured: Bool, hidden: Bool) {
        try await reading { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT featured, hidden FROM paper WHERE id = ?", arguments: [paperID]) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            return (row[0], row[1])
        }
    }

    // MARK: Profiles and trending

    public func submissions(username: String, limit: Int) async throws -> [Paper] {
        try await reading { db in
            try Array(Row.fetchCursor(db, sql: """
                SELECT \(Self.columns) FROM paper WHERE submitted_by = ? AND hidden = 0
                ORDER BY daily_day DESC, submitted_on_daily_at DESC LIMIT ?
                """, arguments: [username, limit]).map { Self.paper(from: $0) })
        }
    }

    public func upvotedPapers(username: String, limit: Int) async throws -> [Paper] {
        try await reading { db in
            try Array(Row.fetchCursor(db, sql: """
                SELECT \(Self.qualifiedColumns) FROM vote JOIN account ON account.id = vote.account_id
                JOIN paper ON paper.key = vote.paper_key
                WHERE account.username = ? AND paper.hidden = 0
                ORDER BY vote.created_at DESC LIMIT ?
                """, arguments: [username, limit]).map { Self.paper(from: $0) })
        }
    }

    public func trendingPapers(since: Day, now: Date, offset: Int, limit: Int) async throws -> [Paper] {
        try await reading { db in
            try Array(Row.fetchCursor(db, sql: """
                SELECT \(Self.columns) FROM paper
                WHERE daily_day >= ? AND hidden = 0
                ORDER BY \(Self.trendingExpression) DESC, upvotes DESC, id
                LIMIT ? OFFSET ?
                """, arguments: [since.daysSinceEpoch, now.timeIntervalSince1970, now.timeIntervalSince1970, limit, offset])
                .map { Self.paper(from: $0) })
        }
    }
}
