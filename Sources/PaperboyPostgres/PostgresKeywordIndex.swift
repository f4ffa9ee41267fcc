import Foundation
import Logging
import PaperboyCore
import PaperboyStore
import PostgresNIO
import Synchronization

/// The GIN index over `paper.search` and the statistics kept beside it (`paper_term`: papers per
/// stem; `paper.search_tokens`: a paper's length in tokens; `paper_search_total`: papers and
/// tokens in all; `paper_posting`: each stem's papers in key order, with their weighted counts
/// and lengths), for one search on one connection.
///
/// Ranking is FTS5's BM25, computed from those statistics and each term's column-weighted count
/// in the paper (from `ts_rank_cd`, see `ranked`, or its stored value, see `rankedFromPostings`),
/// so both stores order the same matches the same way.
final class PostgresKeywordIndex: KeywordIndex {
    /// `ts_rank_cd` weights for {D, C, B, A}: a tenth of FTS5's column weights, abstract (C) 1,
    /// authors (B) 3, title (A) 10 (`ts_rank_cd` refuses weights above 1).
    static let columnWeights = "'{0, 0.1, 0.3, 1.0}'::real[]"
    static let configuration = PostgresPaperStore.textSearchConfiguration

    let connection: PostgresConnection
    let logger: Logger
    /// The store's `postingBudget`.
    let budget: Int

    /// What one search has learnt about its terms, so each is looked up once.
    struct TermStatistics: Sendable {
        /// The stems a paper must hold (prefixes for a prefix term).
        let stems: [String]
        /// Papers holding the term: exact, or for a phrase the papers holding its rarest stem.
        let documents: Int
        /// Whether `documents` is the exact count.
        let exact: Bool
    }

    struct State: Sendable {
        var newestKey: Int64?
        var totals: (papers: Double, tokens: Double)?
        var statistics: [KeywordTerm: TermStatistics] = [:]
        /// Exact counts found while counting postings.
        var exactDocuments: [KeywordTerm: Int] = [:]
    }

    private let state = Mutex(State())

    init(connection: PostgresConnection, logger: Logger, budget: Int) {
        self.connection = connection
        self.logger = logger
        self.budget = budget
    }

    // MARK: Counting

    func postings(of term: KeywordTerm, cap: Int) async throws -> PostingCount {
        let counted: PostingCount
        switch term.kind {
        case .word: counted = try await wordPostings(term, cap: cap)
        case .prefix: counted = try await prefixPostings(term, cap: cap)
        case .phrase, .author:
            var statement = SQLBuilder()
            let expression = Self.expression(term, &statement)
            counted = try await newestPostings(term, expression: expression, statement: statement, cap: cap, estimate: cap + 1)
        }
        if counted.fromKey == nil { state.withLock { $0.exactDocuments[term] = counted.documents } }
        return counted
    }

    /// A free word's papers, from `statistics(of:)`: exact for one stem (from `paper_term`, no
    /// paper read) and for a rare word of several; otherwise counted over its papers. A stem in
    /// more than `cap` papers finds its newest `cap` in `paper_posting`, newest block first.
    func wordPostings(_ term: KeywordTerm, cap: Int) async throws -> PostingCount {
        let statistics = try await statistics(of: term)
        let documents = statistics.documents
        if statistics.stems.isEmpty || documents == 0 { return PostingCount(term: term, documents: 0, fromKey: nil) }
        if documents > cap, statistics.stems.count == 1, let fromKey = try await newestKey(of: statistics.stems[0], cap: cap) {
            return PostingCount(term: term, documents: cap + 1, fromKey: fromKey)
        }
        var statement = SQLBuilder()
        let expression = Self.expression(term, &statement)
        if documents > cap {
            return try await newestPostings(term, expression: expression, statement: statement, cap: cap, estimate: documents)
        }
        if statistics.exact { return PostingCount(term: term, documents: documents, fromKey: nil) }
        return try await allPostings(term, expression: expression, statement: statement)
    }

    /// Papers are grouped by key in blocks of this many in `paper_posting` (migration v10).
    static let blockShift = 12

