import Foundation
import Hummingbird
import PaperboyCore
import PaperboyStore

/// `/feed.atom`: the most recent daily papers as an Atom 1.0 feed (RFC 4287).
struct AtomFeedRoute: Sendable {
    let store: any PaperStore
    let configuration: WebConfiguration
    let now: @Sendable () -> Date
    let cache: PageCache

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/feed.atom") { request, _ in
            try await cache.page(for: request) {
                let papers = try await store.dailyPapers(DailyQuery(period: nil, sort: .upvotes, limit: 100, now: now()))
                return Responses.text(
                    AtomFeed.render(papers, siteName: configuration.siteName, baseURL: configuration.baseURL, now: now()),
                    contentType: "application/atom+xml; charset=utf-8")
            }
        }
    }
}

enum AtomFeed {
    static func render(_ papers: [Paper], siteName: String, baseURL base: String, now: Date) -> String {
        let updated = papers.compactMap { $0.submittedOnDailyAt ?? $0.publishedAt }.max() ?? now
        var xml = """
            <?xml version="1.0" encoding="utf-8"?>
            <feed xmlns="http://www.w3.org/2005/Atom">
            <id>\(escape(base + Links.atomFeed()))</id>
            <title>\(escape(siteName)): daily papers</title>
            <updated>\(timestamp(updated))</updated>
            <author><name>\(escape(siteName))</name></author>
            <link rel="self" type="application/atom+xml" href="\(escape(base + Links.atomFeed()))"/>
            <link rel="alternate" type="text/html" href="\(escape(base + Links.home()))"/>
            <generator>Paperboy</generator>

            """
        for paper in papers {
            let url = base + Links.paper(paper.id)
            xml += "<entry>\n"
            xml += "<id>\(escape(url))</id>\n"
            xml += "<title type=\"text\">\(escape(paper.title))</title>\n"
            xml += "<link rel=\"alternate\" type=\"text/html\" href=\"\(escape(url))\"/>\n"
            if paper.isArxiv {
                xml += "<link rel=\"related\" type=\"application/pdf\" href=\"\(escape(Links.arxivPDF(paper.id)))\"/>\n"
            }
            xml += "<updated>\(timestamp(paper.submittedOnDailyAt ?? paper.updatedAt ?? paper.publishedAt ?? now))</updated>\n"
            if let published = paper.publishedAt { xml += "<published>\(timestamp(published))</published>\n" }
            for author in paper.authors { xml += "<author><name>\(escape(author))</name></author>\n" }
            for category in paper.categories { xml += "<category term=\"\(escape(category))\"/>\n" }
            xml += "<summary type=\"text\">\(escape(paper.abstract))</summary>\n"
            xml += "</entry>\n"
        }
        xml += "</feed>\n"
        return xml
    }

    static func timestamp(_ date: Date) -> String {
        // RFC 3339 without fractional seconds.
        String(DateParsing.iso8601String(date).prefix(19)) + "Z"
    }

    static func escape(_ text: String) -> String { escapeMarkup(text, quotes: true) }

    /// `&`, `<` and `>` as entities (and quotes too, for attribute values), without the control
    /// characters XML 1.0 forbids even escaped. Shared by the Atom feed and the Markdown export.
    static func escapeMarkup(_ text: String, quotes: Bool) -> String {
        var output = ""
        output.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": output += "&amp;"
            case "<": output += "&lt;"
            case ">": output += "&gt;"
            case "\"" where quotes: output += "&quot;"
            case "'" where quotes: output += "&apos;"
            case "\t", "\n", "\r": output.unicodeScalars.append(scalar)
            case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: continue
            default: output.unicodeScalars.append(scalar)
            }
        }
        return output
    }
}
