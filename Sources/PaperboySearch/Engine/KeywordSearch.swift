import Foundation
import PaperboyCore
import PaperboyStore

/// Keyword search, written once for every store: which terms a query searches, how they are
/// planned, and how the planned lists merge. The store offers the primitives (`KeywordIndex`:
/// counting a term's papers, ranking a match by BM25, and listing filtered papers).
///
/// Free words are alternatives (OR), so a long natural-language query still finds papers that
/// use most of its words; phrases and `author:` names are required, `-words` excluded, and field
/// filters narrow the matches. The semantic half of hybrid search still covers every paper.
public enum KeywordSearch {
    /// The query's terms, as the store is asked for them.
    public struct Terms: Sendable, Equatable {
        /// Phrases and authors: every one must match.
        public var required: [KeywordTerm]
        /// Free words (stopwords and repeats dropped), then the spelling corrections' stems.
        public var optional: [KeywordTerm]
        public var excluded: [KeywordTerm]

        public init(_ query: SearchQuery, prefixTerms: [String]) {
            required = query.phrases.map { KeywordTerm(.phrase, $0) }
            for author in query.authors {
                let parts = SearchQuery.wordParts(author)
                if !parts.isEmpty { required.append(KeywordTerm(.author, parts.joined(separator: " "))) }
            }
            var distinct = Set<String>()
            optional = query.words.filter { !Stopwords.contains($0) && distinct.insert($0).inserted }.map { KeywordTerm(.word, $0) }
            for stem in prefixTerms {
                let parts = SearchQuery.wordParts(stem)
                if !parts.isEmpty { optional.append(KeywordTerm(.prefix, parts.joined(separator: " "))) }
            }
            excluded = query.excluded.map { KeywordTerm(.word, $0) }
        }

        public var isEmpty: Bool { required.isEmpty && optional.isEmpty }
    }

    /// The best `limit` keyword matches of `query`; `prefixTerms` are stems matched as prefixes
    /// (spelling corrections). A query of filters alone lists the filtered papers, newest first.
    ///
    /// Each optional term's papers are first counted up to the budget, newest papers first (a
    /// bounded scan). Queries whose terms occur in more than the store's `postingBudget` papers in
    /// total are then planned as `KeywordPlan` says.
    public static func run(_ query: SearchQuery, prefixTerms: [String], limit: Int, in store: any SearchStore) async throws -> [KeywordHit] {
        let terms = Terms(query, prefixTerms: prefixTerms)
        let filters = SearchFilters(query)
        guard !terms.isEmpty else { return try await store.filteredPapers(filters, limit: limit) }
        let budget = store.postingBudget
        return try await store.withKeywordIndex { index in
            var counts: [PostingCount] = []
            for term in terms.optional { counts.append(try await index.postings(of: term, cap: budget)) }
            let plan = KeywordPlan(terms: counts, budget: budget)
            if plan.isExact {
                let match = KeywordMatch(required: terms.required, anyOf: terms.optional, excluded: terms.excluded)
                return try await index.ranked(match, filters: filters, fromKey: nil, limit: limit)
            }
            var hits: [KeywordHit] = []
            if let every = plan.every {
                let match = KeywordMatch(required: terms.required + every.terms.map(\.term), excluded: terms.excluded)
                hits = try await index.ranked(match, filters: filters, fromKey: every.fromKey, limit: limit)
                if hits.count >= limit { return hits }
            }
            guard let some = plan.some else { return hits }
            let match = KeywordMatch(required: terms.required, anyOf: some.terms.map(\.term), excluded: terms.excluded)
            let more = try await index.ranked(match, filters: filters, fromKey: some.fromKey, limit: limit)
            return KeywordPlan.merged(hits, more, limit: limit)
        }
    }
}

extension SearchStore {
    /// `KeywordSearch.run` over this store.
    public func keywordSearch(_ query: SearchQuery, prefixTerms: [String], limit: Int) async throws -> [KeywordHit] {
        try await KeywordSearch.run(query, prefixTerms: prefixTerms, limit: limit, in: self)
    }
}

/// Given how common each term is, which matches to rank and over which papers.
///
/// Queries whose terms occur in more than `budget` papers in total are planned, because ranking
/// every match of a common word costs too much (see `PostingBudget.exact`):
/// 1. papers containing every word (AND), ranked among the newest papers that hold the budget's
///    worth of the rarest word if even that word is common; if they fill the page, that is the answer;
/// 2. otherwise the rest come from the rarest words whose lists fit the budget together (OR):
///    papers holding only the commonest words would rank low anyway;
/// 3. when even the rarest word is commoner than the budget, it is ranked over its newest papers only.
public struct KeywordPlan: Sendable {
    /// Terms to match and the key the ranking starts from (nil: every paper).
    public struct Step: Sendable {
        public let terms: [PostingCount]
        public let fromKey: Int64?
    }

    /// True when the terms fit the budget: rank papers with any of them, over every paper.
    public let isExact: Bool
    /// Step 1: papers with every word (only for two or more words that some paper holds).
    public let every: Step?
    /// Steps 2 and 3: papers with some of the rarest words.
    public let some: Step?

    public init(terms: [PostingCount], budget: Int) {
        if terms.isEmpty || terms.reduce(0, { $0 + $1.documents }) <= budget {
            isExact = true
            every = nil
            some = nil
            return
        }
        isExact = false
        // A word no paper contains is a misspelling whose correction is among the prefix terms.
        let wordTerms = terms.filter { $0.documents > 0 }
        if wordTerms.count > 1, let rarest = wordTerms.min(by: PostingCount.rarer) {
            every = Step(terms: wordTerms, fromKey: rarest.fromKey)
        } else {
            every = nil
        }
        var chosen: [PostingCount] = []
        for term in terms.sorted(by: PostingCount.rarer) where term.documents > 0 {
            if !chosen.isEmpty && (term.fromKey != nil || chosen.reduce(term.documents, { $0 + $1.documents }) > budget) { break }
            chosen.append(term)
        }
        some = chosen.isEmpty ? nil : Step(terms: chosen, fromKey: chosen.count == 1 ? chosen[0].fromKey : nil)
    }

    /// Papers with every word stay first; the rest follow, without repeats, with ranks kept
    /// increasing, because keyword mode orders by rank.
    public static func merged(_ every: [KeywordHit], _ some: [KeywordHit], limit: Int) -> [KeywordHit] {
        var hits = every
        var seen = Set(hits.map(\.key))
        let offset = (hits.last?.rank ?? 0) - (some.first?.rank ?? 0)
        for hit in some where !seen.contains(hit.key) && hits.count < limit {
            seen.insert(hit.key)
            hits.append(KeywordHit(key: hit.key, id: hit.id, rank: hit.rank + (offset >= 0 ? offset + 1e-9 : 0)))
        }
        return hits
    }
}
