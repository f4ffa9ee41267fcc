import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    static let accountColumns = "account.id, account.username, account.email, account.role, account.password_hash, account.created_at"

    static func account(from row: PostgresRow) throws -> Account {
        let (id, username, email, role, passwordHash, createdAt) = try row.decode((Int64, String, String, String, String?, Double).self)
        return Account(
            id: id, username: username, email: email, role: Role(rawValue: role) ?? .member,
            passwordHash: passwordHash, createdAt: Date(timeIntervalSince1970: createdAt))
    }

    /// The unique constraint a failed insert ran into, if that is what failed.
    static func violatedConstraint(_ error: any Error) -> String? {
        guard let error = error as? PostgresStoreError, error.sqlState == "23505" else { return nil }
        return error.constraint
    }

    public func createAccount(username: String, email: String, role: Role, passwordHash: String?, now: Date) async throws -> Account {
        defer { writes.add(1, ordering: .releasing) }
        do {
            return try await write { [logger] connection in
                if try await !connection.query("SELECT 1 FROM account WHERE lower(username) = lower(\(username))", logger: logger).collect().isEmpty {
                    throw CommunityError.usernameTaken(username)
                }
                if try await !connection.query("SELECT 1 FROM account WHERE email = \(email)", logger: logger).collect().isEmpty {
                    throw CommunityError.emailTaken(email)
                }
                let rows = try await connection.query("""
                    INSERT INTO account (username, email, role, password_hash, created_at)
                    VALUES (\(username), \(email), \(role.rawValue), \(passwordHash), \(now.timeIntervalSince1970)) RETURNING id
                    """, logger: logger).collect()
                guard let id = try rows.first?.decode(Int64.self) else { throw CommunityError.noSuchAccount(username) }
                return Account(id: id, username: username, email: email, role: role, passwordHash: passwordHash, createdAt: now)
            }
        } catch {
            // Two sign-ups with one name at once: the loser hits the unique index after the check.
            switch Self.violatedConstraint(error) {
            case "account_username_key": throw CommunityError.usernameTaken(username)
            case "account_email_key": throw CommunityError.emailTaken(email)
            default: throw error
            }
        }
    }

    func account(where condition: PostgresQuery) async throws -> Account? {
        try await read { [logger] connection in
            try await connection.query(condition, logger: logger).collect().first.map(Self.account)
        }
    }

    public func account(id: Int64) async throws -> Account? {
        try await account(where: "SELECT \(unescaped: Self.accountColumns) FROM account WHERE id = \(id)")
    }

    public func account(username: String) async throws -> Account? {
        try await account(where: "SELECT \(unescaped: Self.accountColumns) FROM account WHERE lower(username) = lower(\(username))")
    }

    public func account(email: String) async throws -> Account? {
        try await account(where: "SELECT \(unescaped: Self.accountColumns) FROM account WHERE email = \(email)")
    }

    public func accountCount() async throws -> Int {
        try await read { [logger] connection in
            try await connection.query("SELECT count(*) FROM account", logger: logger).collect().first?.decode(Int.self) ?? 0
        }
    }

    public func setRole(_ role: Role, username: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            let rows = try await connection.query(
                "UPDATE account SET role = \(role.rawValue) WHERE lower(username) = lower(\(username)) RETURNING id", logger: logger
            ).collect()
            if rows.isEmpty { throw CommunityError.noSuchAccount(username) }
        }
    }

    public func setPasswordHash(_ hash: String?, accountID: Int64) async throws {
        try await write { [logger] connection in
            try await connection.run("UPDATE account SET password_hash = \(hash) WHERE id = \(accountID)", logger: logger)
        }
    }

    public func renameAccount(id: Int64, to username: String) async throws {
        do {
            try await write { [logger] connection in
                if try await !connection.query("SELECT 1 FROM account WHERE lower(username) = lower(\(username)) AND id <> \(id)", logger: logger).collect().isEmpty {
                    throw CommunityError.usernameTaken(username)
                }
                guard let old = try await connection.query("SELECT username FROM account WHERE id = \(id) FOR UPDATE", logger: logger)
                    .collect().first?.decode(String.self)
                else { throw CommunityError.noSuchAccount("#\(id)") }
                try await connection.run("UPDATE account SET username = \(username) WHERE id = \(id)", logger: logger)
                try await connection.run("UPDATE paper SET submitted_by = \(username) WHERE submitted_by = \(old)", logger: logger)
            }
        } catch {
            if Self.violatedConstraint(error) == "account_username_key" { throw CommunityError.usernameTaken(username) }
            throw error
        }
    }

    public func setEmail(_ email: String, accountID: Int64) async throws {
        do {
            try await write { [logger] connection in
                if try await !connection.query("SELECT 1 FROM account WHERE email = \(email) AND id <> \(accountID)", logger: logger).collect().isEmpty {
                    throw CommunityError.emailTaken(email)
                }
                try await connection.run("UPDATE account SET email = \(email) WHERE id = \(accountID)", logger: logger)
            }
        } catch {
            if Self.violatedConstraint(error) == "account_email_key" { throw CommunityError.emailTaken(email) }
            throw error
        }
    }

    // MARK: Sign-in tokens and sessions

    public func saveSignInToken(hash: Data, email: String, expiresAt: Date) async throws {
        let token = ByteBuffer(bytes: hash)
        try await write { [logger] connection in
            // Expired tokens are useless; clearing them here keeps the table small without a job.
            try await connection.run(
                "DELETE FROM sign_in_token WHERE expires_at < \(expiresAt.timeIntervalSince1970 - 86_400)", logger: logger)
            try await connection.run("""
                INSERT INTO sign_in_token (token_hash, email, expires_at) VALUES (\(token), \(email), \(expiresAt.timeIntervalSince1970))
                """, logger: logger)
        }
    }

    public func consumeSignInToken(hash: Data, now: Date) async throws -> String? {
        let token = ByteBuffer(bytes: hash)
        // A concurrent use waits for this row's lock, then finds used_at set: exactly one wins.
        return try await write { [logger] connection in
            try await connection.query("""
                UPDATE sign_in_token SET used_at = \(now.timeIntervalSince1970)
                WHERE token_hash = \(token) AND used_at IS NULL AND expires_at > \(now.timeIntervalSince1970)
                RETURNING email
                """, logger: logger).collect().first?.decode(String.self)
        }
    }

    public func signInTokenIsValid(hash: Data, now: Date) async throws -> String? {
        let token = ByteBuffer(bytes: hash)
        return try await read { [logger] connection in
            try await connection.query("""
                SELECT email FROM sign_in_token WHERE token_hash = \(token) AND used_at IS NULL AND expires_at > \(now.timeIntervalSince1970)
                """, logger: logger).collect().first?.decode(String.self)
        }
    }

    public func createSession(hash: Data, accountID: Int64, now: Date, expiresAt: Date) async throws {
        let token = ByteBuffer(bytes: hash)
        try await write { [logger] connection in
            try await connection.run("DELETE FROM session WHERE expires_at < \(now.timeIntervalSince1970)", logger: logger)
            try await connection.run("""
                INSERT INTO session (token_hash, account_id, created_at, expires_at)
                VALUES (\(token), \(accountID), \(now.timeIntervalSince1970), \(expiresAt.timeIntervalSince1970))
                """, logger: logger)
        }
    }

    public func sessionAccount(hash: Data, now: Date) async throws -> Account? {
        let token = ByteBuffer(bytes: hash)
        return try await account(where: """
            SELECT \(unescaped: Self.accountColumns) FROM session JOIN account ON account.id = session.account_id
            WHERE session.token_hash = \(token) AND session.expires_at > \(now.timeIntervalSince1970)
            """)
    }

    public func sessionStartedAt(hash: Data) async throws -> Date? {
        let token = ByteBuffer(bytes: hash)
        return try await read { [logger] connection in
            let seconds = try await connection.query("SELECT created_at FROM session WHERE token_hash = \(token)", logger: logger)
                .collect().first?.decode(Double.self)
            return seconds.map(Date.init(timeIntervalSince1970:))
        }
    }

    public func deleteSession(hash: Data) async throws {
        let token = ByteBuffer(bytes: hash)
        try await write { [logger] connection in
            try await connection.run("DELETE FROM session WHERE token_hash = \(token)", logger: logger)
        }
    }

    // MARK: Submissions and votes

    public func submit(_ record: PaperRecord, by username: String, day: Day, now: Date) async throws -> SubmissionOutcome {
        defer { writes.add(1, ordering: .releasing) }
        let id = record.paper.id
        return try await write { [logger] connection in
            let existing = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM paper WHERE id = \(id) FOR UPDATE", logger: logger
            ).collect().first.map { try Self.paper(from: $0) }
            if let existing, let onFeed = existing.dailyDay { return .alreadyOnFeed(existing, day: onFeed) }
            if existing == nil {
                try await connection.run(
                    Self.upsertQuery(for: record, hash: ContentHash.of(record), now: now.timeIntervalSince1970), logger: logger)
            }
            // `daily_day IS NULL`: a submission that got in first, between the check and here, stays.
            let added = try await connection.query("""
                UPDATE paper SET daily_day = \(day.daysSinceEpoch), submitted_on_daily_at = \(now.timeIntervalSince1970),
                    submitted_by = \(username), modified_at = \(now.timeIntervalSince1970)
                WHERE id = \(id) AND daily_day IS NULL
                RETURNING \(unescaped: Self.columns)
                """, logger: logger).collect().first.map { try Self.paper(from: $0) }
            if let added { return .added(added) }
            guard let stored = try await connection.query(
                "SELECT \(unescaped: Self.columns) FROM paper WHERE id = \(id)", logger: logger
            ).collect().first.map({ try Self.paper(from: $0) }), let onFeed = stored.dailyDay else {
                throw CommunityError.noSuchPaper(id)
            }
            return .alreadyOnFeed(stored, day: onFeed)
        }
    }

    /// Locks the paper's row for the rest of the transaction and returns its key. Every change to
    /// votes or comments takes this lock first, so each recount sees the rows committed before it.
    static func lockPaper(_ paperID: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        guard let key = try await connection.query("SELECT key FROM paper WHERE id = \(paperID) FOR UPDATE", logger: logger)
            .collect().first?.decode(Int64.self) else {
            throw CommunityError.noSuchPaper(paperID)
        }
        return key
    }

    public func setVote(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws -> VoteState {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            let key = try await Self.lockPaper(paperID, connection, logger)
            if on {
                try await connection.run("""
                    INSERT INTO vote (account_id, paper_key, created_at) VALUES (\(accountID), \(key), \(now.timeIntervalSince1970))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            } else {
                try await connection.run("DELETE FROM vote WHERE account_id = \(accountID) AND paper_key = \(key)", logger: logger)
            }
            // Recounted from the rows, never incremented: the total cannot drift from them.
            let upvotes = try await connection.query("""
                UPDATE paper SET upvotes = source_upvotes + (SELECT count(*) FROM vote WHERE paper_key = \(key))
                WHERE key = \(key) RETURNING upvotes
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
            return VoteState(upvoted: on, upvotes: upvotes)
        }
    }

    public func votedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        return try await read { [logger] connection in
            Set(try await connection.query("""
                SELECT paper.id FROM vote JOIN paper ON paper.key = vote.paper_key
                WHERE vote.account_id = \(accountID) AND paper.id = ANY(\(paperIDs))
                """, logger: logger).collect().map { try $0.decode(String.self) })
        }
    }

    public func voteRowCount(paperID: String) async throws -> Int {
        try await read { [logger] connection in
            try await connection.query(
                "SELECT count(*) FROM vote JOIN paper ON paper.key = vote.paper_key WHERE paper.id = \(paperID)", logger: logger
            ).collect().first?.decode(Int.self) ?? 0
        }
    }

    // MARK: Comments

    static let commentSelect = """
        SELECT comment.id, paper.id, account.username, comment.body, comment.created_at, comment.edited_at, comment.hidden, comment.deleted
        FROM comment JOIN paper ON paper.key = comment.paper_key JOIN account ON account.id = comment.account_id
        """

    static func comment(from row: PostgresRow) throws -> Comment {
        let (id, paperID, author, body, createdAt, editedAt, hidden, deleted) =
            try row.decode((Int64, String, String, String, Double, Double?, Bool, Bool).self)
        return Comment(
            id: id, paperID: paperID, author: author, body: body, createdAt: Date(timeIntervalSince1970: createdAt),
            editedAt: editedAt.map(Date.init(timeIntervalSince1970:)), hidden: hidden, deleted: deleted)
    }

    public func comments(paperID: String, includeHidden: Bool) async throws -> [Comment] {
        try await read { [logger] connection in
            try await connection.query("""
                \(unescaped: Self.commentSelect)
                WHERE paper.id = \(paperID) AND (\(includeHidden) OR NOT comment.hidden)
                ORDER BY comment.created_at, comment.id
                """, logger: logger).collect().map(Self.comment)
        }
    }

    public func comments(accountID: Int64, includeHidden: Bool, limit: Int) async throws -> [AccountComment] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT comment.id, paper.id, account.username, comment.body, comment.created_at, comment.edited_at, comment.hidden, comment.deleted, paper.title
                FROM comment JOIN paper ON paper.key = comment.paper_key JOIN account ON account.id = comment.account_id
                WHERE comment.account_id = \(accountID) AND NOT comment.deleted AND (\(includeHidden) OR (NOT comment.hidden AND NOT paper.hidden))
                ORDER BY comment.created_at DESC, comment.id DESC LIMIT \(limit)
                """, logger: logger).collect().map { row in
                    let (id, paperID, author, body, createdAt, editedAt, hidden, deleted, title) =
                        try row.decode((Int64, String, String, String, Double, Double?, Bool, Bool, String).self)
                    return AccountComment(
                        comment: Comment(
                            id: id, paperID: paperID, author: author, body: body, createdAt: Date(timeIntervalSince1970: createdAt),
                            editedAt: editedAt.map(Date.init(timeIntervalSince1970:)), hidden: hidden, deleted: deleted),
                        paperTitle: title)
                }
        }
    }

    public func comment(id: Int64) async throws -> Comment? {
        try await read { [logger] connection in
            try await connection.query("\(unescaped: Self.commentSelect) WHERE comment.id = \(id)", logger: logger)
                .collect().first.map(Self.comment)
        }
    }

    /// Visible comments plus what the source said; run inside every transaction that changes comments.
    static func recountComments(_ connection: PostgresConnection, paperKey: Int64, _ logger: Logger) async throws {
        try await connection.run("""
            UPDATE paper SET comment_count = source_comment_count
                + (SELECT count(*) FROM comment WHERE paper_key = \(paperKey) AND NOT hidden AND NOT deleted)
            WHERE key = \(paperKey)
            """, logger: logger)
    }

    /// The paper a comment belongs to, locked as `lockPaper` does; nil for an unknown comment.
    static func lockPaper(ofComment id: Int64, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64? {
        try await connection.query("""
            SELECT paper.key FROM paper JOIN comment ON comment.paper_key = paper.key WHERE comment.id = \(id) FOR UPDATE OF paper
            """, logger: logger).collect().first?.decode(Int64.self)
    }

    public func addComment(paperID: String, accountID: Int64, body: String, now: Date) async throws -> Comment {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            let key = try await Self.lockPaper(paperID, connection, logger)
            guard let id = try await connection.query("""
                INSERT INTO comment (paper_key, account_id, body, created_at) VALUES (\(key), \(accountID), \(body), \(now.timeIntervalSince1970))
                RETURNING id
                """, logger: logger).collect().first?.decode(Int64.self) else {
                throw CommunityError.noSuchPaper(paperID)
            }
            try await Self.recountComments(connection, paperKey: key, logger)
            guard let comment = try await connection.query("\(unescaped: Self.commentSelect) WHERE comment.id = \(id)", logger: logger)
                .collect().first.map(Self.comment) else {
                throw CommunityError.noSuchComment(id)
            }
            return comment
        }
    }

    public func editComment(id: Int64, accountID: Int64, body: String, now: Date) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            try await !connection.query("""
                UPDATE comment SET body = \(body), edited_at = \(now.timeIntervalSince1970)
                WHERE id = \(id) AND account_id = \(accountID) AND NOT deleted RETURNING id
                """, logger: logger).collect().isEmpty
        }
    }

    public func deleteComment(id: Int64, accountID: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            guard try await Self.lockPaper(ofComment: id, connection, logger) != nil else { return false }
            guard let key = try await connection.query("""
                UPDATE comment SET deleted = true, body = '' WHERE id = \(id) AND account_id = \(accountID) AND NOT deleted
                RETURNING paper_key
                """, logger: logger).collect().first?.decode(Int64.self) else { return false }
            try await Self.recountComments(connection, paperKey: key, logger)
            return true
        }
    }

    public func setCommentHidden(_ hidden: Bool, id: Int64) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            guard try await Self.lockPaper(ofComment: id, connection, logger) != nil,
                  let key = try await connection.query(
                    "UPDATE comment SET hidden = \(hidden) WHERE id = \(id) RETURNING paper_key", logger: logger
                  ).collect().first?.decode(Int64.self) else {
                throw CommunityError.noSuchComment(id)
            }
            try await Self.recountComments(connection, paperKey: key, logger)
        }
    }

    // MARK: Curation

    public func setFeatured(_ featured: Bool, paperID: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            if try await connection.query(
                "UPDATE paper SET featured = \(featured) WHERE id = \(paperID) RETURNING key", logger: logger
            ).collect().isEmpty {
                throw CommunityError.noSuchPaper(paperID)
            }
        }
    }

    public func setPaperHidden(_ hidden: Bool, paperID: String) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            if try await connection.query(
                "UPDATE paper SET hidden = \(hidden) WHERE id = \(paperID) RETURNING key", logger: logger
            ).collect().isEmpty {
                throw CommunityError.noSuchPaper(paperID)
            }
        }
    }

    public func curation(paperID: String) async throws -> (featured: Bool, hidden: Bool) {
        let state = try await read { [logger] connection in
            try await connection.query("SELECT featured, hidden FROM paper WHERE id = \(paperID)", logger: logger)
                .collect().first?.decode((Bool, Bool).self)
        }
        guard let state else { throw CommunityError.noSuchPaper(paperID) }
        return (state.0, state.1)
    }

    // MARK: Profiles and trending

    public func submissions(username: String, limit: Int) async throws -> [Paper] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT \(unescaped: Self.columns) FROM paper WHERE submitted_by = \(username) AND NOT hidden
                ORDER BY daily_day DESC NULLS LAST, submitted_on_daily_at DESC NULLS LAST LIMIT \(limit)
                """, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }

    public func upvotedPapers(username: String, limit: Int) async throws -> [Paper] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT \(unescaped: Self.qualifiedColumns) FROM vote JOIN account ON account.id = vote.account_id
                JOIN paper ON paper.key = vote.paper_key
                WHERE lower(account.username) = lower(\(username)) AND NOT paper.hidden
                ORDER BY vote.created_at DESC LIMIT \(limit)
                """, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }

    public func trendingPapers(since: Day, now: Date, offset: Int, limit: Int) async throws -> [Paper] {
        var sql = SQLBuilder()
        let text = """
            SELECT \(Self.columns) FROM paper
            WHERE daily_day >= \(sql.bind(since.daysSinceEpoch)) AND NOT hidden
            ORDER BY \(Self.trendingExpression(now: sql.bind(now.timeIntervalSince1970), gravity: sql.bind(Trending.gravity))) DESC, upvotes DESC, id
            LIMIT \(sql.bind(limit)) OFFSET \(sql.bind(offset))
            """
        let statement = sql.query(text)
        return try await read { [logger] connection in
            try await connection.query(statement, logger: logger).collect().map { try Self.paper(from: $0) }
        }
    }
}
