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
///
/// ASCII text (nearly every title and abstract) takes a byte path with the same results as the
/// general one; grapheme-aware `Character` checks were most of a search page's time (perf).
public struct Highlighter: Sendable {
    /// Word prefixes to mark; `short` ones (from terms of up to 4 letters) only mark words at most
    /// two letters longer, so "gan" marks "GANs" but not "gang…".
    let stems: [(prefix: String, short: Bool)]
    /// The ASCII stems for the byte path, flattened: every stem's bytes one after the other in
    /// `asciiStemBytes`, and where each starts, with a mask of their first bytes, so most words
    /// are passed over after one bit test. (No measurable gain on its own: finding the words was
    /// the cost, now done once per text by `TextWords`.)
    private let asciiStemBytes: [UInt8]
    private let asciiStems: [ByteStem]
    /// Bit `b` set when some ASCII stem starts with byte `b` (all are below 128).
    private let firstBytes: (low: UInt64, high: UInt64)

    private struct ByteStem {
        let start: Int
        let count: Int
        let short: Bool
    }

    /// `terms` are query words (lower case).
    public init(terms: [String]) {
        stems = Set(terms.filter { !$0.isEmpty && !Stopwords.contains($0) }).map { term in
            term.count <= 4 ? (term, true) : (String(term.prefix(max(4, term.count - 3))), false)
        }
        // A stem with other characters can never be the prefix of an ASCII word.
        var bytes: [UInt8] = []
        var byteStems: [ByteStem] = []
        var firstBytes: (low: UInt64, high: UInt64) = (0, 0)
        for stem in stems where stem.prefix.utf8.allSatisfy({ $0 < 0x80 }) {
            byteStems.append(ByteStem(start: bytes.count, count: stem.prefix.utf8.count, short: stem.short))
            bytes.append(contentsOf: stem.prefix.utf8)
            if let first = stem.prefix.utf8.first {
                if first < 64 { firstBytes.low |= 1 << UInt64(first) } else { firstBytes.high |= 1 << UInt64(first - 64) }
            }
        }
        asciiStemBytes = bytes
        asciiStems = byteStems
        self.firstBytes = firstBytes
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
        var text = text
        if let fast = text.withUTF8({ bytes in bytes.allSatisfy({ $0 < 0x80 }) ? asciiSegments(bytes) : nil }) {
            return fast
        }
        return characterSegments(text)
    }

    func characterSegmentsForTesting(_ text: String) -> [TextSegment] {
        stems.isEmpty ? [TextSegment(text: text, highlighted: false)] : characterSegments(text)
    }

