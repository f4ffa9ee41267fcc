import Foundation

/// A search box query, parsed: free words, "quoted phrases", `-excluded` words and field filters
/// `author:`, `category:`, `year:2024` / `year:2020-2023`, `from:2024-01-01`, `to:2024-06-30`.
/// Parsing never fails: anything it does not understand is treated as words, and the words are
/// later bound as FTS strings, so FTS syntax or SQL typed into the box is only ever text.
public struct SearchQuery: Sendable, Equatable {
    public static let maxLength = 250

    public var words: [String] = []
    public var phrases: [String] = []
    public var excluded: [String] = []
    public var authors: [String] = []
    public var categories: [String] = []
    /// Inclusive publication-date bounds.
    public var publishedFrom: Day?
    public var publishedTo: Day?

    public init() {}

    /// The words and phrases as one text, for the embedding model.
    public var freeText: String { (phrases + words).joined(separator: " ") }

    public var hasFilters: Bool { !authors.isEmpty || !categories.isEmpty || publishedFrom != nil || publishedTo != nil }

    public var isEmpty: Bool { words.isEmpty && phrases.isEmpty && authors.isEmpty && categories.isEmpty && publishedFrom == nil && publishedTo == nil }

    public enum Problem: Error, Equatable, CustomStringConvertible {
        case empty
        case tooLong(Int)
        case badFilter(String)

        public var description: String {
            switch self {
            case .empty: "Type something to search for."
            case .tooLong(let length): "That query is \(length) characters long; the limit is \(SearchQuery.maxLength)."
            case .badFilter(let message): message
            }
        }
    }

    /// Parses `text`; throws only for an empty or over-long query or a malformed date filter.
    public static func parse(_ text: String) throws(Problem) -> SearchQuery {
        // Control characters (including NUL) are never meaningful in a query.
        let cleaned = String(String.UnicodeScalarView(text.unicodeScalars.map { $0.properties.generalCategory == .control ? " " : $0 }))
        let trimmed = cleaned.trimmingCharacters(in: .whitespaces)
        guard trimmed.count <= maxLength else { throw .tooLong(trimmed.count) }
        var query = SearchQuery()
        for token in tokens(trimmed) {
            try query.add(token)
        }
        guard !query.isEmpty else { throw .empty }
        return query
    }

    enum Token: Equatable {
        case word(String)
        case phrase(String)
        case field(name: String, value: String)
        case excluded(String)
    }

    /// Splits on white space, keeping "double-quoted phrases" (also as field values) together.
    static func tokens(_ text: String) -> [Token] {
        var result: [Token] = []
        var index = text.startIndex
        while index < text.endIndex {
            if text[index].isWhitespace {
                index = text.index(after: index)
                continue
            }
            var raw = ""
            var quoted: String?
            while index < text.endIndex, !text[index].isWhitespace {
                if text[index] == "\"" {
                    let start = text.index(after: index)
                    let end = text[start...].firstIndex(of: "\"") ?? text.endIndex
                    quoted = String(text[start..<end])
                    index = end < text.endIndex ? text.index(after: end) : end
                    break
                }
                raw.append(text[index])
                index = text.index(after: index)
            }
            if let colon = raw.firstIndex(of: ":"), raw.last == ":" || quoted == nil,
               ["author", "category", "cat", "year", "from", "to"].contains(raw[..<colon].lowercased()) {
                let name = raw[..<colon].lowercased()
                let value = quoted ?? String(raw[raw.index(after: colon)...])
                if !value.isEmpty { result.append(.field(name: name == "cat" ? "category" : name, value: value)) }
            } else if let quoted {
                if !raw.isEmpty { result.append(.word(raw)) }
                let phrase = quoted.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if !phrase.isEmpty { result.append(raw == "-" ? .excluded(phrase) : .phrase(phrase)) }
            } else if raw.hasPrefix("-"), raw.count > 1 {
                result.append(.excluded(String(raw.dropFirst())))
            } else {
                result.append(.word(raw))
            }
        }
        return result
    }

    mutating func add(_ token: Token) throws(Problem) {
        switch token {
        case .word(let word):
            let parts = SearchQuery.wordParts(word)
            words += parts
        case .phrase(let phrase):
            let parts = SearchQuery.wordParts(phrase)
            if parts.count > 1 { phrases.append(parts.joined(separator: " ")) } else { words += parts }
        case .excluded(let word):
            excluded += SearchQuery.wordParts(word)
        case .field(let name, let value):
            switch name {
            case "author": authors.append(value)
            case "category": categories.append(value)
            case "year":
                let bounds = value.split(separator: "-", omittingEmptySubsequences: false)
                guard (1...2).contains(bounds.count), let first = Int(bounds[0]), let last = Int(bounds.last ?? ""),
                      (1000...9999).contains(first), (1000...9999).contains(last), first <= last,
                      let start = Day(year: first, month: 1, day: 1), let end = Day(year: last, month: 12, day: 31)
                else { throw .badFilter("year: takes a year like 2024 or a range like 2020-2023, not \"\(value.prefix(20))\".") }
                publishedFrom = start
                publishedTo = end
            case "from", "to":
                guard let day = Day(iso: value) ?? Int(value).flatMap({ Day(year: $0, month: name == "from" ? 1 : 12, day: name == "from" ? 1 : 31) }) else {
                    throw .badFilter("\(name): takes a date like 2024-03-01 or a year, not \"\(value.prefix(20))\".")
                }
                if name == "from" { publishedFrom = day } else { publishedTo = day }
            default:
                words.append(value)
            }
        }
    }

    /// Letters and digits only: punctuation splits words ("state-of-the-art" → state, of, the, art),
    /// the way the full-text tokenizer sees them.
    public static func wordParts(_ text: String) -> [String] {
        text.lowercased().split(whereSeparator: { !($0.isLetter || $0.isNumber) }).map(String.init).filter { !$0.isEmpty }
    }
}
