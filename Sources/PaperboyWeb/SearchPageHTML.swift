/// The search page, written in Swift like its result cards, inside the layout's document
/// (`SiteChrome.document`). A fresh query cannot be served from the page cache, so every search
/// paid Mustache's look-ups (BENCHMARKS.md, issue 17).
extension SearchPageModel {
    /// The whole page, without the header's search box (the page has a form of its own).
    var document: [UInt8] {
        let title = (searchText.map { "\($0) · " } ?? "") + "Search · " + site.name
        return site.document(title: title, headerSearch: false, capacity: 8_192 + 4_096 * results.count) { writeContent(into: &$0) }
    }

    func writeContent(into out: inout HTMLWriter) {
        out.raw("<h1>Search papers</h1>\n<form class=\"search-page\" role=\"search\" action=\"")
        out.text(site.searchPage)
        out.raw("\" method=\"get\">\n<input type=\"search\" name=\"q\" maxlength=\"250\" value=\"")
        if let searchText { out.text(searchText) }
        out.raw("\" aria-label=\"Search query\" placeholder=\"an idea, a method, author:Name, category:cs.LG, year:2024\">\n<select name=\"mode\" aria-label=\"Search mode\">")
        for mode in modes {
            out.raw("<option value=\"")
            out.text(mode.value)
            out.raw(mode.selected ? "\" selected>" : "\">")
            out.text(mode.label)
            out.raw("</option>")
        }
        out.raw("</select>\n<button type=\"submit\">Search</button>\n</form>\n")
        if let problem {
            out.raw("<p class=\"notice\" role=\"alert\">")
            out.text(problem)
            out.raw("</p>")
        }
        out.raw("\n")
        if semanticUnavailable {
            out.raw("<p class=\"notice\">Semantic search is not available on this server (no embedding model loaded); these are keyword results.</p>")
        }
        out.raw("\n")
        for correction in corrections {
            out.raw("<p class=\"notice\">No paper contains “")
            out.text(correction.word)
            out.raw("”; searched for similar spellings (")
            out.text(correction.stem)
            out.raw("…) instead.</p>")
        }
        out.raw("\n")
        if hasQuery {
            if hasResults {
                out.raw("<ol class=\"papers\" start=\"")
                out.number(firstRank)
                out.raw("\">\n")
                for card in results { CardHTML.searchResult(card, into: &out) }
                out.raw("\n</ol>\n")
            } else {
                out.raw("<p class=\"empty\">No papers match that search.")
                if let keywordSearch {
                    out.raw(" Nothing here is close in meaning either: try <a href=\"")
                    out.text(keywordSearch)
                    out.raw("\">a keyword search</a> for the exact words, or other words.")
                }
                out.raw("</p>")
            }
            out.raw("\n")
            out.pageNavigation(previous: previousPage, next: nextPage, rel: true)
            out.raw("\n")
        } else if problem == nil {
            out.raw("<p class=\"meta\">Search titles, abstracts and authors by keywords and by meaning. Use \"quotes\" for phrases, -word to leave a word out, and author:, category:, year:2020-2024, from:/to: dates to narrow down.</p>")
        }
    }
}
