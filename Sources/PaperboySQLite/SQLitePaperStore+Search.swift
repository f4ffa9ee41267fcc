import Foundation
import PaperboyStore
import GRDB
import PaperboyCore

extension SQLitePaperStore {
    /// Column weights for bm25(): title, abstract, authors.
    static let searchWeights = "10.0, 1.0, 3.0"

    /// See `KeywordPlan.exactPostingBudget`.
    public static let exactPostingBudget = KeywordPlan.exactPostingBudget

    /// BM25 over title, abstract and authors. Free words are alternatives (OR), so a long
    /// natural-language query still finds papers that use most of its words.
    ///
    /// Each word's list is first counted up to the budget, newest papers first (a bounded scan,
    /// well under a millisecond). Queries whose words occur in more than `exactPostingBudget`
    /// papers in total are then planned as `KeywordPlan` says. The semantic half of hybrid search
    /// still covers every paper.
    public func keywordSearch(_ query: SearchQuery, prefixTerms: [String], limit: Int) async throws -> [KeywordHit] {
        let filters = Self.filterConditions(query)
        let budget = postingBudget
        return try await database.read { db in
            var distinct = Set<String>()
            let words = query.words.filter { !Stopwords.contains($0) && distinct.insert($0).inserted }
            let required = FullTextExpression.required(query)
            let excluded = FullTextExpression.excluded(query)
            guard !words.isEmpty || !prefixTerms.isEmpty || required != nil else {
                return try Self.filterOnly(db, filters: filters, limit: limit)
            }
            let expressions = words.map(FullTextExpression.quoted) + prefixTerms.map { FullTextExpression.quoted($0) + " *" }
            let terms = try expressions.map { try Self.newestPostings($0, db, cap: budget) }
            let plan = KeywordPlan(terms: terms, budget: budget)
            if plan.isExact {
                let match = FullTextExpression.combine(required: required, optional: expressions, excluded: excluded)
                return try Self.ranked(db, match: match, filters: filters, fromKey: nil, limit: limit)
            }
            var hits: [KeywordHit] = []
            if let every = plan.every {
                let all = FullTextExpression.combine(
                    required: ([required].compactMap { $0 } + every.terms.map(\.expression)).joined(separator: " AND "),
                    optional: [], excluded: excluded)
                hits = try Self.ranked(db, match: all, filters: filters, fromKey: every.fromKey, limit: limit)
                if hits.count >= limit { return hits }
            }
            guard let some = plan.some else { return hits }
            let match = FullTextExpression.combine(required: required, optional: some.terms.map(\.expression), excluded: excluded)
            let more = try Self.ranked(db, match: match, filters: filters, fromKey: some.fromKey, limit: limit)
            return KeywordPlan.merged(hits, more, limit: limit)
        }
    }

    static func newestPostings(_ expression: String, _ db: Database, cap: Int) throws -> PostingCount {
        let row = try Row.fetchOne(db, sql: """
            SELECT count(*), min(rowid) FROM (
                SELECT rowid FROM paper_search WHERE paper_search MATCH ? ORDER BY rowid DESC LIMIT ?
            )
            """, arguments: [expression, cap + 1])
        let documents: Int = row?[0] ?? 0
        let oldest: Int64? = row?[1]
        return PostingCount(expression: expression, documents: documents, fromKey: documents > cap ? oldest.map { $0 + 1 } : nil)
    }

    static func filterConditions(_ query: SearchQuery) -> (sql: [String], arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for category in query.categories {
            // Categories are stored separated by U+001F; match whole entries only.
            conditions.append("instr(char(31) || lower(paper.categories) || char(31), char(31) || ? || char(31)) > 0")
            _ = arguments.append(contentsOf: [category.lowercased()])
        }
        if let from = query.publishedFrom {
            conditions.append("paper.published_at >= ?")
            _ = arguments.append(contentsOf: [from.start.timeIntervalSince1970])
        }
        if let to = query.publishedTo {
            conditions.append("paper.published_at < ?")
            _ = arguments.append(contentsOf: [to.adding(days: 1).start.timeIntervalSince1970])
        }
        return (conditions, arguments)
    }

