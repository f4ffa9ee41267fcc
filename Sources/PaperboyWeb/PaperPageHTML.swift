/// The paper page, written in Swift like the feed and search pages, inside the layout's document
/// (`SiteChrome.document`). Its Mustache template was a quarter of an uncached paper page's time,
/// most of it finding names through dynamic casts (BENCHMARKS.md, issue 17). The markup is the
/// template's, byte for byte, blank lines included (`PaperPageHTMLTests`).
extension PaperPageModel {
    /// The whole page, titled "title · site".
    var document: [UInt8] {
        site.document(title: "\(title) · \(site.name)", capacity: 8_192 + abstract.utf8.count + 4_096 * (similar.count + comments.count)) {
            writeContent(into: &$0)
        }
    }

    func writeContent(into out: inout HTMLWriter) {
        out.raw("<article class=\"paper\">\n<h1>")
        if featured { out.raw("<span class=\"tag featured\">Featured</span> ") }
        out.text(title)
        out.raw("</h1>\n<p class=\"authors\">")
        CardHTML.authors(enrichment, into: &out)
        out.raw("\n</p>\n")
        writeEnrichment(into: &out)
        writeMeta(into: &out)
        out.raw("<div class=\"paper-votes\">")
        CardHTML.vote(vote, upvotes: upvotes, into: &out)
        out.raw(singleUpvote ? " upvote · <a href=\"#comments\">" : " upvotes · <a href=\"#comments\">")
        out.number(commentCount)
        out.raw(singleComment ? " comment</a></div>\n<p>" : " comments</a></div>\n<p>")
        for category in categories {
            out.raw("<span class=\"tag\">")
            out.text(category)
            out.raw("</span>")
        }
        out.raw("</p>\n")
        CardHTML.library(library, into: &out)
        out.raw("\n")
        if let library, !library.followButtons.isEmpty { writeFollowButtons(library, into: &out) }
        out.raw("\n<div class=\"links\">\n")
        link(arxivURL, "arXiv abstract", into: &out)
        link(pdfURL, "PDF", into: &out)
        link(githubRepo, "GitHub", into: &out)
        link(projectPage, "Project page", into: &out)
        link(doiURL, "DOI", into: &out)
        link(markdownURL, "Markdown", into: &out)
        link(jsonURL, "JSON", into: &out)
        out.raw("</div>\n")
        if let authorship { writeAuthorship(authorship, into: &out) }
        out.raw("\n<h2>Abstract</h2>\n<p class=\"abstract\">")
        out.text(abstract)
        out.raw("</p>\n")
        if let authorComments {
            out.raw("<p class=\"meta\">Comments: ")
            out.text(authorComments)
            out.raw("</p>")
        }
        out.raw("\n")
        if let journalRef {
            out.raw("<p class=\"meta\">Journal reference: ")
            out.text(journalRef)
            out.raw("</p>")
        }
        out.raw("\n</article>\n")
        if let curator { writeCuration(curator, into: &out) }
        writeDiscussion(into: &out)
        if hasSimilar {
            out.raw("\n<section aria-labelledby=\"similar-heading\">\n<h2 id=\"similar-heading\">Similar papers</h2>\n<ol class=\"papers\">\n")
            for card in similar { CardHTML.paperCard(card, into: &out) }
            out.raw("\n</ol>\n</section>")
        }
    }

    /// The first page's image, then the key phrases and GitHub stars (the template's two
    /// enrichment partials, each ending in a newline).
    private func writeEnrichment(into out: inout HTMLWriter) {
        if let thumbnailURL = enrichment.thumbnailURL {
            out.raw("<a class=\"thumbnail\" href=\"")
            out.text(enrichment.paperURL)
            out.raw("\"><img src=\"")
            out.text(thumbnailURL)
            out.raw("\" width=\"")
            out.number(enrichment.thumbnailWidth)
            out.raw(enrichment.isPlaceholder ? "\" alt=\"No preview of the first page\" loading=\"lazy\"></a>" : "\" alt=\"First page\" loading=\"lazy\"></a>")
        }
        out.raw("\n")
        CardHTML.keyPhrases(enrichment, limit: .max, into: &out)
        if let stars = enrichment.githubStars {
            CardHTML.githubStars(stars, enrichment, link: "<a class=\"stars\" href=\"", label: " GitHub stars\">★ ", into: &out)
        }
        out.raw("\n\n")
    }

