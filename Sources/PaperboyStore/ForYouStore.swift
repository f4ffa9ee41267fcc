import Foundation
import PaperboyCore

/// What each reader tells Paperboy about their interests, and the models learned from it:
/// the private library (saved papers with the reader's tags), "not interested", followed authors
/// and categories, the interest paragraph, personal API tokens, the recommendation models, and
/// the TF-IDF vocabulary those models share.
///
/// Privacy: every read takes the reader's account id; the only read that crosses readers is
/// `publicCollection`, and it answers only for a tag its owner made public.
public protocol ForYouStore: Sendable {
    /// Puts the paper in the reader's library with exactly `tags` (already cleaned by
    /// `LibraryTags.clean`), replacing the tags it had. Fails with `CommunityError.noSuchPaper`.
    /// Of two concurrent saves of one paper, the later one's tags stay; neither fails.
    func savePaper(_ paperID: String, tags: [String], accountID: Int64, now: Date) async throws
    /// Takes the paper out of the library; false when it was not there.
    func unsavePaper(_ paperID: String, accountID: Int64) async throws -> Bool
    /// The reader's saved papers, newest save first; only those carrying `tag` when one is given.
    func library(accountID: Int64, tag: String?) async throws -> [LibraryEntry]
    /// Every tag the reader uses, by name, with how many papers carry it and whether it is public.
    func libraryTags(accountID: Int64) async throws -> [LibraryTag]
    /// Which of `paperIDs` are in the reader's library, with their tags.
    func savedTags(accountID: Int64, among paperIDs: [String]) async throws -> [String: [String]]
    /// Makes a tag public (a collection anyone can read) or private again.
    func setTagPublic(_ isPublic: Bool, tag: String, accountID: Int64) async throws
    /// A public collection, newest save first; nil when the account is unknown or the tag is private.
    func publicCollection(username: String, tag: String) async throws -> [LibraryEntry]?

    /// Marks or unmarks a paper "not interested". Fails with `CommunityError.noSuchPaper`.
    func setNotInterested(_ on: Bool, paperID: String, accountID: Int64, now: Date) async throws
    /// Which of `paperIDs` the reader marked "not interested".
    func notInterestedPaperIDs(accountID: Int64, among paperIDs: [String]) async throws -> Set<String>

    /// Follows or unfollows an author (by name as printed) or an arXiv category.
    func setFollow(_ on: Bool, _ follow: Follow, accountID: Int64, now: Date) async throws
    func follows(accountID: Int64) async throws -> [Follow]

    /// The reader's paragraph about their interests (cold start); nil or empty removes it.
    func setInterestParagraph(_ text: String?, accountID: Int64, now: Date) async throws
    func interestParagraph(accountID: Int64) async throws -> String?

    /// Everything a model for this reader (or one of their tags) is trained on, and a fingerprint
    /// that changes whenever any of it changes, so the retraining job knows which models are stale.
    func readerSignals(accountID: Int64, tag: String?) async throws -> ReaderSignals
    /// Accounts with at least one signal (vote, save, negative, follow, paragraph), by id.
    func accountsWithSignals() async throws -> [Int64]

    /// Stores a personal API token by its SHA-256 hash only; returns its id.
    func createAPIToken(hash: Data, name: String, accountID: Int64, now: Date) async throws -> Int64
    /// The account a token belongs to; nil for an unknown (or revoked) token.
    func apiTokenAccount(hash: Data) async throws -> Account?
    func apiTokens(accountID: Int64) async throws -> [PersonalAPIToken]
    /// Revokes one of the reader's own tokens; false when `id` is not theirs.
    func deleteAPIToken(id: Int64, accountID: Int64) async throws -> Bool

    /// Replaces the reader's model for `model.tag` ("" is the reader's own model).
    func saveRecommendationModel(_ model: StoredRecommendationModel) async throws
    func recommendationModel(accountID: Int64, tag: String) async throws -> StoredRecommendationModel?
    /// Every reader's own model (tag ""), by account id: the community order adds them up.
    func readerRecommendationModels() async throws -> [StoredRecommendationModel]