    /// Filters alone: newest first, with a rank that keeps that order.
    static func filterOnly(_ db: Database, filters: (sql: [String], arguments: StatementArguments), limit: Int) throws -> [KeywordHit] {
        var arguments = filters.arguments
        _ = arguments.append(contentsOf: [limit])
        return try Row.fetchAll(db, sql: """
            SELECT paper.key, paper.id, -COALESCE(paper.published_at, 0) AS rank FROM paper
            \(filters.sql.isEmpty ? "" : "WHERE " + filters.sql.joined(separator: " AND "))
            ORDER BY paper.published_at DESC, paper.key LIMIT ?
            """, arguments: arguments).map { KeywordHit(key: UInt32($0[0] as Int64), id: $0[1], rank: $0[2]) }
    }

    /// The `limit` best matches of `match` by BM25, optionally only among papers with keys
    /// from `fromKey` on (keys grow with every insert, so these are the newest).
    static func ranked(
        _ db: Database, match: String, filters: (sql: [String], arguments: StatementArguments), fromKey: Int64?, limit: Int
    ) throws -> [KeywordHit] {
        var conditions = ["paper_search MATCH ?"]
        var arguments: StatementArguments = [match]
        if let fromKey {
            conditions.append("paper_search.rowid >= ?")
            _ = arguments.append(contentsOf: [fromKey])
        }
        let sql: String
        if filters.sql.isEmpty {
            // Rank inside the index alone; only the winners' rows are read from the paper table.
            sql = """
                SELECT paper.key, paper.id, best.rank FROM (
                    SELECT rowid, bm25(paper_search, \(searchWeights)) AS rank FROM paper_search
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY rank LIMIT ?
                ) AS best JOIN paper ON paper.key = best.rowid ORDER BY best.rank
                """
            _ = arguments.append(contentsOf: [limit])
        } else {
            sql = """
                SELECT paper.key, paper.id, bm25(paper_search, \(searchWeights)) AS rank
                FROM paper_search JOIN paper ON paper.key = paper_search.rowid
                WHERE \((conditions + filters.sql).joined(separator: " AND "))
                ORDER BY rank LIMIT ?
                """
            _ = arguments.append(contentsOf: filters.arguments)
            _ = arguments.append(contentsOf: [limit])
        }
        return try Row.fetchAll(db, sql: sql, arguments: arguments).map { row in
            KeywordHit(key: UInt32(row[0] as Int64), id: row[1], rank: row[2])
        }
    }

    public func containsWord(_ word: String) async throws -> Bool {
        let expression = FullTextExpression.quoted(word)
        return try await database.read { db in
            try Bool.fetchOne(db, sql: "SELECT 1 FROM paper_search WHERE paper_search MATCH ? LIMIT 1", arguments: [expression]) ?? false
        }
    }

