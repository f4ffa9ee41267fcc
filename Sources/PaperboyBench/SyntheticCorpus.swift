import PaperboyStore
import PaperboyIngest
import PaperboySearch
import Foundation
import PaperboyCore

/// Generates realistic-looking papers in the arXiv snapshot format for benchmarks and tests.
/// Deterministic for a given seed, so benchmark runs compare like with like.
public struct SyntheticCorpus: Sendable {
    public var count: Int
    public var seed: UInt64
    /// Papers are numbered from this month on (`YYMM` of the first arXiv id).
    public var firstMonth: (year: Int, month: Int)

    public init(count: Int, seed: UInt64 = 42, firstMonth: (year: Int, month: Int) = (2024, 1)) {
        self.count = count
        self.seed = seed
        self.firstMonth = firstMonth
    }

    /// Writes `count` JSON lines through `write`, in chunks.
    public func generate(_ write: (Data) throws -> Void) throws {
        var chunk = Data()
        chunk.reserveCapacity(1 << 20)
        try lines { line in
            try chunk.append(Self.encoder.encode(line))
            chunk.append(0x0A)
            if chunk.count >= 1 << 20 {
                try write(chunk)
                chunk.removeAll(keepingCapacity: true)
            }
        }
        if !chunk.isEmpty { try write(chunk) }
    }

    /// The same papers, one at a time.
    func lines(_ body: (Line) throws -> Void) throws {
        var random = SplitMix64(seed: seed)
        let perMonth = 20_000
        for index in 0..<count {
            let monthOffset = index / perMonth
            let monthIndex = (firstMonth.year * 12 + firstMonth.month - 1) + monthOffset
            let year = monthIndex / 12
            let month = monthIndex % 12 + 1
            let id = "\(Day.pad(year % 100, 2))\(Day.pad(month, 2)).\(Day.pad(index % perMonth + 1, 5))"
            let dayOfMonth = 1 + Int(random.next() % 28)
            let day = Day(year: year, month: month, day: dayOfMonth) ?? Day(daysSinceEpoch: 0)
            let weekday = FeedPeriodNames.weekdays[day.isoWeekday - 1]
            let created = "\(weekday), \(dayOfMonth) \(FeedPeriodNames.months[month - 1]) \(year) \(Day.pad(Int(random.next() % 24), 2)):\(Day.pad(Int(random.next() % 60), 2)):00 GMT"
            let authorCount = 1 + Int(random.next() % 8)
            var authorsParsed: [[String]] = []
            for _ in 0..<authorCount {
                authorsParsed.append([Self.lastNames.randomElement(using: &random), Self.firstNames.randomElement(using: &random), ""])
            }
            let title = sentence(words: 6 + Int(random.next() % 8), random: &random, capitalised: true, skippingCommonest: true)
            var abstractParts: [String] = []
            for _ in 0..<(5 + Int(random.next() % 5)) {
                abstractParts.append(sentence(words: 12 + Int(random.next() % 14), random: &random, capitalised: true) + ".")
            }
            if random.next() % 5 == 0 {
                abstractParts.append("Code is available at https://github.com/\(Self.lastNames.randomElement(using: &random).lowercased())-lab/\(Self.vocabulary.randomElement(using: &random)).")
            }
            let primary = Self.categories.randomElement(using: &random)
            let line = Line(
                id: id, submitter: authorsParsed[0][1] + " " + authorsParsed[0][0],
                authors: authorsParsed.map { "\($0[1]) \($0[0])" }.joined(separator: ", "),
                title: title, comments: "\(8 + Int(random.next() % 30)) pages, \(1 + Int(random.next() % 12)) figures",
                journalRef: nil, doi: nil,
                categories: random.next() % 2 == 0 ? primary : "\(primary) \(Self.categories.filter { $0 != primary }.randomElement(using: &random))",
                license: "http://creativecommons.org/licenses/by/4.0/",
                abstract: "  " + abstractParts.joined(separator: " ") + "\n",
                versions: [Line.Version(version: "v1", created: created)],
                updateDate: day.iso, authorsParsed: authorsParsed)
            try body(line)
        }
    }

    func sentence(words: Int, random: inout SplitMix64, capitalised: Bool, skippingCommonest: Bool = false) -> String {
        var parts: [String] = []
        parts.reserveCapacity(words)
        for _ in 0..<words { parts.append(Self.words.sample(&random, skippingCommonest: skippingCommonest)) }
        var text = parts.joined(separator: " ")
        if capitalised, let first = text.first { text.replaceSubrange(text.startIndex...text.startIndex, with: first.uppercased()) }
        return text
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        // Sorted keys: JSONEncoder's default key order changes from run to run.
        encoder.outputFormatting = [.withoutEscapingSlashes, .sortedKeys]
        return encoder
    }()

    struct Line: Encodable {
        struct Version: Encodable {
            var version: String
            var created: String
        }

        var id, submitter, authors, title, comments: String
        var journalRef, doi: String?
        var categories, license, abstract: String
        var versions: [Version]
        var updateDate: String
        var authorsParsed: [[String]]

        enum CodingKeys: String, CodingKey {
            case id, submitter, authors, title, comments, doi, categories, license, abstract, versions
            case journalRef = "journal-ref"
            case updateDate = "update_date"
            case authorsParsed = "authors_parsed"
        }
    }

