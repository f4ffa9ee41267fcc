import Foundation
import PaperboyCore

/// What the shared layout needs on every page. A class: Mustache boxes what a look-up returns,
/// and a struct of 20 strings was copied (and each string retained) for every `site.*` name.
final class SiteChrome: Sendable {
    let name: String
    let home = Links.home()
    let stylesheet = Links.stylesheet()
    let favicon = Links.favicon()
    let atomFeed = Links.atomFeed()
    let openAPI = Links.openAPI()
    let searchPage = Links.searchPage()
    let thisWeek: String
    let thisMonth: String
    let trending = Links.trending()
    let trends = Links.trends()
    let submit = Links.submit()
    let script = Links.script()
    let signIn = Links.signIn()
    let signOut = Links.signOut()
    /// Set when someone is signed in (from the request's session).
    let username: String?
    let profile: String?
    let settings = Links.settings()
    let library = Links.library()
    let csrf: String?

    /// `signedOut`: the page answers a request whose session just ended (the account was deleted).
    init(name: String, today: Day, signedOut: Bool = false) {
        self.name = name
        thisWeek = Links.feed(.week(containing: today))
        thisMonth = Links.feed(.month(containing: today))
        let viewer = signedOut ? nil : Viewer.current
        username = viewer?.account.username
        profile = viewer.map { Links.profile($0.account.username) }
        csrf = viewer?.csrfToken
    }
}

/// A link with a label, for navigation rows.
struct NavigationLink {
    let label: String
    let url: String
    var active = false
}

/// One paper in a list: the feed, and later search results and digests. What depends on the
/// paper alone (`CardParts`, its fields and most of its HTML) is shared by every page that shows
/// the same version of the paper; the viewer's controls and the For-you reason are the card's own.
struct PaperCard {
    let parts: CardParts
    /// The vote button: a form for a signed-in viewer, a sign-in link otherwise.
    var vote: VoteControl
    /// Save and "Not interested", for a signed-in viewer only.
    var library: LibraryControl? = nil
    /// Why the For-you order put the paper here (one line), on For-you pages only.
    var reason: String? = nil

    init(_ paper: Paper, viewer: Viewer? = nil, voted: Bool = false) {
        parts = CardParts.of(paper)
        vote = VoteControl(parts: parts, viewer: viewer, voted: voted)
    }

    var id: String { parts.id }
}

/// The top of a card: the paper's first page once there is a thumbnail, until then a coloured
/// placeholder with its primary category. The colour comes from the id, so it stays the same.
struct CardThumbnail {
    let imageURL: String?
    let title: String
    /// Under the title on the placeholder: the arXiv id and primary category, as on a first page.
    let label: String
    let hue: Int

    /// `title`: the paper's title as shown (`LatexText.legible`), made once by `CardParts`.
    init(_ paper: Paper, title: String) {
        // A PDF that could not be rendered keeps the drawn page rather than a generic image.
        imageURL = paper.thumbnail == .image ? Links.thumbnail(paper.id, size: .small) : nil
        self.title = title
        label = ([paper.isArxiv ? "arXiv:\(paper.id)" : nil, paper.categories.first].compactMap { $0 }).joined(separator: " · ")
        hue = Int(paper.id.utf8.reduce(UInt32(2_166_136_261)) { ($0 ^ UInt32($1)) &* 16_777_619 } % 6)
    }
}

/// Upvote as a form post (works without JavaScript; paperboy.js updates it in place).
struct VoteControl {
    let action: String
    let signIn: String
    let csrf: String?
    let voted: Bool
    /// The value the button sends: the opposite of the current state.
    let next: String
    /// Where a vote without JavaScript returns to: the page that showed the button.
    var back: String? = nil

    init(paperID: String, viewer: Viewer?, voted: Bool) {
        action = Links.upvote(paperID)
        signIn = Links.signIn(next: Links.paper(paperID))
        csrf = viewer?.csrfToken
        self.voted = voted
        next = voted ? "0" : "1"
    }

