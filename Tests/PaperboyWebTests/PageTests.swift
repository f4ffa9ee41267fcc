import Foundation
import PaperboyTestSupport
import Testing

@Suite struct PageTests {
    @Test func home_showsLatestDay_mostUpvotedFirst() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, html, headers) = try await client.get("/")
            #expect(status == .ok)
            #expect(headers[.contentType] == "text/html; charset=utf-8")
            #expect(html.contains("Tuesday, 4 February 2025"))
            let dense = try #require(html.range(of: "Dense Retrieval at Scale"))
            let sparse = try #require(html.range(of: "Sparse Subnetworks That Train"))
            #expect(dense.lowerBound < sparse.lowerBound)
            #expect(!html.contains("Last Month"))
            // Previous day with papers; no next day after today.
            #expect(html.contains(#"<a rel="prev" href="/papers/date/2025-02-03">"#))
            #expect(!html.contains(#"rel="next""#))
            #expect(html.contains(#"<meta name="viewport""#))
            #expect(html.contains("Test Lab Papers"))
            // LaTeX made legible and GitHub link extracted.
            #expect(html.contains("O(n²)"))
            #expect(html.contains(#"href="https://github.com/lab/tickets""#))
            #expect(html.contains(#"href="https://arxiv.org/abs/2502.00001""#))
        }
    }

    @Test func dayPage_sortByDate_ordersByPublication() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, html, _) = try await client.get("/papers/date/2025-02-04?sort=date")
            #expect(status == .ok)
            let sparse = try #require(html.range(of: "Sparse Subnetworks That Train"))
            let dense = try #require(html.range(of: "Dense Retrieval at Scale"))
            #expect(sparse.lowerBound < dense.lowerBound)
            #expect(html.contains(#"<a href="/papers/date/2025-02-04?sort=date" class="active" aria-current="true">Newest</a>"#))
        }
    }

    @Test func emptyDay_saysSo_andLinksBothWays() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, html, _) = try await client.get("/papers/date/2025-01-25")
            #expect(status == .ok)
            #expect(html.contains("No papers on the feed for 2025-01-25 yet."))
            #expect(html.contains(#"href="/papers/date/2025-01-20""#))
            #expect(html.contains(#"href="/papers/date/2025-02-03""#))
        }
    }

    @Test func weekAndMonthViews_coverTheirDays() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let week = try await client.get("/papers/week/2025-W06")
            #expect(week.status == .ok)
            #expect(week.body.contains("Week 6 of 2025 (2025-02-03 to 2025-02-09)"))
            #expect(week.body.contains("Dense Retrieval at Scale") && week.body.contains("Sparse Subnetworks"))
            #expect(week.body.contains(#"href="/papers/week/2025-W05""#))
            #expect(!week.body.contains(#"rel="next""#))
            let month = try await client.get("/papers/month/2025-01")
            #expect(month.status == .ok)
            // Escaped as Mustache escapes every text: the apostrophe as &#39;.
            #expect(month.body.contains("Last Month&#39;s Paper") && !month.body.contains("Last Month's Paper"))
            #expect(month.body.contains(#"href="/papers/month/2025-02""#))
            #expect(!month.body.contains("Dense Retrieval"))
        }
    }

    @Test func paperPage_showsMetadataAndLinks() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, html, _) = try await client.get("/papers/2502.00001")
            #expect(status == .ok)
            #expect(html.contains("<h1>Sparse Subnetworks That Train</h1>"))
            #expect(html.contains(#"<a class="author" href="/authors/Ada%20Lovelace">Ada Lovelace</a>, <a class="author" href="/authors/Alan%20Turing">Alan Turing</a>"#))
            #expect(html.contains(#"href="https://arxiv.org/abs/2502.00001""#))
            #expect(html.contains(#"href="https://arxiv.org/pdf/2502.00001""#))
            #expect(html.contains(#"href="https://github.com/lab/tickets""#))
            #expect(html.contains(#"href="/papers/date/2025-02-04""#))
            #expect(html.contains("by ada"))
            #expect(html.contains(#"<span aria-hidden="true">▲</span> 12<span class="visually-hidden"> upvotes: sign in to upvote</span></a> upvotes"#))
            // A versioned id finds the same paper; an old-style id has its own route.
            #expect(try await client.get("/papers/2502.00001v2").status == .ok)
            let old = try await client.get("/papers/hep-th/9901001")
            #expect(old.status == .ok)
            #expect(old.body.contains("An Old-Style Identifier"))
        }
    }

    @Test func hostileText_isEscapedEverywhere() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for path in ["/papers/date/2025-02-03", "/papers/2502.00003", "/papers/week/2025-W06"] {
                let (_, html, _) = try await client.get(path)
                #expect(!html.contains("<script>"), "\(path) has a raw script tag")
                #expect(!html.contains("<img src=x"), "\(path) has a raw img tag")
                #expect(!html.contains("<i>Mallory"), "\(path) has raw author markup")
                #expect(html.contains("&lt;script&gt;"), "\(path) lost the escaped title")
            }
            let (_, html, _) = try await client.get("/papers/2502.00003")
            #expect(html.contains("&lt;img src=x onerror=alert(1)&gt;"))
        }
    }

    @Test func unknownAddresses_getA404Page() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for path in ["/no/such/page", "/papers/2502.99999", "/papers/2502.99999.md", "/papers/../../etc/passwd"] {
                let (status, html, headers) = try await client.get(path)
                #expect(status == .notFound, "\(path)")
                #expect(headers[.contentType] == "text/html; charset=utf-8")
                #expect(html.contains("Page not found"), "\(path)")
                #expect(html.contains(#"href="/""#))
            }
        }
    }

    @Test func malformedPeriodsAndParameters_getA400Page() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for path in ["/papers/date/2025-02-30", "/papers/week/2025-W60", "/papers/month/2025-13", "/papers/date/2025-02-04?sort=random", "/papers/date/2025-02-04?p=-1", "/papers/date/%3Cscript%3E"] {
                let (status, html, _) = try await client.get(path)
                #expect(status == .badRequest, "\(path)")
                #expect(html.contains("That is not quite right"), "\(path)")
                #expect(!html.contains("<script>"))
            }
        }
    }

    @Test func responses_carrySecurityHeaders_andStylesheetIsServed() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (_, _, headers) = try await client.get("/")
            #expect(headers[.xContentTypeOptions] == "nosniff")
            #expect(headers[.contentSecurityPolicy]?.contains("default-src 'none'") == true)
            let css = try await client.get("/static/paperboy.css")
            #expect(css.status == .ok)
            #expect(css.headers[.contentType] == "text/css; charset=utf-8")
            #expect(css.body.contains("@media"))
        }
    }

    @Test func markdown_export_hasTitleAbstractAndAbsoluteLinks() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, text, headers) = try await client.get("/papers/2502.00001.md")
            #expect(status == .ok)
            #expect(headers[.contentType] == "text/markdown; charset=utf-8")
            #expect(text.hasPrefix("# Sparse Subnetworks That Train\n"))
            #expect(text.contains("**Authors:** Ada Lovelace, Alan Turing"))
            #expect(text.contains("[Paperboy](https://papers.example.org/papers/2502.00001)"))
            #expect(text.contains("## Abstract\n\nWe find $O(n^2)$ tickets."))
        }
    }
}
