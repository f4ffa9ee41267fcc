/// How common a query term is, counted up to a cap, newest papers first.
public struct PostingCount: Sendable {
    /// The term as the store's match syntax writes it.
    public let expression: String
    /// Exact when `fromKey` is nil, else `cap + 1`.
    public let documents: Int
    /// Set when the term is in more than `cap` papers: the newest `cap` of them have keys at or above it.
    public let fromKey: Int64?

    public init(expression: String, documents: Int, fromKey: Int64?) {
        self.expression = expression
        self.documents = documents
        self.fromKey = fromKey
    }

    /// Fewer papers first; among terms over the cap, the one whose newest `cap` papers reach further back.
    public static func rarer(_ left: PostingCount, _ right: PostingCount) -> Bool {
        switch (left.fromKey, right.fromKey) {
        case (nil, nil): left.documents < right.documents
        case (nil, _): true
        case (_, nil): false
        case let (leftKey?, rightKey?): leftKey < rightKey
        }
    }
}

/// The store-independent half of keyword search: given how common each term is, which
/// matches to rank and over which papers. Both stores count their terms, follow this plan with
/// their own SQL, and merge with `merged`.
///
/// Queries whose terms occur in more than `budget` papers in total are planned, because ranking
/// every match of a common word costs too much (see `exactPostingBudget`):
/// 1. papers containing every word (AND), ranked among the newest papers that hold the budget's
///    worth of the rarest word if even that word is common; if they fill the page, that is the answer;
/// 2. otherwise the rest come from the rarest words whose lists fit the budget together (OR):
///    papers holding only the commonest words would rank low anyway;
/// 3. when even the rarest word is commoner than the budget, it is ranked over its newest papers only.
public struct KeywordPlan: Sendable {
    /// Above this many postings (papers × query terms) a keyword query stops being exact: FTS5
    /// (and PostgreSQL's ranking) score every matching paper, so one common word at a million
    /// papers would cost a large part of a second (BENCHMARKS.md).
    public static let exactPostingBudget = 4_000

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
