import Foundation

/// BERT's tokenizer as HuggingFace's fast BertTokenizer runs it for all-MiniLM-L6-v2:
/// special tokens are split out of the raw text first, then the BertNormalizer (clean text,
/// pad CJK ideographs, strip accents, lowercase), the BertPreTokenizer (split on whitespace
/// and punctuation) and WordPiece (greedy longest match, `##` continuations).
public struct WordPieceTokenizer: Sendable {
    /// Words longer than this many Unicode scalars become a single [UNK].
    public static let maximumScalarsPerWord = 100
    public static let continuationPrefix = "##"

    /// Longest sequence produced by `encode`, counting [CLS] and [SEP].
    public let maximumLength: Int
    public let classifierId: Int32
    public let separatorId: Int32
    public let unknownId: Int32
    public let paddingId: Int32
    /// Number of lines in vocab.txt; every id produced is below it.
    public let vocabularyCount: Int

    /// Keyed by UTF-8 bytes, not String: String compares by canonical equivalence, which would
    /// match a decomposed Hangul word against a precomposed vocabulary entry; the reference
    /// compares bytes.
    private let vocabulary: [[UInt8]: Int32]
    /// Longest vocabulary entry in scalars (continuations counted without `##`); longer
    /// candidates cannot match, so WordPiece does not try them.
    private let longestEntry: Int
    private let specialTokens: [SpecialToken]

    private struct SpecialToken: Sendable {
        let scalars: [Unicode.Scalar]
        let id: Int32
    }

