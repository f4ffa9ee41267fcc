import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyIngest
import Synchronization
import Testing

@Suite struct ArxivAtomTests {
    func fixture(_ name: String) throws -> Data {
        try Data(contentsOf: URL(fileURLWithPath: try #require(Bundle.module.url(forResource: "Fixtures/\(name)", withExtension: nil)).path))
    }

    @Test func parse_recordedResponse_readsEveryField() throws {
        let feed = try ArxivAtomParser.parse(try fixture("arxiv-api.atom"))
        #expect(feed.totalResults == 2)
        #expect(feed.entries.map(\.id) == ["1803.03635", "2006.11239"])
        #expect(feed.skipped == ["2401.00001: no title"])
        let lottery = feed.entries[0]
        #expect(lottery.version == 5 && lottery.primaryCategory == "cs.LG" && lottery.categories == ["cs.AI", "cs.LG", "cs.NE"])
        #expect(lottery.authors.map(\.name) == ["Jonathan Frankle", "Michael Carbin"] && lottery.authors[0].affiliations == ["MIT CSAIL"])
        #expect(lottery.journalRef == "ICLR 2019" && lottery.pdfURL == "http://arxiv.org/pdf/1803.03635v5")
        let record = lottery.record.paper
        #expect(record.title == "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks")
        #expect(record.categories == ["cs.LG", "cs.AI", "cs.NE"] && record.source == "arxiv")
        #expect(record.githubRepo == "https://github.com/facebookresearch/open_lth")
        #expect(record.publishedAt == DateParsing.parse("2018-03-09T18:51:28Z"))
        let ddpm = feed.entries[1].record.paper
        #expect(ddpm.doi == "10.48550/arXiv.2006.11239" && ddpm.githubRepo == "https://github.com/hojonathanho/diffusion")
        #expect(ddpm.abstract.hasPrefix("We present high quality image synthesis results using diffusion probabilistic models, a class"))
    }

    @Test func parse_errorEntriesTruncatedXMLAndInvalidUTF8_areTypedErrors() throws {
        #expect(throws: ArxivParseError.apiError("incorrect id format for bad")) { try ArxivAtomParser.parse(try fixture("arxiv-api-error.atom")) }
        let whole = try fixture("arxiv-api.atom")
        #expect(throws: ArxivParseError.self) { try ArxivAtomParser.parse(whole.prefix(whole.count / 2)) }
        var invalid = whole
        invalid.replaceSubrange(400..<402, with: [0xC3, 0x28])
        #expect(throws: ArxivParseError.malformed("the body is not valid UTF-8")) { try ArxivAtomParser.parse(invalid) }
        #expect(throws: ArxivParseError.self) { try ArxivAtomParser.parse(Data("<html><body>Service Unavailable</body></html>".utf8)) }
    }

    /// Found by Fuzz/ArxivAtom: a pdf link with another scheme reached the paper page as a live link.
    @Test func record_nonHTTPPDFLink_isDropped() throws {
        let feed = try ArxivAtomParser.parse(Data("""
            <feed xmlns="http://www.w3.org/2005/Atom"><entry><id>http://arxiv.org/abs/2401.12345v1</id><title>T</title>
            <link title="pdf" href="javascript:alert(1)"/></entry></feed>
            """.utf8))
        #expect(feed.entries.first?.record.paper.pdfURL == nil)
    }
}

/// The real client against a local server that answers 503 (Retry-After), then the recorded feed.
@Suite struct ArxivClientTests {
    @Test func client_retries503_spacesRequests_sendsUserAgent() async throws {
        let body = try Data(contentsOf: try #require(Bundle.module.url(forResource: "Fixtures/arxiv-api.atom", withExtension: nil)))
        let requests = Mutex<[(at: ContinuousClock.Instant, agent: String, query: String)]>([])
        let router = Router()
        router.get("/api/query") { request, _ -> Response in
            let count = requests.withLock { log in
                log.append((ContinuousClock.now, request.headers[.userAgent] ?? "", request.uri.query ?? ""))
                return log.count
            }
            if count == 1 { return Response(status: .serviceUnavailable, headers: [.retryAfter: "1"]) }
            return Response(status: .ok, headers: [.contentType: "application/atom+xml"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let arxiv = ArxivAPIClient(configuration: .init(
                baseURL: "http://127.0.0.1:\(port)/api/query", userAgent: "Paperboy-test/1.0 (mailto:test@example.org)",
                minimumInterval: .milliseconds(300), maximumAttempts: 3, timeout: .seconds(10)))
            let feed = try await arxiv.entries(ids: ["1803.03635v2", "2006.11239"])
            #expect(feed.entries.count == 2)
            let source = ArxivMetadataSource(client: arxiv)
            #expect(try await source.record(arxivID: "2006.11239")?.paper.title == "Denoising Diffusion Probabilistic Models")
        }
        let log = requests.withLock { $0 }
        #expect(log.count == 3)
        #expect(log.allSatisfy { $0.agent == "Paperboy-test/1.0 (mailto:test@example.org)" })
        #expect(log[0].query.contains("id_list=1803.03635,2006.11239"))
        // Retry-After: 1 is honoured; later requests keep the minimum spacing. Seen from the
        // server, which stamps arrivals, so allow a few milliseconds of delivery jitter.
        #expect(log[1].at - log[0].at >= .milliseconds(980))
        #expect(log[2].at - log[1].at >= .milliseconds(285))
    }
}
