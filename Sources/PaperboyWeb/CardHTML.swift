import PaperboyCore

/// HTML written straight into UTF-8 bytes: markup as static text, values escaped by
/// `HTMLEscaping` on the way in. The page templates include what it writes with one unescaped
/// variable (`{{{html}}}`).
struct HTMLWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 4096) {
        bytes.reserveCapacity(capacity)
    }

    /// Markup, as written in the source: never a value.
    mutating func raw(_ markup: StaticString) {
        markup.withUTF8Buffer { bytes.append(contentsOf: $0) }
    }

    /// A value, HTML-escaped.
    mutating func text(_ value: String) {
        HTMLEscaping.append(value, to: &bytes)
    }

    /// HTML written before (`CardParts`).
    mutating func append(_ html: [UInt8]) {
        bytes.append(contentsOf: html)
    }

    /// HTML written before in Swift (`FeedCalendar`), as it is.
    mutating func append(html: String) {
        bytes.append(contentsOf: html.utf8)
    }

    mutating func number(_ value: Int) {
        bytes.append(contentsOf: String(value).utf8)
    }

    var html: String { String(decoding: bytes, as: UTF8.self) }
}

/// The paper card and its parts (vote button, library controls, linked authors), written in
/// Swift: the one source of their markup, for the feed, paper, trending, library, profile,
/// collection, author and search pages. Mustache looked every variable and section of ~30 cards
/// up through dynamic casts, most of an uncached daily page's time (BENCHMARKS.md, issue 17).
enum CardHTML {
    /// `<li class="card">…</li>` and a newline.
    static func paperCard(_ card: PaperCard) -> String { list([card], paperCard) }

    /// Every card of a list, one after the other, in one string: a page includes the list with
    /// one variable, not a section that Mustache enters (and looks `html` up in) once per card.
    static func paperCards(_ cards: [PaperCard]) -> String { list(cards, paperCard) }

    /// `cards` written one after the other by `write`.
    private static func list<Card>(_ cards: [Card], _ write: (Card, inout HTMLWriter) -> Void) -> String {
        var out = HTMLWriter(capacity: 4_096 * max(1, cards.count))
        for card in cards { write(card, &out) }
        return out.html
    }

    static func paperCard(_ card: PaperCard, into out: inout HTMLWriter) {
        let parts = card.parts
        out.append(parts.cardHead)
        if let reason = card.reason {
            out.raw("<p class=\"reason\">For you: ")
            out.text(reason)
            out.raw("</p>")
        }
        out.append(parts.cardMiddle)
        if card.vote.csrf == nil {
            out.append(parts.anonymousVote)
        } else {
            vote(card.vote, upvotes: parts.upvotes, into: &out)
        }
        out.append(parts.cardTail)
        library(card.library, into: &out)
        out.raw("\n</div>\n</li>\n")
    }

    /// A search hit: the paper card's layout with the query's words marked, and the upvote count
    /// as a chip instead of the button.
    static func searchResult(_ card: SearchResultCard) -> String { list([card], searchResult) }

    static func searchResult(_ card: SearchResultCard, into out: inout HTMLWriter) {
        let parts = card.parts
        out.append(parts.thumbnailHTML)
        out.raw("<div class=\"card-body\">\n<h2 class=\"card-title\"><a href=\"")
        out.text(parts.url)
        out.raw("\">")
        segments(card.titleSegments, into: &out)
        out.raw("</a></h2>\n<p class=\"meta authors\">")
        out.append(parts.authorsHTML)
        out.raw("\n</p>\n")
        if let matchedBy = card.matchedBy {
            out.raw("<p class=\"meta\">")
            out.text(matchedBy)
            out.raw("</p>")
        }
        out.raw("\n<p class=\"snippet\">")
        segments(card.snippetSegments, into: &out)
        out.raw("</p>\n")
        out.append(parts.keyPhrasesHTML)
        out.raw("\n</div>\n<div class=\"card-actions\">\n<span class=\"chip quiet\">")
        out.number(parts.upvotes)
        out.raw(parts.singleUpvote ? " upvote</span>\n" : " upvotes</span>\n")
        out.append(parts.actionChipsHTML)
        library(card.library, into: &out)
        out.raw("\n</div>\n</li>\n")
    }

    /// The upvote button (a form for a signed-in reader, a sign-in link otherwise), no newline.
    static func vote(_ vote: VoteControl, upvotes: Int) -> String {
        var out = HTMLWriter(capacity: 512)
        self.vote(vote, upvotes: upvotes, into: &out)
        return out.html
    }

