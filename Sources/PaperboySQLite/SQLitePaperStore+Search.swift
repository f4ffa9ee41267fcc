import Foundation
import PaperboyStore
import GRDB
import PaperboyCore

extension SQLitePaperStore {
    /// Column weights for bm25(): title, abstract, authors.
    static let searchWeights = "10.0, 1.0, 3.0"

    public func withKeywordIndex<Result: Sendable>(_ body: @escaping @Sendable (any KeywordIndex) async throws -> Result) async throws -> Result {
        try await body(SQLiteKeywordIndex(database: database, readers: readers, pool: pool, terms: termCounts, version: changeCount))
    }

    /// FTS5 keeps an index in segments: one per write transaction, merged four at a time as
    /// they pile up (sixteen during a bulk batch). Every segment is a separate list to read for
    /// each word of a search: on the demo corpus, ranking a fresh query took 418 µs in its
    /// segments as imported and 144 µs in one (sqlite3 shell). Merged in steps of
    /// `compactionPagesPerStep` pages, one write transaction each, so other writes (votes,
    /// comments) wait for a step, not for the whole merge (1.6 s at 100k papers). Page contents
    /// do not change, so `changeCount` does not either.
    public func compactSearchIndex() async throws -> Bool {
        var merged = false
        // FTS5's own test for a merge that did nothing: fewer than two changes.
        while true {
            let worked = try await writing { db -> Bool in
                let before = db.totalChangesCount
                try db.execute(sql: "INSERT INTO paper_search(paper_search, rank) VALUES ('merge', -\(Self.compactionPagesPerStep))")
                return db.totalChangesCount - before >= 2
            }
            guard worked else { return merged }
            merged = true
        }
    }

    static let compactionPagesPerStep = 500

    public func filteredPapers(_ filters: SearchFilters, limit: Int) async throws -> [KeywordHit] {
        let (conditions, arguments) = Self.conditions(filters)
        return try await reading(singleStatement: true) { db in
            var all = arguments
            _ = all.append(contentsOf: [limit])
            return try Row.fetchAll(db, sql: """
                SELECT paper.key, paper.id, -COALESCE(paper.published_at, 0) AS rank FROM paper
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY paper.published_at DESC, paper.key LIMIT ?
                """, arguments: all).map { KeywordHit(key: UInt32($0[0] as Int64), id: $0[1], rank: $0[2]) }
        }
    }

    /// `SearchFilters` in SQL.
    static func conditions(_ filters: SearchFilters) -> (sql: [String], arguments: StatementArguments) {
        var conditions: [String] = []
        var arguments: StatementArguments = []
        for category in filters.categories {
            // Categories are stored separated by U+001F; match whole entries only.
            conditions.append("instr(char(31) || lower(paper.categories) || char(31), char(31) || ? || char(31)) > 0")
            _ = arguments.append(contentsOf: [category])
        }
        if let from = filters.publishedFrom {
            conditions.append("paper.published_at >= ?")
            _ = arguments.append(contentsOf: [from])
        }
        if let before = filters.publishedBefore {
            conditions.append("paper.published_at < ?")
            _ = arguments.append(contentsOf: [before])
        }
        return (conditions, arguments)
    }

    public func containsWord(_ word: String) async throws -> Bool {
        let version = changeCount
        if let known = termCounts.words.value(for: word, version: version) { return known }
        let expression = SQLiteKeywordIndex.quoted(word)
        let contains = try await reading(singleStatement: true) { db in
            try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM paper_search WHERE paper_search MATCH ? LIMIT 1"), arguments: [expression]) ?? false
        }
        termCounts.words.keep(contains, for: word, version: version)
        return contains
    }

    public func indexedTerms(startingWith prefix: String, limit: Int) async throws -> [IndexedTerm] {
        // fts5vocab answers range constraints on `term` from the index itself.
        let upper = prefix + "\u{10FFFF}"
        return try await reading(singleStatement: true) { db in
            try Row.fetchAll(db, sql: """
                SELECT term, doc FROM paper_search_terms WHERE term >= ? AND term < ? ORDER BY doc DESC LIMIT ?
                """, arguments: [prefix, upper, limit])
                .map { IndexedTerm(term: $0[0], documents: $0[1]) }
        }
    }

    public func papers(keys: [UInt32]) async throws -> [UInt32: Paper] {
        guard !keys.isEmpty else { return [:] }
        if keys.count <= DecodedPapers.largestRead {
            // Search results and similar papers: their versions, then the papers decoded before at
            // those versions, and only the others read (`DecodedPapers`).
            let decoded = decoded
            return try await reading(singleStatement: true) { db in
                let list = CachedSQL.inList(keys.map { Int64($0) })
                let papers = try decoded.papers(
                    db, "SELECT key, row_version FROM paper WHERE key IN (\(list.marks)) AND hidden = 0", arguments: CachedSQL.arguments(list.values))
                return Dictionary(uniqueKeysWithValues: papers.map { ($0.key, $0.paper) })
            }
        }
        return try await reading(singleStatement: keys.count <= CachedSQL.listChunk) { db in
            var result: [UInt32: Paper] = [:]
            for chunk in CachedSQL.chunks(keys) {
                let list = CachedSQL.inList(chunk.map { Int64($0) })
                let rows = try Row.fetchCursor(
                    db.cachedStatement(sql: "SELECT key, \(Self.columns) FROM paper WHERE key IN (\(list.marks)) AND hidden = 0"),
                    arguments: CachedSQL.arguments(list.values))
                while let row = try rows.next() {
                    result[UInt32(row[0] as Int64)] = Self.paper(from: row, offset: 1)
                }
            }
            return result
        }
    }

