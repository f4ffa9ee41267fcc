/// The layout's header, navigation and footer, written in Swift: `layout.mustache` includes them
/// with one variable each. Mustache looked up some 25 `site.*` names per page, each through
/// dynamic casts, about a sixth of an uncached daily page (BENCHMARKS.md, issue 17).
extension SiteChrome {
    /// The stylesheet, icon, Atom feed and script links in the document's head.
    var headLinksHTML: String {
        var out = HTMLWriter(capacity: 512)
        out.raw("<link rel=\"stylesheet\" href=\"")
        out.text(stylesheet)
        out.raw("\">\n<link rel=\"icon\" href=\"")
        out.text(favicon)
        out.raw("\" type=\"image/svg+xml\">\n<link rel=\"alternate\" type=\"application/atom+xml\" title=\"")
        out.text(name)
        out.raw(": daily papers\" href=\"")
        out.text(atomFeed)
        // Loaded without defer, so a chosen dark or light theme applies before the first paint.
        out.raw("\">\n<script src=\"")
        out.text(script)
        out.raw("\"></script>")
        return out.html
    }

    /// The site's name, linking home.
    var brandHTML: String {
        var out = HTMLWriter(capacity: 256)
        out.raw("<a class=\"brand\" href=\"")
        out.text(home)
        out.raw("\"><span class=\"logo\" aria-hidden=\"true\">▤</span><span class=\"brand-name\">")
        out.text(name)
        out.raw("</span></a>")
        return out.html
    }

    /// The header's search box (pages with a search form of their own leave it out).
    var headerSearchHTML: String {
        var out = HTMLWriter(capacity: 512)
        out.raw("<form class=\"search\" role=\"search\" action=\"")
        out.text(searchPage)
        out.raw("\" method=\"get\"><input type=\"search\" name=\"q\" maxlength=\"250\" placeholder=\"Search papers\" aria-label=\"Search papers\" autocomplete=\"off\" data-suggest value=\"\"><button type=\"submit\">Search</button></form>")
        return out.html
    }

    /// The primary navigation's links: the feeds, then the account's pages and sign-out, or sign-in.
    var navigationHTML: String {
        var out = HTMLWriter(capacity: 1024)
        link(home, "Daily", into: &out)
        out.raw("\n")
        link(thisWeek, "Week", into: &out)
        out.raw("\n")
        link(thisMonth, "Month", into: &out)
        out.raw("\n")
        link(trending, "Trending", into: &out)
        out.raw("\n")
        if let username {
            link(library, "Library", into: &out)
            out.raw("\n")
            link(submit, "Submit", into: &out)
            out.raw("\n<a href=\"")
            if let profile { out.text(profile) }
            out.raw("\" class=\"account\">")
            out.text(username)
            out.raw("</a>\n")
            link(settings, "Settings", into: &out)
            out.raw("\n<form class=\"inline\" method=\"post\" action=\"")
            out.text(signOut)
            out.raw("\"><input type=\"hidden\" name=\"csrf\" value=\"")
            if let csrf { out.text(csrf) }
            out.raw("\"><button type=\"submit\" class=\"link\">Sign out</button></form>\n")
        } else {
            out.raw("\n<a href=\"")
            out.text(signIn)
            out.raw("\" class=\"account\">Sign in</a>")
        }
        return out.html
    }

    /// The footer's line about the site, with the Atom feed, API and trends links.
    var footerNoteHTML: String {
        var out = HTMLWriter(capacity: 512)
        out.raw("<p>")
        out.text(name)
        out.raw(" runs on Paperboy, a self-hosted research paper feed. <a href=\"")
        out.text(atomFeed)
        out.raw("\">Atom feed</a> · <a href=\"")
        out.text(openAPI)
        out.raw("\">API</a> · <a href=\"")
        out.text(trends)
        out.raw("\">Trends</a></p>")
        return out.html
    }

    private func link(_ url: String, _ label: StaticString, into out: inout HTMLWriter) {
        out.raw("<a href=\"")
        out.text(url)
        out.raw("\">")
        out.raw(label)
        out.raw("</a>")
    }
}
