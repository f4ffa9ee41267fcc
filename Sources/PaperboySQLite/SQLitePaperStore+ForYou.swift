import Foundation
import GRDB
import PaperboyCore
import PaperboyStore

extension SQLitePaperStore {
    static func requirePaperKey(_ db: Database, _ paperID: String) throws -> Int64 {
        guard let key = try Int64.fetchOne(db, sql: "SELECT key FROM paper WHERE id = ?", arguments: [paperID]) else {
            throw CommunityError.noSuchPaper(paperID)
        }
        return key
    }

    public func savePaper(_ paperID: String, tags: [String], accountID: Int64, now: Date) async throws {
        let tags = try LibraryTags.clean(tags)
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            let key = try Self.requirePaperKey(db, paperID)
            try db.execute(sql: """
                INSERT INTO library_entry (account_id, paper_key, saved_at) VALUES (?, ?, ?)
                ON CONFLICT (account_id, paper_key) DO UPDATE SET saved_at = excluded.saved_at
                """, arguments: [accountID, key, now.timeIntervalSince1970])
            try db.execute(sql: "DELETE FROM library_tag WHERE account_id = ? AND paper_key = ?", arguments: [accountID, key])
            for tag in tags {
                try db.execute(sql: "INSERT INTO library_tag (account_id, paper_key, tag) VALUES (?, ?, ?)", arguments: [accountID, key, tag])
            }
        }
    }

    public func unsavePaper(_ paperID: String, accountID: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            try db.execute(sql: """
                DELETE FROM library_entry WHERE account_id = ? AND paper_key = (SELECT key FROM paper WHERE id = ?)
                """, arguments: [accountID, paperID])
            return db.changesCount > 0
        }
    }

    static func libraryEntries(_ db: Database, accountID: Int64, tag: String?) throws -> [LibraryEntry] {
        let tagCondition = tag == nil ? "" : "AND EXISTS (SELECT 1 FROM library_tag t WHERE t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key AND t.tag = ?)"
        var arguments: StatementArguments = [accountID]
        if let tag { _ = arguments.append(contentsOf: [tag]) }
        let rows = try Row.fetchCursor(db, sql: """
            SELECT \(qualifiedColumns), library_entry.saved_at AS library_saved_at,
                (SELECT group_concat(tag, ',') FROM (SELECT tag FROM library_tag t WHERE t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key ORDER BY tag)) AS library_tags
            FROM library_entry JOIN paper ON paper.key = library_entry.paper_key
            WHERE library_entry.account_id = ? \(tagCondition) AND paper.hidden = 0
            ORDER BY library_entry.saved_at DESC, paper.id
            """, arguments: arguments)
        return try Array(rows.map { row in
            let tags: String? = row["library_tags"]
            return LibraryEntry(
                paper: paper(from: row), tags: tags.map { $0.split(separator: ",").map(String.init) } ?? [],
                savedAt: Date(timeIntervalSince1970: row["library_saved_at"]))
        })
    }

    public func library(accountID: Int64, tag: String?) async throws -> [LibraryEntry] {
        try await reading { db in try Self.libraryEntries(db, accountID: accountID, tag: tag) }
    }

    public func libraryTags(accountID: Int64) async throws -> [LibraryTag] {
        try await reading { db in
            try Row.fetchAll(db, sql: """
                SELECT tag, count(*), EXISTS (SELECT 1 FROM public_tag p WHERE p.account_id = library_tag.account_id AND p.tag = library_tag.tag)
                FROM library_tag WHERE account_id = ? GROUP BY tag ORDER BY tag
                """, arguments: [accountID]).map { LibraryTag(name: $0[0], paperCount: $0[1], isPublic: $0[2]) }
        }
    }

    public func savedTags(accountID: Int64, among paperIDs: [String]) async throws -> [String: [String]] {
        guard !paperIDs.isEmpty else { return [:] }
        return try await reading(singleStatement: paperIDs.count <= CachedSQL.listChunk) { db in
            var result: [String: [String]] = [:]
            for chunk in CachedSQL.chunks(paperIDs) {
                let list = CachedSQL.inList(chunk)
                let rows = try Row.fetchAll(db.cachedStatement(sql: """
                    SELECT paper.id, t.tag FROM library_entry JOIN paper ON paper.key = library_entry.paper_key
                    LEFT JOIN library_tag t ON t.account_id = library_entry.account_id AND t.paper_key = library_entry.paper_key
                    WHERE library_entry.account_id = ? AND paper.id IN (\(list.marks))
                    ORDER BY paper.id, t.tag
                    """), arguments: StatementArguments([accountID] as [any DatabaseValueConvertible] + list.values))
                for row in rows {
                    let id: String = row[0]
                    let tag: String? = row[1]
                    result[id, default: []].append(contentsOf: tag.map { [$0] } ?? [])
                }
            }
            return result
        }
    }

    public func setTagPublic(_ isPublic: Bool, tag: String, accountID: Int64) async throws {
        guard LibraryTags.isValid(tag) else { throw ForYouError.invalidTag(String(tag.prefix(LibraryTags.maximumLength))) }
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            if isPublic {
                try db.execute(sql: "INSERT INTO public_tag (account_id, tag) VALUES (?, ?) ON CONFLICT DO NOTHING", arguments: [accountID, tag])
            } else {
                try db.execute(sql: "DELETE FROM public_tag WHERE account_id = ? AND tag = ?", arguments: [accountID, tag])
            }
        }
    }

    public func publicCollection(username: String, tag: String) async throws -> [LibraryEntry]? {
        try await reading { db in
            guard let accountID = try Int64.fetchOne(db, sql: """
                SELECT account.id FROM account JOIN public_tag ON public_tag.account_id = account.id
                WHERE account.username = ? AND public_tag.tag = ?
                """, arguments: [username, tag]) else { return nil }
            return try Self.libraryEntries(db, accountID: accountID, tag: tag)
        }
    }

    public func setNotInterested(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            let key = try Self.requirePaperKey(db, paperID)
            if on {
                try db.execute(sql: """
                    INSERT INTO not_interested (account_id, paper_key, created_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING
                    """, arguments: [accountID, key, now.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM not_interested WHERE account_id = ? AND paper_key = ?", arguments: [accountID, key])
            }
        }
    }

    /// One statement for the three marks: on the signed-in daily page the three reads
    /// (`votedPaperIDs`, `savedTags`, `notInterestedPaperIDs`) were 18% of the CPU, mostly each
    /// read's own cost and its `IN` list's temporary index (perf, issue 17). Here the page's ids
    /// are listed once and each mark is a primary-key look-up. Tags are ASCII letters, digits,
    /// `-` and `_` (`LibraryTags`), so U+001F cannot occur in one.
    public func readerMarks(accountID: Int64, among paperIDs: [String]) async throws -> ReaderMarks {
        guard !paperIDs.isEmpty else { return ReaderMarks() }
        return try await reading(singleStatement: paperIDs.count <= CachedSQL.listChunk) { db in
            var marks = ReaderMarks()
            for chunk in CachedSQL.chunks(paperIDs) {
                let list = CachedSQL.inList(chunk)
                let rows = try Row.fetchCursor(db.cachedStatement(sql: """
                    SELECT paper.id,
                        EXISTS (SELECT 1 FROM vote WHERE vote.account_id = ?1 AND vote.paper_key = paper.key),
                        EXISTS (SELECT 1 FROM library_entry WHERE library_entry.account_id = ?1 AND library_entry.paper_key = paper.key),
                        (SELECT group_concat(tag, char(31)) FROM library_tag WHERE library_tag.account_id = ?1 AND library_tag.paper_key = paper.key),
                        EXISTS (SELECT 1 FROM not_interested WHERE not_interested.account_id = ?1 AND not_interested.paper_key = paper.key)
                    FROM paper WHERE paper.id IN (\(list.marks))
                    """), arguments: StatementArguments([accountID] as [any DatabaseValueConvertible] + list.values))
                while let row = try rows.next() {
                    let id: String = row[0]
                    if row[1] as Bool { marks.voted.insert(id) }
                    if row[2] as Bool {
                        let tags: String? = row[3]
                        marks.savedTags[id] = tags.map { $0.split(separator: "\u{1F}").map(String.init).sorted() } ?? []
                    }
                    if row[4] as Bool { marks.notInterested.insert(id) }
                }
            }
            return marks
        }
    }

    public func notInterestedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String> {
        guard !paperIDs.isEmpty else { return [] }
        return try await reading(singleStatement: paperIDs.count <= CachedSQL.listChunk) { db in
            var ids = Set<String>()
            for chunk in CachedSQL.chunks(paperIDs) {
                let list = CachedSQL.inList(chunk)
                ids.formUnion(try String.fetchAll(db.cachedStatement(sql: """
                    SELECT paper.id FROM not_interested JOIN paper ON paper.key = not_interested.paper_key
                    WHERE not_interested.account_id = ? AND paper.id IN (\(list.marks))
                    """), arguments: StatementArguments([accountID] as [any DatabaseValueConvertible] + list.values)))
            }
            return ids
        }
    }

    public func setFollow(_ on: Bool, _ follow: Follow, accountID: Int64, now: Date) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            if on {
                try db.execute(sql: """
                    INSERT INTO follow (account_id, kind, value, created_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING
                    """, arguments: [accountID, follow.kind.rawValue, follow.value, now.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM follow WHERE account_id = ? AND kind = ? AND value = ?", arguments: [accountID, follow.kind.rawValue, follow.value])
            }
        }
    }

    public func follows(accountID: Int64) async throws -> [Follow] {
        try await reading { db in
            try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, value FROM follow WHERE account_id = ? ORDER BY kind, value"), arguments: [accountID])
                .compactMap { row in Follow.Kind(rawValue: row[0]).map { Follow(kind: $0, value: row[1]) } }
        }
    }

    public func setInterestParagraph(_ text: String?, accountID: Int64, now: Date) async throws {
        let text = try InterestParagraph.clean(text)
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            if let text {
                try db.execute(sql: """
                    INSERT INTO interest_paragraph (account_id, body, updated_at) VALUES (?, ?, ?)
                    ON CONFLICT (account_id) DO UPDATE SET body = excluded.body, updated_at = excluded.updated_at
                    """, arguments: [accountID, text, now.timeIntervalSince1970])
            } else {
                try db.execute(sql: "DELETE FROM interest_paragraph WHERE account_id = ?", arguments: [accountID])
            }
        }
    }

    public func interestParagraph(accountID: Int64) async throws -> String? {
        try await reading { db in
            try String.fetchOne(db, sql: "SELECT body FROM interest_paragraph WHERE account_id = ?", arguments: [accountID])
        }
    }

    public func readerSignals(accountID: Int64, tag: String?) async throws -> ReaderSignals {
        try await reading { db in
            let liked: [Int64]
            let likedState: Row?
            if let tag {
                liked = try Int64.fetchAll(db, sql: """
                    SELECT paper_key FROM library_tag WHERE account_id = ? AND tag = ? ORDER BY paper_key
                    """, arguments: [accountID, tag])
                likedState = try Row.fetchOne(db, sql: """
                    SELECT count(*), COALESCE(max(e.saved_at), 0) FROM library_tag t
                    JOIN library_entry e ON e.account_id = t.account_id AND e.paper_key = t.paper_key
                    WHERE t.account_id = ? AND t.tag = ?
                    """, arguments: [accountID, tag])
            } else {
                liked = try Int64.fetchAll(db, sql: """
                    SELECT paper_key FROM vote WHERE account_id = ? UNION SELECT paper_key FROM library_entry WHERE account_id = ?
                    ORDER BY 1
                    """, arguments: [accountID, accountID])
                likedState = try Row.fetchOne(db, sql: """
                    SELECT (SELECT count(*) FROM vote WHERE account_id = ?1) + (SELECT count(*) FROM library_entry WHERE account_id = ?1),
                        max(COALESCE((SELECT max(created_at) FROM vote WHERE account_id = ?1), 0),
                            COALESCE((SELECT max(saved_at) FROM library_entry WHERE account_id = ?1), 0))
                    """, arguments: [accountID])
            }
            let negatives = try Int64.fetchAll(db, sql: "SELECT paper_key FROM not_interested WHERE account_id = ? ORDER BY paper_key", arguments: [accountID])
            let negativeState = try Row.fetchOne(db, sql: "SELECT count(*), COALESCE(max(created_at), 0) FROM not_interested WHERE account_id = ?", arguments: [accountID])
            let follows = try Row.fetchAll(db.cachedStatement(sql: "SELECT kind, value FROM follow WHERE account_id = ? ORDER BY kind, value"), arguments: [accountID])
                .compactMap { row in Follow.Kind(rawValue: row[0]).map { Follow(kind: $0, value: row[1]) } }
            let paragraph = try Row.fetchOne(db, sql: "SELECT body, updated_at FROM interest_paragraph WHERE account_id = ?", arguments: [accountID])
            let fingerprint = ReaderSignalFingerprint.make(
                liked: (likedState?[0] ?? 0, likedState?[1] ?? 0), negatives: (negativeState?[0] ?? 0, negativeState?[1] ?? 0),
                follows: follows, paragraphUpdatedAt: paragraph?[1])
            return ReaderSignals(
                likedPaperKeys: liked.map { UInt32(truncatingIfNeeded: $0) }, negativePaperKeys: negatives.map { UInt32(truncatingIfNeeded: $0) },
                follows: follows, interestParagraph: paragraph?[0], fingerprint: fingerprint)
        }
    }

    public func accountsWithSignals() async throws -> [Int64] {
        try await readingAside { db in
            try Int64.fetchAll(db, sql: """
                SELECT account_id FROM vote UNION SELECT account_id FROM library_entry UNION SELECT account_id FROM not_interested
                UNION SELECT account_id FROM follow UNION SELECT account_id FROM interest_paragraph ORDER BY 1
                """)
        }
    }

    public func createAPIToken(hash: Data, name: String, accountID: Int64, now: Date) async throws -> Int64 {
        try await writing { db in
            try db.execute(sql: "INSERT INTO api_token (account_id, token_hash, name, created_at) VALUES (?, ?, ?, ?)",
                           arguments: [accountID, hash, name, now.timeIntervalSince1970])
            return db.lastInsertedRowID
        }
    }

    public func apiTokenAccount(hash: Data) async throws -> Account? {
        try await reading { db in
            try Row.fetchOne(db, sql: """
                SELECT account.id, username, email, role, password_hash, account.created_at
                FROM api_token JOIN account ON account.id = api_token.account_id WHERE api_token.token_hash = ?
                """, arguments: [hash]).map(Self.account)
        }
    }

    public func apiTokens(accountID: Int64) async throws -> [PersonalAPIToken] {
        try await reading { db in
            try Row.fetchAll(db, sql: "SELECT id, name, created_at FROM api_token WHERE account_id = ? ORDER BY id", arguments: [accountID])
                .map { PersonalAPIToken(id: $0[0], name: $0[1], createdAt: Date(timeIntervalSince1970: $0[2])) }
        }
    }

    public func deleteAPIToken(id: Int64, accountID: Int64) async throws -> Bool {
        try await writing { db in
            try db.execute(sql: "DELETE FROM api_token WHERE id = ? AND account_id = ?", arguments: [id, accountID])
            return db.changesCount > 0
        }
    }

    public func saveRecommendationModel(_ model: StoredRecommendationModel) async throws {
        defer { writes.add(1, ordering: .releasing) }
        try await writing { db in
            try db.execute(sql: """
                INSERT INTO recommendation_model (account_id, tag, fingerprint, weights, trained_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT (account_id, tag) DO UPDATE SET fingerprint = excluded.fingerprint, weights = excluded.weights, trained_at = excluded.trained_at
                """, arguments: [model.accountID, model.tag, model.fingerprint, model.weights, model.trainedAt.timeIntervalSince1970])
        }
    }

    static func storedModel(_ row: Row) -> StoredRecommendationModel {
        StoredRecommendationModel(accountID: row[0], tag: row[1], fingerprint: row[2], weights: row[3], trainedAt: Date(timeIntervalSince1970: row[4]))
    }

    public func recommendationModel(accountID: Int64, tag: String) async throws -> StoredRecommendationModel? {
        try await reading { db in
            try Row.fetchOne(db, sql: """
                SELECT account_id, tag, fingerprint, weights, trained_at FROM recommendation_model WHERE account_id = ? AND tag = ?
                """, arguments: [accountID, tag]).map(Self.storedModel)
        }
    }

    public func readerRecommendationModels() async throws -> [StoredRecommendationModel] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: """
                SELECT account_id, tag, fingerprint, weights, trained_at FROM recommendation_model WHERE tag = '' ORDER BY account_id
                """).map(Self.storedModel)
        }
    }

    public func paperKeys(ids: [String]) async throws -> [String: UInt32] {
        guard !ids.isEmpty else { return [:] }
        return try await reading { db in
            var keys: [String: UInt32] = [:]
            for start in stride(from: 0, to: ids.count, by: 500) {
                let chunk = Array(ids[start..<min(start + 500, ids.count)])
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                for row in try Row.fetchAll(db, sql: "SELECT id, key FROM paper WHERE id IN (\(marks))", arguments: CachedSQL.arguments(chunk)) {
                    keys[row[0]] = UInt32(truncatingIfNeeded: row[1] as Int64)
                }
            }
            return keys
        }
    }

    public func paperTexts(afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: "SELECT key, title, abstract, modified_at FROM paper WHERE key > ? ORDER BY key LIMIT ?",
                             arguments: [Int64(afterKey), limit])
                .map { EmbeddingSource(key: UInt32(truncatingIfNeeded: $0[0] as Int64), title: $0[1], abstract: $0[2], modifiedAt: $0[3]) }
        }
    }

    public func addTermCounts(_ counts: [String: Int], documents: Int, expectedCursor: UInt32, throughKey: UInt32) async throws -> Bool {
        try await writing { db in
            try db.execute(sql: """
                UPDATE term_count_state SET documents = documents + ?, through_key = ? WHERE id = 1 AND through_key = ?
                """, arguments: [documents, Int64(throughKey), Int64(expectedCursor)])
            guard db.changesCount == 1 else { return false }
            let statement = try db.cachedStatement(sql: """
                INSERT INTO term_document_count (term, documents) VALUES (?, ?)
                ON CONFLICT (term) DO UPDATE SET documents = documents + excluded.documents
                """)
            // In the index's order, so consecutive upserts land on the same pages: in hash order a
            // batch touched pages all over a table of tens of millions of terms, and the count at
            // a million papers spent most of its time in pread and pwrite (issue 15). The larger
            // cache is the writer connection's, as for bulk imports.
            if counts.count > 10_000 { try db.execute(sql: "PRAGMA cache_size = -131072") }
            for term in counts.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
                try statement.execute(arguments: [term, counts[term] ?? 0])
            }
            return true
        }
    }

    public func termCountPosition() async throws -> (documents: Int, throughKey: UInt32) {
        try await reading { db in try Self.termCountPosition(db) }
    }

    static func termCountPosition(_ db: Database) throws -> (documents: Int, throughKey: UInt32) {
        let state = try Row.fetchOne(db, sql: "SELECT documents, through_key FROM term_count_state WHERE id = 1")
        return (state?[0] ?? 0, UInt32(truncatingIfNeeded: (state?[1] ?? 0) as Int64))
    }

    public func termStatistics(minimumDocuments: Int) async throws -> TermStatistics {
        try await readingAside { db in
            let position = try Self.termCountPosition(db)
            var counts: [String: Int] = [:]
            let rows = try Row.fetchCursor(db, sql: "SELECT term, documents FROM term_document_count WHERE documents >= ?", arguments: [minimumDocuments])
            while let row = try rows.next() { counts[row[0]] = row[1] }
            return TermStatistics(documents: position.documents, throughKey: position.throughKey, documentCounts: counts)
        }
    }

    public func deleteAccount(id: Int64) async throws -> Bool {
        defer { writes.add(1, ordering: .releasing) }
        return try await writing { db in
            let voted = try Int64.fetchAll(db, sql: "SELECT paper_key FROM vote WHERE account_id = ?", arguments: [id])
            let commented = try Int64.fetchAll(db, sql: "SELECT DISTINCT paper_key FROM comment WHERE account_id = ?", arguments: [id])
            try db.execute(sql: "DELETE FROM account WHERE id = ?", arguments: [id])
            guard db.changesCount > 0 else { return false }
            // The cascade removed the votes and comments; the totals are recounted from the rows left.
            for key in voted {
                try db.execute(sql: """
                    UPDATE paper SET upvotes = source_upvotes + (SELECT count(*) FROM vote WHERE paper_key = ?) WHERE key = ?
                    """, arguments: [key, key])
            }
            for key in commented { try Self.recountComments(db, paperKey: key) }
            return true
        }
    }
}
