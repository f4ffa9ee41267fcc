import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Synchronization
import Testing

/// Recorded-style OAI-PMH pages: two pages joined by a resumption token, a deleted record,
/// a record without a title, and categories outside the ones asked for.
enum OAIFixtures {
    static func record(_ id: String, title: String?, categories: String, created: String = "2026-11-20") -> String {
        """
        <record><header><identifier>oai:arXiv.org:\(id)</identifier><datestamp>\(created)</datestamp><setSpec>cs</setSpec></header>
        <metadata><arXiv xmlns="http://arxiv.org/OAI/arXiv/" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
        <id>\(id)</id><created>\(created)</created>
        <authors><author><keyname>Lovelace</keyname><forenames>Ada</forenames><affiliation>Analytical Engine Ltd</affiliation></author><author><keyname>Turing</keyname><forenames>Alan M.</forenames></author></authors>
        \(title.map { "<title>\($0)</title>" } ?? "")<categories>\(categories)</categories>
        <comments>10 pages; code at https://github.com/lab/\(id.replacingOccurrences(of: ".", with: "-"))</comments>
        <abstract>  We study \(id) with care.
          Results are good.
        </abstract></arXiv></metadata></record>
        """
    }

    static func page(_ records: [String], token: String?, cursor: Int, size: Int = 4) -> String {
        """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-24T10:00:00Z</responseDate>
        <request verb="ListRecords">http://export.arxiv.org/oai2</request><ListRecords>
        \(records.joined(separator: "\n"))
        <resumptionToken cursor="\(cursor)" completeListSize="\(size)">\(token ?? "")</resumptionToken>
        </ListRecords></OAI-PMH>
        """
    }

    static let first = page([
        record("2611.00001", title: "Sparse Adapters for Language Models", categories: "cs.CL cs.LG"),
        record("2611.00002", title: "A Vision Paper", categories: "cs.CV"),
        """
        <record><header status="deleted"><identifier>oai:arXiv.org:2611.00009</identifier><datestamp>2026-11-21</datestamp></header></record>
        """,
    ], token: "token|page2", cursor: 0)
    static let second = page([
        record("2611.00003", title: "Reward Models &quot;That&quot; Generalise", categories: "cs.LG stat.ML", created: "2026-11-21"),
        record("2611.00004", title: nil, categories: "cs.LG"),
    ], token: nil, cursor: 2)
    static let noRecords = """
        <?xml version="1.0" encoding="UTF-8"?>
        <OAI-PMH xmlns="http://www.openarchives.org/OAI/2.0/"><responseDate>2026-11-24T10:00:00Z</responseDate>
        <request verb="ListRecords">http://export.arxiv.org/oai2</request><error code="noRecordsMatch">No records</error></OAI-PMH>
        """
}

@Suite struct OAIPMHTests {
    @Test func parse_pagesTokensDeletionsAndErrors() throws {
        let page = try OAIPMHParser.parse(Data(OAIFixtures.first.utf8))
        #expect(page.records.map(\.id) == ["2611.00001", "2611.00002"])
        #expect(page.deleted == ["2611.00009"] && page.resumptionToken == "token|page2" && page.completeListSize == 4)
        let paper = page.records[0].record.paper
        #expect(paper.authors == ["Ada Lovelace", "Alan M. Turing"] && paper.categories == ["cs.CL", "cs.LG"])
        #expect(paper.abstract == "We study 2611.00001 with care. Results are good." && paper.githubRepo == "https://github.com/lab/2611-00001")
        let last = try OAIPMHParser.parse(Data(OAIFixtures.second.utf8))
        #expect(last.resumptionToken == nil && last.skipped == ["2611.00004: no title"])
        #expect(try OAIPMHParser.parse(Data(OAIFixtures.noRecords.utf8)).records.isEmpty)
        let badToken = OAIFixtures.noRecords.replacingOccurrences(of: "noRecordsMatch", with: "badResumptionToken")
        #expect(throws: OAIPMHError.badResumptionToken("No records")) { try OAIPMHParser.parse(Data(badToken.utf8)) }
        #expect(throws: OAIPMHError.self) { try OAIPMHParser.parse(Data(OAIFixtures.first.utf8.prefix(900))) }
        var invalid = Data(OAIFixtures.first.utf8)
        invalid[300] = 0xFF
        #expect(throws: OAIPMHError.malformed("the body is not valid UTF-8")) { try OAIPMHParser.parse(invalid) }
    }
}