    /// The key above which the newest `cap` papers holding `stem` lie (one past the oldest of its
    /// newest `cap + 1`), or nil when at most `cap` papers hold it. Reads the stem's block counts
    /// newest first and one block's offsets: no paper, and no posting older than the window.
    func newestKey(of stem: String, cap: Int) async throws -> Int64? {
        var statement = SQLBuilder()
        let stemParameter = statement.bind(stem)
        let capParameter = statement.bind(cap)
        let text = """
            WITH blocks AS (
                SELECT block, documents, sum(documents) OVER (ORDER BY block DESC) AS through
                FROM paper_posting WHERE term = \(stemParameter)
            ), edge AS (
                SELECT block, documents, through FROM blocks WHERE through > \(capParameter) ORDER BY block DESC LIMIT 1
            )
            SELECT (edge.block << \(Self.blockShift)) + posting.offsets[(edge.documents - (\(capParameter) + 1 - (edge.through - edge.documents)) + 1)::integer]
            FROM edge JOIN paper_posting AS posting ON posting.term = \(stemParameter) AND posting.block = edge.block
            """
        let oldest = try await connection.query(statement.query(text), logger: logger).collect().first?.decode(Int64.self)
        return oldest.map { $0 + 1 }
    }

    /// A prefix term's papers: at most as many as its stems' counts in `paper_term` add up to,
    /// so a rare prefix (a typo's correction) is counted over its few papers.
    func prefixPostings(_ term: KeywordTerm, cap: Int) async throws -> PostingCount {
        let most = try await prefixDocumentsBound(term)
        var statement = SQLBuilder()
        let expression = Self.expression(term, &statement)
        return most > cap
            ? try await newestPostings(term, expression: expression, statement: statement, cap: cap, estimate: most)
            : try await allPostings(term, expression: expression, statement: statement)
    }

    func prefixDocumentsBound(_ term: KeywordTerm) async throws -> Int {
        guard let stem = term.parts.first else { return 0 }
        let upper = stem + "\u{10FFFF}"
        return try await connection.query("""
            SELECT COALESCE(sum(documents), 0)::int8 FROM paper_term WHERE term >= \(stem) AND term < \(upper)
            """, logger: logger).collect().first?.decode(Int.self) ?? 0
    }

    /// Every paper matching `expression`, counted; for terms known to be in at most `cap` papers.
    func allPostings(_ term: KeywordTerm, expression: String, statement: SQLBuilder) async throws -> PostingCount {
        let text = "SELECT count(*) FROM paper WHERE search @@ (\(expression))"
        let documents = try await connection.query(statement.query(text), logger: logger).collect().first?.decode(Int.self) ?? 0
        return PostingCount(term: term, documents: documents, fromKey: nil)
    }

    /// How many papers match `expression`, exactly up to `cap` and else capped at `cap + 1` with
    /// the key above which its newest `cap` papers lie. Only the newest keys are read: the window
    /// widens until it holds `cap + 1` matches or covers every paper.
    func newestPostings(_ term: KeywordTerm, expression: String, statement shared: SQLBuilder, cap: Int, estimate: Int) async throws -> PostingCount {
        let maxKey = try await newestKey()
        // Keys grow with time, so a word in `estimate` papers has about `cap` of them among the
        // newest cap/estimate of the keys; half as much again keeps most words to one try.
        var span = Int64(Double(maxKey) * Double(cap + 1) / Double(max(estimate, 1)) * 1.5) + Int64(cap)
        while true {
            let from = maxKey - span
            var statement = shared
            let text = """
                SELECT count(*), min(key) FROM (
                    SELECT key FROM paper WHERE search @@ (\(expression)) AND key > \(statement.bind(max(from, 0)))
                    ORDER BY key DESC LIMIT \(statement.bind(cap + 1))
                ) AS newest
                """
            let row = try await connection.query(statement.query(text), logger: logger).collect().first
            let (documents, oldest) = try row?.decode((Int, Int64?).self) ?? (0, nil)
            if documents > cap {
                return PostingCount(term: term, documents: documents, fromKey: oldest.map { $0 + 1 })
            }
            if from <= 0 { return PostingCount(term: term, documents: documents, fromKey: nil) }
            span *= 4
        }
    }