    /// Loads vocab.txt: one token per line, the line number is the id.
    public init(vocabularyFile path: String, maximumLength: Int = 256) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw EmbedderError(.missingFile, path: path, detail: "no such file")
        }
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw EmbedderError(.unreadableFile, path: path, detail: "not readable as UTF-8: \(error)")
        }
        var tokens = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if tokens.last == "" { tokens.removeLast() }
        try self.init(tokens: tokens, maximumLength: maximumLength, source: path)
    }

    init(tokens: [String], maximumLength: Int, source: String) throws {
        guard maximumLength >= 2 else {
            throw EmbedderError(.invalidConfiguration, path: source, detail: "maximum length \(maximumLength) leaves no room for [CLS] and [SEP]")
        }
        var vocabulary: [[UInt8]: Int32] = [:]
        var longestEntry = 0
        for (index, token) in tokens.enumerated() {
            let key = Array(token.utf8)
            // HuggingFace keeps the last id of a duplicated token.
            vocabulary[key] = Int32(index)
            let scalars = token.unicodeScalars.count
            longestEntry = max(longestEntry, token.hasPrefix(Self.continuationPrefix) ? scalars - 2 : scalars)
        }
        func id(_ token: String) throws -> Int32 {
            guard let id = vocabulary[Array(token.utf8)] else {
                throw EmbedderError(.invalidVocabulary, path: source, detail: "no \(token) token among \(tokens.count) tokens")
            }
            return id
        }
        self.maximumLength = maximumLength
        vocabularyCount = tokens.count
        classifierId = try id("[CLS]")
        separatorId = try id("[SEP]")
        unknownId = try id("[UNK]")
        paddingId = try id("[PAD]")
        let maskId = try id("[MASK]")
        specialTokens = [("[PAD]", paddingId), ("[UNK]", unknownId), ("[CLS]", classifierId),
                         ("[SEP]", separatorId), ("[MASK]", maskId)]
            .map { SpecialToken(scalars: Array($0.0.unicodeScalars), id: $0.1) }
        self.vocabulary = vocabulary
        self.longestEntry = max(longestEntry, 1)
    }

    /// Token ids for the model input: [CLS], the word pieces, [SEP], cut to `maximumLength`.
    public func encode(_ text: String) -> [Int32] {
        let budget = maximumLength - 2
        var ids: [Int32] = [classifierId]
        ids.reserveCapacity(min(maximumLength, text.utf8.count / 3 + 8))
        var pieces = 0
        for segment in splitSpecialTokens(Array(text.unicodeScalars)) {
            guard pieces < budget else { break }
            switch segment {
            case .special(let id):
                ids.append(id)
                pieces += 1
            case .text(let scalars):
                for word in preTokenize(normalize(scalars)) {
                    guard pieces < budget else { break }
                    for piece in wordPieces(word) {
                        guard pieces < budget else { break }
                        ids.append(piece)
                        pieces += 1
                    }
                }
            }
        }
        ids.append(separatorId)
        return ids
    }

    // MARK: Special tokens

    private enum Segment {
        case text(ArraySlice<Unicode.Scalar>)
        case special(Int32)
    }

    /// Special tokens are matched in the raw text, case-sensitively, before any normalisation
    /// (they are "added tokens" with normalized: false in tokenizer.json).
    private func splitSpecialTokens(_ scalars: [Unicode.Scalar]) -> [Segment] {
        var segments: [Segment] = []
        var textStart = 0
        var index = 0
        while index < scalars.count {
            if scalars[index] == "[", let token = specialTokens.first(where: { matches($0.scalars, in: scalars, at: index) }) {
                if textStart < index { segments.append(.text(scalars[textStart ..< index])) }
                segments.append(.special(token.id))
                index += token.scalars.count
                textStart = index
            } else {
                index += 1
            }
        }
        if textStart < scalars.count { segments.append(.text(scalars[textStart...])) }
        return segments
    }

    private func matches(_ token: [Unicode.Scalar], in scalars: [Unicode.Scalar], at start: Int) -> Bool {
        guard start + token.count <= scalars.count else { return false }
        for offset in 0 ..< token.count where scalars[start + offset] != token[offset] {
            return false
        }
        return true
    }

    // MARK: Normalisation (BertNormalizer, in the Rust order: clean, CJK, accents, lowercase)

    func normalize(_ input: ArraySlice<Unicode.Scalar>) -> [Unicode.Scalar] {
        var cleaned: [Unicode.Scalar] = []
        cleaned.reserveCapacity(input.count)
        var allASCII = true
        for scalar in input {
            let value = scalar.value
            if value == 0 || value == 0xFFFD || Self.isControl(scalar) { continue }
            if Self.isWhitespace(scalar) {
                cleaned.append(" ")
            } else if Self.isChineseCharacter(value) {
                cleaned.append(" ")
                cleaned.append(scalar)
                cleaned.append(" ")
                allASCII = false
            } else {
                cleaned.append(scalar)
                if !scalar.isASCII { allASCII = false }
            }
        }
        if allASCII {
            return cleaned.map(Self.asciiLowercased)
        }
        // Accents: canonical decomposition (Hangul syllables into jamo too), then drop Mn.
        var string = String()
        string.unicodeScalars.append(contentsOf: cleaned)
        var normalized: [Unicode.Scalar] = []
        normalized.reserveCapacity(cleaned.count + 8)
        for scalar in string.decomposedStringWithCanonicalMapping.unicodeScalars {
            if Self.referenceCategory(scalar) == .nonspacingMark { continue }
            if scalar.isASCII {
                normalized.append(Self.asciiLowercased(scalar))
            } else {
                // Full, context-free lowercase mapping per scalar, as Rust's char::to_lowercase
                // (so Σ always becomes σ, never the final ς).
                normalized.append(contentsOf: scalar.properties.lowercaseMapping.unicodeScalars)
            }
        }
        return normalized
    }

    private static func asciiLowercased(_ scalar: Unicode.Scalar) -> Unicode.Scalar {
        (0x41 ... 0x5A).contains(scalar.value) ? Unicode.Scalar(UInt8(scalar.value + 0x20)) : scalar
    }

    /// Rust's char::is_whitespace (the White_Space property), with tab, newline and return.
    static func isWhitespace(_ scalar: Unicode.Scalar) -> Bool {
        scalar.properties.isWhitespace
    }

    /// The general category as HuggingFace tokenizers sees it. Its BertNormalizer and
    /// BertPreTokenizer classify with the unicode_categories crate, whose tables are from
    /// Unicode 8.0: code points assigned later are unassigned there (kept, and so [UNK]),
    /// and seven code points have changed category since. Checked against the reference
    /// for every code point.
    static func referenceCategory(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory {
        switch scalar.value {
        case 0x166D, 0x111C9: return .otherPunctuation
        case 0x1734, 0x1171E: return .nonspacingMark
        case 0x1885, 0x1886: return .otherLetter
        case 0xA9BD: return .spacingMark
        default: break
        }
        guard let age = scalar.properties.age, age.major < 8 || (age.major == 8 && age.minor == 0) else {
            return .unassigned
        }
        return scalar.properties.generalCategory
    }

    /// clean_text drops control, format, private-use and surrogate code points (Cc, Cf, Co,
    /// Cs), but not unassigned ones, which reach WordPiece and become [UNK]; tab, newline and
    /// return count as whitespace instead.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09, 0x0A, 0x0D: return false
        case 0x20 ..< 0x7F: return false
        default: break
        }
        switch referenceCategory(scalar) {
        case .control, .format, .privateUse, .surrogate: return true
        default: return false
        }
    }

    /// The CJK ideograph blocks BERT splits into single characters (the ranges in HuggingFace
    /// tokenizers' BertNormalizer; Hangul, kana and other scripts are not among them).
    static func isChineseCharacter(_ value: UInt32) -> Bool {
        switch value {
        case 0x4E00 ... 0x9FFF, 0x3400 ... 0x4DBF, 0x20000 ... 0x2A6DF, 0x2A700 ... 0x2B73F,
             0x2B740 ... 0x2B81F, 0x2B920 ... 0x2CEAF, 0xF900 ... 0xFAFF, 0x2F800 ... 0x2FA1F:
            return true
        default:
            return false
        }
    }

    /// ASCII punctuation (which includes symbols such as $ + < = > ^ ` | ~) or any Unicode P*.
    static func isPunctuation(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x21 ... 0x2F, 0x3A ... 0x40, 0x5B ... 0x60, 0x7B ... 0x7E: return true
        case 0 ..< 0x80: return false
        default: break
        }
        switch referenceCategory(scalar) {
        case .connectorPunctuation, .dashPunctuation, .openPunctuation, .closePunctuation,
             .initialPunctuation, .finalPunctuation, .otherPunctuation:
            return true
        default:
            return false
        }
    }

    // MARK: Pre-tokenisation (BertPreTokenizer)

    /// Words split at whitespace (dropped) and punctuation (each mark its own word).
    func preTokenize(_ scalars: [Unicode.Scalar]) -> [ArraySlice<Unicode.Scalar>] {
        var words: [ArraySlice<Unicode.Scalar>] = []
        var start = 0
        for (index, scalar) in scalars.enumerated() {
            if scalar == " " || (!scalar.isASCII && Self.isWhitespace(scalar)) {
                if start < index { words.append(scalars[start ..< index]) }
                start = index + 1
            } else if Self.isPunctuation(scalar) {
                if start < index { words.append(scalars[start ..< index]) }
                words.append(scalars[index ... index])
                start = index + 1
            }
        }
        if start < scalars.count { words.append(scalars[start...]) }
        return words
    }

    // MARK: WordPiece

    /// Greedy longest-match-first; a word with any unmatched remainder is a single [UNK].
    func wordPieces(_ word: ArraySlice<Unicode.Scalar>) -> [Int32] {
        guard word.count <= Self.maximumScalarsPerWord else { return [unknownId] }
        let scalars = Array(word)
        var pieces: [Int32] = []
        var start = 0
        var key: [UInt8] = []
        while start < scalars.count {
            var end = min(scalars.count, start + longestEntry)
            var found: Int32?
            while start < end {
                key.removeAll(keepingCapacity: true)
                if start > 0 { key.append(contentsOf: Self.continuationPrefix.utf8) }
                for scalar in scalars[start ..< end] {
                    Self.appendUTF8(scalar, to: &key)
                }
                if let id = vocabulary[key] {
                    found = id
                    break
                }
                end -= 1
            }
            guard let id = found else { return [unknownId] }
            pieces.append(id)
            start = end
        }
        return pieces
    }

    private static func appendUTF8(_ scalar: Unicode.Scalar, to bytes: inout [UInt8]) {
        let value = scalar.value
        switch value {
        case 0 ..< 0x80:
            bytes.append(UInt8(value))
        case 0x80 ..< 0x800:
            bytes.append(UInt8(0xC0 | (value >> 6)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        case 0x800 ..< 0x10000:
            bytes.append(UInt8(0xE0 | (value >> 12)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        default:
            bytes.append(UInt8(0xF0 | (value >> 18)))
            bytes.append(UInt8(0x80 | ((value >> 12) & 0x3F)))
            bytes.append(UInt8(0x80 | ((value >> 6) & 0x3F)))
            bytes.append(UInt8(0x80 | (value & 0x3F)))
        }
    }
}