    /// "Published 2025-02-01 · v2 · on the daily feed of 2025-02-04 by ada".
    private func writeMeta(into out: inout HTMLWriter) {
        out.raw("<p class=\"meta\">")
        if let published {
            out.raw("Published ")
            out.text(published)
        }
        if let version {
            out.raw(" · v")
            out.number(version)
        }
        if let dailyURL {
            out.raw(" · on the <a href=\"")
            out.text(dailyURL)
            out.raw("\">daily feed of ")
            if let dailyDay { out.text(dailyDay) }
            out.raw("</a>")
        }
        if let submittedBy {
            out.raw(" by ")
            out.text(submittedBy)
        }
        out.raw("</p>\n")
    }

    private func writeFollowButtons(_ library: LibraryControl, into out: inout HTMLWriter) {
        out.raw("<div class=\"follow-actions\">")
        for button in library.followButtons {
            out.raw("<form class=\"inline\" method=\"post\" action=\"")
            out.text(button.action)
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            out.text(library.csrf)
            out.raw("\"><input type=\"hidden\" name=\"next\" value=\"")
            out.text(library.next)
            out.raw("\"><input type=\"hidden\" name=\"kind\" value=\"")
            out.text(button.kind)
            out.raw("\"><input type=\"hidden\" name=\"value\" value=\"")
            out.text(button.value)
            out.raw("\"><input type=\"hidden\" name=\"on\" value=\"")
            out.text(button.on)
            out.raw(button.following ? "\"><button type=\"submit\">Unfollow " : "\"><button type=\"submit\">Follow ")
            out.text(button.value)
            out.raw("</button></form> ")
        }
        out.raw("</div>")
    }

    /// One line of the links list: the link when there is an address, the newline always.
    private func link(_ url: String?, _ label: StaticString, into out: inout HTMLWriter) {
        if let url {
            out.raw("<a href=\"")
            out.text(url)
            out.raw("\">")
            out.raw(label)
            out.raw("</a>")
        }
        out.raw("\n")
    }

    private func writeAuthorship(_ authorship: AuthorshipSection, into out: inout HTMLWriter) {
        out.raw("<section class=\"authorship\" aria-label=\"Authorship\">\n")
        if !authorship.claimants.isEmpty {
            out.raw("<p class=\"meta\">Confirmed authors here: ")
            for claimant in authorship.claimants {
                out.raw("<a href=\"")
                out.text(claimant.profileURL)
                out.raw("\">")
                out.text(claimant.username)
                out.raw("</a> (<a href=\"")
                out.text(claimant.authorURL)
                out.raw("\">")
                out.text(claimant.authorName)
                out.raw("</a>) ")
            }
            out.raw("</p>")
        }
        out.raw("\n")
        if let ownClaim = authorship.ownClaim {
            out.raw("<p class=\"meta\">")
            out.text(ownClaim)
            out.raw("</p>")
        }
        out.raw("\n")
        if let action = authorship.action {
            out.raw("<form class=\"inline\" method=\"post\" action=\"")
            out.text(action)
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf = authorship.csrf { out.text(csrf) }
            out.raw("\"><label>Are you an author? I am <select name=\"author\">")
            for option in authorship.options {
                out.raw("<option>")
                out.text(option.name)
                out.raw("</option>")
            }
            out.raw("</select></label> <button type=\"submit\">Claim this paper</button></form>")
        }
        out.raw("\n")
        if let signIn = authorship.signIn {
            out.raw("<p class=\"meta\"><a href=\"")
            out.text(signIn)
            out.raw("\">Sign in</a> to claim this paper as one of its authors.</p>")
        }
        out.raw("\n</section>")
    }

    private func writeCuration(_ curator: CuratorControls, into out: inout HTMLWriter) {
        out.raw("<section class=\"curation\" aria-label=\"Curation\">\n<form class=\"inline\" method=\"post\" action=\"")
        out.text(curator.featureAction)
        out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
        out.text(curator.csrf)
        out.raw(curator.featured
            ? "\"><input type=\"hidden\" name=\"featured\" value=\"0\"><button type=\"submit\">Unfeature</button></form>\n<form class=\"inline\" method=\"post\" action=\""
            : "\"><input type=\"hidden\" name=\"featured\" value=\"1\"><button type=\"submit\">Feature on its day</button></form>\n<form class=\"inline\" method=\"post\" action=\"")
        out.text(curator.hideAction)
        out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
        out.text(curator.csrf)
        out.raw(curator.hidden
            ? "\"><input type=\"hidden\" name=\"hidden\" value=\"0\"><button type=\"submit\">Show again</button></form>\n</section>\n"
            : "\"><input type=\"hidden\" name=\"hidden\" value=\"1\"><button type=\"submit\">Hide as spam</button></form>\n</section>\n")
    }

