import PaperboyCore
import Synchronization

/// What a paper's card shows that depends on the paper alone: its fields, and its HTML in the
/// pieces that the viewer's controls (vote, library) and the For-you reason go between. Made
/// once per version of a paper and shared by every page and reader: building a card (LaTeX to
/// text, the snippet, author and key-phrase links, escaping) was most of an uncached daily page
/// once Mustache was gone from the cards (BENCHMARKS.md, issue 17).
final class CardParts: Sendable {
    /// The paper the parts were made from: a later page reuses them only for an equal paper.
    let paper: Paper
    let id: String
    let url: String
    let title: String
    let published: String?
    let snippet: String
    let upvotes: Int
    let singleUpvote: Bool
    /// `nil` when there are none, so the card says nothing rather than "0 comments".
    let commentCount: Int?
    let singleComment: Bool
    let arxivURL: String?
    let pdfURL: String?
    let githubRepo: String?
    let featured: Bool
    let thumbnail: CardThumbnail
    /// Linked authors, key phrases, stars, thumbnail (issue 19).
    let enrichment: PaperEnrichment
    /// The abstract as shown, and where its words are, for a search hit's snippet.
    let abstract: String
    let abstractWords: TextWords?
    /// The vote control's links.
    let upvoteAction: String
    let signInToVote: String

    /// The paper card: up to the For-you reason, from it to the vote button, and from the vote
    /// button to the library controls (`CardHTML.paperCard`).
    let cardHead: [UInt8]
    let cardMiddle: [UInt8]
    let cardTail: [UInt8]
    /// The vote button as an anonymous reader sees it (a sign-in link with the count).
    let anonymousVote: [UInt8]
    /// Pieces of a search hit's card, whose title and snippet mark the query's words.
    let thumbnailHTML: [UInt8]
    let authorsHTML: [UInt8]
    let keyPhrasesHTML: [UInt8]
    let actionChipsHTML: [UInt8]

    private init(_ paper: Paper) {
        self.paper = paper
        enrichment = PaperEnrichment(paper, authorLimit: 6, thumbnail: .small)
        featured = paper.featured
        id = paper.id
        url = Links.paper(paper.id)
        title = LatexText.legible(paper.title)
        published = paper.publishedAt.map { Day(containing: $0).iso }
        abstract = LatexText.legible(paper.abstract)
        abstractWords = TextWords(abstract)
        snippet = TextTools.trimmed(abstract, to: 320)
        upvotes = paper.upvotes
        singleUpvote = paper.upvotes == 1
        commentCount = paper.commentCount > 0 ? paper.commentCount : nil
        singleComment = paper.commentCount == 1
        arxivURL = paper.isArxiv ? Links.arxivAbstract(paper.id) : nil
        pdfURL = paper.pdfURL ?? (paper.isArxiv ? Links.arxivPDF(paper.id) : nil)
        githubRepo = paper.githubRepo
        thumbnail = CardThumbnail(paper, title: title)
        upvoteAction = Links.upvote(paper.id)
        signInToVote = Links.signIn(next: url)

        func written(_ write: (inout HTMLWriter) -> Void) -> [UInt8] {
            var out = HTMLWriter(capacity: 1024)
            write(&out)
            return out.bytes
        }
        let (url, title, enrichment, thumbnail) = (url, title, enrichment, thumbnail)
        let (published, arxivURL, pdfURL, snippet) = (published, arxivURL, pdfURL, snippet)
        thumbnailHTML = written { CardHTML.thumbnail(thumbnail, url: url, into: &$0) }
        authorsHTML = written { CardHTML.authors(enrichment, into: &$0) }
        keyPhrasesHTML = written { CardHTML.keyPhrases(enrichment, into: &$0) }
        actionChipsHTML = written {
            CardHTML.actionChips(published: published, arxivURL: arxivURL, pdfURL: pdfURL, enrichment: enrichment, into: &$0)
        }
        let (thumbnailHTML, authorsHTML, keyPhrasesHTML, actionChipsHTML) = (thumbnailHTML, authorsHTML, keyPhrasesHTML, actionChipsHTML)
        cardHead = written { out in
            out.append(thumbnailHTML)
            out.raw("<div class=\"card-body\">\n<h2 class=\"card-title\">")
            if paper.featured {
                out.raw("<span class=\"tag featured\">Featured</span> ")
            }
            out.raw("<a href=\"")
            out.text(url)
            out.raw("\">")
            out.text(title)
            out.raw("</a></h2>\n<p class=\"meta authors\">")
            out.append(authorsHTML)
            out.raw("\n</p>\n")
        }
        cardMiddle = written { out in
            out.raw("\n<p class=\"snippet\">")
            out.text(snippet)
            out.raw("</p>\n")
            out.append(keyPhrasesHTML)
            out.raw("\n</div>\n<div class=\"card-actions\">\n")
        }
        let (commentCount, singleComment) = (commentCount, singleComment)
        cardTail = written { out in
            // The old template's vote partial ended without a newline and took its line's: the
            // comment count follows the vote button on the same line.
            if let commentCount {
                out.raw("<a class=\"chip\" href=\"")
                out.text(url)
                out.raw("#comments\">")
                out.number(commentCount)
                out.raw(singleComment ? " comment</a>" : " comments</a>")
            }
            out.raw("\n")
            out.append(actionChipsHTML)
        }
        let (upvotes, signInToVote) = (upvotes, signInToVote)
        anonymousVote = written { CardHTML.anonymousVote(signIn: signInToVote, upvotes: upvotes, into: &$0) }
    }

    /// The parts for `paper`: the ones made for an equal paper before, or new ones.
    static func of(_ paper: Paper) -> CardParts {
        if let known = recent.withLock({ $0[paper.id] }), known.paper == paper { return known }
        let parts = CardParts(paper)
        recent.withLock { recent in
            // Emptied when full: a simple bound, and a full memo means a corpus far larger than
            // the pages that are read again (the demo's 228 papers fit many times over).
            if recent.count >= capacity { recent.removeAll(keepingCapacity: true) }
            recent[paper.id] = parts
        }
        return parts
    }

    static let capacity = 4096
    private static let recent = Mutex<[String: CardParts]>([:])
}
