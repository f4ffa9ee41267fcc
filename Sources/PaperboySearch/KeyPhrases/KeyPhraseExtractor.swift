import Foundation
import PaperboyCore
import PaperboyStore

/// Key phrases without a language model, by KeyBERT's method: candidate phrases (1–3 words
/// between stopwords) from the title and abstract, each embedded with the same MiniLM model as
/// search, ranked by cosine similarity to the paper's own embedding, then picked by Maximal
/// Marginal Relevance so the phrases do not all say the same thing.
public struct KeyPhraseExtractor: Sendable {
    /// Phrases kept per paper.
    public static let phraseCount = 5
    /// KeyBERT's `diversity`: 0 ranks by relevance alone, 1 by difference alone.
    public static let diversity: Float = 0.5
    /// Candidates embedded per paper: an abstract yields 100–250 n-grams; the ones in the title and
    /// the most frequent are kept, which bounds the cost (see BENCHMARKS.md).
    public static let maximumCandidates = 64

    let embedder: SentenceEmbedder

    public init(embedder: SentenceEmbedder) {
        self.embedder = embedder
    }

    /// Phrases for each source, in one embedding call for the whole batch.
    /// `onCallingThreadOnly` as in `SentenceEmbedder.embed`: for the idle thread.
    public func extract(_ sources: [KeyPhraseSource], onCallingThreadOnly: Bool = false) -> [ComputedKeyPhrases] {
        let documents = sources.map { source in source.abstract.isEmpty ? source.title : "\(source.title). \(source.abstract)" }
        let candidateLists = sources.map { Self.candidates(title: $0.title, abstract: $0.abstract) }
        var texts = documents
        for list in candidateLists { texts += list }
        guard !texts.isEmpty else { return [] }
        let vectors = embedder.embed(texts, onCallingThreadOnly: onCallingThreadOnly)
        var offset = documents.count
        var result: [ComputedKeyPhrases] = []
        for (index, source) in sources.enumerated() {
            let list = candidateLists[index]
            let candidateVectors = Array(vectors[offset..<(offset + list.count)])
            offset += list.count
            let picked = Self.maximalMarginalRelevance(
                document: vectors[index], candidates: candidateVectors, count: Self.phraseCount, diversity: Self.diversity)
            result.append(ComputedKeyPhrases(key: source.key, phrases: picked.map { list[$0] }, contentHash: source.contentHash))
        }
        return result
    }

    /// Indexes of `count` candidates: first the one closest to the document, then each time the one
    /// maximising (1 − diversity)·sim(candidate, document) − diversity·max sim(candidate, picked).
    static func maximalMarginalRelevance(document: [Float], candidates: [[Float]], count: Int, diversity: Float) -> [Int] {
        guard !candidates.isEmpty else { return [] }
        let relevance = candidates.map { cosine($0, document) }
        var picked: [Int] = []
        var remaining = Set(candidates.indices)
        while picked.count < min(count, candidates.count) {
            var best = -1
            var bestScore = -Float.infinity
            for index in remaining.sorted() {
                let redundancy = picked.map { cosine(candidates[index], candidates[$0]) }.max() ?? 0
                let score = picked.isEmpty ? relevance[index] : (1 - diversity) * relevance[index] - diversity * redundancy
                if score > bestScore {
                    bestScore = score
                    best = index
                }
            }
            picked.append(best)
            remaining.remove(best)
        }
        return picked
    }

