import Foundation
import PaperboyCore

/// One piece of a keyword query, as the search algorithm (`KeywordSearch` in PaperboySearch)
/// hands it to a store. The store writes it in its own match syntax, stemming as it stems papers.
public struct KeywordTerm: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        /// A query word.
        case word
        /// A stem of the index's vocabulary, matched as a prefix (a spelling correction).
        case prefix
        /// Words that must appear together, in order.
        case phrase
        /// The words of an author's name, in the authors field.
        case author
    }

    public let kind: Kind
    /// Lowercase letters and digits, words separated by single spaces (`SearchQuery.wordParts`).
    public let text: String

    public init(_ kind: Kind, _ text: String) {
        self.kind = kind
        self.text = text
    }

    /// The words of `text`.
    public var parts: [String] { text.split(separator: " ").map(String.init) }

    public var description: String { "\(kind):\(text)" }
}

/// Which papers a ranked keyword list may hold: every `required` term, at least one of `anyOf`
/// (when it is not empty), none of `excluded`. A store scores a paper by BM25 over the required
/// and optional terms (title weighted 10, authors 3, abstract 1; k1 1.2, b 0.75, FTS5's
/// formula), with document frequencies and lengths over every paper.
public struct KeywordMatch: Sendable, Equatable {
    public var required: [KeywordTerm]
    public var anyOf: [KeywordTerm]
    public var excluded: [KeywordTerm]

    public init(required: [KeywordTerm] = [], anyOf: [KeywordTerm] = [], excluded: [KeywordTerm] = []) {
        self.required = required
        self.anyOf = anyOf
        self.excluded = excluded
    }

    /// The terms the score adds up.
    public var scored: [KeywordTerm] { required + anyOf }
}

/// The field filters of a query (`cat:`, `from:`, `to:`), the one statement of what they mean:
/// a paper has every listed category (whole entries, any case) and was published on or after
/// `from` and before the day after `to`. Stores write it in SQL; `accepts` checks a loaded paper.
public struct SearchFilters: Sendable, Equatable {
    /// Lowercased.
    public var categories: [String]
    /// Unix seconds, inclusive.
    public var publishedFrom: Double?
    /// Unix seconds, exclusive.
    public var publishedBefore: Double?

    public init(_ query: SearchQuery) {
        categories = query.categories.map { $0.lowercased() }
        publishedFrom = query.publishedFrom.map { $0.start.timeIntervalSince1970 }
        publishedBefore = query.publishedTo.map { $0.adding(days: 1).start.timeIntervalSince1970 }
    }

    public var isEmpty: Bool { categories.isEmpty && publishedFrom == nil && publishedBefore == nil }

    public func accepts(_ paper: Paper) -> Bool {
        if !categories.isEmpty {
            let held = Set(paper.categories.map { $0.lowercased() })
            guard categories.allSatisfy(held.contains) else { return false }
        }
        let published = paper.publishedAt?.timeIntervalSince1970
        if let publishedFrom {
            guard let published, published >= publishedFrom else { return false }
        }
        if let publishedBefore {
            guard let published, published < publishedBefore else { return false }
        }
        return true
    }
}

/// How common a query term is, counted up to a cap, newest papers first.
public struct PostingCount: Sendable {
    public let term: KeywordTerm
    /// Exact when `fromKey` is nil, else `cap + 1`.
    public let documents: Int
    /// Set when the term is in more than `cap` papers: the newest `cap` of them have keys at or above it.
    public let fromKey: Int64?

    public init(term: KeywordTerm, documents: Int, fromKey: Int64?) {
        self.term = term
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

/// The full-text index's primitives, for the length of one search (one read transaction or
/// connection). The search algorithm decides what to ask; the store only answers.
public protocol KeywordIndex: Sendable {
    /// How many papers hold `term`: exactly up to `cap`, else `cap + 1` and the key from which
    /// the newest `cap` of them lie.
    func postings(of term: KeywordTerm, cap: Int) async throws -> PostingCount

    /// The `limit` papers matching `match` that score best by BM25, best first, among papers that
    /// pass `filters` and, when `fromKey` is set, have keys from it on (keys grow with every insert).
    /// `rank` is the negated score: lower is better.
    func ranked(_ match: KeywordMatch, filters: SearchFilters, fromKey: Int64?, limit: Int) async throws -> [KeywordHit]
}

public enum PostingBudget {
    /// Above this many postings (papers × query terms) a keyword query stops being exact and is
    /// planned (`KeywordPlan` in PaperboySearch): the index scores every matching paper, so one
    /// common word at a million papers would cost a large part of a second (BENCHMARKS.md).
    public static let exact = 4_000
}
