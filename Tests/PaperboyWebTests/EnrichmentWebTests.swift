import Foundation
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import PaperboyWeb
import Testing

/// Issue 19 through the web: author pages and links, claims, key-phrase chips, stars,
/// thumbnails, trends and rising phrases, and the Hub-compatible fields.
@Suite struct EnrichmentWebTests {
    /// Gives the fixture's papers key phrases, stars and a thumbnail, as the jobs would.
    static func enrich(_ store: any PaperStore) async throws {
        let due = try await store.papersNeedingKeyPhrases(afterKey: 0, limit: 100)
        try await store.saveKeyPhrases(due.map { source in
            let phrases = source.title.contains("Retrieval") ? ["dense retrieval", "vector search"] : ["sparse subnetworks", "lottery tickets"]
            return ComputedKeyPhrases(key: source.key, phrases: phrases, contentHash: source.contentHash)
        })
        let key = try #require(try await store.paperKey(id: "2502.00001"))
        try await store.saveStars(paperKey: key, outcome: .stars(1520, etag: "\"x\""), checkedAt: testNow)
        try await store.saveThumbnail(paperKey: key, images: ThumbnailImages(mediaType: "image/webp", small: Data("RIFFsmallWEBP".utf8), large: Data("RIFFlargeWEBP".utf8)), now: testNow)
        let other = try #require(try await store.paperKey(id: "2502.00002"))
        try await store.saveThumbnail(paperKey: other, images: nil, now: testNow)
    }