    func newestKey() async throws -> Int64 {
        if let known = state.withLock({ $0.newestKey }) { return known }
        // The key sequence's position, not max(key): with index scans off for this transaction,
        // max(key) would read the whole table.
        let key = try await connection.query("""
            SELECT COALESCE(pg_sequence_last_value(pg_get_serial_sequence('paper', 'key')), 0)::int8
            """, logger: logger).collect().first?.decode(Int64.self) ?? 0
        state.withLock { $0.newestKey = key }
        return key
    }

    // MARK: Statistics

    /// The term's stems, by the papers' own configuration, and how many papers hold it.
    func statistics(of term: KeywordTerm) async throws -> TermStatistics {
        if let known = state.withLock({ $0.statistics[term] }) { return known }
        let statistics: TermStatistics
        if term.kind == .prefix {
            if let exact = state.withLock({ $0.exactDocuments[term] }) {
                statistics = TermStatistics(stems: term.parts, documents: exact, exact: true)
            } else {
                statistics = TermStatistics(stems: term.parts, documents: try await prefixDocumentsBound(term), exact: false)
            }
        } else {
            let row = try await connection.query("""
                SELECT COALESCE(array_agg(lexeme ORDER BY lexeme), '{}')::text[], COALESCE(min(COALESCE(paper_term.documents, 0)), 0)::int8
                FROM unnest(tsvector_to_array(to_tsvector('paperboy_porter', \(term.text)))) AS lexeme
                LEFT JOIN paper_term ON paper_term.term = lexeme
                """, logger: logger).collect().first
            let (stems, fewest) = try row?.decode(([String], Int).self) ?? ([], 0)
            // One stem: its count is exact. Several (a phrase): the papers holding all of them in
            // order, counted if the rarest is rare enough, else that stem's count as the estimate.
            if let exact = state.withLock({ $0.exactDocuments[term] }) {
                statistics = TermStatistics(stems: stems, documents: exact, exact: true)
            } else if stems.count > 1, fewest <= PostingBudget.exact {
                var statement = SQLBuilder()
                let expression = Self.expression(term, &statement)
                let counted = try await allPostings(term, expression: expression, statement: statement).documents
                statistics = TermStatistics(stems: stems, documents: counted, exact: true)
            } else {
                statistics = TermStatistics(stems: stems, documents: fewest, exact: stems.count <= 1)
            }
        }
        state.withLock { $0.statistics[term] = statistics }
        return statistics
    }

    /// Papers and tokens in all (`paper_search_total`, kept by the term-count trigger).
    func totals() async throws -> (papers: Double, tokens: Double) {
        if let known = state.withLock({ $0.totals }) { return known }
        let row = try await connection.query("SELECT papers::float8, tokens::float8 FROM paper_search_total", logger: logger)
            .collect().first
        let totals = try row?.decode((Double, Double).self) ?? (0, 0)
        state.withLock { $0.totals = totals }
        return totals
    }

    /// FTS5's: log((N − n + 0.5) / (n + 0.5)), and a tiny positive weight for a term in more than
    /// half the papers rather than a negative one.
    static func inverseDocumentFrequency(papers: Double, documents: Int) -> Double {
        let n = Double(documents)
        let idf = log((papers - n + 0.5) / (n + 0.5))
        return idf > 0 ? idf : 1e-6
    }

    // MARK: Ranking