    private func characterSegments(_ text: String) -> [TextSegment] {
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

    // MARK: The ASCII byte path

    /// `matches` for an ASCII word: the stems' bytes and spans as `withByteStems` lends them.
    @inline(__always)
    private func matchesASCII(
        _ word: UnsafeBufferPointer<UInt8>.SubSequence, _ stemBytes: UnsafeBufferPointer<UInt8>, _ stems: UnsafeBufferPointer<ByteStem>
    ) -> Bool {
        guard let firstByte = word.first else { return false }
        let first = Self.lowered(firstByte)
        let mask = first < 64 ? firstBytes.low >> UInt64(first) : firstBytes.high >> UInt64(first - 64)
        guard mask & 1 == 1 else { return false }
        let start = word.startIndex
        let length = word.count
        for stem in stems where stem.count <= length && (!stem.short || length <= stem.count + 2) {
            var offset = 0
            while offset < stem.count, Self.lowered(word.base[start + offset]) == stemBytes[stem.start + offset] { offset += 1 }
            if offset == stem.count { return true }
        }
        return false
    }

    @inline(__always)
    private static func lowered(_ byte: UInt8) -> UInt8 {
        byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
    }

    /// `body` with the flattened stems' buffers, valid only inside it.
    @inline(__always)
    private func withByteStems<Result>(_ body: (UnsafeBufferPointer<UInt8>, UnsafeBufferPointer<ByteStem>) -> Result) -> Result {
        asciiStemBytes.withUnsafeBufferPointer { bytes in asciiStems.withUnsafeBufferPointer { stems in body(bytes, stems) } }
    }

    private func asciiSegments(_ bytes: UnsafeBufferPointer<UInt8>) -> [TextSegment] {
        withByteStems { stemBytes, stems in asciiSegments(bytes, stemBytes, stems) }
    }

    private func asciiSegments(
        _ bytes: UnsafeBufferPointer<UInt8>, _ stemBytes: UnsafeBufferPointer<UInt8>, _ stems: UnsafeBufferPointer<ByteStem>
    ) -> [TextSegment] {
        var segments: [TextSegment] = []
        var plainStart = 0
        var index = 0
        let count = bytes.count
        while index < count {
            guard TextWords.isWordByte(bytes[index]) else {
                index += 1
                continue
            }
            var end = index
            while end < count, TextWords.isWordByte(bytes[end]) { end += 1 }
            if matchesASCII(bytes[index..<end], stemBytes, stems) {
                if plainStart < index {
                    segments.append(TextSegment(text: String(decoding: bytes[plainStart..<index], as: UTF8.self), highlighted: false))
                }
                segments.append(TextSegment(text: String(decoding: bytes[index..<end], as: UTF8.self), highlighted: true))
                plainStart = end
            }
            index = end
        }
        if plainStart < count {
            segments.append(TextSegment(text: String(decoding: bytes[plainStart..<count], as: UTF8.self), highlighted: false))
        }
        return segments
    }

    /// `snippet` for ASCII text: the same window, counted in bytes (one per character here).
    private func asciiSnippet(_ bytes: UnsafeBufferPointer<UInt8>, length: Int) -> [TextSegment] {
        withByteStems { stemBytes, stems in asciiSnippet(bytes, length: length, stemBytes, stems) }
    }

    private func asciiSnippet(
        _ bytes: UnsafeBufferPointer<UInt8>, length: Int, _ stemBytes: UnsafeBufferPointer<UInt8>, _ stems: UnsafeBufferPointer<ByteStem>
    ) -> [TextSegment] {
        let layout = TextWords(ascii: bytes)
        return asciiWindow(bytes, length: length, words: layout.words, isHit: layout.hits(matching: { matchesASCII(bytes[$0], stemBytes, stems) }), stemBytes, stems)
    }

    /// The snippet's window: the `length` bytes of whole words with the most hits, marked.
    private func asciiWindow(
        _ bytes: UnsafeBufferPointer<UInt8>, length: Int, words: [Range<Int>], isHit: [Bool],
        _ stemBytes: UnsafeBufferPointer<UInt8>, _ stems: UnsafeBufferPointer<ByteStem>
    ) -> [TextSegment] {
        var bestStart = 0
        var bestHits = -1
        var start = 0
        var hits = 0
        var characters = 0
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
        var windowLength = 0
        var index = bestStart
        var windowEnd = bestStart
        // Empty words (runs of spaces) before the window's first real word add nothing, as in
        // the general path, which joins words with a space only once its window is not empty.
        var firstWord: Int?
        while index < words.count, windowLength + words[index].count < length {
            windowLength += (windowLength == 0 ? 0 : 1) + words[index].count
            if firstWord == nil, !words[index].isEmpty { firstWord = index }
            windowEnd = index + 1
            index += 1
        }
        var segments: [TextSegment] = []
        if let firstWord {
            // The window is a run of the text itself: its words and the spaces between them.
            let window = UnsafeBufferPointer(rebasing: bytes[words[firstWord].lowerBound..<words[windowEnd - 1].upperBound])
            segments = asciiSegments(window, stemBytes, stems)
        }
        // The ellipses hold no word characters, so they join the neighbouring plain text.
        if bestStart > 0 {
            if let first = segments.first, !first.highlighted {
                segments[0] = TextSegment(text: "… " + first.text, highlighted: false)
            } else {
                segments.insert(TextSegment(text: "… ", highlighted: false), at: 0)
            }
        }
        if index < words.count {
            if let last = segments.last, !last.highlighted {
                segments[segments.count - 1] = TextSegment(text: last.text + " …", highlighted: false)
            } else {
                segments.append(TextSegment(text: " …", highlighted: false))
            }
        }
        return segments
    }

    /// About `length` characters of `text` around its densest run of matches, cut at word boundaries.
    public func snippet(_ text: String, length: Int = 280) -> [TextSegment] {
        var text = text
        if let fast = text.withUTF8({ bytes -> [TextSegment]? in
            // "\r\n" is one Character in two bytes: such text would count differently.
            guard bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
            guard bytes.count > length else { return stems.isEmpty ? nil : asciiSegments(bytes) }
            return asciiSnippet(bytes, length: length)
        }) {
            return fast
        }
        return characterSnippet(text, length: length)
    }

    /// `snippet`, with the text's words found before (`TextWords`, kept with a search result's
    /// card): only the query's matching is left to do.
    public func snippet(_ text: String, words: TextWords?, length: Int = 280) -> [TextSegment] {
        guard let words, words.byteCount == text.utf8.count, words.byteCount > length else { return snippet(text, length: length) }
        var text = text
        return text.withUTF8 { bytes in
            withByteStems { stemBytes, stems in
                let isHit = words.hits(matching: { matchesASCII(bytes[$0], stemBytes, stems) })
                return asciiWindow(bytes, length: length, words: words.words, isHit: isHit, stemBytes, stems)
            }
        }
    }

    /// The general `snippet`, by `Character`.
    func characterSnippet(_ text: String, length: Int) -> [TextSegment] {
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

/// Where the words of an ASCII text are, for `Highlighter.snippet(_:words:)`: found once per
/// text rather than for every query that highlights it. A search result's abstract keeps them
/// with the paper's card (finding them was a tenth of a fresh search page, perf).
public struct TextWords: Sendable {
    /// Words as split by single spaces, empty ones kept, as `split(separator:omittingEmptySubsequences: false)`.
    let words: [Range<Int>]
    /// The runs of letters and digits, each with the index of its word.
    let runs: [(start: Int32, end: Int32, word: Int32)]
    let byteCount: Int

    /// nil for text the byte path does not take (not ASCII, a carriage return) or longer than 1 MB.
    public init?(_ text: String) {
        var text = text
        guard let words = text.withUTF8({ bytes -> TextWords? in
            guard bytes.count <= 1 << 20, bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
            return TextWords(ascii: bytes)
        }) else { return nil }
        self = words
    }

    init(ascii bytes: UnsafeBufferPointer<UInt8>) {
        var words: [Range<Int>] = []
        var runs: [(start: Int32, end: Int32, word: Int32)] = []
        var wordStart = 0
        func addWord(_ range: Range<Int>) {
            var index = range.lowerBound
            while index < range.upperBound {
                guard Self.isWordByte(bytes[index]) else {
                    index += 1
                    continue
                }
                var end = index
                while end < range.upperBound, Self.isWordByte(bytes[end]) { end += 1 }
                runs.append((Int32(index), Int32(end), Int32(words.count)))
                index = end
            }
            words.append(range)
        }
        for index in 0..<bytes.count where bytes[index] == 0x20 {
            addWord(wordStart..<index)
            wordStart = index + 1
        }
        addWord(wordStart..<bytes.count)
        self.words = words
        self.runs = runs
        byteCount = bytes.count
    }

    /// For each word, whether one of its runs `matches`.
    func hits(matching matches: (Range<Int>) -> Bool) -> [Bool] {
        var isHit = [Bool](repeating: false, count: words.count)
        for run in runs where !isHit[Int(run.word)] {
            if matches(Int(run.start)..<Int(run.end)) { isHit[Int(run.word)] = true }
        }
        return isHit
    }

    @inline(__always)
    static func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x30 && byte <= 0x39)
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