    /// The same control, with the links the card's parts made once.
    init(parts: CardParts, viewer: Viewer?, voted: Bool) {
        action = parts.upvoteAction
        signIn = parts.signInToVote
        csrf = viewer?.csrfToken
        self.voted = voted
        next = voted ? "0" : "1"
    }
}

struct FeedPageModel {
    let site: SiteChrome
    let heading: String
    let periodName: String
    let views: [NavigationLink]
    let sorts: [NavigationLink]
    let previous: NavigationLink?
    let next: NavigationLink?
    let papers: [PaperCard]
    let hasPapers: Bool
    let firstRank: Int
    let previousPage: String?
    let nextPage: String?
    /// Which order the page shows, when it is not the one the reader picked (For you, community).
    var orderNote: String? = nil
    /// `FeedCalendar.html`, on feed pages.
    var calendarHTML: String? = nil
    /// Week and month pages: key phrases whose share grew most against the period before (issue 19).
    var risingPhrases: [RisingPhraseView] = []
}

struct PaperPageModel {
    let site: SiteChrome
    let title: String
    let authorsLine: String
    let published: String?
    let version: Int?
    let dailyDay: String?
    let dailyURL: String?
    let submittedBy: String?
    let upvotes: Int
    let singleUpvote: Bool
    let commentCount: Int
    let singleComment: Bool
    let categories: [String]
    let arxivURL: String?
    let pdfURL: String?
    let githubRepo: String?
    let projectPage: String?
    let doiURL: String?
    let markdownURL: String
    let jsonURL: String
    let abstract: String
    let authorComments: String?
    let journalRef: String?
    let similar: [PaperCard]
    let hasSimilar: Bool
    var vote: VoteControl
    /// Save and "Not interested", for a signed-in viewer only.
    var library: LibraryControl? = nil
    let featured: Bool
    let comments: [CommentView]
    let hasComments: Bool
    /// The new-comment form for a signed-in viewer; otherwise `signInToComment` links to sign-in.
    let commentAction: String?
    let csrf: String?
    let signInToComment: String
    let curator: CuratorControls?
    /// Linked authors, key phrases, stars, thumbnail (issue 19).
    let enrichment: PaperEnrichment
    /// Who claimed the paper, and the claim form; set by the route.
    var authorship: AuthorshipSection? = nil

    /// `similar` are the similar papers' cards, with the viewer's controls (`SitePages.cards`).
    init(paper: Paper, site: SiteChrome, similar: [PaperCard] = [], comments: [Comment] = [], voted: Bool = false) {
        self.site = site
        let viewer = Viewer.current
        vote = VoteControl(paperID: paper.id, viewer: viewer, voted: voted)
        featured = paper.featured
        self.comments = comments.map { CommentView($0, viewer: viewer) }
        hasComments = !comments.isEmpty
        commentAction = viewer.map { _ in Links.comments(paper.id) }
        csrf = viewer?.csrfToken
        signInToComment = Links.signIn(next: Links.paper(paper.id))
        curator = viewer.flatMap { $0.canCurate ? CuratorControls(paper: paper, csrf: $0.csrfToken) : nil }
        let card = CardParts.of(paper)
        enrichment = PaperEnrichment(paper, authorLimit: nil, thumbnail: .large)
        title = card.title
        authorsLine = PaperText.authorsLine(paper, limit: nil)
        published = card.published
        version = paper.version
        dailyDay = paper.dailyDay?.iso
        dailyURL = paper.dailyDay.map { Links.feed(.day($0)) }
        submittedBy = paper.submittedBy
        upvotes = paper.upvotes
        singleUpvote = paper.upvotes == 1
        commentCount = paper.commentCount
        singleComment = paper.commentCount == 1
        categories = paper.categories
        arxivURL = card.arxivURL
        pdfURL = card.pdfURL
        githubRepo = paper.githubRepo
        projectPage = paper.projectPage
        doiURL = paper.doi.map(Links.doi)
        markdownURL = Links.paperMarkdown(paper.id)
        jsonURL = Links.paperJSON(paper.id)
        abstract = card.abstract
        authorComments = paper.authorComments
        journalRef = paper.journalRef
        self.similar = similar
        hasSimilar = !similar.isEmpty
    }
}

