import Foundation

/// A research paper as Paperboy stores and shows it.
public struct Paper: Sendable, Equatable, Codable {
    /// arXiv id without version (`2405.12345`, `hep-th/9901001`) when known, else a stable local id (`pb-…`).
    public var id: String
    public var title: String
    public var abstract: String
    /// Author names in the order the paper gives them.
    public var authors: [String]
    /// Number of authors; can exceed `authors.count` when a source only reports the count.
    public var authorCount: Int
    /// arXiv categories, primary first.
    public var categories: [String]
    public var publishedAt: Date?
    public var updatedAt: Date?
    /// Latest arXiv version number (`3` for `v3`).
    public var version: Int?
    public var doi: String?
    public var journalRef: String?
    /// The authors' comments field on arXiv ("12 pages, 3 figures").
    public var authorComments: String?
    public var githubRepo: String?
    public var projectPage: String?
    public var pdfURL: String?
    /// Where the record came from: `arxiv`, `huggingface`, `paperboy`.
    public var source: String
    /// The day the paper appeared on the daily feed.
    public var dailyDay: Day?
    public var submittedOnDailyAt: Date?
    /// Username of whoever put the paper on the daily feed.
    public var submittedBy: String?
    public var upvotes: Int
    public var commentCount: Int
    /// A curator put the paper at the top of its day.
    public var featured: Bool
    /// A curator hid the paper as spam: off every feed and out of search.
    public var hidden: Bool
    /// Key phrases drawn from the abstract (`KeyPhrases`), best first; empty until computed.
    /// Not written by imports, so a re-import keeps them (they are recomputed when the text changes).
    public var keyPhrases: [String] = []
    /// Stars of `githubRepo` when GitHub last told us; nil when never asked or there is no repository.
    public var githubStars: Int? = nil
    /// Whether a first-page thumbnail was rendered (or a placeholder stands in); nil when none was tried.
    public var thumbnail: ThumbnailState? = nil

    public init(
        id: String,
        title: String,
        abstract: String,
        authors: [String] = [],
        authorCount: Int? = nil,
        categories: [String] = [],
        publishedAt: Date? = nil,
        updatedAt: Date? = nil,
        version: Int? = nil,
        doi: String? = nil,
        journalRef: String? = nil,
        authorComments: String? = nil,
        githubRepo: String? = nil,
        projectPage: String? = nil,
        pdfURL: String? = nil,
        source: String,
        dailyDay: Day? = nil,
        submittedOnDailyAt: Date? = nil,
        submittedBy: String? = nil,
        upvotes: Int = 0,
        commentCount: Int = 0,
        featured: Bool = false,
        hidden: Bool = false,
        keyPhrases: [String] = [],
        githubStars: Int? = nil,
        thumbnail: ThumbnailState? = nil
    ) {
        self.keyPhrases = keyPhrases
        self.githubStars = githubStars
        self.thumbnail = thumbnail
        self.id = id
        self.title = title
        self.abstract = abstract
        self.authors = authors
        self.authorCount = max(authorCount ?? 0, authors.count)
        self.categories = categories
        self.publishedAt = publishedAt
        self.updatedAt = updatedAt
        self.version = version
        self.doi = doi
        self.journalRef = journalRef
        self.authorComments = authorComments
        self.githubRepo = githubRepo
        self.projectPage = projectPage
        self.pdfURL = pdfURL
        self.source = source
        self.dailyDay = dailyDay
        self.submittedOnDailyAt = submittedOnDailyAt
        self.submittedBy = submittedBy
        self.upvotes = upvotes
        self.commentCount = commentCount
        self.featured = featured
        self.hidden = hidden
    }

    /// True when `id` is an arXiv identifier, so arXiv links can be offered.
    public var isArxiv: Bool { ArxivID.isValid(id) }
}

/// What became of a paper's thumbnail.
public enum ThumbnailState: String, Sendable, Codable {
    /// The first page, rendered at both sizes.
    case image
    /// The PDF was broken, too large or too slow to render: the page shows a placeholder.
    case placeholder
}

/// What an import knows about a paper. Optional community fields (`upvotes`, `dailyDay`, …)
/// are `nil` when the source does not carry them, so a re-import never wipes them.
public struct PaperRecord: Sendable, Equatable {
    public var paper: Paper
    public var hasUpvotes: Bool
    public var hasCommentCount: Bool
    /// The daily-feed day was chosen by the import (`--daily spread`), not read from the source:
    /// it only fills an empty day and does not make an otherwise unchanged record count as changed.
    public var dayIsPlacement: Bool

    public init(paper: Paper, hasUpvotes: Bool, hasCommentCount: Bool = false, dayIsPlacement: Bool = false) {
        self.paper = paper
        self.hasUpvotes = hasUpvotes
        self.hasCommentCount = hasCommentCount
        self.dayIsPlacement = dayIsPlacement
    }
}