    static let categories = ["cs.LG", "cs.CL", "cs.CV", "cs.AI", "stat.ML", "cs.IR", "cs.RO", "cs.NE", "eess.AS", "math.OC"]
    static let firstNames = ["Ada", "Alan", "Grace", "Yann", "Fei", "Geoffrey", "Yoshua", "Andrej", "Ilya", "Daphne",
                             "Jürgen", "Sepp", "Kaiming", "Ashish", "Noam", "Chelsea", "Percy", "Pieter", "Zoubin", "Anima"]
    static let lastNames = ["Lovelace", "Turing", "Hopper", "LeCun", "Li", "Hinton", "Bengio", "Karpathy", "Sutskever",
                            "Koller", "Schmidhuber", "Hochreiter", "He", "Vaswani", "Shazeer", "Finn", "Liang", "Abbeel",
                            "Ghahramani", "Anandkumar", "Müller", "Zhang", "Wang", "Chen", "Kumar", "García", "Okafor"]
    /// Word frequencies follow Zipf's law, as in real abstracts: function words first, then the
    /// machine-learning vocabulary spread over ranks 40 to about 800, then thousands of rarer
    /// made-up words. A flat 250-word vocabulary made every query match nearly every paper,
    /// which no real corpus does and which made keyword benchmarks meaningless.
    static let words = ZipfVocabulary(functionWords: functionWords, contentWords: vocabulary, size: 40_000)

    /// Words benchmark topics are made of: the machine-learning vocabulary.
    public static var benchmarkTopicWords: [String] { vocabulary }

    static let functionWords = """
        the of and to a in we for is that on with by this as are our from an which be can it
        these at or show such has than not their its both while into two using based new also
        """.split(whereSeparator: \.isWhitespace).map(String.init)

    static let vocabulary = """
        model models learning neural network networks transformer attention layer layers training inference data dataset
        benchmark benchmarks language vision image images video text token tokens embedding embeddings representation
        representations diffusion generative adversarial reinforcement policy reward agent agents graph graphs sparse
        dense efficient scalable robust optimization gradient descent stochastic convex loss objective regularization
        pretraining finetuning instruction alignment preference feedback human evaluation performance accuracy state art
        results experiments method approach framework architecture encoder decoder latent variational autoencoder
        contrastive self supervised semi unsupervised retrieval augmented generation reasoning chain thought planning
        multimodal speech audio robotics control quantization pruning distillation compression memory compute hardware
        parallel distributed federated privacy fairness interpretability uncertainty calibration bayesian probabilistic
        sampling mixture experts routing scaling laws emergent zero shot few prompt prompting context window long
        sequence recurrent convolutional residual normalization dropout activation kernel manifold spectral theory
        analysis bound bounds convergence generalization overparameterized lottery ticket subnetwork initialization
        """.split(whereSeparator: \.isWhitespace).map(String.init)
}

/// A vocabulary sampled by Zipf's law (probability ∝ 1 / rank).
struct ZipfVocabulary: Sendable {
    let words: [String]
    /// Cumulative probabilities, for sampling by binary search.
    let cumulative: [Double]
    /// Titles skip the function words.
    let functionWordCount: Int

    init(functionWords: [String], contentWords: [String], size: Int) {
        var ranked = functionWords
        // Content words take every third rank after the function words, interleaved with
        // made-up words, so they are common but not as common as "the".
        var made = MadeUpWords()
        for word in contentWords {
            ranked.append(word)
            ranked.append(made.next())
            ranked.append(made.next())
        }
        while ranked.count < size { ranked.append(made.next()) }
        words = ranked
        functionWordCount = functionWords.count
        var total = 0.0
        var sums: [Double] = []
        sums.reserveCapacity(ranked.count)
        for rank in 1...ranked.count {
            total += 1 / Double(rank)
            sums.append(total)
        }
        cumulative = sums.map { $0 / total }
    }

    func sample(_ random: inout SplitMix64, skippingCommonest: Bool = false) -> String {
        let low = skippingCommonest ? cumulative[functionWordCount - 1] : 0
        let target = low + (1 - low) * Double(random.next() >> 11) / Double(1 << 53)
        var lower = 0
        var upper = cumulative.count - 1
        while lower < upper {
            let middle = (lower + upper) / 2
            if cumulative[middle] < target { lower = middle + 1 } else { upper = middle }
        }
        return words[lower]
    }
}

/// Pronounceable, deterministic non-words ("bravotel", "sukimon") for the long tail.
struct MadeUpWords {
    static let syllables = ["ba", "ko", "ri", "tel", "mon", "sa", "vu", "len", "dra", "qui", "po", "zen", "fi", "lor",
                            "mar", "ne", "tho", "gri", "su", "van", "ki", "do", "bel", "ru", "ost", "pha", "wi", "cen"]
    var counter = 0

    mutating func next() -> String {
        counter += 1
        // Three or four syllables: long enough that no two made-up words stem to the same term.
        var value = counter
        var word = ""
        for position in 0..<(counter < 20_000 ? 3 : 4) {
            word += Self.syllables[(value + position * 7) % Self.syllables.count]
            value /= Self.syllables.count
        }
        return word
    }
}

enum FeedPeriodNames {
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
    static let weekdays = ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"]
}

extension Array {
    func randomElement(using random: inout SplitMix64) -> Element {
        self[Int(random.next() % UInt64(count))]
    }
}
