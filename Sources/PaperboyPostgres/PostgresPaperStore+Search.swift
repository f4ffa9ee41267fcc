import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    /// `ts_rank_cd` weights for {D, C, B, A}: abstract (C) 0.1, authors (B) 0.3, title (A) 1,
    /// the proportions of SQLite's BM25 column weights (10 : 3 : 1).
    static let rankWeights = "'{0, 0.1, 0.3, 1.0}'::real[]"

    /// The text search configuration the `search` column is built with (see `PostgresMigrations`).
    static let textSearchConfiguration = "'paperboy_english'"

    /// Full-text search over title, authors and abstract, ranked by `ts_rank_cd` (cover density)
    /// with the weights above, each free word's score weighted by its inverse document frequency
    /// as in BM25; `rank` is the negated score, so lower is better as with BM25.
    /// Free words are alternatives (OR); phrases and `author:` names are required, `-words`
    /// excluded; category and date filters narrow the matches. Every piece of the query reaches
    /// PostgreSQL as a bound parameter, turned into a `tsquery` by `plainto_tsquery` /
    /// `phraseto_tsquery`, which read no operators, so nothing typed is taken as query syntax.
    ///
    /// Queries whose words occur in more than `postingBudget` papers in total are planned as
    /// `KeywordPlan` says, the same plan as SQLite's.
    public func keywordSearch(_ query: SearchQuery, prefixTerms: [String], limit: Int) async throws -> [KeywordHit] {
        var sql = SQLBuilder()
        let configuration = Self.textSearchConfiguration
        var distinct = Set<String>()
        let words = query.words.filter { !Stopwords.contains($0) && distinct.insert($0).inserted }

        var requiredParts = query.phrases.map { "phraseto_tsquery(\(configuration), \(sql.bind($0)))" }
        var authorConditions: [String] = []
        for author in query.authors {
            let parts = SearchQuery.wordParts(author)
            guard !parts.isEmpty else { continue }
            let name = sql.bind(parts.joined(separator: " "))
            requiredParts.append("phraseto_tsquery(\(configuration), \(name))")
            // The name must be among the authors (weight B), not just anywhere in the paper.
            authorConditions.append("ts_filter(paper.search, '{b}') @@ phraseto_tsquery(\(configuration), \(name))")
        }
        var wordExpressions = words.map { "plainto_tsquery(\(configuration), \(sql.bind($0)))" }
        // Each prefix term's first stem, to count it by (see `prefixPostings`).
        var prefixStems: [String] = []
        for term in prefixTerms {
            // Stems from `indexedTerms`, matched as prefixes; letters and digits only, so `:*` is the only operator.
            let parts = SearchQuery.wordParts(term)
            guard let first = parts.first else { continue }
            wordExpressions.append("to_tsquery('simple', \(sql.bind(parts.map { $0 + ":*" }.joined(separator: " <-> "))))")
            prefixStems.append(first)
        }
        let excluded = query.excluded.isEmpty ? nil
            : query.excluded.map { "plainto_tsquery(\(configuration), \(sql.bind($0)))" }.joined(separator: " || ")
        let required = requiredParts.isEmpty ? nil : requiredParts.joined(separator: " && ")
        let filters = authorConditions + Self.filterConditions(query, &sql)

        let expressions = wordExpressions
        guard !expressions.isEmpty || required != nil else {
            return try await filterOnly(filters: filters, limit: limit, sql: &sql)
        }
        let budget = postingBudget
        let commonWords = commonWords
        let firstStems = prefixStems
        // Every statement below starts from these bindings; the ones it does not use are harmless.
        let shared = sql
        let logger = logger
        return try await readThroughIndexBitmaps { connection in
            // PostgreSQL's ranking knows nothing of how rare a word is; BM25 does, so each free
            // term's score is weighted by its inverse document frequency, from the counts below.
            // The planner's estimate, kept by autovacuum; counted only before the first ANALYZE.
            // (One CASE with the count as a subquery was slow to plan at 1M; BENCHMARKS.md.)
            var paperCount = try await connection.query(
                "SELECT reltuples::float8 FROM pg_class WHERE oid = 'paper'::regclass", logger: logger
            ).collect().first?.decode(Double.self) ?? 0
            if paperCount <= 0 {
                paperCount = try await connection.query("SELECT count(*)::float8 FROM paper", logger: logger)
                    .collect().first?.decode(Double.self) ?? 0
            }
            func inverseDocumentFrequency(_ term: PostingCount) -> Double {
                let documents = Double(term.documents)
                return log(1 + (max(paperCount, documents) - documents + 0.5) / (documents + 0.5))
            }
            func ranked(_ match: String, fromKey: Int64?, scoring terms: [PostingCount]) async throws -> [KeywordHit] {
                var statement = shared
                var conditions = ["paper.search @@ q.query"] + filters
                if let fromKey { conditions.append("paper.key >= \(statement.bind(fromKey))") }
                var scores = required.map { ["ts_rank_cd(\(Self.rankWeights), paper.search, \($0))"] } ?? []
                for term in terms {
                    scores.append("\(statement.bind(inverseDocumentFrequency(term))) * ts_rank_cd(\(Self.rankWeights), paper.search, \(term.expression))")
                }
                let text = """
                    WITH q AS (SELECT (\(match)) AS query)
                    SELECT paper.key, paper.id, -(\(scores.joined(separator: " + ")))::float8 AS rank
                    FROM paper, q
                    WHERE \(conditions.joined(separator: " AND "))
                    ORDER BY rank, paper.key DESC
                    LIMIT \(statement.bind(limit))
                    """
                return try await connection.query(statement.query(text), logger: logger).collect().map { row in
                    let (key, id, rank) = try row.decode((Int64, String, Double).self)
                    return KeywordHit(key: UInt32(key), id: id, rank: rank)
                }
            }
            /// How many papers match `expression`, exactly up to `budget` and else capped at `budget + 1`
            /// with the key above which its newest `budget` papers lie. Only the newest keys are read:
            /// the window widens until it holds `budget + 1` matches or covers every paper.
            var newestKey: Int64?
            func newestPostings(_ expression: String, estimate: Int) async throws -> PostingCount {
                if newestKey == nil {
                    // The key sequence's position, not max(key): with index scans off for this
                    // transaction, max(key) would read the whole table.
                    newestKey = try await connection.query("""
                        SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('paper', 'key')), 0)::int8
                        """, logger: logger).collect().first?.decode(Int64.self) ?? 0
                }
                let maxKey = newestKey ?? 0
                // Keys grow with time, so a word in `estimate` papers has about `budget` of them among
                // the newest budget/estimate of the keys; half as much again keeps most words to one try.
                var span = Int64(Double(maxKey) * Double(budget + 1) / Double(max(estimate, 1)) * 1.5) + Int64(budget)
                while true {
                    let from = maxKey - span
                    var statement = shared
                    let text = """
                        SELECT count(*), min(key) FROM (
                            SELECT key FROM paper WHERE search @@ (\(expression)) AND key > \(statement.bind(max(from, 0)))
                            ORDER BY key DESC LIMIT \(statement.bind(budget + 1))
                        ) AS newest
                        """
                    let row = try await connection.query(statement.query(text), logger: logger).collect().first
                    let (documents, oldest) = try row?.decode((Int, Int64?).self) ?? (0, nil)
                    if documents > budget {
                        return PostingCount(expression: expression, documents: documents, fromKey: oldest.map { $0 + 1 })
                    }
                    if from <= 0 { return PostingCount(expression: expression, documents: documents, fromKey: nil) }
                    span *= 4
                }
            }
            /// A free word's papers, counted from `paper_term` when the word is one stem (exact, no
            /// paper read); a word of several stems (`state-of-the-art`) is counted over its papers.
            func wordPostings(_ expression: String, word: String) async throws -> PostingCount {
                let row = try await connection.query("""
                    SELECT count(*)::int8, COALESCE(min(COALESCE(paper_term.documents, 0)), 0)::int8
                    FROM unnest(tsvector_to_array(to_tsvector('paperboy_english', \(word)))) AS lexeme
                    LEFT JOIN paper_term ON paper_term.term = lexeme
                    """, logger: logger).collect().first
                let (stems, fewest) = try row?.decode((Int, Int).self) ?? (0, 0)
                if stems == 0 || fewest == 0 { return PostingCount(expression: expression, documents: 0, fromKey: nil) }
                if fewest > budget {
                    if let fromKey = commonWords.fromKey(for: word) {
                        return PostingCount(expression: expression, documents: budget + 1, fromKey: fromKey)
                    }
                    let counted = try await newestPostings(expression, estimate: fewest)
                    if let fromKey = counted.fromKey { commonWords.remember(fromKey, for: word) }
                    return counted
                }
                if stems == 1 { return PostingCount(expression: expression, documents: fewest, fromKey: nil) }
                return try await allPostings(expression)
            }
            /// Every paper matching `expression`, counted; for terms known to be in at most `budget` papers.
            func allPostings(_ expression: String) async throws -> PostingCount {
                let text = "SELECT count(*) FROM paper WHERE search @@ (\(expression))"
                let documents = try await connection.query(shared.query(text), logger: logger).collect().first?.decode(Int.self) ?? 0
                return PostingCount(expression: expression, documents: documents, fromKey: nil)
            }

            /// A prefix term's papers: at most as many as its stems' counts in `paper_term` add up to,
            /// so a rare prefix (a typo's correction) is counted over its few papers.
            func prefixPostings(_ expression: String, stem: String) async throws -> PostingCount {
                let upper = stem + "\u{10FFFF}"
                let most = try await connection.query("""
                    SELECT COALESCE(sum(documents), 0)::int8 FROM paper_term WHERE term >= \(stem) AND term < \(upper)
                    """, logger: logger).collect().first?.decode(Int.self) ?? 0
                return most > budget ? try await newestPostings(expression, estimate: most) : try await allPostings(expression)
            }

            var terms: [PostingCount] = []
            for (index, expression) in expressions.enumerated() {
                if index < words.count {
                    terms.append(try await wordPostings(expression, word: words[index]))
                } else {
                    terms.append(try await prefixPostings(expression, stem: firstStems[index - words.count]))
                }
            }
            let plan = KeywordPlan(terms: terms, budget: budget)
            if plan.isExact {
                return try await ranked(Self.combine(required: required, optional: expressions, excluded: excluded), fromKey: nil, scoring: terms)
            }
            var hits: [KeywordHit] = []
            if let every = plan.every {
                let all = Self.combine(
                    required: ([required].compactMap { $0 } + every.terms.map(\.expression)).joined(separator: " && "),
                    optional: [], excluded: excluded)
                hits = try await ranked(all, fromKey: every.fromKey, scoring: every.terms)
                if hits.count >= limit { return hits }
            }
            guard let some = plan.some else { return hits }
            let match = Self.combine(required: required, optional: some.terms.map(\.expression), excluded: excluded)
            let more = try await ranked(match, fromKey: some.fromKey, scoring: some.terms)
            return KeywordPlan.merged(hits, more, limit: limit)
        }
    }

    /// A `tsquery` expression: every required part, at least one optional one, none of the excluded.
    static func combine(required: String?, optional: [String], excluded: String?) -> String {
        var parts = [required].compactMap { $0 }
        if !optional.isEmpty { parts.append("(" + optional.joined(separator: " || ") + ")") }
        var expression = parts.joined(separator: " && ")
        if let excluded { expression = "(\(expression)) && !!(\(excluded))" }
        return expression
    }

    static func filterConditions(_ query: SearchQuery, _ sql: inout SQLBuilder) -> [String] {
        var conditions: [String] = []
        for category in query.categories {
            conditions.append("EXISTS (SELECT 1 FROM unnest(paper.categories) AS category WHERE lower(category) = \(sql.bind(category.lowercased())))")
        }
        if let from = query.publishedFrom {
            conditions.append("paper.published_at >= \(sql.bind(from.start.timeIntervalSince1970))")
        }
        if let to = query.publishedTo {
            conditions.append("paper.published_at < \(sql.bind(to.adding(days: 1).start.timeIntervalSince1970))")
        }
        return conditions
    }

    /// Filters alone: newest first, with a rank that keeps that order.
    func filterOnly(filters: [String], limit: Int, sql: inout SQLBuilder) async throws -> [KeywordHit] {
        let text = """
            SELECT paper.key, paper.id, -COALESCE(paper.published_at, 0) AS rank FROM paper
            \(filters.isEmpty ? "" : "WHERE " + filters.joined(separator: " AND "))
            ORDER BY paper.published_at DESC NULLS LAST, paper.key LIMIT \(sql.bind(limit))
            """
        let statement = sql.query(text)
        return try await read { connection in
            try await connection.query(statement, logger: logger).collect().map { row in
                let (key, id, rank) = try row.decode((Int64, String, Double).self)
                return KeywordHit(key: UInt32(key), id: id, rank: rank)
            }
        }
    }

    public func containsWord(_ word: String) async throws -> Bool {
        try await read { connection in
            try await connection.query("""
                SELECT EXISTS (SELECT 1 FROM paper WHERE search @@ plainto_tsquery('paperboy_english', \(word)))
                """, logger: logger).collect().first?.decode(Bool.self) ?? false
        }
    }

    /// From `paper_term`, the vocabulary the triggers keep (see `PostgresMigrations`).
    public func indexedTerms(startingWith prefix: String, limit: Int) async throws -> [IndexedTerm] {
        // Byte order ("C"): every term starting with `prefix` sorts before prefix + U+10FFFF.
        let upper = prefix + "\u{10FFFF}"
        return try await read { connection in
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
        return try await read { connection in
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
        try await read { connection in
            try await connection.query("SELECT key FROM paper WHERE id = \(id)", logger: logger)
                .collect().first.map { UInt32(try $0.decode(Int64.self)) }
        }
    }

    public func papersNeedingEmbeddings(model: String, afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource] {
        try await read { connection in
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
        try await write { connection in
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
        try await read { connection in
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
        try await read { connection in
            try await connection.query("SELECT count(*) FROM paper_embedding WHERE model = \(model)", logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }
}
