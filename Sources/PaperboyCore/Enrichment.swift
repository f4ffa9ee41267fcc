import Foundation

/// A reader's claim to be one of a paper's authors (issue 19).
public struct AuthorClaim: Sendable, Equatable {
    public enum Status: String, Sendable, CaseIterable {
        /// Waiting for a curator.
        case pending
        case approved
        case rejected
    }

    public var paperID: String
    public var accountID: Int64
    public var username: String
    /// The name on the paper the reader says is theirs, exactly as the paper lists it.
    public var authorName: String
    public var status: Status
    /// The verified address that matched the paper's metadata, when the claim was approved that
    /// way; nil when a curator decides (or decided).
    public var verifiedBy: String?
    public var createdAt: Date
    public var decidedAt: Date?

    public init(
        paperID: String, accountID: Int64, username: String, authorName: String, status: Status, verifiedBy: String? = nil,
        createdAt: Date, decidedAt: Date? = nil
    ) {
        self.paperID = paperID
        self.accountID = accountID
        self.username = username
        self.authorName = authorName
        self.status = status
        self.verifiedBy = verifiedBy
        self.createdAt = createdAt
        self.decidedAt = decidedAt
    }
}

/// What the key-phrase job needs of a paper.
public struct KeyPhraseSource: Sendable, Equatable {
    public let key: UInt32
    public let title: String
    public let abstract: String
    /// The paper's `content_hash`, saved with the phrases so a change of the text redoes them.
    public let contentHash: Int64

    public init(key: UInt32, title: String, abstract: String, contentHash: Int64) {
        self.key = key
        self.title = title
        self.abstract = abstract
        self.contentHash = contentHash
    }
}

public struct ComputedKeyPhrases: Sendable, Equatable {
    public let key: UInt32
    public let phrases: [String]
    public let contentHash: Int64

    public init(key: UInt32, phrases: [String], contentHash: Int64) {
        self.key = key
        self.phrases = phrases
        self.contentHash = contentHash
    }
}

/// A paper whose repository's stars are due for a refresh.
public struct StarsTarget: Sendable, Equatable {
    public let key: UInt32
    public let paperID: String
    /// `https://github.com/owner/name` as stored.
    public let repository: String
    /// The `ETag` of the last answer, sent back as `If-None-Match`.
    public let etag: String?

    public init(key: UInt32, paperID: String, repository: String, etag: String?) {
        self.key = key
        self.paperID = paperID
        self.repository = repository
        self.etag = etag
    }
}

/// What one GitHub request found out about a paper's repository.
public enum StarsOutcome: Sendable, Equatable {
    /// A fresh count, with the answer's `ETag`.
    case stars(Int, etag: String?)
    /// `304 Not Modified`: the stored count stands.
    case unchanged
    /// The repository is gone or private: the paper shows no count.
    case missing
}

/// A paper whose first page may become a thumbnail.
public struct ThumbnailSource: Sendable, Equatable {
    public let key: UInt32
    public let paperID: String
    /// Where its PDF is: the stored PDF link, else arXiv's for an arXiv id.
    public let pdfURL: String

    public init(key: UInt32, paperID: String, pdfURL: String) {
        self.key = key
        self.paperID = paperID
        self.pdfURL = pdfURL
    }
}

public enum ThumbnailSize: String, Sendable, CaseIterable {
    /// For cards.
    case small
    /// For the paper page.
    case large

    /// Width in pixels (the height follows the page's shape).
    public var width: Int {
        switch self {
        case .small: 240
        case .large: 640
        }
    }
}

public struct ThumbnailImages: Sendable, Equatable {
    public let mediaType: String
    public let small: Data
    public let large: Data

    public init(mediaType: String, small: Data, large: Data) {
        self.mediaType = mediaType
        self.small = small
        self.large = large
    }
}
