import Foundation
import Logging
import Tracing
import PaperboyCore
import PaperboyStore

public enum SearchMode: String, Sendable, CaseIterable {
    case keyword, semantic, hybrid
}

public struct SearchResult: Sendable {
    public let paper: Paper
    /// Fused score (reciprocal rank fusion), or the single mode's normalised score.
    public let score: Double
    /// 1-based positions in the keyword and semantic lists, when the paper was in them.
    public let keywordRank: Int?
    public let semanticRank: Int?
}

public struct SearchResponse: Sendable {
    public let query: SearchQuery
    public let mode: SearchMode
    public let results: [SearchResult]
    public let hasMore: Bool
    /// Misspelled words and the index terms searched in their place.
    public let corrections: [(word: String, stem: String)]
    /// The query words to mark in titles and abstracts.
    public let highlighter: Highlighter
    /// Set when semantic search was asked for but no model is loaded.
    public let semanticUnavailable: Bool
}

/// Keyword, semantic and hybrid search over one store, plus similar papers.
///
/// Hybrid ranking is reciprocal rank fusion (Cormack et al. 2009): each list contributes
/// 1 / (60 + rank) for every paper in its top candidates, so a paper both lists agree on rises
/// and neither list's score scale matters. The keyword list is shorter: past rank 40 its BM25
/// order adds little (1/100 against 1/61 at the top), and at a million papers each keyword
/// candidate beyond the first few dozen costs a wider scan.
public final class SearchEngine: Sendable {
    public static let fusionConstant = 60.0
    public static let candidates = 100
    public static let keywordCandidates = 40
    /// When even the nearest paper is less similar than this (cosine), the query matches nothing
    /// by meaning: the nearest papers to gibberish ("zzqxv blorft") score about 0.12-0.18 with
    /// MiniLM on the demo corpus, real queries' best matches 0.25 and up (BENCHMARKS.md).
    /// Keyword matches are kept whatever the floor says.
    public static let semanticFloor: Float = 0.19

    public let store: any PaperStore
    let semantic: SemanticIndex?
    let logger: Logger
    let titleNeighbours = TitleNeighbours(lifetimeSeconds: nil, capacity: SearchEngine.titleNeighbourCapacity)
    static let titleNeighbourCapacity = 4_096

    public init(store: any PaperStore, semantic: SemanticIndex?, logger: Logger = Logger(label: "paperboy.search")) {
        self.store = store
        self.semantic = semantic
        self.logger = logger
    }

    public var hasSemanticSearch: Bool { semantic != nil }

    public func search(_ text: String, mode: SearchMode = .hybrid, offset: Int = 0, limit: Int = 20) async throws(SearchError) -> SearchResponse {
        let query: SearchQuery
        do {
            query = try SearchQuery.parse(text)
        } catch {
            throw .badQuery(error.description)
        }
        do {
            // The query's words stay out of the span, as they stay out of the log.
            return try await withSpan("search") { span in
                span.attributes["paperboy.search.mode_requested"] = mode.rawValue
                let response = try await run(query, mode: mode, offset: max(0, offset), limit: max(1, min(limit, 100)))
                span.attributes["paperboy.search.mode"] = response.mode.rawValue
                span.attributes["paperboy.search.results"] = response.results.count
                return response
            }
        } catch let error as SearchError {
            throw error
        } catch StoreError.unavailable(let reason) {
            // The database is away for now: the caller answers 503, not a failure of search.
            throw .unavailable(reason)
        } catch {
            throw .failed("\(error)")
        }
    }