    /// Save, tags and "Not interested" (without a newline after); empty when `library` is nil.
    static func library(_ library: LibraryControl?) -> String {
        var out = HTMLWriter(capacity: 1024)
        self.library(library, into: &out)
        return out.html
    }

    /// "Ada Lovelace, Alan Turing and 4 others", each name linking to its author page.
    static func authors(_ enrichment: PaperEnrichment) -> String {
        var out = HTMLWriter(capacity: 512)
        authors(enrichment, into: &out)
        return out.html
    }

    // MARK: Parts

    static func thumbnail(_ thumbnail: CardThumbnail, url: String, into out: inout HTMLWriter) {
        out.raw("<li class=\"card\">\n<a class=\"thumb hue-")
        out.number(thumbnail.hue)
        out.raw("\" href=\"")
        out.text(url)
        out.raw("\" tabindex=\"-1\" aria-hidden=\"true\">")
        if let image = thumbnail.imageURL {
            out.raw("<img src=\"")
            out.text(image)
            out.raw("\" alt=\"\" loading=\"lazy\" width=\"320\" height=\"200\">")
        } else {
            out.raw("<span class=\"thumb-page\"><span class=\"thumb-title\">")
            out.text(thumbnail.title)
            out.raw("</span><span class=\"thumb-rule\"></span><span class=\"thumb-note\">")
            out.text(thumbnail.label)
            out.raw("</span></span>")
        }
        out.raw("</a>\n")
    }

    static func authors(_ enrichment: PaperEnrichment, into out: inout HTMLWriter) {
        let names = enrichment.authorNames
        for (index, name) in names.enumerated() {
            out.raw("<a class=\"author\" href=\"")
            out.text(Links.author(name))
            out.raw("\">")
            out.text(name)
            out.raw(index == names.count - 1 ? "</a>" : "</a>, ")
        }
        if let more = enrichment.moreAuthors {
            out.raw(" and ")
            out.text(more)
        }
        if let fallback = enrichment.authorsFallback {
            out.text(fallback)
        }
    }

    /// Cards show the first three key phrases: the first are the best (precision@1 80% against
    /// 62% for all five), and five chips made a card twice as tall. The paper page shows all.
    static func keyPhrases(_ enrichment: PaperEnrichment, limit: Int = 3, into out: inout HTMLWriter) {
        guard !enrichment.keyPhrases.isEmpty else { return }
        out.raw("<ul class=\"key-phrases\" aria-label=\"Key phrases\">")
        for chip in enrichment.keyPhrases.prefix(limit) {
            out.raw("<li><a class=\"chip\" href=\"")
            out.text(chip.url)
            out.raw("\">")
            out.text(chip.label)
            out.raw("</a></li>")
        }
        out.raw("</ul>")
    }

    private static func segments(_ segments: [TextSegment], into out: inout HTMLWriter) {
        for segment in segments {
            if segment.highlighted {
                out.raw("<mark>")
                out.text(segment.text)
                out.raw("</mark>")
            } else {
                out.text(segment.text)
            }
        }
    }

    /// Date, arXiv or PDF, GitHub: one line each, then the line of the library controls.
    static func actionChips(published: String?, arxivURL: String?, pdfURL: String?, enrichment: PaperEnrichment, into out: inout HTMLWriter) {
        if let published {
            out.raw("<span class=\"chip quiet\"><time datetime=\"")
            out.text(published)
            out.raw("\">")
            out.text(published)
            out.raw("</time></span>")
        }
        out.raw("\n")
        if let arxivURL {
            out.raw("<a class=\"chip\" href=\"")
            out.text(arxivURL)
            out.raw("\">arXiv</a>")
        } else if let pdfURL {
            out.raw("<a class=\"chip\" href=\"")
            out.text(pdfURL)
            out.raw("\">PDF</a>")
        }
        out.raw("\n")
        if let stars = enrichment.githubStars {
            githubStars(stars, enrichment, link: "<a class=\"chip\" href=\"", label: " GitHub stars\">GitHub ★ ", into: &out)
        } else if let repo = enrichment.githubRepo {
            out.raw("<a class=\"chip\" href=\"")
            out.text(repo)
            out.raw("\">GitHub</a>")
        }
        out.raw("\n")
    }