    public func paperKey(id: String) async throws -> UInt32? {
        try await reading(singleStatement: true) { db in
            try Int64.fetchOne(db.cachedStatement(sql: "SELECT key FROM paper WHERE id = ?"), arguments: [id]).map { UInt32($0) }
        }
    }

    public func papersNeedingEmbeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await readingAside { db in
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
        try await writing { db in
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
        try await readingAside { db in
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
        try await reading { db in
            try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM paper_embedding WHERE model = ?", arguments: [model]) ?? 0
        }
    }

    public func embeddingSummary(model: String, through cursor: EmbeddingCursor) async throws -> EmbeddingSummary {
        try await readingAside { db in
            // Covered by paper_embedding_saved (model, saved_at, paper_key): no table rows are read.
            let row = try Row.fetchOne(db, sql: """
                SELECT count(*), coalesce(sum(paper_key), 0), coalesce(sum(CAST(round(saved_at * 1000) AS INTEGER)), 0)
                FROM paper_embedding WHERE model = ? AND (saved_at < ? OR (saved_at = ? AND paper_key <= ?))
                """, arguments: [model, cursor.savedAt, cursor.savedAt, Int64(cursor.key)])
            return EmbeddingSummary(count: row?[0] ?? 0, keySum: row?[1] ?? 0, savedAtMillisecondSum: row?[2] ?? 0)
        }
    }
}

/// FTS5 over the `paper_search` table: its bm25() is the ranking `KeywordMatch` describes.
struct SQLiteKeywordIndex: KeywordIndex, SQLiteAccess {
    let database: DatabasePool
    let readers: SQLiteReaders
    let pool: SQLitePoolCounts
    let terms: TermCounts
    /// The store's `changeCount` when the search began.
    let version: UInt64

    /// Column weights for bm25(), in the table's column order: title, abstract, authors.
    static let weights = "10.0, 1.0, 3.0"

    func postings(of term: KeywordTerm, cap: Int) async throws -> PostingCount {
        let expression = Self.expression(term)
        let key = "\(cap) \(expression)"
        if let known = terms.postings.value(for: key, version: version) {
            return PostingCount(term: term, documents: known.documents, fromKey: known.fromKey)
        }
        let count = try await reading(singleStatement: true) { db in
            let row = try Row.fetchOne(db.cachedStatement(sql: """
                SELECT count(*), min(rowid) FROM (
                    SELECT rowid FROM paper_search WHERE paper_search MATCH ? ORDER BY rowid DESC LIMIT ?
                )
                """), arguments: [expression, cap + 1])
            let documents: Int = row?[0] ?? 0
            let oldest: Int64? = row?[1]
            return PostingCount(term: term, documents: documents, fromKey: documents > cap ? oldest.map { $0 + 1 } : nil)
        }
        terms.postings.keep(count, for: key, version: version)
        return count
    }

    func ranked(_ match: KeywordMatch, filters: SearchFilters, fromKey: Int64?, limit: Int) async throws -> [KeywordHit] {
        var conditions = ["paper_search MATCH ?"]
        var arguments: StatementArguments = [Self.expression(match)]
        if let fromKey {
            conditions.append("paper_search.rowid >= ?")
            _ = arguments.append(contentsOf: [fromKey])
        }
        let sql: String
        if filters.isEmpty {
            // Rank inside the index alone; only the winners' rows are read from the paper table.
            sql = """
                SELECT paper.key, paper.id, best.rank FROM (
                    SELECT rowid, bm25(paper_search, \(Self.weights)) AS rank FROM paper_search
                    WHERE \(conditions.joined(separator: " AND ")) ORDER BY rank LIMIT ?
                ) AS best JOIN paper ON paper.key = best.rowid ORDER BY best.rank
                """
            _ = arguments.append(contentsOf: [limit])
        } else {
            let filter = SQLitePaperStore.conditions(filters)
            sql = """
                SELECT paper.key, paper.id, bm25(paper_search, \(Self.weights)) AS rank
                FROM paper_search JOIN paper ON paper.key = paper_search.rowid
                WHERE \((conditions + filter.sql).joined(separator: " AND "))
                ORDER BY rank LIMIT ?
                """
            _ = arguments.append(contentsOf: filter.arguments)
            _ = arguments.append(contentsOf: [limit])
        }
        let bound = arguments
        // Without filters the statement has two forms (with and without `fromKey`).
        let reuse = filters.isEmpty
        return try await reading(singleStatement: true) { db in
            try Row.fetchAll(reuse ? db.cachedStatement(sql: sql) : db.makeStatement(sql: sql), arguments: bound).map { row in
                KeywordHit(key: UInt32(row[0] as Int64), id: row[1], rank: row[2])
            }
        }
    }

    /// A term as an FTS5 expression. Every word is a double-quoted FTS5 string, so nothing a user
    /// types is read as FTS syntax.
    static func expression(_ term: KeywordTerm) -> String {
        switch term.kind {
        case .word, .phrase: quoted(term.text)
        case .prefix: quoted(term.text) + " *"
        case .author: "authors : " + quoted(term.text)
        }
    }

    static func quoted(_ text: String) -> String {
        "\"" + text.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }

    /// Every required term, at least one optional one, none of the excluded.
    static func expression(_ match: KeywordMatch) -> String {
        var parts = match.required.map(expression)
        if !match.anyOf.isEmpty { parts.append("(" + match.anyOf.map(expression).joined(separator: " OR ") + ")") }
        var expression = parts.joined(separator: " AND ")
        if !match.excluded.isEmpty { expression = "(\(expression)) NOT (\(match.excluded.map(Self.expression).joined(separator: " OR ")))" }
        return expression
    }
}