    static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        var dot: Float = 0, normA: Float = 0, normB: Float = 0
        for index in 0..<min(a.count, b.count) {
            dot += a[index] * b[index]
            normA += a[index] * a[index]
            normB += b[index] * b[index]
        }
        return normA > 0 && normB > 0 ? dot / (normA.squareRoot() * normB.squareRoot()) : 0
    }

    /// Words that begin or end no phrase beyond the stopwords: the vocabulary of abstracts that says
    /// what a paper does, not what it is about.
    static let fillers: Set<String> = [
        "propose", "proposed", "proposes", "show", "shows", "shown", "present", "presents", "presented", "demonstrate",
        "demonstrates", "achieve", "achieves", "achieved", "result", "results", "novel", "new", "existing", "based",
        "use", "used", "uses", "work", "works", "study", "studies", "significantly", "significant", "however", "first",
        "well", "different", "various", "many", "several", "often", "across", "within", "including", "provide",
        "provides", "introduce", "introduces", "enable", "enables", "improve", "improves", "improved", "outperforms",
        "state-of-the-art", "sota", "experiments", "experimental", "extensive", "furthermore", "moreover", "thus",
        "make", "makes", "given", "one", "two", "three", "even", "may", "might", "must", "us", "yet", "still", "like",
        "among", "upon", "whether", "either", "due", "rather", "respectively", "e.g", "i.e", "etc", "et", "al",
        "problem", "problems", "task", "tasks", "performance", "effective", "efficient", "able", "large", "high",
        "recent", "recently", "prior", "previous", "key", "main", "code", "available", "publicly", "github", "https",
        "whereas", "multiple", "named", "called", "made", "toward", "towards",
    ]

    /// Candidate phrases: 1–3 word n-grams inside runs of words without stopwords, punctuation or
    /// mathematics; the title's first, then by how often they occur, then by first position.
    static func candidates(title: String, abstract: String) -> [String] {
        // Formulas go before LaTeX is made legible, which would turn them into words.
        let titleRuns = runs(in: LatexText.legible(withoutMathematics(title), remember: false))
        let abstractRuns = runs(in: LatexText.legible(withoutMathematics(abstract), remember: false))
        var order: [String] = []
        var stats: [String: (count: Int, first: Int, inTitle: Bool, shown: String)] = [:]
        var position = 0
        for (runs, inTitle) in [(titleRuns, true), (abstractRuns, false)] {
            for run in runs {
                for length in 1...3 where run.count >= length {
                    for start in 0...(run.count - length) {
                        let words = Array(run[start..<(start + length)])
                        let key = words.map { $0.lowercased() }
                        guard let firstWord = key.first, let lastWord = key.last,
                              !fillers.contains(firstWord), !fillers.contains(lastWord),
                              // Adverbs ("effectively", "mainly") end or start no phrase.
                              !firstWord.hasSuffix("ly"), !lastWord.hasSuffix("ly"),
                              // A lone word must look like a name (an acronym, a hyphenated
                              // term) or come from the title: lone common words ("scores",
                              // "tokens") were most of the wrong phrases (BENCHMARKS.md).
                              !(length == 1 && (firstWord.count < 3 || !(inTitle || isNameLike(words[0]) || firstWord.contains("-")))) else { continue }
                        let phrase = key.joined(separator: " ")
                        position += 1
                        if var entry = stats[phrase] {
                            entry.count += 1
                            entry.inTitle = entry.inTitle || inTitle
                            stats[phrase] = entry
                        } else {
                            stats[phrase] = (1, position, inTitle, words.map(displayForm).joined(separator: " "))
                            order.append(phrase)
                        }
                    }
                }
            }
        }
        let ranked = order.sorted { left, right in
            let a = stats[left]!, b = stats[right]!
            if a.inTitle != b.inTitle { return a.inTitle }
            if a.count != b.count { return a.count > b.count }
            return a.first < b.first
        }
        return ranked.prefix(maximumCandidates).map { stats[$0]!.shown }
    }

    static func isNameLike(_ word: String) -> Bool {
        word.split(separator: "-").contains { $0.dropFirst().contains(where: \.isUppercase) } || word.contains(where: \.isNumber)
    }

    /// Acronyms and names with inner capitals ("BERT", "GPT-4", "LoRA") keep their case; other
    /// words ("Low-Rank" in a title) are lower-cased, so a capital from a title or a sentence's
    /// start does not look like a name.
    static func displayForm(_ word: String) -> String {
        let keepsCase = word.split(separator: "-").contains { $0.dropFirst().contains(where: \.isUppercase) }
        return keepsCase ? word : word.lowercased()
    }

    /// `$…$` and `$$…$$` spans replaced by a full stop, so no phrase runs across a formula.
    static func withoutMathematics(_ text: String) -> String {
        var output = ""
        var inMath = false
        for character in text {
            if character == "$" {
                if !inMath { output += " . " }
                inMath.toggle()
            } else if !inMath {
                output.append(character)
            }
        }
        return output
    }

    /// Runs of candidate words, split at stopwords, punctuation, numbers alone and `$…$` maths.
    static func runs(in text: String) -> [[String]] {
        var runs: [[String]] = []
        var current: [String] = []
        func close() {
            if !current.isEmpty { runs.append(current) }
            current = []
        }
        var inMath = false
        var word = ""
        func endWord(breaking: Bool) {
            defer { word = "" }
            var token = word
            while let last = token.last, last == "-" || last == "'" || last == "." { token.removeLast() }
            while let first = token.first, first == "-" || first == "'" { token.removeFirst() }
            if token.isEmpty {
                if breaking { close() }
                return
            }
            let lower = token.lowercased()
            if Stopwords.contains(lower) || !token.contains(where: \.isLetter) || token.count > 30 {
                close()
            } else {
                current.append(token)
            }
            if breaking { close() }
        }
        for character in text {
            if character == "$" {
                endWord(breaking: true)
                inMath.toggle()
                continue
            }
            if inMath { continue }
            if character.isLetter || character.isNumber || character == "-" || character == "'" {
                word.append(character)
            } else if character == " " || character == "\n" || character == "\t" {
                endWord(breaking: false)
            } else {
                // Commas, full stops, brackets, colons end a phrase.
                endWord(breaking: true)
            }
        }
        endWord(breaking: true)
        return runs
    }
}

extension SemanticIndex {
    /// Computes key phrases for papers that have none (or whose text changed), a batch at a time;
    /// resumable like `embedMissing`. `inBackground`: on `IdleThread`, after requests are answered.
    @discardableResult
    public func extractMissingKeyPhrases(batchSize: Int = 16, inBackground: Bool = false, progress: (@Sendable (Int) -> Void)? = nil) async throws -> Int {
        let extractor = KeyPhraseExtractor(embedder: embedder)
        var after: UInt32 = 0
        var done = 0
        while true {
            let sources = try await store.papersNeedingKeyPhrases(afterKey: after, limit: batchSize)
            guard let last = sources.last else { break }
            let phrases: [ComputedKeyPhrases]
            if inBackground {
                try await RequestActivity.waitForQuiet()
                phrases = try await IdleThread.shared.run { extractor.extract(sources, onCallingThreadOnly: true) }
            } else {
                phrases = extractor.extract(sources)
            }
            try await store.saveKeyPhrases(phrases)
            done += sources.count
            after = last.key
            progress?(done)
        }
        return done
    }
}
