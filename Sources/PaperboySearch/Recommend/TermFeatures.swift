import Foundation
import PaperboyCore
import PaperboyStore

/// The words of a title and abstract as the recommendation models see them: lowercased,
/// accents folded, stopwords out, each word and each pair of neighbouring words (1- and 2-grams).
/// Words are letters/digits starting with a letter, at least two characters: arxiv-sanity-lite's
/// token pattern, so the baseline and Paperboy's model count the same terms.
public enum TermExtractor {
    public static func words(_ text: String) -> [String] {
        // Folding accents is slow in Foundation; most titles and abstracts are ASCII and skip it,
        // and take bytes instead of Characters (the same words; at a million papers tokenising
        // was most of a retrain, issue 15).
        if text.utf8.allSatisfy({ $0 < 0x80 }) { return asciiWords(text) }
        return characterWords(text.folding(options: [.caseInsensitive, .diacriticInsensitive], locale: nil).lowercased())
    }

    /// `words` for ASCII text, byte by byte: letters, digits and `_` make words.
    static func asciiWords(_ text: String) -> [String] {
        var words: [String] = []
        var text = text
        text.withUTF8 { bytes in
            var start = -1
            func flush(_ end: Int) {
                defer { start = -1 }
                guard start >= 0, end - start >= 2 else { return }
                let first = bytes[start] | 0x20
                guard first >= UInt8(ascii: "a"), first <= UInt8(ascii: "z") else { return }
                let word = String(unsafeUninitializedCapacity: end - start) { buffer in
                    for offset in 0 ..< (end - start) {
                        let byte = bytes[start + offset]
                        buffer[offset] = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte | 0x20 : byte
                    }
                    return end - start
                }
                if !Stopwords.english.contains(word) { words.append(word) }
            }
            for index in 0 ..< bytes.count {
                let byte = bytes[index]
                let lower = byte | 0x20
                let isWordByte = (lower >= UInt8(ascii: "a") && lower <= UInt8(ascii: "z"))
                    || (byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")) || byte == UInt8(ascii: "_")
                if isWordByte {
                    if start < 0 { start = index }
                } else {
                    flush(index)
                }
            }
            flush(bytes.count)
        }
        return words
    }

    /// `words` over Characters, for text that was not all ASCII (already folded and lowercased).
    static func characterWords(_ folded: String) -> [String] {
        var words: [String] = []
        var current = ""
        func flush() {
            if current.count >= 2, current.first?.isLetter == true, !Stopwords.english.contains(current) { words.append(current) }
            current = ""
        }
        for character in folded {
            if character.isLetter || character.isNumber || character == "_" {
                if character.isASCII { current.append(character) } else { flush() }
            } else {
                flush()
            }
        }
        flush()
        return words
    }

    /// Term counts of one text: every word and every neighbouring pair ("graph neural").
    public static func termCounts(_ text: String) -> [String: Int] {
        let words = words(text)
        var counts: [String: Int] = [:]
        for (index, word) in words.enumerated() {
            counts[word, default: 0] += 1
            if index + 1 < words.count { counts["\(word) \(words[index + 1])", default: 0] += 1 }
        }
        return counts
    }

    /// The text a paper contributes: title and abstract.
    public static func text(title: String, abstract: String) -> String { "\(title). \(abstract)" }
}

/// A sparse vector over a vocabulary: sorted indexes and their values.
public struct SparseVector: Sendable, Equatable {
    public var indexes: [Int32]
    public var values: [Float]

    public init(indexes: [Int32] = [], values: [Float] = []) {
        self.indexes = indexes
        self.values = values
    }
}

/// The TF-IDF vocabulary: chosen terms and their inverse document frequencies, built from the
/// document counts the store keeps (`TermStatistics`), updated as papers arrive.
public struct TermVocabulary: Sendable {
    public struct Parameters: Sendable, Equatable {
        /// Terms in fewer papers than this are left out (too rare to generalise from).
        public var minimumDocuments: Int
        /// Terms in more than this share of papers are left out (too common to tell papers apart).
        public var maximumDocumentShare: Double
        /// At most this many terms, the most common kept.
        public var maximumTerms: Int

        public init(minimumDocuments: Int = 2, maximumDocumentShare: Double = 0.1, maximumTerms: Int = 50_000) {
            self.minimumDocuments = minimumDocuments
            self.maximumDocumentShare = maximumDocumentShare
            self.maximumTerms = maximumTerms
        }
    }

    public let terms: [String]
    public let indexOfTerm: [String: Int32]
    public let inverseDocumentFrequency: [Float]
    public let documents: Int

    public init(statistics: TermStatistics, parameters: Parameters = Parameters()) {
        let limit = max(1, Int((Double(statistics.documents) * parameters.maximumDocumentShare).rounded(.down)))
        let chosen = statistics.documentCounts
            .filter { $0.value >= parameters.minimumDocuments && $0.value <= limit }
            .sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            .prefix(parameters.maximumTerms)
            .sorted { $0.key < $1.key }
        terms = chosen.map(\.key)
        var index: [String: Int32] = [:]
        index.reserveCapacity(chosen.count)
        for (position, term) in terms.enumerated() { index[term] = Int32(position) }
        indexOfTerm = index
        // Smoothed IDF, as scikit-learn's TfidfVectorizer: ln((1 + n) / (1 + df)) + 1.
        let n = Double(statistics.documents)
        inverseDocumentFrequency = chosen.map { Float(log((1 + n) / (1 + Double($0.value))) + 1) }
        documents = statistics.documents
    }

    /// Document counts of a corpus held in memory (the evaluation, tests).
    public static func statistics(of texts: [String]) -> TermStatistics {
        var counts: [String: Int] = [:]
        for text in texts {
            for term in TermExtractor.termCounts(text).keys { counts[term, default: 0] += 1 }
        }
        return TermStatistics(documents: texts.count, throughKey: 0, documentCounts: counts)
    }

    public var count: Int { terms.count }

    /// Sublinear TF (1 + ln tf) times IDF, L2-normalised; terms outside the vocabulary dropped.
    public func vector(_ text: String) -> SparseVector {
        var pairs: [(Int32, Float)] = []
        for (term, count) in TermExtractor.termCounts(text) {
            guard let index = indexOfTerm[term] else { continue }
            pairs.append((index, (1 + Float(log(Double(count)))) * inverseDocumentFrequency[Int(index)]))
        }
        pairs.sort { $0.0 < $1.0 }
        let norm = pairs.reduce(Float(0)) { $0 + $1.1 * $1.1 }.squareRoot()
        guard norm > 0 else { return SparseVector() }
        return SparseVector(indexes: pairs.map(\.0), values: pairs.map { $0.1 / norm })
    }
}