    /// The repository's stars as a link: `link` opens it up to its address, `label` closes the
    /// title and starts the text before the count (a card's chip says "GitHub ★ 1.2k").
    static func githubStars(_ stars: String, _ enrichment: PaperEnrichment, link: StaticString, label: StaticString, into out: inout HTMLWriter) {
        out.raw(link)
        if let repo = enrichment.githubRepo { out.text(repo) }
        out.raw("\" title=\"")
        if let exact = enrichment.githubStarsExact { out.number(exact) }
        out.raw(label)
        out.text(stars)
        out.raw("</a>")
    }

    static func vote(_ vote: VoteControl, upvotes: Int, into out: inout HTMLWriter) {
        if let csrf = vote.csrf {
            out.raw("<form class=\"vote\" method=\"post\" action=\"")
            out.text(vote.action)
            out.raw("\" data-vote><input type=\"hidden\" name=\"csrf\" value=\"")
            out.text(csrf)
            out.raw("\"><input type=\"hidden\" name=\"on\" value=\"")
            out.text(vote.next)
            out.raw("\"><input type=\"hidden\" name=\"next\" value=\"")
            if let back = vote.back { out.text(back) }
            out.raw(vote.voted
                ? "\"><button type=\"submit\" aria-pressed=\"true\" title=\"Remove your upvote\">"
                : "\"><button type=\"submit\" aria-pressed=\"false\" title=\"Upvote\">")
            out.raw("<span aria-hidden=\"true\">▲</span> <span data-count>")
            out.number(upvotes)
            out.raw("</span><span class=\"visually-hidden\"> upvotes</span></button></form>")
        } else {
            anonymousVote(signIn: vote.signIn, upvotes: upvotes, into: &out)
        }
    }

    /// The vote button of a reader who is not signed in: a link to sign in, with the count.
    static func anonymousVote(signIn: String, upvotes: Int, into out: inout HTMLWriter) {
        out.raw("<a class=\"vote\" href=\"")
        out.text(signIn)
        out.raw("\" title=\"Sign in to upvote\"><span aria-hidden=\"true\">▲</span> ")
        out.number(upvotes)
        out.raw("<span class=\"visually-hidden\"> upvotes: sign in to upvote</span></a>")
    }

    static func library(_ library: LibraryControl?, into out: inout HTMLWriter) {
        guard let library else { return }
        out.raw("<div class=\"library-actions\" data-library=\"")
        out.text(library.paperID)
        out.raw("\">")
        if library.saved {
            form(" class=\"inline\"", action: library.unsaveAction, library, into: &out)
            out.raw("<button type=\"submit\" aria-pressed=\"true\" title=\"Remove from library\">Saved<span class=\"visually-hidden\">: Remove from library</span></button></form>")
        } else {
            form(" class=\"inline\"", action: library.saveAction, library, into: &out)
            out.raw("<button type=\"submit\">Save</button></form>")
        }
        out.raw(library.saved ? "\n<details class=\"more\"><summary>Tags" : "\n<details class=\"more\"><summary>More")
        out.raw("<span class=\"visually-hidden\"> for this paper</span></summary><div class=\"more-panel\">")
        form("", action: library.saveAction, library, into: &out)
        out.raw("<label>Tags <input name=\"tags\" value=\"")
        out.text(library.tags)
        out.raw("\" maxlength=\"400\" size=\"16\" placeholder=\"tag, another\"></label> <button type=\"submit\">")
        out.raw(library.saved ? "Save tags" : "Save with tags")
        out.raw("</button></form>")
        form("", action: library.notInterestedAction, library, into: &out)
        out.raw("<input type=\"hidden\" name=\"on\" value=\"")
        out.text(library.notInterestedNext)
        out.raw("\"><button type=\"submit\">")
        out.raw(library.notInterested ? "Undo “not interested”" : "Not interested")
        out.raw("</button></form></div></details></div>")
    }

    /// A library form's opening tag (`attributes` before `method`) and its hidden fields.
    private static func form(_ attributes: StaticString, action: String, _ library: LibraryControl, into out: inout HTMLWriter) {
        out.raw("<form")
        out.raw(attributes)
        out.raw(" method=\"post\" action=\"")
        out.text(action)
        out.raw("\" data-library-form>")
        hiddenCSRFAndNext(library, into: &out)
    }

    private static func hiddenCSRFAndNext(_ library: LibraryControl, into out: inout HTMLWriter) {
        out.raw("<input type=\"hidden\" name=\"csrf\" value=\"")
        out.text(library.csrf)
        out.raw("\"><input type=\"hidden\" name=\"next\" value=\"")
        out.text(library.next)
        out.raw("\">")
    }
}