    /// The integer keys (the vector index's) of the given papers; unknown ids are left out.
    func paperKeys(ids: [String]) async throws -> [String: UInt32]

    /// Title and abstract of papers with keys above `afterKey`, by key: what the vocabulary job reads.
    func paperTexts(afterKey: UInt32, limit: Int) async throws -> [EmbeddingSource]
    /// Adds document counts for the papers up to `throughKey`, if the stored cursor is still
    /// `expectedCursor` (else nothing changes and it returns false): of two instances counting
    /// the same papers, one adds them.
    func addTermCounts(_ counts: [String: Int], documents: Int, expectedCursor: UInt32, throughKey: UInt32) async throws -> Bool
    /// The vocabulary: terms in at least `minimumDocuments` papers, with the counts and cursor.
    func termStatistics(minimumDocuments: Int) async throws -> TermStatistics
    /// Only how many papers are counted and through which key: one row, where `termStatistics`
    /// reads every term (millions of them at a million papers).
    func termCountPosition() async throws -> (documents: Int, throughKey: UInt32)

    /// Deletes the account and everything that is theirs: sessions, votes (totals recounted),
    /// comments, library, negatives, follows, paragraph, tokens and models. False when unknown.
    func deleteAccount(id: Int64) async throws -> Bool
}

public struct LibraryEntry: Sendable, Equatable {
    public let paper: Paper
    public let tags: [String]
    public let savedAt: Date

    public init(paper: Paper, tags: [String], savedAt: Date) {
        self.paper = paper
        self.tags = tags
        self.savedAt = savedAt
    }
}

public struct LibraryTag: Sendable, Equatable {
    public let name: String
    public let paperCount: Int
    public let isPublic: Bool

    public init(name: String, paperCount: Int, isPublic: Bool) {
        self.name = name
        self.paperCount = paperCount
        self.isPublic = isPublic
    }
}

public struct Follow: Sendable, Hashable, Comparable {
    public enum Kind: String, Sendable, CaseIterable { case author, category }
    public let kind: Kind
    public let value: String

    public init(kind: Kind, value: String) {
        self.kind = kind
        self.value = value
    }

    public static func < (lhs: Follow, rhs: Follow) -> Bool { (lhs.kind.rawValue, lhs.value) < (rhs.kind.rawValue, rhs.value) }
}

public struct PersonalAPIToken: Sendable, Equatable {
    public let id: Int64
    public let name: String
    public let createdAt: Date

    public init(id: Int64, name: String, createdAt: Date) {
        self.id = id
        self.name = name
        self.createdAt = createdAt
    }
}

/// The signals a model learns from, as paper keys (the vector index's keys).
public struct ReaderSignals: Sendable, Equatable {
    /// Upvoted or saved papers (for a tag: saved with that tag).
    public var likedPaperKeys: [UInt32]
    public var negativePaperKeys: [UInt32]
    public var follows: [Follow]
    public var interestParagraph: String?
    /// Changes whenever a signal above changes (counts and latest times of each kind).
    public var fingerprint: String

    public init(likedPaperKeys: [UInt32], negativePaperKeys: [UInt32], follows: [Follow], interestParagraph: String?, fingerprint: String) {
        self.likedPaperKeys = likedPaperKeys
        self.negativePaperKeys = negativePaperKeys
        self.follows = follows
        self.interestParagraph = interestParagraph
        self.fingerprint = fingerprint
    }

    public var isEmpty: Bool {
        likedPaperKeys.isEmpty && negativePaperKeys.isEmpty && follows.isEmpty && (interestParagraph ?? "").isEmpty
    }
}

/// A trained model as the store keeps it: opaque weights (see `RecommendationModel` in
/// PaperboySearch) and the signal fingerprint it was trained on.
public struct StoredRecommendationModel: Sendable, Equatable {
    public let accountID: Int64
    /// "" for the reader's own model, else one of their tags.
    public let tag: String
    public let fingerprint: String
    public let weights: Data
    public let trainedAt: Date