    func ranked(_ match: KeywordMatch, filters: SearchFilters, fromKey: Int64?, limit: Int) async throws -> [KeywordHit] {
        // From the postings when they are few to read: the newest papers only, or words whose
        // papers fit the budget together (a rare word beside a common one is left to the GIN
        // index, which skips through the common word's list).
        if match.excluded.isEmpty, filters.isEmpty, !match.scored.isEmpty {
            var stems: [String] = []
            var documents = 0
            for term in match.scored where term.kind == .word {
                let statistics = try await statistics(of: term)
                if statistics.stems.count == 1 { stems.append(statistics.stems[0]) }
                documents += statistics.documents
            }
            if stems.count == match.scored.count, fromKey != nil || documents <= budget {
                return try await rankedFromPostings(match, stems: stems, fromKey: fromKey ?? 0, limit: limit)
            }
        }
        var statement = SQLBuilder()
        var parts = match.required.map { Self.expression($0, &statement) }
        if !match.anyOf.isEmpty { parts.append("(" + match.anyOf.map { Self.expression($0, &statement) }.joined(separator: " || ") + ")") }
        var query = parts.joined(separator: " && ")
        if !match.excluded.isEmpty {
            query = "(\(query)) && !!(\(match.excluded.map { Self.expression($0, &statement) }.joined(separator: " || ")))"
        }
        var conditions = ["paper.search @@ q.query"]
        for author in match.required where author.kind == .author {
            // The name must be among the authors (weight B), not just anywhere in the paper.
            conditions.append("ts_filter(paper.search, '{b}') @@ \(Self.expression(author, &statement))")
        }
        conditions += PostgresPaperStore.conditions(filters, &statement)
        if let fromKey { conditions.append("paper.key >= \(statement.bind(fromKey))") }

        let totals = try await totals()
        let papers = max(totals.papers, 1)
        let averageLength = statement.bind(max(totals.tokens / papers, 1))
        var frequencies: [String] = []
        var scores: [String] = []
        for (index, term) in match.scored.enumerated() {
            let statistics = try await statistics(of: term)
            let idf = Self.inverseDocumentFrequency(papers: papers, documents: statistics.documents)
            // For a one-word query, ts_rank_cd without normalisation adds up the weight of each
            // occurrence (every occurrence is a cover of its own): with weights a tenth of the
            // columns', ten times it is FTS5's column-weighted count. An author term counts
            // occurrences among the authors only.
            let weights = term.kind == .author ? "'{0, 0, 0.3, 0}'::real[]" : Self.columnWeights
            frequencies.append("10 * ts_rank_cd(\(weights), paper.search, \(Self.expression(term, &statement)))::float8 AS f\(index)")
            scores.append("\(statement.bind(idf)) * f.f\(index) * 2.2 / (f.f\(index) + 1.2 * (0.25 + 0.75 * paper.search_tokens / \(averageLength)))")
        }
        // BM25 as FTS5 computes it: per term, idf · f · (k1 + 1) / (f + k1 · (1 − b + b · length / average)), k1 1.2, b 0.75.
        let text = """
            WITH q AS (SELECT (\(query)) AS query)
            SELECT paper.key, paper.id, -(\(scores.isEmpty ? "0" : scores.joined(separator: " + ")))::float8 AS rank
            FROM paper, q, LATERAL (SELECT \(frequencies.isEmpty ? "0 AS f0" : frequencies.joined(separator: ", "))) AS f
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY rank, paper.key DESC
            LIMIT \(statement.bind(limit))
            """
        return try await connection.query(statement.query(text), logger: logger).collect().map { row in
            let (key, id, rank) = try row.decode((Int64, String, Double).self)
            return KeywordHit(key: UInt32(key), id: id, rank: rank)
        }
    }