    func run(_ query: SearchQuery, mode requested: SearchMode, offset: Int, limit: Int) async throws -> SearchResponse {
        let wanted = offset + limit + 1
        let semanticUnavailable = requested != .keyword && semantic == nil
        // Filter-only queries have nothing to embed: list the filtered papers.
        let hasText = !query.freeText.isEmpty
        let mode: SearchMode = (semantic == nil || !hasText) ? .keyword : requested

        let corrections = mode == .semantic ? [] : try await spellingCorrections(for: query)
        // The two halves run at once: query embedding takes one core, FTS5 the other.
        async let keywordSide: [KeywordHit] = mode == .semantic ? [] : withSpan("search.keyword") { _ in
            try await store.keywordSearch(
                query, prefixTerms: corrections.map(\.stem), limit: mode == .keyword ? wanted : max(wanted, Self.keywordCandidates))
        }
        async let semanticSide: [VectorMatch] = mode == .keyword ? [] : withSpan("search.semantic") { _ in
            try await self.semanticMatches(
                for: query, corrections: corrections, mode: mode, k: mode == .semantic ? wanted : max(wanted, Self.candidates))
        }
        let keywordHits = try await keywordSide
        let semanticMatches = try await semanticSide

        var scores: [UInt32: (score: Double, keyword: Int?, semantic: Int?)] = [:]
        for (index, hit) in keywordHits.enumerated() {
            let contribution = mode == .keyword ? -hit.rank : 1 / (Self.fusionConstant + Double(index + 1))
            scores[hit.key, default: (0, nil, nil)].score += contribution
            scores[hit.key]?.keyword = index + 1
        }
        for (index, match) in semanticMatches.enumerated() {
            let contribution = mode == .semantic ? Double(match.score) : 1 / (Self.fusionConstant + Double(index + 1))
            scores[match.key, default: (0, nil, nil)].score += contribution
            scores[match.key]?.semantic = index + 1
        }
        let ordered = scores.sorted { left, right in
            left.value.score != right.value.score ? left.value.score > right.value.score : left.key < right.key
        }
        let page = Array(ordered.dropFirst(offset).prefix(limit))
        let papers = try await store.papers(keys: page.map(\.key))
        let results = page.compactMap { entry -> SearchResult? in
            guard let paper = papers[entry.key] else { return nil }
            return SearchResult(paper: paper, score: entry.value.score, keywordRank: entry.value.keyword, semanticRank: entry.value.semantic)
        }
        let terms = query.words + query.phrases.flatMap { $0.split(separator: " ").map(String.init) } + corrections.map(\.stem)
        return SearchResponse(
            query: query, mode: mode, results: results, hasMore: ordered.count > offset + limit,
            corrections: corrections, highlighter: Highlighter(terms: terms), semanticUnavailable: semanticUnavailable)
    }

    func semanticMatches(
        for query: SearchQuery, corrections: [(word: String, stem: String)], mode: SearchMode, k: Int
    ) async throws -> [VectorMatch] {
        guard let semantic else { return [] }
        // A misspelling means little to the model either: add the corrected stems. Added, not
        // substituted, because a correct word the corpus lacks also gets a "correction".
        var text = query.freeText
        if mode == .hybrid, !corrections.isEmpty { text += " " + corrections.map(\.stem).joined(separator: " ") }
        var matches = try await semantic.search(text, k: k)
        // Nothing close in meaning (the best match below the floor) and not one word the corpus
        // knows: gibberish, so no semantic results. The floor judges the query, not each paper
        // (cutting a real query's tail lost relevant papers), and a known word keeps the results:
        // the model scores acronyms such as "RLHF" low although the papers it finds are right.
        if let best = matches.map(\.score).max(), best < Self.semanticFloor, try await !knowsAnyWord(of: query) { matches = [] }
        if query.hasFilters || !query.excluded.isEmpty || !query.phrases.isEmpty {
            return try await filter(matches, by: query)
        }
        return matches
    }

    /// Words the index has never seen are replaced by the closest indexed term within the
    /// allowed edit distance (1 edit up to 6 letters, 2 above), preferring common terms.
    /// Only terms with the same first letter are considered: few typos change the first letter,
    /// and it keeps the look-up to one slice of the vocabulary.
    func spellingCorrections(for query: SearchQuery) async throws -> [(word: String, stem: String)] {
        var corrections: [(word: String, stem: String)] = []
        for word in Set(query.words) where !Stopwords.contains(word) && word.count >= 4 && word.allSatisfy(\.isLetter) {
            if try await store.containsWord(word) { continue }
            let candidates = try await store.indexedTerms(startingWith: String(word.prefix(1)), limit: 20_000)
                .filter { $0.term.count >= 4 && $0.term.allSatisfy(\.isLetter) }
            if let best = Spelling.bestCorrection(for: word, among: candidates.map { ($0.term, $0.documents) }) {
                corrections.append((word, best))
            }
        }
        return corrections.sorted { $0.word < $1.word }
    }

    /// Whether any word of the query occurs in the corpus.
    func knowsAnyWord(of query: SearchQuery) async throws -> Bool {
        for word in query.words + query.phrases.flatMap({ $0.split(separator: " ").map(String.init) }) where !Stopwords.contains(word) {
            if try await store.containsWord(word) { return true }
        }
        return false
    }

    /// Applies field filters, phrases and exclusions to semantic matches, which know only vectors.
    func filter(_ matches: [VectorMatch], by query: SearchQuery) async throws -> [VectorMatch] {
        let papers = try await store.papers(keys: matches.map(\.key))
        return matches.filter { match in
            guard let paper = papers[match.key] else { return false }
            return QueryFilter.accepts(paper, query)
        }
    }

