import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
@testable import PaperboyWeb
import Testing

@Suite struct ForYouWebTests {
    @Test func save_withTags_showsInLibrary_privateUntilTagIsPublic() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let page = try await ada.get("/papers/2502.00001")
            #expect(page.body.contains(#"action="/papers/2502.00001/save""#) && page.body.contains("Not interested"))
            let csrf = try #require(page.csrf)
            let saved = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "Graph Nets, rl", "next": "/papers/2502.00001"])
            #expect(saved.status == .seeOther && saved.location == "/papers/2502.00001")
            // Hostile and oversized input: a clear 400, and what was stored stays.
            let hostile = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "<script>alert(1)</script>"])
            #expect(hostile.status == .badRequest && hostile.body.contains("tag is 1 to 40"))
            #expect(try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": String(repeating: "x,", count: 600)]).status == .badRequest)
            #expect(try await ada.post("/papers/9999.99999/save", ["csrf": csrf, "tags": "x"]).status == .notFound)
            #expect(try await ada.post("/papers/2502.00001/save", ["tags": "x"]).status == .forbidden, "no CSRF token")

            let library = try await ada.get("/library")
            #expect(library.status == .ok && library.body.contains("Sparse Subnetworks That Train") && library.body.contains("graph-nets"))
            #expect(try await ada.get("/library?tag=rl").body.contains("Sparse Subnetworks That Train"))
            #expect(try await !ada.get("/library?q=retrieval").body.contains("Sparse Subnetworks That Train"))
            #expect(try await ada.get("/library?q=subnetworks").body.contains("Sparse Subnetworks That Train"))
            #expect(try await ada.get("/library?tag=%3Cscript%3E").status == .badRequest)

            // Another reader (an admin) sees nothing of Ada's library.
            let bob = Browser(client)
            try await bob.signIn(email: "bob@example.org", username: "bob", mailFolder: fixture.mailFolder)
            try await fixture.store.setRole(.admin, username: "bob")
            #expect(try await !bob.get("/library").body.contains("Sparse Subnetworks That Train"))
            #expect(try await Browser(client).get("/library").status == .seeOther, "anonymous: sign in first")
            #expect(try await bob.get("/u/ada/collections/rl").status == .notFound)

            let made = try await ada.post("/library/tags/rl/visibility", ["csrf": csrf, "public": "1"])
            #expect(made.status == .seeOther)
            let collection = try await Browser(client).get("/u/ada/collections/rl")
            #expect(collection.status == .ok && collection.body.contains("Sparse Subnetworks That Train"))
            #expect(try await Browser(client).get("/u/ada/collections/graph-nets").status == .notFound)

            let removed = try await ada.post("/papers/2502.00001/unsave", ["csrf": csrf])
            #expect(removed.status == .seeOther)
            let adaAccount = try #require(try await fixture.store.account(username: "ada"))
            #expect(try await fixture.store.library(accountID: adaAccount.id, tag: nil).isEmpty)
        }
    }

    /// Cold start by picking papers from a search: every result card has Save for a signed-in
    /// reader (saved ones say so), none for a visitor, and the header links to the library.
    @Test func searchResults_haveSave_forSignedInReaders() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let anonymous = try await Browser(client).get("/search?q=sparse+subnetworks&mode=keyword")
            // Query words are marked in titles, so the card is found by its link.
            #expect(anonymous.status == .ok && anonymous.body.contains(#"href="/papers/2502.00001""#))
            #expect(!anonymous.body.contains("/save\"") && !anonymous.body.contains(#"href="/library""#))
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let page = try await ada.get("/search?q=sparse+subnetworks&mode=keyword")
            #expect(page.body.contains(#"action="/papers/2502.00001/save""#) && page.body.contains(#"href="/library""#))
            let csrf = try #require(page.csrf)
            let saved = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "", "next": "/search?q=sparse+subnetworks&mode=keyword"])
            #expect(saved.status == .seeOther && saved.location == "/search?q=sparse+subnetworks&mode=keyword")
            #expect(try await ada.get("/search?q=sparse+subnetworks&mode=keyword").body.contains("Remove from library"))
        }
    }

    /// Deleting an account from Settings deletes the reader's library, votes and session; a
    /// slip (wrong username) or a stolen cookie (no password, stale sign-in) deletes nothing.
    @Test func deleteAccount_fromSettings_removesTheReadersData_andNeedsConfirmation() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let settings = try await ada.get("/settings")
            #expect(settings.body.contains(#"action="/settings/delete-account""#) && settings.body.contains("Delete my account"))
            let csrf = try #require(settings.csrf)
            let before = try #require(try await fixture.store.paper(id: "2502.00001")).upvotes
            _ = try await ada.post("/papers/2502.00001/upvote", ["on": "1", "csrf": csrf])
            _ = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "rl"])
            let account = try #require(try await fixture.store.account(username: "ada"))

            let slip = try await ada.post("/settings/delete-account", ["csrf": csrf, "confirm": "bob"])
            #expect(slip.status == .badRequest && slip.body.contains("Nothing was deleted"))
            #expect(try await ada.post("/settings/delete-account", ["confirm": "ada"]).status == .forbidden, "no CSRF token")
            #expect(try await fixture.store.account(username: "ada") != nil)
            #expect(try await fixture.store.library(accountID: account.id, tag: nil).count == 1)

            let deleted = try await ada.post("/settings/delete-account", ["csrf": csrf, "confirm": " ADA "])
            #expect(deleted.status == .ok && deleted.body.contains("Your account is deleted"))
            #expect(try await fixture.store.account(username: "ada") == nil)
            #expect(try await fixture.store.library(accountID: account.id, tag: nil).isEmpty)
            #expect(try #require(try await fixture.store.paper(id: "2502.00001")).upvotes == before, "the vote is gone from the count")
            #expect(try await ada.get("/settings").status == .seeOther, "the session ended with the account")
        }
    }

    @Test func export_bibtexAndJSONLines_escapeHostileText() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/papers/2502.00003").csrf)
            _ = try await ada.post("/papers/2502.00003/save", ["csrf": csrf, "tags": "odd"])
            _ = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": ""])
            let bib = try await ada.get("/library/export.bib")
            #expect(bib.status == .ok && bib.headers[.contentType]?.hasPrefix("application/x-bibtex") == true)
            #expect(bib.body.contains("@misc{paperboy:2502.00003,") && bib.body.contains("eprint = {2502.00001}"))
            #expect(bib.body.components(separatedBy: "@misc").count == 3)
            let jsonl = try await ada.get("/library/export.jsonl?tag=odd")
            let lines = jsonl.body.split(separator: "\n")
            #expect(lines.count == 1)
            let object = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
            #expect(object?["title"] as? String == WebFixture.hostileTitle)
            #expect(object?["tags"] as? [String] == ["odd"])
        }
    }

    @Test func forYouFeed_ranksByTheReadersModel_withReasons_andHidesNotInterested() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero, withRecommender: true)
        let recommender = try #require(fixture.recommender)
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            // Anonymous readers are sent to sign in.
            let anonymous = try await Browser(client).get("/papers/date/2025-02-04?sort=foryou")
            #expect(anonymous.status == .seeOther && anonymous.location?.hasPrefix("/signin") == true)
            let before = try await ada.get("/papers/date/2025-02-04?sort=foryou")
            #expect(before.status == .ok && before.body.contains("No For-you model yet"))

            let csrf = try #require(try await ada.get("/papers/2502.00001").csrf)
            _ = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": "tickets"])
            _ = try await ada.post("/papers/2502.00002/not-interested", ["csrf": csrf, "on": "1"])
            try await recommender.updateVocabulary()
            #expect(try await recommender.retrainStaleModels(now: testNow) >= 1)

            let page = try await ada.get("/papers/date/2025-02-04?sort=foryou")
            #expect(page.status == .ok)
            #expect(page.body.contains("For you: ordered by"))
            #expect(page.body.contains(#"class="reason""#))
            #expect(!page.body.contains("Dense Retrieval at Scale"), "marked not interested")
            #expect(page.body.contains(#"aria-current="true">For you"#))
            #expect(try await ada.get("/papers/date/2025-02-04?sort=bogus").status == .badRequest)
        }
    }

    @Test func defaultFeed_withFewVotesAndReaderModels_showsTheCommunityOrder_andSaysSo() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero, withRecommender: true)
        let recommender = try #require(fixture.recommender)
        try await fixture.test { client in
            #expect(try await !client.get("/papers/date/2025-02-04").body.contains("Community order"), "no models yet")
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await ada.get("/papers/2502.00001").csrf)
            _ = try await ada.post("/papers/2502.00001/save", ["csrf": csrf, "tags": ""])
            try await recommender.updateVocabulary()
            _ = try await recommender.retrainStaleModels(now: testNow)
            let page = try await client.get("/papers/date/2025-02-04")
            #expect(page.body.contains("Community order: only 2 papers have votes here"))
            // Asking for upvotes explicitly gives the plain order.
            #expect(try await !client.get("/papers/date/2025-02-04?sort=upvotes").body.contains("Community order"))
        }
    }

    /// Whether votes can order a feed is read from the top of its upvote order, so most uncached
    /// feed pages never load the period's 2,000 candidates (issue 17).
    @Test func enoughVotes_isSettledByTheTopOfTheUpvoteOrder_whereItCanBe() {
        func paper(_ upvotes: Int, featured: Bool = false) -> Paper {
            Paper(id: UUID().uuidString, title: "t", abstract: "", source: "test", upvotes: upvotes, featured: featured)
        }
        let enough = SitePages.votedPapersForUpvoteOrder
        #expect(SitePages.enoughVotes(top: (0 ..< enough).map { _ in paper(1) } + [paper(0)], limit: 20) == true)
        #expect(SitePages.enoughVotes(top: [paper(3), paper(1)], limit: 20) == false, "the whole period: two voted papers")
        #expect(SitePages.enoughVotes(top: (0 ..< 19).map { _ in paper(0, featured: true) } + [paper(0)], limit: 20) == false,
                "an unvoted paper that is not a pick comes after every voted one")
        #expect(SitePages.enoughVotes(top: (0 ..< 15).map { _ in paper(0, featured: true) } + (0 ..< 5).map { _ in paper(2) }, limit: 20) == nil,
                "picks and voted papers only: more voted papers may follow")
    }

    @Test func settings_paragraphFollowsTokens_andTheRecommendationsAPI() async throws {
        let fixture = try await WebFixture(cacheLifetime: .zero, withRecommender: true)
        let recommender = try #require(fixture.recommender)
        try await fixture.test { client in
            let ada = Browser(client)
            try await ada.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let settings = try await ada.get("/settings/for-you")
            let csrf = try #require(settings.csrf)
            #expect(try await ada.post("/settings/for-you/interests", ["csrf": csrf, "paragraph": String(repeating: "x", count: 4_001)]).status == .badRequest)
            #expect(try await ada.post("/settings/for-you/interests", ["csrf": csrf, "paragraph": "Sparse subnetworks and lottery tickets."]).status == .seeOther)
            #expect(try await ada.post("/follow", ["csrf": csrf, "kind": "category", "value": "cs.LG", "on": "1"]).status == .seeOther)
            #expect(try await ada.post("/follow", ["csrf": csrf, "kind": "category", "value": "<b>", "on": "1"]).status == .badRequest)
            #expect(try await ada.post("/follow", ["csrf": csrf, "kind": "planet", "value": "x", "on": "1"]).status == .badRequest)
            let created = try await ada.post("/settings/for-you/tokens", ["csrf": csrf, "name": "laptop"])
            let token = try #require(Browser.capture(#"<code class="token">([^<]+)</code>"#, in: created.body))
            #expect(try await ada.get("/settings/for-you").body.contains("cs.LG"))
            // From the paper page: follow an author, and the button turns into "Unfollow".
            let paperPage = try await ada.get("/papers/2502.00001")
            #expect(paperPage.body.contains("Follow Ada Lovelace") && paperPage.body.contains("Unfollow cs.LG"))
            let followed = try await ada.post("/follow", ["csrf": csrf, "kind": "author", "value": "Ada Lovelace", "on": "1", "next": "/papers/2502.00001"])
            #expect(followed.status == .seeOther && followed.location == "/papers/2502.00001")
            #expect(try await ada.get("/papers/2502.00001").body.contains("Unfollow Ada Lovelace"))
            try await recommender.updateVocabulary()
            _ = try await recommender.retrainStaleModels(now: testNow)

            // By token, without a session.
            let mine = try await client.execute(uri: "/api/recommendations/me?fields=title,reason,score", method: .get,
                                                headers: [.authorization: "Bearer \(token)"]) { response in
                (response.status, try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
            }
            #expect(mine.0 == .ok)
            let papers = try #require(mine.1?["recommendedPapers"] as? [[String: Any]])
            #expect(papers.first?["title"] as? String == "Sparse Subnetworks That Train", "\(papers)")
            #expect(papers.first?["reason"] as? String != nil)
            #expect(try await client.execute(uri: "/api/recommendations/me", method: .get, headers: [.authorization: "Bearer nope"]) { $0.status } == .unauthorized)
            #expect(try await client.execute(uri: "/api/recommendations/me", method: .get) { $0.status } == .unauthorized)

            func post(_ body: String, query: String = "") async throws -> (HTTPResponse.Status, [String: Any]?) {
                try await client.execute(uri: "/api/recommendations\(query)", method: .post, headers: [.contentType: "application/json"],
                                         body: ByteBuffer(string: body)) { response in
                    (response.status, try? JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any])
                }
            }
            let answer = try await post(#"{"positivePaperIds": ["arXiv:2502.00001"], "negativePaperIds": ["2502.00002"]}"#, query: "?limit=2&fields=title,url")
            #expect(answer.0 == .ok)
            let recommended = try #require(answer.1?["recommendedPapers"] as? [[String: Any]])
            #expect(recommended.count <= 2 && !recommended.contains { ($0["paperId"] as? String) == "2502.00001" || ($0["paperId"] as? String) == "2502.00002" })
            #expect(recommended.allSatisfy { $0["url"] is String })
            #expect(try await post(#"{"positivePaperIds": ["9999.99999"]}"#).0 == .badRequest)
            #expect(try await post(#"{"positivePaperIds": []}"#).0 == .badRequest)
            #expect(try await post("not json").0 == .badRequest)
            #expect(try await post(#"{"positivePaperIds": ["2502.00001"]}"#, query: "?limit=0").0 == .badRequest)
            #expect(try await post(#"{"positivePaperIds": ["2502.00001"]}"#, query: "?fields=password").0 == .badRequest)
            let tooMany = "{\"positivePaperIds\": [\((0..<101).map { "\"\($0)\"" }.joined(separator: ","))]}"
            #expect(try await post(tooMany).0 == .badRequest)
        }
    }
}

