/// A piece of displayed text, marked when it matches the query.
public struct TextSegment: Sendable, Equatable {
    public let text: String
    public let highlighted: Bool

    public init(text: String, highlighted: Bool) {
        self.text = text
        self.highlighted = highlighted
    }
}

/// Marks query words in titles and abstracts for result lists. Matching is by word prefix, a
/// rough stand-in for the index's stemming: "training" marks "train", "trained" and "training".
public struct Highlighter: Sendable {
    /// Word prefixes to mark; `short` ones (from terms of up to 4 letters) only mark words at most
    /// two letters longer, so "gan" marks "GANs" but not "gang…".
    let stems: [(prefix: String, short: Bool)]

    /// `terms` are query words (lower case).
    public init(terms: [String]) {
        stems = Set(terms.filter { !$0.isEmpty && !Stopwords.contains($0) }).map { term in
            term.count <= 4 ? (term, true) : (String(term.prefix(max(4, term.count - 3))), false)
        }
    }

    public var isEmpty: Bool { stems.isEmpty }

    func matches(_ word: Substring) -> Bool {
        let lower = word.lowercased()
        return stems.contains { stem in
            lower.hasPrefix(stem.prefix) && (!stem.short || lower.count <= stem.prefix.count + 2)
        }
    }

    /// `text` split into plain and highlighted segments.
    public func segments(_ text: String) -> [TextSegment] {
        guard !stems.isEmpty else { return [TextSegment(text: text, highlighted: false)] }
        var segments: [TextSegment] = []
        var plain = ""
        var index = text.startIndex
        while index < text.endIndex {
            if text[index].isLetter || text[index].isNumber {
                var end = index
                while end < text.endIndex, text[end].isLetter || text[end].isNumber { end = text.index(after: end) }
                let word = text[index..<end]
                if matches(word) {
                    if !plain.isEmpty { segments.append(TextSegment(text: plain, highlighted: false)) }
                    plain = ""
                    segments.append(TextSegment(text: String(word), highlighted: true))
                } else {
                    plain += word
                }
                index = end
            } else {
                plain.append(text[index])
                index = text.index(after: index)
            }
        }
        if !plain.isEmpty { segments.append(TextSegment(text: plain, highlighted: false)) }
        return segments
    }

    /// About `length` characters of `text` around its densest run of matches, cut at word boundaries.
    public func snippet(_ text: String, length: Int = 280) -> [TextSegment] {
        guard text.count > length else { return segments(text) }
        let words = text.split(separator: " ", omittingEmptySubsequences: false)
        var bestStart = 0
        var bestHits = -1
        var start = 0
        var hits = 0
        var characters = 0
        let isHit = words.map { word in word.split(whereSeparator: { !($0.isLetter || $0.isNumber) }).contains(where: matches) }
        for end in words.indices {
            characters += words[end].count + 1
            if isHit[end] { hits += 1 }
            while characters > length, start < end {
                characters -= words[start].count + 1
                if isHit[start] { hits -= 1 }
                start += 1
            }
            if hits > bestHits {
                bestHits = hits
                bestStart = start
            }
        }
        var window = ""
        var index = bestStart
        while index < words.count, window.count + words[index].count < length {
            window += (window.isEmpty ? "" : " ") + words[index]
            index += 1
        }
        let prefix = bestStart > 0 ? "… " : ""
        let suffix = index < words.count ? " …" : ""
        return segments(prefix + window + suffix)
    }
}

/// Spelling distance for typo-tolerant search.
public enum Spelling {
    /// Optimal string alignment distance (Damerau–Levenshtein with adjacent transpositions).
    public static func distance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previousPrevious = [Int](repeating: 0, count: b.count + 1)
        var previous = Array(0...b.count)
        var current = [Int](repeating: 0, count: b.count + 1)
        for i in 1...a.count {
            current[0] = i
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    current[j] = min(current[j], previousPrevious[j - 2] + 1)
                }
            }
            (previousPrevious, previous, current) = (previous, current, previousPrevious)
        }
        return previous[b.count]
    }

    /// How far `word` (as typed) is from an index `stem`. The stem may be a shortened form of the
    /// word ("diffus" for "diffusion"), so the word is split into a part compared with the stem and
    /// an ending; the ending is free only when it is one a stemmer removes ("ion", "ers"), and
    /// otherwise each of its letters counts as an edit. (Without that, "transfomer" was one edit
    /// from "train": "tran" + "sfomer".)
    public static func distance(word: String, stem: String) -> Int {
        let letters = Array(word)
        var best = distance(word, stem)
        let shortest = max(1, stem.count - 2)
        let longest = min(letters.count - 1, stem.count + 2)
        guard shortest <= longest else { return best }
        for split in shortest...longest {
            let ending = String(letters[split...])
            let cost = inflectionEndings.contains(ending) ? 0 : ending.count
            guard cost < best else { continue }
            best = min(best, distance(String(letters[..<split]), stem) + cost)
        }
        return best
    }

    /// Endings the index's English stemmers (Porter in SQLite, Snowball in PostgreSQL) remove.
    static let inflectionEndings: Set<String> = [
        "s", "es", "ies", "ed", "ing", "ings", "er", "ers", "e", "y", "ly", "ally", "ion", "ions", "ation",
        "ations", "ational", "al", "als", "ive", "ives", "ively", "ness", "ment", "ments", "ity", "ities",
        "ize", "izes", "ized", "izing", "ization", "izations", "ise", "ised", "ising", "ism", "isms", "ist",
        "ists", "ic", "ics", "ical", "ous", "ful", "ance", "ence", "able", "ible", "ant", "ent", "ement",
        "ate", "ates", "ated", "ating", "ator", "ators", "ier", "iers", "est", "ably", "ibly", "ency",
        "ancy", "ative", "tion", "tions", "ure", "ures",
    ]

    /// The indexed term a misspelled `word` most likely meant: the nearest within the allowed
    /// edits, and among equally near ones the commonest.
    public static func bestCorrection(for word: String, among candidates: [(term: String, documents: Int)]) -> String? {
        let allowed = allowedEdits(forLength: word.count)
        var best: (term: String, distance: Int, documents: Int)?
        for candidate in candidates where candidate.term.count >= 3 && abs(candidate.term.count - word.count) <= allowed + 4 {
            let distance = distance(word: word, stem: candidate.term)
            guard distance <= allowed else { continue }
            if let current = best, (current.distance, -current.documents) <= (distance, -candidate.documents) { continue }
            best = (candidate.term, distance, candidate.documents)
        }
        return best?.term
    }

    /// Edits allowed for a word of this length: none below 4 letters, one up to 6, two above.
    public static func allowedEdits(forLength length: Int) -> Int {
        length < 4 ? 0 : length <= 6 ? 1 : 2
    }
}