    @Test func cardsAndPaperPage_linkAuthors_showChipsStarsAndThumbnails() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await Self.enrich(fixture.store)
        try await fixture.test { client in
            let feed = try await client.get("/papers/date/2025-02-04").body
            #expect(feed.contains(#"<a class="author" href="/authors/Ada%20Lovelace">Ada Lovelace</a>"#))
            #expect(feed.contains(#"href="/search?q=%22sparse+subnetworks%22">sparse subnetworks</a>"#))
            #expect(feed.contains("★ 1.5k") && feed.contains(#"title="1520 GitHub stars""#))
            #expect(feed.contains(#"src="/thumbnails/small/2502.00001.webp""#))
            // A PDF that could not be rendered keeps the card's drawn first page, not a generic image.
            #expect(!feed.contains("thumbnail-placeholder.svg") && feed.contains(#"class="thumb-page""#))
            let page = try await client.get("/papers/2502.00001").body
            #expect(page.contains(#"src="/thumbnails/large/2502.00001.webp""#))
            #expect(page.contains(#"<a class="author" href="/authors/Alan%20Turing">Alan Turing</a>"#))
            #expect(page.contains("lottery tickets"))
            // An author name that is markup stays text, in the link and its target.
            let hostile = try await client.get("/papers/2502.00003").body
            #expect(hostile.contains(#"href="/authors/%3Ci%3EMallory%3C%2Fi%3E">&lt;i&gt;Mallory&lt;/i&gt;</a>"#))
            let image = try await client.get("/thumbnails/small/2502.00001.webp")
            #expect(image.status == .ok && image.headers[.contentType] == "image/webp" && image.body == "RIFFsmallWEBP")
            #expect(try await client.get("/thumbnails/large/2502.00002.webp").status == .notFound)
            #expect(try await client.get("/thumbnails/huge/2502.00001.webp").status == .notFound)
            let placeholder = try await client.get("/static/thumbnail-placeholder.svg")
            #expect(placeholder.status == .ok && placeholder.body.hasPrefix("<svg"))
        }
    }

    @Test func hubAPI_carriesGithubStarsKeywordsAndThumbnail_andTheyOutliveReimports() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await Self.enrich(fixture.store)
        // A re-import of the same papers with new metadata keeps every enrichment.
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00001", title: "Sparse Subnetworks That Train", abstract: "We find $O(n^2)$ tickets. Code: https://github.com/lab/tickets", daily: "2025-02-04", submittedBy: "ada", upvotes: 12, githubRepo: "https://github.com/lab/tickets"), hasUpvotes: false)])
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/papers/2502.00001")
            #expect(status == .ok)
            let paper = try #require(json as? [String: Any])
            #expect(paper["githubStars"] as? Int == 1520)
            #expect(paper["ai_keywords"] as? [String] == ["sparse subnetworks", "lottery tickets"])
            #expect(paper["thumbnail"] as? String == "https://papers.example.org/thumbnails/large/2502.00001.webp")
            let (_, daily) = try await client.getJSON("/api/daily_papers?date=2025-02-04")
            let entries = try #require(daily as? [[String: Any]])
            let entry = try #require(entries.first { ($0["paper"] as? [String: Any])?["id"] as? String == "2502.00001" })
            #expect(entry["thumbnail"] as? String == "https://papers.example.org/thumbnails/large/2502.00001.webp")
            let other = try #require(entries.first { ($0["paper"] as? [String: Any])?["id"] as? String == "2502.00002" })
            #expect(other["thumbnail"] == nil && (other["paper"] as? [String: Any])?["githubStars"] == nil)
        }
    }

    @Test func authorPage_listsPapersWithTheExactName_unknownIs404() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00010", title: "By Another Ada", authors: ["Ada Lovelace-Byron"], daily: nil))])
        try await fixture.test { client in
            let page = try await client.get("/authors/Ada%20Lovelace")
            #expect(page.status == .ok)
            #expect(page.body.contains("<h1>Ada Lovelace</h1>"))
            #expect(page.body.contains("Sparse Subnetworks That Train") && page.body.contains("Dense Retrieval at Scale"))
            #expect(!page.body.contains("By Another Ada"))
            #expect(page.body.contains("share this page"))
            #expect(try await client.get("/authors/Nobody%20Atall").status == .notFound)
            #expect(try await client.get("/authors/%3Ci%3EMallory%3C%2Fi%3E").body.contains("&lt;i&gt;Mallory&lt;/i&gt;"))
        }
    }

    @Test func claims_verifiedAddressApprovedAtOnce_othersWaitForACurator_profileShowsThem() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        var withAddress = samplePaper(id: "2502.00020", title: "Paper With Contact", abstract: "Contact: Grace.Hopper@Example.org for data.", authors: ["Grace Hopper", "Alan Turing"], daily: nil)
        withAddress.authorComments = "10 pages"
        _ = try await fixture.store.upsert([record(withAddress)])
        try await fixture.test { client in
            let anonymous = try await client.get("/papers/2502.00020").body
            #expect(anonymous.contains("to claim this paper"))
            let grace = Browser(client)
            try await grace.signIn(email: "grace.hopper@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let page = try await grace.get("/papers/2502.00020")
            let csrf = try #require(page.csrf)
            #expect(page.body.contains("<option>Grace Hopper</option>"))
            #expect(try await grace.post("/papers/2502.00020/claim", ["author": "Nobody", "csrf": csrf]).status == .badRequest)
            #expect(try await grace.post("/papers/2502.00020/claim", ["author": "Grace Hopper", "csrf": csrf]).status == .seeOther)
            let claimed = try await grace.get("/papers/2502.00020").body
            #expect(claimed.contains("your address is in the paper") && claimed.contains("Confirmed authors here"))
            #expect(try await grace.get("/u/grace").body.contains("Papers by grace"))

            let alan = Browser(client)
            try await alan.signIn(email: "alan@example.org", username: "alan", mailFolder: fixture.mailFolder)
            let alanCSRF = try #require(try await alan.get("/papers/2502.00020").csrf)
            #expect(try await alan.post("/papers/2502.00020/claim", ["author": "Alan Turing", "csrf": alanCSRF]).status == .seeOther)
            #expect(try await alan.get("/papers/2502.00020").body.contains("a curator will check"))
            #expect(!(try await alan.get("/u/alan").body.contains("Papers by alan")))
            // Members cannot see the queue; a curator approves.
            #expect(try await alan.get("/claims").status == .forbidden)
            try await fixture.store.setRole(.curator, username: "grace")
            let queue = try await grace.get("/claims")
            #expect(queue.status == .ok && queue.body.contains("Alan Turing") && queue.body.contains("Paper With Contact"))
            let account = try #require(try await fixture.store.account(username: "alan")).id
            let decided = try await grace.post("/claims/decide", ["paper": "2502.00020", "account": "\(account)", "decision": "approve", "csrf": try #require(queue.csrf)])
            #expect(decided.status == .ok && decided.body.contains("Approved."))
            #expect(try await alan.get("/u/alan").body.contains("Papers by alan"))
            #expect(try await client.get("/authors/Alan%20Turing").body.contains(#"href="/u/alan""#))
        }
    }

    @Test func trends_chartsWeeklyCountsAsSVG_withoutScript_badQueryExplained() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([
            record(samplePaper(id: "2501.00030", title: "Retrieval Again", daily: nil, published: "2025-01-28")),
            record(samplePaper(id: "2412.00031", title: "Older Retrieval", daily: nil, published: "2024-12-02")),
            record(samplePaper(id: "2412.00032", title: "Unrelated Topic", daily: nil, published: "2024-12-03")),
        ])
        try await fixture.test { client in
            let empty = try await client.get("/trends")
            #expect(empty.status == .ok && empty.body.contains("Papers per week matching") && !empty.body.contains("<svg"))
            let page = try await client.get("/trends?q=retrieval&weeks=13")
            #expect(page.status == .ok)
            let figure = try #require(Browser.capture(#"(<figure class="trend">[\s\S]*</figure>)"#, in: page.body))
            #expect(figure.contains("<svg") && figure.contains("</svg>") && !figure.contains("<script"))
            #expect(page.body.contains("3 papers published from"))
            #expect(page.body.contains("2025-W05: 1 paper") && page.body.contains("2025-W03: 1 paper") && page.body.contains("2024-W49: 1 paper"))
            let category = try await client.get("/trends?q=category:cs.LG&weeks=13")
            #expect(category.body.contains("8 papers published from"), "\(category.body)")
            #expect(try await client.get("/trends?q=%22unclosed&weeks=13").status == .ok)
            #expect(try await client.get("/trends?q=retrieval&weeks=2").status == .badRequest)
            let hostile = try await client.get("/trends?q=%3Cscript%3Ealert(1)%3C/script%3E")
            #expect(!hostile.body.contains("<script>alert"))
        }
    }

    /// A store whose newest paper is older than this week (an archive, the demo's corpus) is
    /// charted up to that paper's week, not over months of empty weeks up to today; a paper dated
    /// in the future does not move the end past today.
    @Test func trends_endWithTheNewestPaper_whenNothingIsNewer() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero, seed: false)
        _ = try await fixture.store.upsert([
            record(samplePaper(id: "2406.00001", title: "Retrieval in June", daily: nil, published: "2024-06-12")),
            record(samplePaper(id: "2404.00002", title: "Retrieval in April", daily: nil, published: "2024-04-03")),
        ])
        try await fixture.test { client in
            let archive = try await client.get("/trends?q=retrieval&weeks=13").body
            #expect(archive.contains("2 papers published from 2024-03-18 to 2024-06-12 match retrieval"), "\(archive)")
            #expect(archive.contains("2024-W24: 1 paper") && archive.contains("2024-W14: 1 paper"))
            _ = try await fixture.store.upsert([record(samplePaper(id: "3001.00003", title: "Retrieval Ahead", daily: nil, published: "2030-01-01"))])
            // testNow is Tuesday 2025-02-04: thirteen weeks from Monday 2024-11-11.
            let ahead = try await client.get("/trends?q=retrieval&weeks=13").body
            #expect(ahead.contains("0 papers published from 2024-11-11 to 2025-02-04 match retrieval"), "\(ahead)")
        }
    }

    @Test func weekAndMonthPages_listRisingPhrases_dayPagesDoNot() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        var papers: [PaperRecord] = []
        for index in 0..<3 { papers.append(record(samplePaper(id: "2502.0010\(index)", title: "Agents \(index)", daily: "2025-02-0\(index + 3)"))) }
        for index in 0..<3 { papers.append(record(samplePaper(id: "2501.0010\(index)", title: "Older \(index)", daily: "2025-01-2\(index + 7)"))) }
        _ = try await fixture.store.upsert(papers)
        let due = try await fixture.store.papersNeedingKeyPhrases(afterKey: 0, limit: 100)
        try await fixture.store.saveKeyPhrases(due.map { source in
            ComputedKeyPhrases(key: source.key, phrases: source.title.hasPrefix("Agents") ? ["tool-using agents", "benchmarks"] : ["benchmarks"], contentHash: source.contentHash)
        })
        try await fixture.test { client in
            let week = try await client.get("/papers/week/2025-W06").body
            #expect(week.contains("Rising phrases") && week.contains(">tool-using agents</a>"))
            let month = try await client.get("/papers/month/2025-02").body
            #expect(month.contains("Rising phrases") && month.contains("tool-using agents"))
            #expect(!(try await client.get("/papers/date/2025-02-04").body.contains("Rising phrases")))
        }
    }
}
