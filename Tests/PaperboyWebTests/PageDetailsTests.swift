import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyTestSupport
import Testing

/// The small things a newcomer notices: the calendar, the favicon, where a vote without
/// JavaScript returns to, and one search box per page.
@Suite struct PageDetailsTests {
    @Test func calendar_linksEveryDayWeekAndMonth_andTheDateFieldJumps() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            let page = try await client.get("/papers/date/2025-02-04").body
            #expect(page.contains(#"<details class="calendar">"#))
            #expect(page.contains(#"<a href="/papers/date/2025-02-04" class="current" aria-current="date">4</a>"#))
            #expect(page.contains(#"href="/papers/date/2025-02-01""#) && page.contains(#"href="/papers/week/2025-W06""#))
            #expect(page.contains(#"href="/papers/month/2025-02">February 2025</a>"#) && page.contains(#"href="/papers/month/2025-01""#))
            #expect(!page.contains(#"href="/papers/date/2025-02-05""#), "no links to days after today")
            #expect(!page.contains(#"href="/papers/month/2025-03""#), "nor to next month")
            for (query, target) in [("date=2025-01-15", "/papers/date/2025-01-15"), ("date=2025-01-15&view=week", "/papers/week/2025-W03"),
                                    ("date=2025-01-15&view=month", "/papers/month/2025-01")] {
                let jump = try await client.execute(uri: "/papers/jump?\(query)", method: .get) { $0 }
                #expect(jump.status == .seeOther && jump.headers[.location] == target, "\(query)")
            }
            for query in ["date=yesterday", "date=2025-13-01", "date=2025-01-15&view=year", ""] {
                let bad = try await client.get("/papers/jump?\(query)")
                #expect(bad.status == .badRequest && bad.body.contains(#"class="problem""#) || bad.status == .badRequest, "\(query)")
            }
        }
    }

    @Test func favicon_isServed_andNamedByEveryPage() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            for path in ["/static/favicon.svg", "/favicon.ico"] {
                let icon = try await client.get(path)
                #expect(icon.status == .ok && icon.headers[.contentType] == "image/svg+xml" && icon.body.hasPrefix("<svg"), "\(path)")
            }
            #expect(try await client.get("/trending").body.contains(#"<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">"#))
        }
    }

    @Test func voteWithoutJavaScript_returnsToThePageItWasCastOn() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let feed = try await ada.get("/papers/week/2025-W06?sort=trending")
            #expect(feed.body.contains(#"<input type="hidden" name="next" value="/papers/week/2025-W06?sort=trending">"#), "the form says where it was")
            let csrf = try #require(feed.csrf)
            let voted = try await ada.post("/papers/2502.00002/upvote", ["csrf": csrf, "on": "1", "next": "/papers/week/2025-W06?sort=trending"])
            #expect(voted.status == .seeOther && voted.location == "/papers/week/2025-W06?sort=trending")
            // An older page's form without `next`: the same-site Referer, then the paper page.
            let fromReferer = try await ada.client.execute(
                uri: "/papers/2502.00002/upvote", method: .post,
                headers: ada.headers([.contentType: "application/x-www-form-urlencoded", .referer: "http://127.0.0.1/trending?p=1"]),
                body: ByteBuffer(string: "csrf=\(Browser.encode(csrf))&on=0")) { $0 }
            #expect(fromReferer.headers[.location] == "/trending?p=1")
            let plain = try await ada.post("/papers/2502.00002/upvote", ["csrf": csrf, "on": "1"])
            #expect(plain.location == "/papers/2502.00002")
            let offsite = try await ada.post("/papers/2502.00002/upvote", ["csrf": csrf, "on": "0", "next": "//evil.example/"])
            #expect(offsite.location == "/papers/2502.00002", "never to another site")
        }
    }

    @Test func oneSearchBoxPerPage() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        try await fixture.test { client in
            for path in ["/", "/search", "/search?q=retrieval", "/papers/2502.00001", "/trending"] {
                let page = try await client.get(path).body
                #expect(page.components(separatedBy: #"type="search""#).count == 2, "\(path) has one search box")
            }
        }
    }
}
