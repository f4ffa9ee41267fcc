import Foundation
import Mustache
import PaperboyCore

/// A key phrase as a chip that searches for it.
struct KeyPhraseChip {
    let label: String
    let url: String

    init(_ phrase: String) {
        label = phrase
        url = Links.keyPhraseSearch(phrase)
    }
}

/// What issue 19 adds to a card and a paper page: linked authors, key phrases, GitHub stars and
/// the thumbnail, as the cards and the paper page (`CardHTML`, `PaperPageHTML`) write them.
struct PaperEnrichment {
    /// Shown as links to their author pages (`CardHTML.authors`).
    let authorNames: [String]
    /// "4 others" when the list is cut short or only a count is known.
    let moreAuthors: String?
    /// When no names are known: "6 authors" or "Authors unknown".
    let authorsFallback: String?
    let keyPhrases: [KeyPhraseChip]
    /// "1.2k"; nil when there is no repository or no count yet.
    let githubStars: String?
    let githubStarsExact: Int?
    let githubRepo: String?
    let thumbnailURL: String?
    let thumbnailWidth: Int
    let isPlaceholder: Bool
    let paperURL: String

    init(_ paper: Paper, authorLimit: Int?, thumbnail size: ThumbnailSize) {
        let shown = authorLimit.map { Array(paper.authors.prefix($0)) } ?? paper.authors
        authorNames = shown
        let others = paper.authorCount - shown.count
        moreAuthors = !shown.isEmpty && others > 0 ? "\(others) other\(others == 1 ? "" : "s")" : nil
        authorsFallback = shown.isEmpty ? PaperText.authorsLine(paper, limit: nil) : nil
        keyPhrases = paper.keyPhrases.map(KeyPhraseChip.init)
        githubRepo = paper.githubRepo
        githubStarsExact = paper.githubRepo == nil ? nil : paper.githubStars
        githubStars = githubStarsExact.map(Self.compact)
        switch paper.thumbnail {
        case .image?: thumbnailURL = Links.thumbnail(paper.id, size: size)
        case .placeholder?: thumbnailURL = Links.thumbnailPlaceholder()
        case nil: thumbnailURL = nil
        }
        isPlaceholder = paper.thumbnail == .placeholder
        thumbnailWidth = size.width
        paperURL = Links.paper(paper.id)
    }

    /// 950, 1.2k, 12k, 1.3M.
    static func compact(_ count: Int) -> String {
        switch count {
        case ..<1000: String(count)
        case ..<10_000: String(format: "%.1fk", Double(count) / 1000).replacingOccurrences(of: ".0k", with: "k")
        case ..<1_000_000: "\(count / 1000)k"
        default: String(format: "%.1fM", Double(count) / 1_000_000)
        }
    }
}

/// Authorship on the paper page: who claimed it, and the claim form for a signed-in reader.
struct AuthorshipSection {
    struct Claimant: MustacheParent {
        let username: String
        let profileURL: String
        let authorName: String
        let authorURL: String

        func child(named name: String) -> Any? {
            switch name {
            case "username": username
            case "profileURL": profileURL
            case "authorName": authorName
            case "authorURL": authorURL
            default: nil
            }
        }
    }

    struct Option {
        let name: String
    }

    let claimants: [Claimant]
    /// The viewer's own claim, in words ("waiting for a curator"), when there is one.
    let ownClaim: String?
    /// The claim form, for a signed-in viewer without a claim; nil otherwise.
    let action: String?
    let csrf: String?
    let options: [Option]
    /// For a signed-out reader.
    let signIn: String?

