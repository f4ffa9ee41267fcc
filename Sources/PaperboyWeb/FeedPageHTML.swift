/// The feed page (day, week and month, in every order), written in Swift like its cards and
/// calendar, inside the layout's document (`SiteChrome.document`). Its navigation rows were a
/// dozen Mustache sections, each name found through dynamic casts (BENCHMARKS.md, issue 17).
extension FeedPageModel {
    /// The whole page, titled "heading · site".
    var document: [UInt8] {
        site.document(title: "\(heading) · \(site.name)", capacity: 8_192 + 4_096 * papers.count) { writeContent(into: &$0) }
    }

    func writeContent(into out: inout HTMLWriter) {
        out.raw("<h1>")
        out.text(heading)
        out.raw("</h1>\n<div class=\"feed-head\">\n<nav class=\"views\" aria-label=\"Period\">")
        links(views, current: " class=\"active\" aria-current=\"page\"", into: &out)
        out.raw("</nav>\n<nav class=\"sorts\" aria-label=\"Order\">")
        links(sorts, current: " class=\"active\" aria-current=\"true\"", into: &out)
        out.raw("</nav>\n")
        if let calendarHTML {
            out.append(html: calendarHTML)
            out.raw("\n")
        }
        out.raw("</div>\n")
        if let orderNote {
            out.raw("<p class=\"order-note\" role=\"status\">")
            out.text(orderNote)
            out.raw("</p>")
        }
        out.raw("\n<nav class=\"period-nav\" aria-label=\"Neighbouring periods\">\n")
        if let previous {
            out.raw("<a rel=\"prev\" href=\"")
            out.text(previous.url)
            out.raw("\">← ")
            out.text(previous.label)
            out.raw("</a>")
        } else {
            out.raw("<span></span>")
        }
        out.raw("\n")
        if let next {
            out.raw("<a rel=\"next\" href=\"")
            out.text(next.url)
            out.raw("\">")
            out.text(next.label)
            out.raw(" →</a>")
        }
        out.raw("\n</nav>\n")
        if !risingPhrases.isEmpty {
            out.raw("<section class=\"rising\" aria-labelledby=\"rising-heading\"><h2 id=\"rising-heading\">Rising phrases</h2><ul class=\"key-phrases\">")
            for rising in risingPhrases {
                out.raw("<li><a class=\"chip\" href=\"")
                out.text(rising.url)
                out.raw("\" title=\"")
                out.text(rising.detail)
                out.raw("\">")
                out.text(rising.phrase)
                out.raw("</a></li>")
            }
            out.raw("</ul></section>")
        }
        out.raw("\n")
        if hasPapers {
            out.raw("<ol class=\"papers\" start=\"")
            out.number(firstRank)
            out.raw("\">\n")
            for card in papers { CardHTML.paperCard(card, into: &out) }
            out.raw("\n</ol>\n")
        } else {
            out.raw("<p class=\"empty\">No papers on the feed for ")
            out.text(periodName)
            out.raw(" yet.</p>")
        }
        out.raw("\n")
        out.pageNavigation(previous: previousPage, next: nextPage, rel: false)
    }

    /// A row of links, the active one marked with `current`'s attributes.
    private func links(_ links: [NavigationLink], current: StaticString, into out: inout HTMLWriter) {
        for link in links {
            out.raw("<a href=\"")
            out.text(link.url)
            out.raw("\"")
            if link.active { out.raw(current) }
            out.raw(">")
            out.text(link.label)
            out.raw("</a>")
        }
    }
}

extension HTMLWriter {
    /// The previous and next page links of a paged list (`rel` marks them prev and next).
    mutating func pageNavigation(previous: String?, next: String?, rel: Bool) {
        raw("<nav class=\"period-nav\" aria-label=\"Pages\">\n")
        if let previous {
            raw(rel ? "<a rel=\"prev\" href=\"" : "<a href=\"")
            text(previous)
            raw("\">← Previous page</a>")
        } else {
            raw("<span></span>")
        }
        raw("\n")
        if let next {
            raw(rel ? "<a rel=\"next\" href=\"" : "<a href=\"")
            text(next)
            raw("\">Next page →</a>")
        }
        raw("\n</nav>")
    }
}
