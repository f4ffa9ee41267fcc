import Foundation
import PaperboyCore
import PaperboyStore
@testable import PaperboyWeb
import PaperboyTestSupport
@preconcurrency import SnapshotTesting
import Testing

/// The paper page is written in Swift (`PaperPageModel.document`). These pages cover every part
/// of it: every optional field set and none, each kind of comment, claim and control, for a
/// reader who is not signed in, a member and a curator, with values that need escaping.
@Suite struct PaperPageHTMLTests {
    static let created = Date(timeIntervalSince1970: 1_738_627_200)

    static func account(_ id: Int64, _ username: String, role: Role) -> Account {
        Account(id: id, username: username, email: "\(username)@example.org", role: role, createdAt: created)
    }

    static let member = Viewer(account: account(7, "grace", role: .member), sessionHash: Data(), csrfToken: "to<ken>")
    static let curator = Viewer(account: account(9, "cora", role: .curator), sessionHash: Data(), csrfToken: "cur&tok")

    static let full = Paper(
        id: "2502.00001", title: "Sparse <Subnetworks> & \"Tickets\"", abstract: "We find O(n²) tickets <b>not bold</b> & more.",
        authors: ["Ada Lovelace", "Alan O'Turing", "Grace <Hopper>"], authorCount: 5, categories: ["cs.LG", "stat.ML"],
        publishedAt: created, updatedAt: created, version: 3, doi: "10.1000/x<y>", journalRef: "J. \"Sparse\" 12",
        authorComments: "12 pages & 3 <figures>", githubRepo: "https://github.com/lab/tickets?a=1&b=2", projectPage: "https://lab.example.org/t",
        pdfURL: "https://arxiv.org/pdf/2502.00001v3", source: "arxiv", dailyDay: Day(daysSinceEpoch: 20_123), submittedOnDailyAt: created,
        submittedBy: "ada", upvotes: 1, commentCount: 1, featured: true, keyPhrases: ["sparse training", "lottery <tickets>"],
        githubStars: 1_234, thumbnail: .image)

    static let bare = Paper(id: "pb-xyz", title: "Untitled", abstract: "", source: "local", thumbnail: .placeholder)

    static let similar = [
        Paper(id: "2502.00002", title: "Pruning & growing", abstract: "Another.", authors: ["Bo"], categories: ["cs.LG"], source: "arxiv", upvotes: 4),
        Paper(id: "2502.00003", title: "Dense", abstract: "More.", source: "arxiv", thumbnail: .image),
    ]

    static let comments = [
        PaperboyCore.Comment(id: 1, paperID: "2502.00001", author: "grace", body: "- a list\n- of <two>\n\n> a quote", createdAt: created),
        PaperboyCore.Comment(id: 2, paperID: "2502.00001", author: "bob", body: "**edited** & fine", createdAt: created, editedAt: created),
        PaperboyCore.Comment(id: 3, paperID: "2502.00001", author: "eve", body: "spam", createdAt: created, hidden: true),
        PaperboyCore.Comment(id: 4, paperID: "2502.00001", author: "grace", body: "gone", createdAt: created, deleted: true),
    ]

    static func claims(viewer: Viewer?, pending: Bool) -> [AuthorClaim] {
        var claims = [AuthorClaim(paperID: "2502.00001", accountID: 3, username: "ada<", authorName: "Ada Lovelace", status: .approved, createdAt: created)]
        if pending, let viewer {
            claims.append(AuthorClaim(paperID: "2502.00001", accountID: viewer.account.id, username: viewer.account.username, authorName: "Grace <Hopper>", status: .pending, createdAt: created))
        }
        return claims
    }

    /// A page's model as the route makes it, for `viewer` (nil: not signed in).
    static func model(_ paper: Paper, viewer: Viewer?, similar: [Paper], comments: [PaperboyCore.Comment], pendingClaim: Bool = false, following: Bool = false) -> PaperPageModel {
        Viewer.$current.withValue(viewer) {
            let site = SiteChrome(name: "Lab \"papers\" & <co>", today: Day(daysSinceEpoch: 20_124))
            // As `SitePages.cards` makes them: a signed-in reader's controls return to this page.
            let cards = similar.enumerated().map { index, similarPaper in
                var card = PaperCard(similarPaper, viewer: viewer, voted: index == 0)
                if let viewer {
                    card.vote.back = Links.paper(paper.id)
                    card.library = LibraryControl(paperID: similarPaper.id, viewer: viewer, tags: index == 0 ? ["x"] : nil, notInterested: false, next: Links.paper(paper.id))
                }
                return card
            }
            var model = PaperPageModel(paper: paper, site: site, similar: cards, comments: comments, voted: viewer != nil)
            model.authorship = AuthorshipSection(paper: paper, claims: claims(viewer: viewer, pending: pendingClaim), viewer: viewer)
            if let viewer {
                var control = LibraryControl(paperID: paper.id, viewer: viewer, tags: following ? ["a&b", "c"] : nil, notInterested: following, next: Links.paper(paper.id))
                let follows = following ? [Follow(kind: .author, value: "Ada Lovelace"), Follow(kind: .category, value: "stat.ML")] : []
                control.followButtons = FollowButton.forPaper(paper, following: follows)
                model.library = control
            }
            return model
        }
    }

    static let cases: [(String, PaperPageModel)] = [
        ("anonymous-full", model(full, viewer: nil, similar: similar, comments: comments)),
        ("anonymous-bare", model(bare, viewer: nil, similar: [], comments: [])),
        ("member-full", model(full, viewer: member, similar: similar, comments: comments, following: true)),
        ("member-pending-claim", model(full, viewer: member, similar: [], comments: [comments[1]], pendingClaim: true)),
        ("member-bare", model(bare, viewer: member, similar: [], comments: [])),
        ("curator-full", model(full, viewer: curator, similar: similar, comments: comments)),
        ("curator-hidden", model(Paper(id: "2502.00009", title: "Spam", abstract: "Buy.", authors: ["X"], source: "arxiv", hidden: true), viewer: curator, similar: [], comments: [comments[2]])),
    ]

    /// Cards show a paper's first three key phrases; its own page shows them all.
    @Test func paperPage_showsEveryKeyPhrase() {
        var paper = Self.full
        paper.keyPhrases = ["one", "two", "three", "four", "five"]
        let page = String(decoding: Self.model(paper, viewer: nil, similar: [], comments: []).document, as: UTF8.self)
        for phrase in paper.keyPhrases { #expect(page.contains(">\(phrase)</a></li>"), "\(phrase)") }
        var card = HTMLWriter()
        CardHTML.keyPhrases(PaperEnrichment(paper, authorLimit: 3, thumbnail: .small), into: &card)
        #expect(card.html.contains(">three</a>") && !card.html.contains(">four</a>"))
    }

    /// The pages are compared with reviewed copies in `__Snapshots__/PaperPageHTMLTests`, first
    /// recorded from the Mustache template this Swift replaced (and identical to it).
    @Test(arguments: cases.indices)
    func everyPart(index: Int) {
        let (name, model) = Self.cases[index]
        let page = String(decoding: model.document, as: UTF8.self)
        assertSnapshot(of: page, as: Snapshotting<String, String>(pathExtension: "html", diffing: .lines), named: name)
    }
}
