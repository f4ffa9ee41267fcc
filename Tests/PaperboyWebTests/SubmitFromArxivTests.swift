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
    static let atom = """
        <?xml version="1.0" encoding="UTF-8"?>
        <feed xmlns="http://www.w3.org/2005/Atom">
          <opensearch:totalResults xmlns:opensearch="http://a9.com/-/spec/opensearch/1.1/">1</opensearch:totalResults>
          <entry>
            <id>http://arxiv.org/abs/1803.03635v5</id>
            <updated>2019-03-04T23:17:44Z</updated>
            <published>2018-03-09T18:51:28Z</published>
            <title>The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks</title>
            <summary>Neural network pruning techniques can reduce the parameter counts of trained networks by over 90%.</summary>
            <author><name>Jonathan Frankle</name></author>
            <author><name>Michael Carbin</name></author>
            <link title="pdf" href="http://arxiv.org/pdf/1803.03635v5" rel="related" type="application/pdf"/>
            <arxiv:primary_category xmlns:arxiv="http://arxiv.org/schemas/atom" term="cs.LG"/>
            <category term="cs.AI"/><category term="cs.LG"/>
          </entry>
        </feed>
        """

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