/// The real harvester and ingest against a local OAI-PMH server.
/// What the local server was asked, in order.
final class RequestLog: Sendable {
    let lines = Mutex<[String]>([])

    func withLock<Result>(_ body: (inout [String]) -> Result) -> Result { lines.withLock { body(&$0) } }
}

@Suite struct ArxivIngestTests {
    static func server(failFirst: Bool, requests: RequestLog) -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            let query = request.uri.query ?? ""
            let count = requests.withLock { $0.append(query); return $0.count }
            if failFirst && count == 1 { return Response(status: .serviceUnavailable, headers: [.retryAfter: "0"]) }
            let body = query.contains("resumptionToken=token") ? OAIFixtures.second : OAIFixtures.first
            return Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    static func client(port: Int) -> ArxivAPIClient {
        ArxivAPIClient(configuration: .init(baseURL: "http://127.0.0.1:\(port)/api/query", minimumInterval: .milliseconds(20), maximumAttempts: 3))
    }

    @Test func ingest_followsTokens_keepsWantedCategories_putsNewPapersOnTheFeed_andIsIdempotent() async throws {
        let requests = RequestLog()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await Self.server(failFirst: true, requests: requests).test(.live) { client in
            let ingest = ArxivIngest(store: store, client: Self.client(port: try #require(client.port)), oaiBaseURL: "http://127.0.0.1:\(try #require(client.port))/oai")
            let summary = try await ingest.run(categories: ["cs.LG", "cs.CL"], since: Day(iso: "2026-11-20"), checkpointFolder: directory.path(""))
            #expect(summary.pages == 2 && summary.harvested == 3 && summary.kept == 2 && summary.deleted == 1 && summary.skipped == 1, "\(summary)")
            #expect(summary.result.inserted == 2)
            let paper = try #require(try await store.paper(id: "2611.00003"))
            #expect(paper.title == #"Reward Models "That" Generalise"# && paper.dailyDay == Day(iso: "2026-11-21") && paper.source == "arxiv")
            #expect(try await store.paper(id: "2611.00002") == nil)
            // Votes survive a second run, which changes nothing.
            let account = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: testNow)
            _ = try await store.setVote(true, paperID: "2611.00001", accountID: account.id, now: testNow)
            let again = try await ingest.run(categories: ["cs.LG", "cs.CL"], since: Day(iso: "2026-11-20"), checkpointFolder: nil)
            #expect(again.result == UpsertResult(inserted: 0, updated: 0, unchanged: 2))
            #expect(try await store.paper(id: "2611.00001")?.upvotes == 1)
        }
        let log = requests.withLock { $0 }
        #expect(log[0] == log[1] && log[0].contains("metadataPrefix=arXiv") && log[0].contains("set=cs") && log[0].contains("from=2026-11-20"))
        #expect(log[2].contains("resumptionToken=token%7Cpage2") && !log[2].contains("metadataPrefix"))
    }

    @Test func harvest_crashAfterFirstPage_resumesFromTheSavedToken() async throws {
        let requests = RequestLog()
        let directory = try TemporaryDirectory()
        let checkpointPath = directory.path("checkpoint.json")
        struct Crash: Error {}
        try await Self.server(failFirst: false, requests: requests).test(.live) { client in
            let port = try #require(client.port)
            let arxiv = Self.client(port: port)
            var seen: [String] = []
            do {
                _ = try await arxiv.harvest(oaiBaseURL: "http://127.0.0.1:\(port)/oai", checkpoint: HarvestCheckpoint(set: "cs", from: "2026-11-20")) { page, next in
                    seen += page.records.map(\.id)
                    try next.save(checkpointPath)
                    throw Crash()
                }
            } catch is Crash {}
            let saved = try #require(try HarvestCheckpoint.load(checkpointPath))
            #expect(saved.token == "token|page2" && saved.pagesDone == 1 && !saved.finished)
            let finished = try await arxiv.harvest(oaiBaseURL: "http://127.0.0.1:\(port)/oai", checkpoint: saved) { page, next in
                seen += page.records.map(\.id)
                try next.save(checkpointPath)
            }
            #expect(finished.finished && finished.pagesDone == 2)
            // Every record exactly once across the two runs.
            #expect(seen == ["2611.00001", "2611.00002", "2611.00003"])
        }
    }
}
