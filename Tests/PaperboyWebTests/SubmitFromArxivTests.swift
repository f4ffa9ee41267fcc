import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Testing

/// Submitting a paper the site does not have: its metadata comes from the arXiv API client,
/// here pointed at a local server answering as export.arxiv.org does.
@Suite struct SubmitFromArxivTests {
    static let atom = ArxivFixtures.lotteryTicketAtom

    /// arXiv that accepts the connection and never answers, and arXiv that is not there at all:
    /// the page says what failed within the overall limit, and nothing is stored.
    @Test func submit_whenArxivHangsOrIsDown_failsPlainlyWithinTheLimit() async throws {
        let hanging = Router()
        hanging.get("/api/query") { _, _ -> Response in
            // Longer than the page's limit; short enough that the fixture's shutdown, which
            // waits for this answer, stays quick.
            try await Task.sleep(for: .seconds(6))
            return Response(status: .ok)
        }
        let arxiv = Application(router: hanging, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await arxiv.test(.live) { arxivClient in
            let port = try #require(arxivClient.port)
            let slow = ArxivMetadataSource(
                client: ArxivAPIClient(configuration: .init(baseURL: "http://127.0.0.1:\(port)/api/query", minimumInterval: .zero, maximumAttempts: 2, timeout: .seconds(30))),
                overallLimit: .seconds(2))
            let fixture = try await WebFixture(metadata: slow)
            try await fixture.test { client in
                let browser = Browser(client)
                try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
                let csrf = try #require(try await browser.get("/submit").csrf)
                let started = ContinuousClock.now
                let page = try await browser.post("/submit", ["paper": "https://arxiv.org/pdf/1803.03635v5.pdf?download=1", "csrf": csrf])
                #expect(ContinuousClock.now - started < .seconds(20), "the overall limit ends the wait")
                #expect(page.status == .serviceUnavailable)
                #expect(page.body.contains("Could not fetch 1803.03635 from arXiv: arXiv did not answer within 2 seconds. Nothing was submitted."), "\(page.body.prefix(2000))")
                #expect(page.body.contains(#"value="https://arxiv.org/pdf/1803.03635v5.pdf?download=1""#), "what was typed stays in the field")
                #expect(try await fixture.store.paper(id: "1803.03635") == nil)
            }
        }

        // Nothing listens on a port just closed: the connection is refused at once.
        let closed = Application(router: Router(), configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        let freePort = try await closed.test(.live) { client in try #require(client.port) }
        let down = ArxivMetadataSource.forSubmissions(baseURL: "http://127.0.0.1:\(freePort)/api/query")
        let fixture = try await WebFixture(metadata: down)
        try await fixture.test { client in
            let browser = Browser(client)
            try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
            let csrf = try #require(try await browser.get("/submit").csrf)
            let page = try await browser.post("/submit", ["paper": "1803.03635", "csrf": csrf])
            #expect(page.status == .serviceUnavailable)
            #expect(page.body.contains("could not reach arXiv: the server refused the connection. Nothing was submitted."), "\(page.body.prefix(2000))")
        }
    }

    @Test func submit_unknownPaper_isFetchedFromArxiv_andPutOnTodaysFeed() async throws {
        let router = Router()
        router.get("/api/query") { request, _ -> Response in
            let known = request.uri.query?.contains("1803.03635") == true
            let body = known ? Self.atom : Self.atom.replacingOccurrences(of: "<entry>", with: "<!--").replacingOccurrences(of: "</entry>", with: "-->")
            return Response(status: .ok, headers: [.contentType: "application/atom+xml"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        let arxiv = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await arxiv.test(.live) { arxivClient in
            let port = try #require(arxivClient.port)
            let source = ArxivMetadataSource(client: ArxivAPIClient(configuration: .init(
                baseURL: "http://127.0.0.1:\(port)/api/query", minimumInterval: .milliseconds(10), maximumAttempts: 2)))
            let fixture = try await WebFixture(metadata: source)
            try await fixture.test { client in
                let browser = Browser(client)
                try await browser.signIn(email: "ada@example.org", username: "ada", mailFolder: fixture.mailFolder)
                let csrf = try #require(try await browser.get("/submit").csrf)
                let added = try await browser.post("/submit", ["paper": "arXiv:1803.03635v2", "csrf": csrf])
                #expect(added.status == .seeOther && added.location == "/papers/1803.03635", "\(added.body.prefix(400))")
                let paper = try #require(try await fixture.store.paper(id: "1803.03635"))
                #expect(paper.title.hasPrefix("The Lottery Ticket Hypothesis") && paper.authors == ["Jonathan Frankle", "Michael Carbin"])
                #expect(paper.categories == ["cs.LG", "cs.AI"] && paper.source == "arxiv" && paper.version == 5)
                #expect(paper.dailyDay == Day(containing: testNow) && paper.submittedBy == "ada")
                let unknown = try await browser.post("/submit", ["paper": "2411.00001", "csrf": csrf])
                #expect(unknown.status == .notFound && unknown.body.contains("arXiv does not know it"))
            }
        }
    }
}