    /// `ranked` for free words of one stem each, from `paper_posting` alone: only blocks from
    /// `fromKey` on are read, and each paper's weighted count and length come with its key, so no
    /// paper's vector is read. Papers with every required word are a hash join of the words'
    /// lists. The score is `ranked`'s expression over the same values (`frequencies` holds what
    /// `ts_rank_cd` returns), so ranks are identical to the bit; papers are read only for the
    /// ids of the hits.
    func rankedFromPostings(_ match: KeywordMatch, stems: [String], fromKey: Int64, limit: Int) async throws -> [KeywordHit] {
        var statement = SQLBuilder()
        let fromKeyParameter = statement.bind(fromKey)
        let fromBlock = statement.bind(fromKey >> Self.blockShift)
        let lists = stems.enumerated().map { index, stem in
            """
            t\(index) AS (
                SELECT (posting.block << \(Self.blockShift)) + entry.place AS key, entry.frequency, entry.length
                FROM paper_posting AS posting, unnest(posting.offsets, posting.frequencies, posting.tokens) AS entry(place, frequency, length)
                WHERE posting.term = \(statement.bind(stem)) AND posting.block >= \(fromBlock)
            )
            """
        }
        let required = match.required.count
        let candidates: String
        if required > 0 || match.anyOf.count == 1 {
            // Every required word (or the one optional word) joined; optional ones beside them.
            var columns = ["t0.key", "t0.length AS search_tokens"]
            var joins = ["t0"]
            var conditions = ["t0.key >= \(fromKeyParameter)"]
            for index in stems.indices {
                if index < max(required, 1) {
                    columns.append("10 * t\(index).frequency::float8 AS f\(index)")
                    if index > 0 { joins.append("JOIN t\(index) ON t\(index).key = t0.key") }
                } else {
                    columns.append("10 * COALESCE(t\(index).frequency, 0)::float8 AS f\(index)")
                    joins.append("LEFT JOIN t\(index) ON t\(index).key = t0.key")
                }
            }
            if required > 0, !match.anyOf.isEmpty {
                conditions.append("(" + (required..<stems.count).map { "t\($0).key IS NOT NULL" }.joined(separator: " OR ") + ")")
            }
            candidates = "SELECT \(columns.joined(separator: ", ")) FROM \(joins.joined(separator: " ")) WHERE \(conditions.joined(separator: " AND "))"
        } else {
            // Several optional words: their papers fit the budget together (see `ranked`).
            let frequencies = stems.indices.map { "10 * COALESCE(max(frequency) FILTER (WHERE term_index = \($0)), 0)::float8 AS f\($0)" }
            candidates = """
                SELECT key, max(length) AS search_tokens, \(frequencies.joined(separator: ", "))
                FROM (\(stems.indices.map { "SELECT \($0) AS term_index, * FROM t\($0)" }.joined(separator: " UNION ALL "))) AS postings
                WHERE key >= \(fromKeyParameter)
                GROUP BY key
                """
        }

        let totals = try await totals()
        let papers = max(totals.papers, 1)
        let averageLength = statement.bind(max(totals.tokens / papers, 1))
        var scores: [String] = []
        for (index, term) in match.scored.enumerated() {
            let idf = Self.inverseDocumentFrequency(papers: papers, documents: try await statistics(of: term).documents)
            scores.append("\(statement.bind(idf)) * f.f\(index) * 2.2 / (f.f\(index) + 1.2 * (0.25 + 0.75 * f.search_tokens / \(averageLength)))")
        }
        let text = """
            WITH \(lists.joined(separator: ", ")),
            f AS (\(candidates)),
            best AS (
                SELECT f.key, -(\(scores.joined(separator: " + ")))::float8 AS rank FROM f
                ORDER BY rank, f.key DESC
                LIMIT \(statement.bind(limit))
            )
            SELECT best.key, paper.id, best.rank FROM best JOIN paper ON paper.key = best.key
            ORDER BY best.rank, best.key DESC
            """
        return try await connection.query(statement.query(text), logger: logger).collect().map { row in
            let (key, id, rank) = try row.decode((Int64, String, Double).self)
            return KeywordHit(key: UInt32(key), id: id, rank: rank)
        }
    }

    /// A term as a `tsquery` expression. The text reaches PostgreSQL as a bound parameter through
    /// `plainto_tsquery` / `phraseto_tsquery`, which read no operators; a prefix term is letters
    /// and digits only (`SearchQuery.wordParts`), so `:*` is its only operator.
    static func expression(_ term: KeywordTerm, _ statement: inout SQLBuilder) -> String {
        switch term.kind {
        case .word: "plainto_tsquery('\(configuration)', \(statement.bind(term.text)))"
        case .phrase, .author: "phraseto_tsquery('\(configuration)', \(statement.bind(term.text)))"
        case .prefix: "to_tsquery('simple', \(statement.bind(term.parts.map { $0 + ":*" }.joined(separator: " <-> "))))"
        }
    }
}
