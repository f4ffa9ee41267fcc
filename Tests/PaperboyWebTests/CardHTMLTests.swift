import Foundation
import PaperboyCore
@testable import PaperboyWeb
import PaperboyTestSupport
import Testing

/// Card states the page snapshots do not show: featured, starred, commented, PDF-only, a rendered
/// first page, long author lists, escaping, and the library controls' other states.
@Suite struct CardHTMLTests {
    let viewer = Viewer(
        account: Account(id: 1, username: "reader", email: "reader@example.org", role: .member, createdAt: Date()),
        sessionHash: Data(), csrfToken: "token")

    func paper(
        id: String = "2502.00009", title: String = "Title", authors: [String] = ["Ada Lovelace"], authorCount: Int? = nil,
        githubRepo: String? = nil, pdfURL: String? = nil, commentCount: Int = 0, featured: Bool = false,
        keyPhrases: [String] = [], githubStars: Int? = nil, thumbnail: ThumbnailState? = nil
    ) -> Paper {
        Paper(
            id: id, title: title, abstract: "We study cards.", authors: authors, authorCount: authorCount, categories: ["cs.CL"],
            publishedAt: DateParsing.parse("2025-02-03"), githubRepo: githubRepo, pdfURL: pdfURL, source: "test", upvotes: 3,
            commentCount: commentCount, featured: featured, keyPhrases: keyPhrases, githubStars: githubStars, thumbnail: thumbnail)
    }

    @Test func paperCard_featuredStarredWithKeyPhrases_showsTagStarsAndThreeChips() {
        let html = CardHTML.paperCard(PaperCard(paper(
            githubRepo: "https://github.com/lab/cards", featured: true, keyPhrases: ["one", "two", "three", "four"], githubStars: 1234)))
        #expect(html.contains(#"<h2 class="card-title"><span class="tag featured">Featured</span> <a href="/papers/2502.00009">Title</a></h2>"#))
        #expect(html.contains(#"<a class="chip" href="https://github.com/lab/cards" title="1234 GitHub stars">GitHub ★ 1.2k</a>"#))
        #expect(html.contains(#"<ul class="key-phrases" aria-label="Key phrases"><li><a class="chip" href="/search?q=%22one%22">one</a></li>"#))
        #expect(html.contains(">three</a></li></ul>") && !html.contains(">four<"), "cards show the first three phrases")
    }

    @Test func parts_areSharedForAnEqualPaper_andMadeAgainWhenThePaperChanges() {
        let first = CardParts.of(paper(id: "memo-1"))
        #expect(CardParts.of(paper(id: "memo-1")) === first, "an equal paper reuses the parts")
        let edited = CardParts.of(paper(id: "memo-1", title: "Edited title"))
        #expect(edited !== first)
        #expect(CardHTML.paperCard(PaperCard(paper(id: "memo-1", title: "Edited title"))).contains(">Edited title</a></h2>"))
        #expect(CardHTML.paperCard(PaperCard(paper(id: "memo-1"))).contains(">Title</a></h2>"), "and the old version again")
    }

    @Test func sharedParts_keepEachReadersVoteAndLibrary() {
        let anonymous = CardHTML.paperCard(PaperCard(paper(id: "memo-2")))
        var card = PaperCard(paper(id: "memo-2"), viewer: viewer, voted: true)
        card.library = LibraryControl(paperID: card.id, viewer: viewer, tags: nil, notInterested: false, next: "/")
        let signedIn = CardHTML.paperCard(card)
        #expect(anonymous.contains(#"title="Sign in to upvote""#) && !anonymous.contains("data-library"))
        #expect(signedIn.contains(#"aria-pressed="true" title="Remove your upvote""#) && signedIn.contains(#"data-library="memo-2""#))
        #expect(CardHTML.paperCard(PaperCard(paper(id: "memo-2"))) == anonymous, "the signed-in card left the shared parts as they were")
    }

    @Test func paperCard_commentCount_singularPluralAndNone() {
        #expect(CardHTML.paperCard(PaperCard(paper(commentCount: 1))).contains(#"<a class="chip" href="/papers/2502.00009#comments">1 comment</a>"#))
        #expect(CardHTML.paperCard(PaperCard(paper(commentCount: 2))).contains(#"<a class="chip" href="/papers/2502.00009#comments">2 comments</a>"#))
        #expect(!CardHTML.paperCard(PaperCard(paper())).contains("#comments"))
    }

    @Test func paperCard_notOnArxiv_linksItsPDFAndRepository() {
        let html = CardHTML.paperCard(PaperCard(paper(id: "local-1", githubRepo: "https://github.com/lab/cards", pdfURL: "https://example.org/a.pdf")))
        #expect(html.contains(#"<a class="chip" href="https://example.org/a.pdf">PDF</a>"#) && !html.contains(">arXiv<"))
        #expect(html.contains(#"<a class="chip" href="https://github.com/lab/cards">GitHub</a>"#))
        #expect(html.contains(#"<span class="thumb-note">cs.CL</span>"#), "no arXiv id on the drawn page")
    }

