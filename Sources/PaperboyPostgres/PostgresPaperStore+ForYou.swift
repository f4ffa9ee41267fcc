import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    static func requirePaperKey(_ paperID: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Int64 {
        guard let key = try await connection.query("SELECT key FROM paper WHERE id = \(paperID)", logger: logger)
            .collect().first?.decode(Int64.self) else {
            throw CommunityError.noSuchPaper(paperID)
        }
        return key
    }

    public func savePaper(_ paperID: String, tags: [String], accountID: Int64, now: Date) async throws {
        let tags = try LibraryTags.clean(tags)
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            let key = try await Self.requirePaperKey(paperID, connection, logger)
            // The entry's row lock orders two saves of one paper: the later one's tags stay.
            try await connection.run("""
                INSERT INTO library_entry (account_id, paper_key, saved_at) VALUES (\(accountID), \(key), \(now.timeIntervalSince1970))
                ON CONFLICT (account_id, paper_key) DO UPDATE SET saved_at = excluded.saved_at
                """, logger: logger)
            try await connection.run("DELETE FROM library_tag WHERE account_id = \(accountID) AND paper_key = \(key)", logger: logger)
            if !tags.isEmpty {
                try await connection.run("""
                    INSERT INTO library_tag (account_id, paper_key, tag) SELECT \(accountID), \(key), unnest(\(tags)::text[])
                    """, logger: logger)
            }
        }
    }

    public func unsavePaper(_ paperID: String, accountID: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            try await !connection.query("""
                DELETE FROM library_entry WHERE account_id = \(accountID) AND paper_key = (SELECT key FROM paper WHERE id = \(paperID))
                RETURNING paper_key
                """, logger: logger).collect().isEmpty
        }
    }

    static func libraryEntries(_ connection: PostgresConnection, accountID: Int64, tag: String?, _ logger: Logger) async throws -> [LibraryEntry] {
        let query: PostgresQuery = """
            SELECT \(unescaped: Self.qualifiedColumns), library_entry.saved_at AS library_saved_at,
                ARRAY(SELECT t.tag FROM library_tag t WHERE t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key ORDER BY t.tag) AS library_tags
            FROM library_entry JOIN paper ON paper.key = library_entry.paper_key
            WHERE library_entry.account_id = \(accountID) AND NOT paper.hidden
                AND (\(tag)::text IS NULL OR EXISTS (SELECT 1 FROM library_tag t WHERE t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key AND t.tag = \(tag)::text))
            ORDER BY library_entry.saved_at DESC, paper.id
            """
        return try await connection.query(query, logger: logger).collect().map { row in
            let columns = row.makeRandomAccess()
            return LibraryEntry(
                paper: try Self.paper(from: row), tags: try columns["library_tags"].decode([String].self),
                savedAt: Date(timeIntervalSince1970: try columns["library_saved_at"].decode(Double.self)))
        }
    }

    public func library(accountID: Int64, tag: String?) async throws -> [LibraryEntry] {
        try await read { [logger] connection in try await Self.libraryEntries(connection, accountID: accountID, tag: tag, logger) }
    }

    public func libraryTags(accountID: Int64) async throws -> [LibraryTag] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT tag, count(*), EXISTS (SELECT 1 FROM public_tag p WHERE p.account_id = \(accountID) AND p.tag = library_tag.tag)
                FROM library_tag WHERE account_id = \(accountID) GROUP BY tag ORDER BY tag
                """, logger: logger).collect().map { row in
                let (name, count, isPublic) = try row.decode((String, Int, Bool).self)
                return LibraryTag(name: name, paperCount: count, isPublic: isPublic)
            }
        }
    }

    public func savedTags(accountID: Int64, among paperIDs: [String]) async throws -> [String: [String]] {
        guard !paperIDs.isEmpty else { return [:] }
        return try await read { [logger] connection in
            var result: [String: [String]] = [:]
            for row in try await connection.query("""
                SELECT paper.id, ARRAY(SELECT t.tag FROM library_tag t WHERE t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key ORDER BY t.tag)
                FROM library_entry JOIN paper ON paper.key = library_entry.paper_key
                WHERE library_entry.account_id = \(accountID) AND paper.id = ANY(\(paperIDs))
                """, logger: logger).collect() {
                let (id, tags) = try row.decode((String, [String]).self)
                result[id] = tags
            }
            return result
        }
    }

    public func setTagPublic(_ isPublic: Bool, tag: String, accountID: Int64) async throws {
        guard LibraryTags.isValid(tag) else { throw ForYouError.invalidTag(String(tag.prefix(LibraryTags.maximumLength))) }
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            if isPublic {
                try await connection.run(
                    "INSERT INTO public_tag (account_id, tag) VALUES (\(accountID), \(tag)) ON CONFLICT DO NOTHING", logger: logger)
            } else {
                try await connection.run("DELETE FROM public_tag WHERE account_id = \(accountID) AND tag = \(tag)", logger: logger)
            }
        }
    }

    public func publicCollection(username: String, tag: String) async throws -> [LibraryEntry]? {
        try await read { [logger] connection in
            guard let accountID = try await connection.query("""
                SELECT account.id FROM account JOIN public_tag ON public_tag.account_id = account.id
                WHERE lower(account.username) = lower(\(username)) AND public_tag.tag = \(tag)
                """, logger: logger).collect().first?.decode(Int64.self) else { return nil }
            return try await Self.libraryEntries(connection, accountID: accountID, tag: tag, logger)
        }
    }

    public func setNotInterested(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            let key = try await Self.requirePaperKey(paperID, connection, logger)
            if on {
                try await connection.run("""
                    INSERT INTO not_interested (account_id, paper_key, created_at) VALUES (\(accountID), \(key), \(now.timeIntervalSince1970))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            } else {
                try await connection.run("DELETE FROM not_interested WHERE account_id = \(accountID) AND paper_key = \(key)", logger: logger)
            }
        }
    }

    /// One query for the three marks, as on SQLite: one round trip instead of three for every
    /// signed-in page of papers.
    public func readerMarks(accountID: Int64, among paperIDs: [String]) async throws -> ReaderMarks {
        guard !paperIDs.isEmpty else { return ReaderMarks() }
        return try await read { [logger] connection in
            var marks = ReaderMarks()
            for row in try await connection.query("""
                SELECT paper.id,
                    EXISTS (SELECT 1 FROM vote WHERE vote.account_id = \(accountID) AND vote.paper_key = paper.key),
                    EXISTS (SELECT 1 FROM library_entry WHERE library_entry.account_id = \(accountID) AND library_entry.paper_key = paper.key),
                    ARRAY(SELECT t.tag FROM library_tag t WHERE t.account_id = \(accountID) AND t.paper_key = paper.key ORDER BY t.tag),
                    EXISTS (SELECT 1 FROM not_interested WHERE not_interested.account_id = \(accountID) AND not_interested.paper_key = paper.key)
                FROM paper WHERE paper.id = ANY(\(paperIDs))
                """, logger: logger).collect() {
                let (id, voted, saved, tags, dismissed) = try row.decode((String, Bool, Bool, [String], Bool).self)
                if voted { marks.voted.insert(id) }
                if saved { marks.savedTags[id] = tags }
                if dismissed { marks.notInterested.insert(id) }
            }
            return marks
        }
    }

    public func notInterestedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        return try await read { [logger] connection in
            Set(try await connection.query("""
                SELECT paper.id FROM not_interested JOIN paper ON paper.key = not_interested.paper_key
                WHERE not_interested.account_id = \(accountID) AND paper.id = ANY(\(paperIDs))
                """, logger: logger).collect().map { try $0.decode(String.self) })
        }
    }

    public func setFollow(_ on: Bool, _ follow: Follow, accountID: Int64, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            if on {
                try await connection.run("""
                    INSERT INTO follow (account_id, kind, value, created_at) VALUES (\(accountID), \(follow.kind.rawValue), \(follow.value), \(now.timeIntervalSince1970))
                    ON CONFLICT DO NOTHING
                    """, logger: logger)
            } else {
                try await connection.run(
                    "DELETE FROM follow WHERE account_id = \(accountID) AND kind = \(follow.kind.rawValue) AND value = \(follow.value)", logger: logger)
            }
        }
    }

    static func follows(_ connection: PostgresConnection, accountID: Int64, _ logger: Logger) async throws -> [Follow] {
        try await connection.query("SELECT kind, value FROM follow WHERE account_id = \(accountID) ORDER BY kind, value", logger: logger)
            .collect().compactMap { row in
                let (kind, value) = try row.decode((String, String).self)
                return Follow.Kind(rawValue: kind).map { Follow(kind: $0, value: value) }
            }
    }

    public func follows(accountID: Int64) async throws -> [Follow] {
        try await read { [logger] connection in try await Self.follows(connection, accountID: accountID, logger) }
    }

    public func setInterestParagraph(_ text: String?, accountID: Int64, now: Date) async throws {
        let text = try InterestParagraph.clean(text)
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            if let text {
                try await connection.run("""
                    INSERT INTO interest_paragraph (account_id, body, updated_at) VALUES (\(accountID), \(text), \(now.timeIntervalSince1970))
                    ON CONFLICT (account_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                    """, logger: logger)
            } else {
                try await connection.run("DELETE FROM interest_paragraph WHERE account_id = \(accountID)", logger: logger)
            }
        }
    }

    public func interestParagraph(accountID: Int64) async throws -> String? {
        try await read { [logger] connection in
            try await connection.query("SELECT body FROM interest_paragraph WHERE account_id = \(accountID)", logger: logger)
                .collect().first?.decode(String.self)
        }
    }

    public func readerSignals(accountID: Int64, tag: String?) async throws -> ReaderSignals {
        // One snapshot, so the keys and the fingerprint describe the same moment.
        try await write { [logger] connection in
            let liked: [Int64]
            let likedState: (Int, Double)
            if let tag {
                liked = try await connection.query(
                    "SELECT paper_key FROM library_tag WHERE account_id = \(accountID) AND tag = \(tag) ORDER BY paper_key", logger: logger
                ).collect().map { try $0.decode(Int64.self) }
                likedState = try await connection.query("""
                    SELECT count(*)::bigint, COALESCE(max(e.saved_at), 0) FROM library_tag t
                    JOIN library_entry e ON e.account_id = t.account_id AND e.paper_key = t.paper_key
                    WHERE t.account_id = \(accountID) AND t.tag = \(tag)
                    """, logger: logger).collect().first?.decode((Int, Double).self) ?? (0, 0)
            } else {
                liked = try await connection.query("""
                    SELECT paper_key FROM vote WHERE account_id = \(accountID) UNION SELECT paper_key FROM library_entry WHERE account_id = \(accountID)
                    ORDER BY 1
                    """, logger: logger).collect().map { try $0.decode(Int64.self) }
                likedState = try await connection.query("""
                    SELECT ((SELECT count(*) FROM vote WHERE account_id = \(accountID)) + (SELECT count(*) FROM library_entry WHERE account_id = \(accountID)))::bigint,
                        greatest(COALESCE((SELECT max(created_at) FROM vote WHERE account_id = \(accountID)), 0),
                                 COALESCE((SELECT max(saved_at) FROM library_entry WHERE account_id = \(accountID)), 0))
                    """, logger: logger).collect().first?.decode((Int, Double).self) ?? (0, 0)
            }
            let negatives = try await connection.query(
                "SELECT paper_key FROM not_interested WHERE account_id = \(accountID) ORDER BY paper_key", logger: logger
            ).collect().map { try $0.decode(Int64.self) }
            let negativeState = try await connection.query(
                "SELECT count(*)::bigint, COALESCE(max(created_at), 0) FROM not_interested WHERE account_id = \(accountID)", logger: logger
            ).collect().first?.decode((Int, Double).self) ?? (0, 0)
            let follows = try await Self.follows(connection, accountID: accountID, logger)
            let paragraph = try await connection.query(
                "SELECT body, updated_at FROM interest_paragraph WHERE account_id = \(accountID)", logger: logger
            ).collect().first?.decode((String, Double).self)
            let fingerprint = ReaderSignalFingerprint.make(
                liked: likedState, negatives: negativeState, follows: follows, paragraphUpdatedAt: paragraph?.1)
            return ReaderSignals(
                likedPaperKeys: liked.map { UInt32(truncatingIfNeeded: $0) }, negativePaperKeys: negatives.map { UInt32(truncatingIfNeeded: $0) },
                follows: follows, interestParagraph: paragraph?.0, fingerprint: fingerprint)
        }
    }

    public func accountsWithSignals() async throws -> [Int64] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT account_id FROM vote UNION SELECT account_id FROM library_entry UNION SELECT account_id FROM not_interested
                UNION SELECT account_id FROM follow UNION SELECT account_id FROM interest_paragraph ORDER BY 1
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
        }
    }

    public func createAPIToken(hash: Data, name: String, accountID: Int64, now: Date) async throws -> Int64 {
        let token = ByteBuffer(bytes: hash)
        return try await write { [logger] connection in
            guard let id = try await connection.query("""
                INSERT INTO api_token (account_id, token_hash, name, created_at) VALUES (\(accountID), \(token), \(name), \(now.timeIntervalSince1970))
                RETURNING id
                """, logger: logger).collect().first?.decode(Int64.self) else {
                throw CommunityError.noSuchAccount("\(accountID)")
            }
            return id
        }
    }

    public func apiTokenAccount(hash: Data) async throws -> Account? {
        let token = ByteBuffer(bytes: hash)
        return try await account(where: """
            SELECT \(unescaped: Self.accountColumns) FROM api_token JOIN account ON account.id = api_token.account_id
            WHERE api_token.token_hash = \(token)
            """)
    }

    public func apiTokens(accountID: Int64) async throws -> [PersonalAPIToken] {
        try await read { [logger] connection in
            try await connection.query("SELECT id, name, created_at FROM api_token WHERE account_id = \(accountID) ORDER BY id", logger: logger)
                .collect().map { row in
                    let (id, name, createdAt) = try row.decode((Int64, String, Double).self)
                    return PersonalAPIToken(id: id, name: name, createdAt: Date(timeIntervalSince1970: createdAt))
                }
        }
    }

    public func deleteAPIToken(id: Int64, accountID: Int64) async throws -> Bool {
        try await write { [logger] connection in
            try await !connection.query(
                "DELETE FROM api_token WHERE id = \(id) AND account_id = \(accountID) RETURNING id", logger: logger
            ).collect().isEmpty
        }
    }

    public func saveRecommendationModel(_ model: StoredRecommendationModel) async throws {
        let weights = ByteBuffer(bytes: model.weights)
        defer { writes.add(1, ordering: .releasing) }
        try await write { [logger] connection in
            try await connection.run("""
                INSERT INTO recommendation_model (account_id, tag, fingerprint, weights, trained_at)
                VALUES (\(model.accountID), \(model.tag), \(model.fingerprint), \(weights), \(model.trainedAt.timeIntervalSince1970))
                ON CONFLICT (account_id, tag) DO UPDATE SET fingerprint = excluded.fingerprint, weights = excluded.weights, trained_at = excluded.trained_at
                """, logger: logger)
        }
    }

    static func storedModel(_ row: PostgresRow) throws -> StoredRecommendationModel {
        let (accountID, tag, fingerprint, weights, trainedAt) = try row.decode((Int64, String, String, ByteBuffer, Double).self)
        return StoredRecommendationModel(
            accountID: accountID, tag: tag, fingerprint: fingerprint, weights: Data(weights.readableBytesView),
            trainedAt: Date(timeIntervalSince1970: trainedAt))
    }

    public func recommendationModel(accountID: Int64, tag: String) async throws -> StoredRecommendationModel? {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT account_id, tag, fingerprint, weights, trained_at FROM recommendation_model WHERE account_id = \(accountID) AND tag = \(tag)
                """, logger: logger).collect().first.map(Self.storedModel)
        }
    }

    public func readerRecommendationModels() async throws -> [StoredRecommendationModel] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT account_id, tag, fingerprint, weights, trained_at FROM recommendation_model WHERE tag = '' ORDER BY account_id
                """, logger: logger).collect().map(Self.storedModel)
        }
    }

    public func paperKeys(ids: [String]) async throws -> [String: UInt32] {
        guard !ids.isEmpty else { return [:] }
        return try await read { [logger] connection in
            var keys: [String: UInt32] = [:]
            for row in try await connection.query("SELECT id, key FROM paper WHERE id = ANY(\(ids))", logger: logger).collect() {
                let (id, key) = try row.decode((String, Int64).self)
                keys[id] = UInt32(truncatingIfNeeded: key)
            }
            return keys
        }
    }

    public func paperTexts(afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT key, title, abstract, modified_at FROM paper WHERE key > \(Int64(afterKey)) ORDER BY key LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (key, title, abstract, modifiedAt) = try row.decode((Int64, String, String, Double).self)
                return EmbeddingSource(key: UInt32(truncatingIfNeeded: key), title: title, abstract: abstract, modifiedAt: modifiedAt)
            }
        }
    }

    public func addTermCounts(_ counts: [String: Int], documents: Int, expectedCursor: UInt32, throughKey: UInt32) async throws -> Bool {
        // In the index's order, as in SQLite: neighbouring upserts share pages.
        let terms = counts.keys.sorted()
        let values = terms.map { counts[$0] ?? 0 }
        return try await write { [logger] connection in
            // The state row's lock makes a second instance wait, then find the cursor moved.
            let moved = try await connection.query("""
                UPDATE term_count_state SET documents = documents + \(documents), through_key = \(Int64(throughKey))
                WHERE id = 1 AND through_key = \(Int64(expectedCursor)) RETURNING id
                """, logger: logger).collect()
            guard !moved.isEmpty else { return false }
            if !terms.isEmpty {
                try await connection.run("""
                    INSERT INTO term_document_count (term, documents)
                    SELECT * FROM unnest(\(terms)::text[], \(values)::int8[])
                    ON CONFLICT (term) DO UPDATE SET documents = term_document_count.documents + excluded.documents
                    """, logger: logger)
            }
            return true
        }
    }

    public func termCountPosition() async throws -> (documents: Int, throughKey: UInt32) {
        try await read { [logger] connection in try await Self.termCountPosition(connection, logger) }
    }

    static func termCountPosition(_ connection: PostgresConnection, _ logger: Logger) async throws -> (documents: Int, throughKey: UInt32) {
        let state = try await connection.query("SELECT documents, through_key FROM term_count_state WHERE id = 1", logger: logger)
            .collect().first?.decode((Int, Int64).self) ?? (0, Int64(0))
        return (state.0, UInt32(truncatingIfNeeded: state.1))
    }

    public func termStatistics(minimumDocuments: Int) async throws -> TermStatistics {
        try await write { [logger] connection in
            let position = try await Self.termCountPosition(connection, logger)
            var counts: [String: Int] = [:]
            let rows = try await connection.query(
                "SELECT term, documents FROM term_document_count WHERE documents >= \(minimumDocuments)", logger: logger)
            for try await (term, documents) in rows.decode((String, Int).self) { counts[term] = documents }
            return TermStatistics(documents: position.documents, throughKey: position.throughKey, documentCounts: counts)
        }
    }

    public func deleteAccount(id: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await write { [logger] connection in
            // Lock the papers whose totals change, in key order (as every vote change does), first.
            let keys = try await connection.query("""
                SELECT key FROM paper WHERE key IN (SELECT paper_key FROM vote WHERE account_id = \(id)
                    UNION SELECT paper_key FROM comment WHERE account_id = \(id))
                ORDER BY key FOR UPDATE
                """, logger: logger).collect().map { try $0.decode(Int64.self) }
            let deleted = try await connection.query("DELETE FROM account WHERE id = \(id) RETURNING id", logger: logger).collect()
            guard !deleted.isEmpty else { return false }
            for key in keys {
                try await connection.run("""
                    UPDATE paper SET upvotes = source_upvotes + (SELECT count(*) FROM vote WHERE paper_key = \(key)) WHERE key = \(key)
                    """, logger: logger)
                try await Self.recountComments(connection, paperKey: key, logger)
            }
            return true
        }
    }
}
