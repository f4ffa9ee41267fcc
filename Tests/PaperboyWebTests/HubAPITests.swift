import Foundation
import PaperboyTestSupport
import HummingbirdTesting
import Testing

@Suite struct HubAPITests {
    @Test func dailyPapers_byDate_hasTheHubShape() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/daily_papers?date=2025-02-04")
            #expect(status == .ok)
            let entries = try #require(json as? [[String: Any]])
            #expect(entries.count == 2)
            let entry = try #require(entries.first { ($0["paper"] as? [String: Any])?["id"] as? String == "2502.00001" })
            let paper = try #require(entry["paper"] as? [String: Any])
            for key in ["id", "authors", "publishedAt", "submittedOnDailyAt", "title", "summary", "upvotes", "discussionId", "githubRepo", "submittedOnDailyBy"] {
                #expect(paper[key] != nil, "paper.\(key) missing")
            }
            for key in ["paper", "publishedAt", "title", "summary", "numComments", "submittedBy", "isAuthorParticipating"] {
                #expect(entry[key] != nil, "entry.\(key) missing")
            }
            #expect(paper["upvotes"] as? Int == 12)
            #expect(paper["publishedAt"] as? String == "2025-02-01T00:00:00.000Z")
            #expect(paper["submittedOnDailyAt"] as? String == "2025-02-04T09:00:00.000Z")
            #expect(entry["publishedAt"] as? String == "2025-02-04T09:00:00.000Z")
            #expect((paper["authors"] as? [[String: Any]])?.compactMap { $0["name"] as? String } == ["Ada Lovelace", "Alan Turing"])
            #expect((paper["submittedOnDailyBy"] as? [String: Any])?["user"] as? String == "ada")
            #expect(paper["githubRepo"] as? String == "https://github.com/lab/tickets")
        }
    }

    @Test func dailyPapers_filtersSortsAndPages() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            // No period: newest day first; within a day newest publication first.
            let ids1 = try await client.dailyIDs("/api/daily_papers")
            #expect(ids1 == ["2502.00001", "2502.00002", "2502.00003", "2501.00004"])
            let ids2 = try await client.dailyIDs("/api/daily_papers?week=2025-W06")
            #expect(ids2 == ["2502.00001", "2502.00003", "2502.00002"])
            let ids3 = try await client.dailyIDs("/api/daily_papers?month=2025-01")
            #expect(ids3 == ["2501.00004"])
            let ids4 = try await client.dailyIDs("/api/daily_papers?submitter=bob")
            #expect(ids4 == ["2501.00004"])
            let ids5 = try await client.dailyIDs("/api/daily_papers?limit=2&p=1")
            #expect(ids5 == ["2502.00003", "2501.00004"])
            let ids6 = try await client.dailyIDs("/api/daily_papers?date=2024-01-01")
            #expect(ids6 == [])
            // Trending: 30 votes 1 h ago beat 99 votes 15 days ago and 12 votes 3 h ago.
            let ids7 = try await client.dailyIDs("/api/daily_papers?sort=trending&limit=2")
            #expect(ids7 == ["2502.00002", "2502.00001"])
        }
    }

    @Test(arguments: [
        "/api/daily_papers?date=2025-02-30",
        "/api/daily_papers?date=yesterday",
        "/api/daily_papers?week=2025-W99",
        "/api/daily_papers?month=2025-1",
        "/api/daily_papers?date=2025-02-04&week=2025-W06",
        "/api/daily_papers?sort=upvotes",
        "/api/daily_papers?limit=0",
        "/api/daily_papers?limit=101",
        "/api/daily_papers?limit=ten",
        "/api/daily_papers?p=-1",
        "/api/daily_papers?submitter=%3Cscript%3E",
        "/api/daily_papers?submitter=a%27%20OR%201%3D1--",
    ])
    func dailyPapers_invalidParameters_get400WithJSONError(uri: String) async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON(uri)
            #expect(status == .badRequest)
            let message = (json as? [String: Any])?["error"] as? String
            #expect(message?.isEmpty == false)
        }
    }

    @Test func paperInfo_knownAndUnknownIds() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/papers/2502.00002")
            #expect(status == .ok)
            let paper = try #require(json as? [String: Any])
            #expect(paper["id"] as? String == "2502.00002")
            #expect(paper["title"] as? String == "Dense Retrieval at Scale")
            #expect(paper["upvotes"] as? Int == 30)
            #expect(paper["numComments"] as? Int == 0)
            #expect(try await client.getJSON("/api/papers/2502.00002v3").status == .ok)
            #expect(try await client.getJSON("/api/papers/hep-th/9901001").status == .ok)
            let missing = try await client.getJSON("/api/papers/9999.99999")
            #expect(missing.status == .notFound)
            #expect((missing.json as? [String: Any])?["error"] as? String == "Paper \"9999.99999\" not found.")
            #expect(try await client.getJSON("/api/nothing-here").status == .notFound)
        }
    }

    @Test func openAPIDocument_describesTheAPI() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/openapi.json")
            #expect(status == .ok)
            let document = try #require(json as? [String: Any])
            #expect((document["openapi"] as? String)?.hasPrefix("3.") == true)
            let paths = try #require(document["paths"] as? [String: Any])
            // Every public API route, the search, similar-papers and subscription routes included.
            #expect(Set(paths.keys).isSuperset(of: [
                "/api/daily_papers", "/api/papers/{id}", "/api/papers/search", "/api/papers/{id}/similar", "/api/subscriptions",
                "/papers/{id}.md", "/feed.atom",
            ]))
            // The documented search parameters are the ones the route reads.
            let search = try #require((paths["/api/papers/search"] as? [String: Any])?["get"] as? [String: Any])
            let names = Set((search["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            #expect(names == ["q", "mode", "limit", "p"])
        }
    }
}