    public func indexedTerms(startingWith prefix: String, limit: Int) async throws -> [IndexedTerm] {
        // fts5vocab answers range constraints on `term` from the index itself.
        let upper = prefix + "\u{10FFFF}"
        return try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT term, doc FROM paper_search_terms WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT ?
                """, arguments: [prefix, upper, limit])
                .map { IndexedTerm(term: $0[0], documents: $0[1]) }
        }
    }

    public func papers(keys: [UInt32]) async throws -> [UInt32: Paper] {
        guard !keys.isEmpty else { return [:] }
        return try await database.read { db in
            var result: [UInt32: Paper] = [:]
            // Chunks keep the statement under SQLite's bound-parameter limit.
            for chunk in stride(from: 0, to: keys.count, by: 500).map({ Array(keys[$0..<min($0 + 500, keys.count)]) }) {
                let placeholders = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let rows = try Row.fetchAll(
                    db, sql: "SELECT key, \(Self.columns) FROM paper WHERE key IN (\(placeholders)) AND hidden = 0",
                    arguments: StatementArguments(chunk.map { Int64($0) }))
                for row in rows {
                    result[UInt32(row[0] as Int64)] = Self.paper(from: row)
                }
            }
            return result
        }
    }

    public func paperKey(id: String) async throws -> UInt32? {
        try await database.read { db in
            try Int64.fetchOne(db, sql: "SELECT key FROM paper WHERE id = ?", arguments: [id]).map { UInt32($0) }
        }
    }

    public func papersNeedingEmbeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT paper.key, paper.title, paper.abstract, paper.modified_at FROM paper
                LEFT JOIN paper_embedding ON paper_embedding.paper_key = paper.key AND paper_embedding.model = ?
                WHERE paper.key > ? AND (paper_embedding.paper_key IS NULL OR paper_embedding.source_modified_at < paper.modified_at)
                ORDER BY paper.key LIMIT ?
                """, arguments: [model, Int64(afterKey), limit])
                .map { EmbeddingSource(key: UInt32($0[0] as Int64), title: $0[1], abstract: $0[2], modifiedAt: $0[3]) }
        }
    }

    public func saveEmbeddings(_ embeddings: [StoredEmbedding], model: String) async throws {
        guard !embeddings.isEmpty else { return }
        // Similar-paper lists on cached pages depend on embeddings too.
        defer { writes.add(1, ordering: .releasing) }
        try await database.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT INTO paper_embedding (paper_key, model, source_modified_at, vector, saved_at) VALUES (?, ?, ?, ?, ?)
                ON CONFLICT(paper_key) DO UPDATE SET model = excluded.model,
                    source_modified_at = excluded.source_modified_at, vector = excluded.vector, saved_at = excluded.saved_at
                """)
            let now = Date().timeIntervalSince1970
            for embedding in embeddings {
                try statement.execute(arguments: [Int64(embedding.key), model, embedding.sourceModifiedAt, VectorBlob.encode(embedding.vector), now])
            }
        }
    }

    public func embeddingsSaved(model: String, after cursor: EmbeddingCursor, limit: Int) async throws -> [SavedEmbedding] {
        try await database.read { db in
            // Two index seeks rather than one OR: embeddings saved before v6 all share saved_at 0,
            // and an OR made each page of a million-row start-up load scan that run from its start.
            var rows = try Row.fetchAll(db, sql: """
                SELECT paper_key, vector, source_modified_at, saved_at FROM paper_embedding
                WHERE model = ? AND saved_at = ? AND paper_key > ? ORDER BY paper_key LIMIT ?
                """, arguments: [model, cursor.savedAt, Int64(cursor.key), limit])
            if rows.count < limit {
                rows += try Row.fetchAll(db, sql: """
                    SELECT paper_key, vector, source_modified_at, saved_at FROM paper_embedding
                    WHERE model = ? AND saved_at > ? ORDER BY saved_at, paper_key LIMIT ?
                    """, arguments: [model, cursor.savedAt, limit - rows.count])
            }
            return rows.map { row in
                    let key = UInt32(row[0] as Int64)
                    return SavedEmbedding(
                        embedding: StoredEmbedding(key: key, vector: VectorBlob.decode(row[1]), sourceModifiedAt: row[2]),
                        cursor: EmbeddingCursor(savedAt: row[3], key: key))
                }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await database.read { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM paper_embedding WHERE model = ?", arguments: [model]) ?? 0
        }
    }
}

/// Builds FTS5 MATCH expressions from a parsed query. Every word is emitted as a double-quoted
/// FTS5 string, so nothing a user types is interpreted as FTS syntax.
enum FullTextExpression {
    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Phrases and authors: every one must match.
    static func required(_ query: SearchQuery) -> String? {
        var required: [String] = query.phrases.map(quoted)
        for author in query.authors {
            let words = SearchQuery.wordParts(author)
            if !words.isEmpty { required.append("authors : " + quoted(words.joined(separator: " "))) }
        }
        return required.isEmpty ? nil : required.joined(separator: " AND ")
    }

    static func excluded(_ query: SearchQuery) -> String? {
        query.excluded.isEmpty ? nil : query.excluded.map(quoted).joined(separator: " OR ")
    }

    static func combine(required: String?, optional: [String], excluded: String?) -> String {
        var parts = [required].compactMap { $0 }
        if !optional.isEmpty { parts.append("(" + optional.joined(separator: " OR ") + ")") }
        var expression = parts.joined(separator: " AND ")
        if let excluded { expression = "(\(expression)) NOT (\(excluded))" }
        return expression
    }
}