    init(paper: Paper, claims: [AuthorClaim], viewer: Viewer?) {
        claimants = claims.filter { $0.status == .approved }.map {
            Claimant(username: $0.username, profileURL: Links.profile($0.username), authorName: $0.authorName, authorURL: Links.author($0.authorName))
        }
        let mine = viewer.flatMap { viewer in claims.first { $0.accountID == viewer.account.id } }
        ownClaim = mine.map { claim in
            switch claim.status {
            case .pending: "You claimed to be \(claim.authorName); a curator will check."
            case .approved: "You are listed as \(claim.authorName)\(claim.verifiedBy == nil ? "" : " (your address is in the paper)")."
            case .rejected: "A curator did not confirm your claim to be \(claim.authorName)."
            }
        }
        let canClaim = viewer != nil && mine == nil && !paper.authors.isEmpty
        action = canClaim ? Links.claimAuthorship(paper.id) : nil
        csrf = canClaim ? viewer?.csrfToken : nil
        options = canClaim ? paper.authors.map(Option.init) : []
        signIn = viewer == nil && !paper.authors.isEmpty ? Links.signIn(next: Links.paper(paper.id)) : nil
    }
}

/// `/authors/{name}`: every paper listing the name, and who claimed which.
struct AuthorPageModel: MustacheParent {
    let site: SiteChrome
    let name: String
    let papers: [PaperCard]
    let count: String
    /// Accounts with an approved claim on one of these papers, under this name.
    let claimants: [AuthorshipSection.Claimant]
    let searchURL: String
    let trendsURL: String

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "name": self.name
        case "papers": papers
        case "hasPapers": !papers.isEmpty
        case "count": count
        case "claimants": claimants
        case "hasClaimants": !claimants.isEmpty
        case "searchURL": searchURL
        case "trendsURL": trendsURL
        default: nil
        }
    }
}

/// `/claims`: the curators' queue.
struct ClaimsPageModel: MustacheParent {
    struct Row: MustacheParent {
        let username: String
        let profileURL: String
        let authorName: String
        let paperTitle: String
        let paperURL: String
        let created: String
        let accountID: Int64
        let paperID: String

        func child(named name: String) -> Any? {
            switch name {
            case "username": username
            case "profileURL": profileURL
            case "authorName": authorName
            case "paperTitle": paperTitle
            case "paperURL": paperURL
            case "created": created
            case "accountID": accountID
            case "paperID": paperID
            default: nil
            }
        }
    }

    let site: SiteChrome
    let rows: [Row]
    let action: String
    let csrf: String
    let notice: String?

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "rows": rows
        case "hasRows": !rows.isEmpty
        case "action": action
        case "csrf": csrf
        case "notice": notice.orAbsent
        default: nil
        }
    }
}

/// A rising phrase on a week or month page.
struct RisingPhraseView: MustacheParent {
    let phrase: String
    let url: String
    let detail: String

    init(_ rising: RisingPhrase) {
        phrase = rising.phrase
        url = Links.keyPhraseSearch(rising.phrase)
        detail = "\(rising.count) paper\(rising.count == 1 ? "" : "s"), \(rising.previousCount) before"
    }

    func child(named name: String) -> Any? {
        switch name {
        case "phrase": phrase
        case "url": url
        case "detail": detail
        default: nil
        }
    }
}

/// `/trends?q=`: papers per week as an SVG chart.
struct TrendsPageModel: MustacheParent {
    struct RangeOption: MustacheParent {
        let weeks: Int
        let label: String
        let selected: Bool

        func child(named name: String) -> Any? {
            switch name {
            case "weeks": weeks
            case "label": label
            case "selected": selected
            default: nil
            }
        }
    }

    let site: SiteChrome
    let query: String?
    let problem: String?
    let ranges: [RangeOption]
    /// `TrendChart` output: built from numbers and escaped text only.
    let chart: String?
    let summary: String?
    let searchURL: String?
    /// Set when more papers matched than were counted.
    let capped: String?
    let rows: [(week: String, count: Int)]

    func child(named name: String) -> Any? {
        switch name {
        case "site": site
        case "query": query.orAbsent
        case "problem": problem.orAbsent
        case "ranges": ranges
        case "chart": chart.orAbsent
        case "summary": summary.orAbsent
        case "searchURL": searchURL.orAbsent
        case "capped": capped.orAbsent
        case "rows": rows.map { TrendRow(week: $0.week, count: $0.count) }
        case "hasRows": !rows.isEmpty
        default: nil
        }
    }
}

struct TrendRow: MustacheParent {
    let week: String
    let count: Int

    func child(named name: String) -> Any? {
        switch name {
        case "week": week
        case "count": count
        default: nil
        }
    }
}