    @Test func paperCard_renderedThumbnail_replacesTheDrawnPage() {
        let html = CardHTML.paperCard(PaperCard(paper(thumbnail: .image)))
        #expect(html.contains(#"aria-hidden="true"><img src="/thumbnails/small/2502.00009.webp" alt="" loading="lazy" width="320" height="200"></a>"#))
        #expect(!html.contains("thumb-page"))
    }

    @Test func paperCard_manyOrNoAuthors_linksSixAndCountsTheRest() {
        let names = ["Zoë Ünal", "A+B Chen", "O'Brien", "D", "E", "F", "G"]
        let html = CardHTML.paperCard(PaperCard(paper(authors: names, authorCount: 9)))
        #expect(html.contains(#"<p class="meta authors"><a class="author" href="/authors/Zo%C3%AB%20%C3%9Cnal">Zoë Ünal</a>, <a class="author" href="/authors/A%2BB%20Chen">A+B Chen</a>, <a class="author" href="/authors/O%27Brien">O&#39;Brien</a>, "#))
        #expect(html.contains(#"<a class="author" href="/authors/F">F</a> and 3 others"# + "\n</p>"))
        #expect(CardHTML.paperCard(PaperCard(paper(authors: [], authorCount: 3))).contains(#"<p class="meta authors">3 authors"# + "\n</p>"))
        #expect(CardHTML.paperCard(PaperCard(paper(authors: [], authorCount: 0))).contains(#"<p class="meta authors">Authors unknown"#))
    }

    @Test func paperCard_valuesWithMarkup_areEscaped() {
        var card = PaperCard(paper(title: #"<script>"Tom" & 'Jerry'</script>"#), viewer: viewer)
        card.reason = "you saved <b>this</b>"
        card.library = LibraryControl(paperID: "2502.00009", viewer: viewer, tags: ["a&b", "<c>"], notInterested: false, next: "/?a=1&b=2")
        let html = CardHTML.paperCard(card)
        #expect(!html.contains("<script>") && !html.contains("<b>this"))
        #expect(html.contains("&lt;script&gt;&quot;Tom&quot; &amp; &#39;Jerry&#39;&lt;/script&gt;"))
        #expect(html.contains(#"<p class="reason">For you: you saved &lt;b&gt;this&lt;/b&gt;</p>"#))
        #expect(html.contains(#"name="tags" value="a&amp;b, &lt;c&gt;""#) && html.contains(#"name="next" value="/?a=1&amp;b=2""#))
    }

    @Test func paperCard_signedIn_voteAndLibraryFollowTheirState() {
        var card = PaperCard(paper(), viewer: viewer, voted: true)
        card.vote.back = "/papers/date/2025-02-04"
        card.library = LibraryControl(paperID: "2502.00009", viewer: viewer, tags: ["x"], notInterested: true, next: "/")
        let html = CardHTML.paperCard(card)
        #expect(html.contains(#"<input type="hidden" name="on" value="0"><input type="hidden" name="next" value="/papers/date/2025-02-04"><button type="submit" aria-pressed="true" title="Remove your upvote">"#))
        #expect(html.contains(#"action="/papers/2502.00009/unsave""#) && html.contains("<summary>Tags<") && html.contains(">Save tags</button>"))
        #expect(html.contains(#"<input type="hidden" name="on" value="0"><button type="submit">Undo “not interested”</button>"#))

        card.library = LibraryControl(paperID: "2502.00009", viewer: viewer, tags: nil, notInterested: false, next: "/")
        let unsaved = CardHTML.paperCard(card)
        #expect(unsaved.contains("<summary>More<") && unsaved.contains(">Save with tags</button>") && unsaved.contains(">Not interested</button>"))
        #expect(!unsaved.contains("/unsave"))
    }

    @Test func searchResult_highlightsAndCountsUpvotes() {
        let card = SearchResultCard(paper(title: "Sparse cards"), highlighter: Highlighter(terms: ["sparse"]), matchedBy: "Matched by meaning")
        let html = CardHTML.searchResult(card)
        #expect(html.contains(#"<h2 class="card-title"><a href="/papers/2502.00009"><mark>Sparse</mark> cards</a></h2>"#))
        #expect(html.contains(#"<p class="meta">Matched by meaning</p>"#) && html.contains(#"<span class="chip quiet">3 upvotes</span>"#))
    }

    @Test func authorLink_spacesAndReservedBytes_arePercentEncoded() {
        #expect(Links.author("Zoë A+B/C") == "/authors/Zo%C3%AB%20A%2BB%2FC")
        #expect(Links.search("sparse attention+x") == "/search?q=sparse+attention%2Bx")
    }
}