    public init(accountID: Int64, tag: String, fingerprint: String, weights: Data, trainedAt: Date) {
        self.accountID = accountID
        self.tag = tag
        self.fingerprint = fingerprint
        self.weights = weights
        self.trainedAt = trainedAt
    }
}

/// Document frequencies of the TF-IDF vocabulary, counted over papers up to `throughKey`.
public struct TermStatistics: Sendable, Equatable {
    public var documents: Int
    public var throughKey: UInt32
    public var documentCounts: [String: Int]

    public init(documents: Int, throughKey: UInt32, documentCounts: [String: Int]) {
        self.documents = documents
        self.throughKey = throughKey
        self.documentCounts = documentCounts
    }
}

public enum ForYouError: Error, Equatable, CustomStringConvertible {
    case invalidTag(String)
    case tooManyTags(Int)
    case invalidFollow(String)
    case paragraphTooLong(Int)

    public var description: String {
        switch self {
        case .invalidTag: "a tag is 1 to \(LibraryTags.maximumLength) letters, digits, '-' or '_'"
        case .tooManyTags(let count): "at most \(LibraryTags.maximumCount) tags on a paper (got \(count))"
        case .invalidFollow: "an author name or arXiv category is 1 to 200 characters on one line"
        case .paragraphTooLong(let count): "the interest paragraph is at most \(InterestParagraph.maximumLength) characters (got \(count))"
        }
    }
}

/// Tag names as readers type them ("Graph Nets, rl") turned into the stored form, or refused.
public enum LibraryTags {
    public static let maximumLength = 40
    public static let maximumCount = 20

    /// Splits on commas, trims, lowercases, turns spaces into '-', drops duplicates (first order kept).
    public static func parse(_ text: String) throws -> [String] {
        try clean(text.split(separator: ",").map(String.init))
    }

    public static func clean(_ tags: [String]) throws -> [String] {
        var seen = Set<String>()
        var result: [String] = []
        for raw in tags {
            let tag = raw.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
                .split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: "-")
            if tag.isEmpty { continue }
            guard tag.count <= maximumLength, tag.unicodeScalars.allSatisfy({ $0.isASCII && (CharacterSet.alphanumerics.contains($0) || $0 == "-" || $0 == "_") }) else {
                throw ForYouError.invalidTag(String(raw.prefix(maximumLength)))
            }
            if seen.insert(tag).inserted { result.append(tag) }
        }
        guard result.count <= maximumCount else { throw ForYouError.tooManyTags(result.count) }
        return result
    }

    public static func isValid(_ tag: String) -> Bool {
        (try? clean([tag])) == [tag]
    }
}

public enum InterestParagraph {
    public static let maximumLength = 4000

    /// Trimmed text, nil when empty; fails when too long.
    public static func clean(_ text: String?) throws -> String? {
        guard let trimmed = text?.trimmingCharacters(in: .whitespacesAndNewlines), !trimmed.isEmpty else { return nil }
        guard trimmed.count <= maximumLength else { throw ForYouError.paragraphTooLong(trimmed.count) }
        return trimmed
    }
}

extension Follow {
    /// A follow from form input, or `ForYouError.invalidFollow`.
    public static func make(kind: Kind, value: String) throws -> Follow {
        let trimmed = value.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !trimmed.isEmpty, trimmed.count <= 200, !trimmed.contains(where: \.isNewline) else {
            throw ForYouError.invalidFollow(String(trimmed.prefix(40)))
        }
        return Follow(kind: kind, value: trimmed)
    }
}

/// The fingerprint `ReaderSignals` carries, built the same way by both stores.
public enum ReaderSignalFingerprint {
    public static func make(liked: (Int, Double), negatives: (Int, Double), follows: [Follow], paragraphUpdatedAt: Double?) -> String {
        let followPart = follows.map { "\($0.kind.rawValue):\($0.value)" }.joined(separator: "\u{1F}")
        // FNV-1a over the followed names: short, and stable across processes (unlike `Hasher`).
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in followPart.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01B3
        }
        return "l\(liked.0)@\(liked.1);n\(negatives.0)@\(negatives.1);f\(follows.count)-\(String(hash, radix: 16));p\(paragraphUpdatedAt ?? 0)"
    }
}
