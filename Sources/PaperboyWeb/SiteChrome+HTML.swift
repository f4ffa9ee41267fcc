/// The layout's header, navigation and footer, written in Swift: `layout.mustache` includes them
/// with one variable each. Mustache looked up some 25 `site.*` names per page, each through
/// dynamic casts, about a sixth of an uncached daily page (BENCHMARKS.md, issue 17).
extension SiteChrome {
    /// The stylesheet, icon, Atom feed and script links in the document's head.
    var headLinksHTML: String {
        var out = HTMLWriter(capacity: 512)
        writeHeadLinks(into: &out)
        return out.html
    }

    func writeHeadLinks(into out: inout HTMLWriter) {
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
    }

    /// The site's name, linking home.
    var brandHTML: String {
        var out = HTMLWriter(capacity: 256)
        writeBrand(into: &out)
        return out.html
    }

    func writeBrand(into out: inout HTMLWriter) {
        out.raw("<a class=\"brand\" href=\"")
        out.text(home)
        out.raw("\"><span class=\"logo\" aria-hidden=\"true\">▤</span><span class=\"brand-name\">")
        out.text(name)
        out.raw("</span></a>")
    }

    /// The header's search box (pages with a search form of their own leave it out).
    var headerSearchHTML: String {
        var out = HTMLWriter(capacity: 512)
        writeHeaderSearch(into: &out)
        return out.html
    }

    func writeHeaderSearch(into out: inout HTMLWriter) {
        out.raw("<form class=\"search\" role=\"search\" action=\"")
        out.text(searchPage)
        out.raw("\" method=\"get\"><input type=\"search\" name=\"q\" maxlength=\"250\" placeholder=\"Search papers\" aria-label=\"Search papers\" autocomplete=\"off\" data-suggest value=\"\"><button type=\"submit\">Search</button></form>")
    }

    /// The primary navigation's links: the feeds, then the account's pages and sign-out, or sign-in.
    var navigationHTML: String {
        var out = HTMLWriter(capacity: 1024)
        writeNavigation(into: &out)
        return out.html
    }

    func writeNavigation(into out: inout HTMLWriter) {
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
    }

    /// The footer's line about the site, with the Atom feed, API and trends links.
    var footerNoteHTML: String {
        var out = HTMLWriter(capacity: 512)
        writeFooterNote(into: &out)
        return out.html
    }

    func writeFooterNote(into out: inout HTMLWriter) {
        out.raw("<p>")
        out.text(name)
        out.raw(" runs on Paperboy, a self-hosted research paper feed. <a href=\"")
        out.text(atomFeed)
        out.raw("\">Atom feed</a> · <a href=\"")
        out.text(openAPI)
        out.raw("\">API</a> · <a href=\"")
        out.text(trends)
        out.raw("\">Trends</a></p>")
    }

    /// A whole page around `content`: the document `layout.mustache` writes, byte for byte
    /// (`SiteDocumentTests` renders both), for the pages that write their content in Swift
    /// (feed and search). The page goes out as these bytes: no Mustache, and no `String` whose
    /// UTF-8 is checked again. The layout's look-ups and that check were a tenth of an uncached
    /// daily page (perf, BENCHMARKS.md issue 17). `headerSearch: false` is the layout's empty
    /// `headerSearch` block, for a page with a search form of its own.
    func document(title: String, headerSearch: Bool = true, capacity: Int, content: (inout HTMLWriter) -> Void) -> [UInt8] {
        var out = HTMLWriter(capacity: capacity + 4_096)
        out.raw("""
            <!doctype html>
            <html lang="en">
            <head>
            <meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <meta name="color-scheme" content="light dark">
            <title>
            """)
        out.text(title)
        out.raw("</title>\n")
        writeHeadLinks(into: &out)
        out.raw("""

            </head>
            <body>
            <a class="skip-link" href="#main">Skip to content</a>
            <header class="site">
            <div class="bar">

            """)
        writeBrand(into: &out)
        out.raw("\n")
        if headerSearch { writeHeaderSearch(into: &out) }
        out.raw("""

            <button type="button" class="theme-toggle" hidden data-theme-toggle aria-label="Colour theme: follows the system" title="Colour theme">◐</button>
            </div>
            <nav class="primary" aria-label="Site">

            """)
        writeNavigation(into: &out)
        out.raw("""

            </nav>
            </header>
            <main id="main" tabindex="-1">

            """)
        content(&out)
        out.raw("""


            </main>
            <footer class="site">
            <form class="subscribe" method="post" action="/subscribe"><label for="subscribe-email">Trending papers in your inbox</label> <input id="subscribe-email" type="email" name="email" required maxlength="254" placeholder="you@example.org" autocomplete="email"> <select name="frequency" aria-label="How often"><option value="daily">daily</option><option value="weekly">weekly</option></select> <button type="submit">Subscribe</button></form>

            """)
        writeFooterNote(into: &out)
        out.raw("""

            </footer>
            </body>
            </html>

            """)
        return out.bytes
    }

    private func link(_ url: String, _ label: StaticString, into out: inout HTMLWriter) {
        out.raw("<a href=\"")
        out.text(url)
        out.raw("\">")
        out.raw(label)
        out.raw("</a>")
    }
}
