import Foundation
import GRDB
import PaperboyCore

extension SQLitePaperStore {
    /// Column weights for bm25(): title, abstract, authors.
    static let searchWeights = "10.0, 1.0, 3.0"

    public func keywordSearch(_ query: SearchQuery, prefixTerms: [String], limit: Int) async throws -> [KeywordHit] {
        let match = FullTextExpression.build(query, prefixTerms: prefixTerms)
        var conditions: [String] = []
        var arguments: StatementArguments = []
        if let match {
            conditions.append("paper_search MATCH ?")
            _ = arguments.append(contentsOf: [match])
        }
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
        _ = arguments.append(contentsOf: [limit])
        let sql: String
        if match != nil {
            sql = """
                SELECT paper.key, paper.id, bm25(paper_search, \(Self.searchWeights)) AS rank
                FROM paper_search JOIN paper ON paper.key = paper_search.rowid
                WHERE \(conditions.joined(separator: " AND "))
                ORDER BY rank LIMIT ?
                """
        } else {
            // Filters alone: newest first, with a rank that keeps that order.
            sql = """
                SELECT paper.key, paper.id, -COALESCE(paper.published_at, 0) AS rank FROM paper
                \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
                ORDER BY paper.published_at DESC, paper.key LIMIT ?
                """
        }
        let bound = arguments
        return try await database.read { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                KeywordHit(key: UInt32(row[0] as Int64), id: row[1], rank: row[2])
            }
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
                    db, sql: "SELECT key, \(Self.columns) FROM paper WHERE key IN (\(placeholders))",
                    arguments: StatementArguments(chunk.map { Int64($0) }))
                for row in rows {
                    result[UInt32(row[0] as Int64)] = Self.paper(from: row, offset: 1)
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
                INSERT INTO paper_embedding (paper_key, model, source_modified_at, vector) VALUES (?, ?, ?, ?)
                ON CONFLICT(paper_key) DO UPDATE SET model = excluded.model,
                    source_modified_at = excluded.source_modified_at, vector = excluded.vector
                """)
            for embedding in embeddings {
                try statement.execute(arguments: [Int64(embedding.key), model, embedding.sourceModifiedAt, VectorBlob.encode(embedding.vector)])
            }
        }
    }

    public func embeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [StoredEmbedding] {
        try await database.read { db in
            try Row.fetchAll(db, sql: """
                SELECT paper_key, vector, source_modified_at FROM paper_embedding WHERE model = ? AND paper_key > ?
                ORDER BY paper_key LIMIT ?
                """, arguments: [model, Int64(afterKey), limit])
                .map { StoredEmbedding(key: UInt32($0[0] as Int64), vector: VectorBlob.decode($0[1]), sourceModifiedAt: $0[2]) }
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

    static func build(_ query: SearchQuery, prefixTerms: [String]) -> String? {
        var required: [String] = query.phrases.map(quoted)
        for author in query.authors {
            let words = SearchQuery.wordParts(author)
            if !words.isEmpty { required.append("authors : " + quoted(words.joined(separator: " "))) }
        }
        // Free words are alternatives ranked by BM25: a long natural-language query still finds
        // papers that use most of its words, and stop words would only add noise.
        let optional = query.words.filter { !Stopwords.contains($0) }.map(quoted) + prefixTerms.map { quoted($0) + " *" }
        var parts = required
        if !optional.isEmpty { parts.append("(" + optional.joined(separator: " OR ") + ")") }
        guard !parts.isEmpty else { return nil }
        var expression = parts.joined(separator: " AND ")
        let excluded = query.excluded.map(quoted)
        if !excluded.isEmpty { expression = "(\(expression)) NOT (\(excluded.joined(separator: " OR ")))" }
        return expression
    }
}

/// Embeddings as little-endian Float32 bytes.
enum VectorBlob {
    static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    static func decode(_ data: Data) -> [Float] {
        var vector = [Float](repeating: 0, count: data.count / MemoryLayout<Float>.size)
        vector.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        return vector
    }
}