    /// The comments, each with the controls its viewer may use, and the new-comment form.
    private func writeDiscussion(into out: inout HTMLWriter) {
        out.raw("<section id=\"comments\" aria-labelledby=\"comments-heading\">\n<h2 id=\"comments-heading\">Discussion</h2>\n")
        if hasComments {
            out.raw("<ol class=\"comments\">\n")
            for comment in comments { write(comment, into: &out) }
            out.raw("</ol>")
        }
        out.raw("\n")
        if !hasComments { out.raw("<p class=\"meta\">No comments yet.</p>") }
        out.raw("\n")
        if let commentAction {
            out.raw("<form class=\"stacked\" method=\"post\" action=\"")
            out.text(commentAction)
            out.raw("\">\n<input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf { out.text(csrf) }
            out.raw("""
                ">
                <label for="comment-body">Add a comment <span class="meta">(Markdown: **bold**, *italic*, `code`, [links](https://…), lists, &gt; quotes)</span></label>
                <textarea id="comment-body" name="body" rows="5" maxlength="10000" required></textarea>
                <button type="submit">Post comment</button>
                </form>

                """)
        } else {
            out.raw("\n<p><a href=\"")
            out.text(signInToComment)
            out.raw("\">Sign in to comment</a></p>")
        }
        out.raw("\n</section>")
    }

    private func write(_ comment: CommentView, into out: inout HTMLWriter) {
        out.raw("<li id=\"")
        out.text(comment.anchor)
        out.raw(comment.hidden ? "\" class=\"hidden-comment\">\n<p class=\"meta\"><a href=\"" : "\">\n<p class=\"meta\"><a href=\"")
        out.text(comment.authorURL)
        out.raw("\">")
        out.text(comment.author)
        out.raw("</a> · ")
        out.text(comment.created)
        if comment.edited { out.raw(" · edited") }
        if comment.hidden { out.raw(" · hidden by a curator") }
        out.raw("</p>\n")
        if comment.deleted {
            out.raw("<p class=\"meta\">[deleted]</p>\n")
        } else {
            // `html` is SafeMarkdown's output: every input byte escaped, only its own tags added.
            out.raw("\n<div class=\"comment-body\">")
            out.append(html: comment.html)
            out.raw("</div>")
        }
        out.raw("\n<div class=\"comment-actions\">")
        if let editAction = comment.editAction {
            out.raw("<details><summary>Edit</summary><form class=\"stacked\" method=\"post\" action=\"")
            out.text(editAction)
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf = comment.csrf { out.text(csrf) }
            out.raw("\"><label>Your comment <textarea name=\"body\" rows=\"4\" maxlength=\"10000\" required>")
            out.text(comment.body)
            out.raw("</textarea></label><button type=\"submit\">Save</button></form></details>\n<details class=\"confirm\"><summary>Delete</summary><form class=\"inline\" method=\"post\" action=\"")
            if let deleteAction = comment.deleteAction { out.text(deleteAction) }
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf = comment.csrf { out.text(csrf) }
            out.raw("\">Delete this comment for good? <button type=\"submit\" class=\"danger\">Yes, delete it</button></form></details>")
        }
        out.raw("\n")
        if let hideAction = comment.hideAction {
            out.raw("<form class=\"inline\" method=\"post\" action=\"")
            out.text(hideAction)
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf = comment.csrf { out.text(csrf) }
            out.raw(comment.hidden
                ? "\"><input type=\"hidden\" name=\"hidden\" value=\"0\"><button type=\"submit\" class=\"link\">Unhide</button></form>"
                : "\"><input type=\"hidden\" name=\"hidden\" value=\"1\"><button type=\"submit\" class=\"link\">Hide</button></form>")
        }
        out.raw("</div>\n</li>\n")
    }
}
