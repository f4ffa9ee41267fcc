import Foundation
import GRDB
import PaperboySQLite
import PaperboyTestSupport
import Testing

/// Search over HTTP with keyword search only (no model in these tests; semantic search has its own suite).
@Suite struct SearchPageTests {
    @Test func searchPage_showsHighlightedResults() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, html, _) = try await client.get("/search?q=sparse+subnetworks")
            #expect(status == .ok)
            #expect(html.contains(#"<a href="/papers/2502.00001"><mark>Sparse</mark> <mark>Subnetworks</mark> That Train</a>"#))
            #expect(html.contains("matched by words"))
            #expect(html.contains("Semantic search is not available"))
            #expect(html.contains(#"value="sparse subnetworks""#))
        }
    }

    @Test func searchPage_withoutQuery_showsTheForm_andBadQueriesExplain() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let empty = try await client.get("/search")
            #expect(empty.status == .ok)
            #expect(empty.body.contains("Use \"quotes\" for phrases") || empty.body.contains("Use &quot;quotes&quot; for phrases"))
            let long = try await client.get("/search?q=" + String(repeating: "a", count: 300))
            #expect(long.status == .badRequest)
            #expect(long.body.contains("the limit is 250"))
            let badYear = try await client.get("/search?q=year%3Atwenty")
            #expect(badYear.status == .badRequest)
            #expect(badYear.body.contains("year: takes a year"))
            let badMode = try await client.get("/search?q=x&mode=magic")
            #expect(badMode.status == .badRequest)
        }
    }

    @Test func searchPage_hostileQueries_areEscapedAndAnswered() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            for query in ["%3Cscript%3Ealert(1)%3C%2Fscript%3E", "%22unbalanced", "a%27%20OR%201%3D1--", "NEAR(a%20b)", "%00%07", "title%3Ax%20OR%20NOT"] {
                let (status, html, _) = try await client.get("/search?q=\(query)")
                #expect(status == .ok || status == .badRequest, "\(query): \(status)")
                #expect(!html.contains("<script>alert"), "\(query) reflected raw")
            }
        }
    }

    @Test func searchPage_controlCharacters_searchAsSpaces_andNeverReachTheHTML() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            // NUL, a bell, an escape and a form feed between the words, as a paste from a PDF brings.
            let (status, html, _) = try await client.get("/search?q=sparse%00%07subnetworks%1B%0C")
            #expect(status == .ok)
            #expect(!html.utf8.contains(where: { $0 < 0x20 && $0 != 0x0A }), "a control character reached the page")
            #expect(html.contains(#"<mark>Sparse</mark> <mark>Subnetworks</mark>"#))
            #expect(html.contains(#"value="sparse  subnetworks  ""#))
            let onlyControls = try await client.get("/search?q=%00%01")
            #expect(onlyControls.status == .ok)
            #expect(!onlyControls.body.utf8.contains(where: { $0 < 0x20 && $0 != 0x0A }))
        }
    }

    @Test func searchAPI_isHubCompatible_andValidates() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ids = try await client.dailyIDs("/api/papers/search?q=dense+retrieval&limit=5")
            #expect(ids.first == "2502.00002")
            let (status, json) = try await client.getJSON("/api/papers/search")
            #expect(status == .badRequest)
            #expect((json as? [String: Any])?["error"] as? String == "q is required: the text to search for.")
            #expect(try await client.getJSON("/api/papers/search?q=x&limit=0").status == .badRequest)
            #expect(try await client.getJSON("/api/papers/search?q=" + String(repeating: "b", count: 260)).status == .badRequest)
        }
    }

    @Test func similarPapers_skipHiddenOnes_andStillFillTheLimit() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([
            record(samplePaper(id: "2502.00010", title: "Training Sparse Subnetworks Faster", daily: "2025-02-04")),
            record(samplePaper(id: "2502.00011", title: "Sparse Subnetworks That Train Slowly", daily: "2025-02-04")),
            record(samplePaper(id: "2502.00012", title: "Subnetworks That Train Sparse Models", daily: "2025-02-04")),
        ])
        try await fixture.test { client in
            func similar(_ limit: Int) async throws -> [String] {
                let json = try await client.getJSON("/api/papers/2502.00001/similar?limit=\(limit)").json
                return (json as? [[String: Any]])?.compactMap { $0["id"] as? String } ?? []
            }
            let before = try await similar(3)
            #expect(before.count == 3)
            // The nearest is hidden: the next one takes its place, and there are still as many.
            try await fixture.store.setPaperHidden(true, paperID: before[0])
            #expect(try await similar(1) == [before[1]])
            #expect(try await similar(2) == [before[1], before[2]])
            #expect(try await !similar(10).contains(before[0]))
        }
    }

    @Test func similarPapers_onThePaperPage_haveTheSignedInReadersControls() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00010", title: "Training Sparse Subnetworks Faster", daily: "2025-02-04"))])
        try await fixture.test { client in
            let member = Browser(client)
            try await member.signIn(email: "grace@example.org", username: "grace", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await member.get("/submit").csrf)
            _ = try await member.post("/papers/2502.00010/upvote", ["on": "1", "csrf": csrf])
            _ = try await member.post("/papers/2502.00010/save", ["csrf": csrf, "tags": "later"])
            let page = try await member.get("/papers/2502.00001").body
            let similar = try #require(page.components(separatedBy: "id=\"similar-heading\"").last)
            // The reader's own vote and library, not a sign-in link; a vote without JavaScript comes back here.
            #expect(!similar.contains("Sign in to upvote"))
            #expect(similar.contains(#"action="/papers/2502.00010/upvote" data-vote><input type="hidden" name="csrf""#))
            #expect(similar.contains(#"<input type="hidden" name="on" value="0"><input type="hidden" name="next" value="/papers/2502.00001"><button type="submit" aria-pressed="true""#))
            #expect(similar.contains(#"data-library="2502.00010"><form class="inline" method="post" action="/papers/2502.00010/unsave""#))
            #expect(similar.contains(#"<input name="tags" value="later""#))
            // Not signed in: the sign-in link, as before.
            #expect(try await client.get("/papers/2502.00001").body.components(separatedBy: "id=\"similar-heading\"").last?.contains("Sign in to upvote") == true)
        }
    }

    @Test func similarPapers_withoutModel_fallBackToSharedTitleWords() async throws {
        let fixture = try await WebFixture()
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00010", title: "Training Sparse Subnetworks Faster", daily: "2025-02-04"))])
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/papers/2502.00001/similar")
            #expect(status == .ok)
            let ids = (json as? [[String: Any]])?.compactMap { $0["id"] as? String }
            #expect(ids?.first == "2502.00010")
            #expect(ids?.contains("2502.00001") == false)
            #expect(try await client.getJSON("/api/papers/9999.99999/similar").status == .notFound)
            let page = try await client.get("/papers/2502.00001")
            #expect(page.body.contains("Similar papers"))
            #expect(page.body.contains("Training Sparse Subnetworks Faster"))
        }
    }

    /// Without a model the paper page keeps each paper's similar papers (by title words) until
    /// the searchable text changes: an edit through the store, an edit by another connection and
    /// a paper added by another store on the file (another process) each show on the next view.
    @Test func similarPapers_withoutModel_onThePaperPage_followEveryChangeOfText() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero)
        _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00010", title: "Quantum Widgets", daily: "2025-02-04"))])
        let file = fixture.directory.path("paperboy.sqlite")
        try await fixture.test { client in
            func similar() async throws -> String {
                let page = try await client.get("/papers/2502.00001").body
                let parts = page.components(separatedBy: "id=\"similar-heading\"")
                return parts.count > 1 ? parts[parts.count - 1] : ""
            }
            for _ in 0..<2 { #expect(try await !similar().contains("Quantum Widgets")) }
            _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00010", title: "Sparse Quantum Widgets", daily: "2025-02-04"))])
            for _ in 0..<2 { #expect(try await similar().contains("Sparse Quantum Widgets")) }
            let other = try DatabaseQueue(path: file)
            try await other.write { try $0.execute(sql: "UPDATE paper SET title = 'Dense Quantum Widgets' WHERE id = '2502.00010'") }
            #expect(try await !similar().contains("Quantum Widgets"))
            let otherStore = try SQLitePaperStore(path: file)
            _ = try await otherStore.upsert([record(samplePaper(id: "2502.00011", title: "Subnetworks Revisited", daily: nil))])
            #expect(try await similar().contains("Subnetworks Revisited"))
        }
    }

    @Test func searchPage_noResults_inHybridMode_suggestsAKeywordSearch() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let page = try await client.get("/search?q=zzqxv+blorft")
            #expect(page.body.contains("No papers match"))
            #expect(page.body.contains(#"href="/search?q=zzqxv%20blorft&amp;mode=keyword""#) || page.body.contains("mode=keyword"), "\(page.body.suffix(2000))")
            let keyword = try await client.get("/search?q=zzqxv+blorft&mode=keyword")
            #expect(keyword.body.contains("No papers match") && !keyword.body.contains("a keyword search"))
        }
    }
}
