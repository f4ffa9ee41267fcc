import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    /// The text search configuration papers and queries are parsed with: PostgreSQL's parser,
    /// the Porter stemmer and no stopwords, as SQLite's `porter unicode61` tokenizer (see
    /// `PostgresMigrations`, v7), so both stores index the same stems.
    static let textSearchConfiguration = "paperboy_porter"

    public func withKeywordIndex<Result: Sendable>(_ body: @escaping @Sendable (any KeywordIndex) async throws -> Result) async throws -> Result {
        try await readThroughIndexBitmaps { [logger, postingBudget] connection in
            try await body(PostgresKeywordIndex(connection: connection, logger: logger, budget: postingBudget))
        }
    }

    public func filteredPapers(_ filters: SearchFilters, limit: Int) async throws -> [KeywordHit] {
        var sql = SQLBuilder()
        let conditions = Self.conditions(filters, &sql)
        let text = """
            SELECT paper.key, paper.id, -COALESCE(paper.published_at, 0) AS rank FROM paper
            \(conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND "))
            ORDER BY paper.published_at DESC NULLS LAST, paper.key LIMIT \(sql.bind(limit))
            """
        let statement = sql.query(text)
        return try await read { [logger] connection in
            try await connection.query(statement, logger: logger).collect().map { row in
                let (key, id, rank) = try row.decode((Int64, String, Double).self)
                return KeywordHit(key: UInt32(key), id: id, rank: rank)
            }
        }
    }

    /// `SearchFilters` in SQL.
    static func conditions(_ filters: SearchFilters, _ sql: inout SQLBuilder) -> [String] {
        var conditions: [String] = []
        for category in filters.categories {
            conditions.append("EXISTS (SELECT 1 FROM unnest(paper.categories) AS category WHERE lower(category) = \(sql.bind(category)))")
        }
        if let from = filters.publishedFrom {
            conditions.append("paper.published_at >= \(sql.bind(from))")
        }
        if let before = filters.publishedBefore {
            conditions.append("paper.published_at < \(sql.bind(before))")
        }
        return conditions
    }

    public func containsWord(_ word: String) async throws -> Bool {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM paper WHERE search @@ plainto_tsquery('paperboy_porter', \(word)))
                """, logger: logger).collect().first?.decode(Bool.self) ?? false
        }
    }

    /// From `paper_term`, the vocabulary the triggers keep (see `PostgresMigrations`).
    public func indexedTerms(startingWith prefix: String, limit: Int) async throws -> [IndexedTerm] {
        // Byte order ("C"): every term starting with `prefix` sorts before prefix + U+10FFFF.
        let upper = prefix + "\u{10FFFF}"
        return try await read { [logger] connection in
            try await connection.query("""
                SELECT term, documents FROM paper_term
                WHERE term >= \(prefix) AND term < \(upper) AND documents > 0
                ORDER BY documents DESC, term LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (term, documents) = try row.decode((String, Int).self)
                return IndexedTerm(term: term, documents: documents)
            }
        }
    }

    public func papers(keys: [UInt32]) async throws -> [UInt32: Paper] {
        guard !keys.isEmpty else { return [:] }
        let wanted = keys.map { Int64($0) }
        return try await read { [logger] connection in
            var result: [UInt32: Paper] = [:]
            for row in try await connection.query("""
                SELECT key, \(unescaped: Self.columns) FROM paper WHERE key = ANY(\(wanted)) AND NOT hidden
                """, logger: logger).collect() {
                result[UInt32(try row.makeRandomAccess()[0].decode(Int64.self))] = try Self.paper(from: row)
            }
            return result
        }
    }

    public func paperKey(id: String) async throws -> UInt32? {
        try await read { [logger] connection in
            try await connection.query("SELECT key FROM paper WHERE id = \(id)", logger: logger)
                .collect().first.map { UInt32(try $0.decode(Int64.self)) }
        }
    }

    public func papersNeedingEmbeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT paper.key, paper.title, paper.abstract, paper.modified_at FROM paper
                LEFT JOIN paper_embedding ON paper_embedding.paper_key = paper.key AND paper_embedding.model = \(model)
                WHERE paper.key > \(Int64(afterKey))
                    AND (paper_embedding.paper_key IS NULL OR paper_embedding.source_modified_at < paper.modified_at)
                ORDER BY paper.key LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (key, title, abstract, modifiedAt) = try row.decode((Int64, String, String, Double).self)
                return EmbeddingSource(key: UInt32(key), title: title, abstract: abstract, modifiedAt: modifiedAt)
            }
        }
    }

    public func saveEmbeddings(_ embeddings: [StoredEmbedding], model: String) async throws {
        guard !embeddings.isEmpty else { return }
        // Similar-paper lists on cached pages depend on embeddings too.
        defer { writes.add(1, ordering: .releasing) }
        // One statement for the whole batch (arrays unnested row by row): a statement per vector
        // spent its time on round trips. Keys in order, so two writers lock rows in one order; a
        // key given twice keeps its last vector (one statement may not change a row twice).
        var latest: [UInt32: StoredEmbedding] = [:]
        for embedding in embeddings { latest[embedding.key] = embedding }
        let sorted = latest.values.sorted { $0.key < $1.key }
        let keys = sorted.map { Int64($0.key) }
        let modified = sorted.map(\.sourceModifiedAt)
        let vectors = sorted.map { ByteBuffer(bytes: VectorBlob.encode($0.vector)) }
        try await write { [logger] connection in
            try await connection.run("""
                INSERT INTO paper_embedding (paper_key, model, source_modified_at, vector, saved_at)
                SELECT batch.paper_key, \(model), batch.source_modified_at, batch.vector, extract(epoch FROM clock_timestamp())
                FROM unnest(\(keys)::int8[], \(modified)::float8[], \(vectors)::bytea[]) AS batch(paper_key, source_modified_at, vector)
                ON CONFLICT (paper_key) DO UPDATE SET model = excluded.model,
                    source_modified_at = excluded.source_modified_at, vector = excluded.vector, saved_at = excluded.saved_at
                """, logger: logger)
        }
    }

    public func embeddingsSaved(model: String, after cursor: EmbeddingCursor, limit: Int) async throws -> [SavedEmbedding] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT paper_key, vector, source_modified_at, saved_at FROM paper_embedding
                WHERE model = \(model) AND (saved_at, paper_key) > (\(cursor.savedAt), \(Int64(cursor.key)))
                ORDER BY saved_at, paper_key LIMIT \(limit)
                """, logger: logger).collect().map { row in
                let (key, vector, modifiedAt, savedAt) = try row.decode((Int64, ByteBuffer, Double, Double).self)
                return SavedEmbedding(
                    embedding: StoredEmbedding(key: UInt32(key), vector: VectorBlob.decode(Data(vector.readableBytesView)), sourceModifiedAt: modifiedAt),
                    cursor: EmbeddingCursor(savedAt: savedAt, key: UInt32(key)))
            }
        }
    }

    public func embeddingCount(model: String) async throws -> Int {
        try await read { [logger] connection in
            try await connection.query("SELECT count(*) FROM paper_embedding WHERE model = \(model)", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }

    public func embeddingSummary(model: String, through cursor: EmbeddingCursor) async throws -> EmbeddingSummary {
        try await read { [logger] connection in
            let row = try await connection.query("""
                SELECT count(*)::bigint, coalesce(sum(paper_key), 0)::bigint, coalesce(sum(round(saved_at * 1000)::bigint), 0)::bigint
                FROM paper_embedding WHERE model = \(model) AND (saved_at, paper_key) <= (\(cursor.savedAt), \(Int64(cursor.key)))
                """, logger: logger).collect().first
            guard let row else { return EmbeddingSummary(count: 0, keySum: 0, savedAtMillisecondSum: 0) }
            let (count, keySum, savedSum) = try row.decode((Int64, Int64, Int64).self)
            return EmbeddingSummary(count: Int(count), keySum: keySum, savedAtMillisecondSum: savedSum)
        }
    }
}