/// A comment as shown under a paper, with the controls the viewer may use.
struct CommentView {
    let id: Int64
    let anchor: String
    let author: String
    let authorURL: String
    let created: String
    let edited: Bool
    let deleted: Bool
    let hidden: Bool
    /// Rendered by `SafeMarkdown`: escaped text plus the renderer's own tags only.
    let html: String
    let body: String
    let editAction: String?
    let deleteAction: String?
    let hideAction: String?
    let csrf: String?

    init(_ comment: Comment, viewer: Viewer?) {
        id = comment.id
        anchor = "comment-\(comment.id)"
        author = comment.author
        authorURL = Links.profile(comment.author)
        created = Day(containing: comment.createdAt).iso
        edited = comment.editedAt != nil
        deleted = comment.deleted
        hidden = comment.hidden
        html = comment.deleted ? "" : SafeMarkdown.html(comment.body)
        body = comment.body
        let mine = viewer?.account.username.lowercased() == comment.author.lowercased() && !comment.deleted
        editAction = mine ? Links.editComment(comment.id) : nil
        deleteAction = mine ? Links.deleteComment(comment.id) : nil
        hideAction = viewer?.canCurate == true ? Links.hideComment(comment.id) : nil
        csrf = viewer?.csrfToken
    }
}

struct CuratorControls {
    let featureAction: String
    let hideAction: String
    let csrf: String
    let featured: Bool
    let hidden: Bool

    init(paper: Paper, csrf: String) {
        featureAction = Links.feature(paper.id)
        hideAction = Links.hidePaper(paper.id)
        self.csrf = csrf
        featured = paper.featured
        hidden = paper.hidden
    }
}

/// One search hit, with the query's words marked in its title and abstract snippet; the rest of
/// the card comes from the paper's shared `CardParts`.
struct SearchResultCard {
    let parts: CardParts
    let titleSegments: [TextSegment]
    let snippetSegments: [TextSegment]
    let matchedBy: String?
    /// Save and "Not interested", for a signed-in reader: picking papers from a search is how a
    /// new reader starts their For-you model.
    var library: LibraryControl? = nil

    init(_ paper: Paper, highlighter: Highlighter, matchedBy: String?) {
        parts = CardParts.of(paper)
        titleSegments = highlighter.segments(parts.title)
        snippetSegments = highlighter.snippet(parts.abstract, words: parts.abstractWords)
        self.matchedBy = matchedBy
    }

    var id: String { parts.id }
}

struct SearchModeOption {
    let value: String
    let label: String
    let selected: Bool
}

struct SearchPageModel {
    let site: SiteChrome
    let searchText: String?
    let modes: [SearchModeOption]
    let problem: String?
    let semanticUnavailable: Bool
    let corrections: [(word: String, stem: String)]
    let hasQuery: Bool
    let results: [SearchResultCard]
    let hasResults: Bool
    let firstRank: Int
    let previousPage: String?
    let nextPage: String?
    /// With no results in semantic or hybrid mode: the same words as a keyword search.
    var keywordSearch: String? = nil
}

struct ErrorPageModel {
    let site: SiteChrome
    let heading: String
    let message: String
}

enum PaperText {
    /// "Ada Lovelace, Alan Turing and 4 others", or "6 authors" when only the count is known.
    static func authorsLine(_ paper: Paper, limit: Int?) -> String {
        if paper.authors.isEmpty {
            return paper.authorCount > 0 ? "\(paper.authorCount) author\(paper.authorCount == 1 ? "" : "s")" : "Authors unknown"
        }
        let shown = limit.map { Array(paper.authors.prefix($0)) } ?? paper.authors
        let others = paper.authorCount - shown.count
        return shown.joined(separator: ", ") + (others > 0 ? " and \(others) other\(others == 1 ? "" : "s")" : "")
    }
}