extension ForYouWebTests {
    @Test func openAPIDocument_describesTheRecommendationsAPI() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/api/openapi.json")
            #expect(status == .ok)
            let paths = try #require((json as? [String: Any])?["paths"] as? [String: Any])
            let post = try #require((paths["/api/recommendations"] as? [String: Any])?["post"] as? [String: Any])
            let names = Set((post["parameters"] as? [[String: Any]] ?? []).compactMap { $0["name"] as? String })
            #expect(names == ["limit", "fields"])
            let body = (((post["requestBody"] as? [String: Any])?["content"] as? [String: Any])?["application/json"] as? [String: Any])?["schema"] as? [String: Any]
            #expect(Set((body?["properties"] as? [String: Any])?.keys.map { $0 } ?? []) == ["positivePaperIds", "negativePaperIds"])
            #expect((paths["/api/recommendations/me"] as? [String: Any])?["get"] != nil)
        }
    }
}

extension ForYouWebTests {
    @Test func digest_forYouSection_onlyForSubscribersWithAModel_andOnlyAboveTheThreshold() async throws {
        let fixture = try await WebFixture(withRecommender: true)
        let store = fixture.store
        let recommender = try #require(fixture.recommender)
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00010", title: "Winning Lottery Tickets in Sparse Subnetworks",
                               abstract: "Sparse subnetworks tickets found by pruning train from their initialization.", daily: "2025-02-04")),
            record(samplePaper(id: "2502.00011", title: "Protein Folding With Diffusion", abstract: "Molecules and proteins fold.", daily: "2025-02-04")),
        ])
        let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
        try await store.savePaper("2502.00001", tags: [], accountID: ada.id, now: testNow)
        try await store.setNotInterested(true, paperID: "2502.00011", accountID: ada.id, now: testNow)
        try await recommender.updateVocabulary()
        #expect(try await recommender.retrainStaleModels(now: testNow) == 1)
        for email in ["ada@example.org", "stranger@example.org"] {
            let pending = try await store.subscribe(email: email, frequency: .daily, topics: [], token: "t-\(email)", now: testNow)
            _ = try await store.confirmSubscription(token: pending.token, now: testNow)
        }
        let composer = try DigestComposer(
            store: store, search: SearchEngine(store: store, semantic: nil), resources: try await SiteResources.load(), siteName: "Test Lab Papers",
            baseURL: "https://papers.example.org", security: fixture.security, from: try MailAddress("paperboy@papers.example.org"),
            recommender: recommender)
        let period = try #require(DigestPeriod("2025-02-04"))
        let adaSubscriber = try #require(try await store.subscriber(email: "ada@example.org"))
        let strangerSubscriber = try #require(try await store.subscriber(email: "stranger@example.org"))
        let adaMail = try #require(try await composer.message(for: adaSubscriber, period: period))
        let forYou = try #require(adaMail.text.components(separatedBy: "Trending").first)
        #expect(forYou.contains("For you") && forYou.contains("Winning Lottery Tickets"), "\(adaMail.text.prefix(800))")
        #expect(!forYou.contains("Protein Folding"), "below the threshold (and marked not interested)")
        #expect(!forYou.contains("Sparse Subnetworks That Train"), "already saved")
        let strangerMail = try #require(try await composer.message(for: strangerSubscriber, period: period))
        #expect(!strangerMail.text.contains("For you"))
    }
}