    /// Papers closest in meaning to the paper `id`; by shared title words when no model is loaded.
    public func similarPapers(to id: String, limit: Int = 6) async throws -> [Paper] {
        guard let key = try await store.paperKey(id: id) else { return [] }
        return try await similarPapers(toKey: key, title: { try await self.store.papers(keys: [key])[key]?.title }, limit: limit)
    }

    /// Papers closest in meaning to `paper`, whose key the caller has read with it (the paper
    /// page: `PaperStore.paperPage`). With the store's `SearchTextVersion` read at the same time,
    /// the list by title words (no model) is kept until the searchable text changes.
    public func similarPapers(to paper: Paper, key: UInt32, searchText: SearchTextVersion? = nil, limit: Int = 6) async throws -> [Paper] {
        try await similarPapers(toKey: key, title: { paper.title }, searchText: searchText, limit: limit)
    }

    /// `title` is asked for only without a model: similar papers are then those sharing its words.
    private func similarPapers(
        toKey key: UInt32, title: () async throws -> String?, searchText: SearchTextVersion? = nil, limit: Int
    ) async throws -> [Paper] {
        var keys: [UInt32] = []
        // A few more than asked for: hidden (spam) papers are dropped from what is found.
        let wanted = limit + 1 + max(4, limit / 2)
        if let semantic, let matches = semantic.neighbours(ofKey: key, k: wanted) {
            keys = matches.map(\.key).filter { $0 != key }
        } else if let searchText, let kept = titleNeighbours.value(for: TitleNeighbourQuery(key: key, wanted: wanted), version: searchText) {
            keys = kept
        } else if let title = try await title(),
                  let titleQuery = try? SearchQuery.parse(SearchQuery.wordParts(title).filter { !Stopwords.contains($0) }.joined(separator: " ")) {
            keys = try await store.keywordSearch(titleQuery, prefixTerms: [], limit: wanted).map(\.key).filter { $0 != key }
            if let searchText { titleNeighbours.keep(keys, for: TitleNeighbourQuery(key: key, wanted: wanted), version: searchText) }
        }
        // The nearest `limit` first, and the next ones only in place of hidden papers (which
        // `papers(keys:)` leaves out): most pages then read and decode five papers, not ten.
        var similar: [Paper] = []
        var next = keys.startIndex
        while similar.count < limit, next < keys.endIndex {
            let batch = keys[next..<min(keys.endIndex, next + limit - similar.count)]
            let papers = try await store.papers(keys: Array(batch))
            similar += batch.compactMap { papers[$0] }.filter { !$0.hidden }
            next = batch.endIndex
        }
        return similar
    }
}

/// Similar papers by title words (no model loaded), by paper and list length, for one
/// `SearchTextVersion`. Without a model, a paper page's similar papers were a BM25 search over
/// its title's words on every view: three quarters of the page's time (perf, issue 17). The list
/// depends only on the searchable text, so it holds until that changes, whoever changes it. A
/// list is kept under the version read with its page; a write that lands between that read and
/// the search may show in it, as it would in a page read a moment later. At most
/// `SearchEngine.titleNeighbourCapacity` lists.
typealias TitleNeighbours = VersionMemo<SearchTextVersion, TitleNeighbourQuery, [UInt32]>

struct TitleNeighbourQuery: Hashable, Sendable {
    let key: UInt32
    let wanted: Int
}

public enum SearchError: Error, Equatable, CustomStringConvertible {
    /// The query itself is the problem (empty, too long, a malformed filter).
    case badQuery(String)
    /// The store cannot be reached right now (see `StoreError.unavailable`).
    case unavailable(String)
    case failed(String)

    public var description: String {
        switch self {
        case .badQuery(let message): message
        case .unavailable(let reason): "the database is unavailable: \(reason)"
        case .failed(let message): "search failed: \(message)"
        }
    }
}

/// The checks a keyword search makes in the store, made in Swift for results that came from
/// vectors: the filters by `SearchFilters`' one rule, then authors, phrases and exclusions.
enum QueryFilter {
    static func accepts(_ paper: Paper, _ query: SearchQuery) -> Bool {
        guard SearchFilters(query).accepts(paper) else { return false }
        let authorWords = Set(paper.authors.flatMap { SearchQuery.wordParts($0) })
        for author in query.authors where !SearchQuery.wordParts(author).allSatisfy(authorWords.contains) {
            return false
        }
        let text = " " + SearchQuery.wordParts(paper.title + " " + paper.abstract).joined(separator: " ") + " "
        for phrase in query.phrases where !text.contains(" \(phrase) ") {
            return false
        }
        let words = Set(text.split(separator: " ").map(String.init))
        return !query.excluded.contains(where: words.contains)
    }
}
