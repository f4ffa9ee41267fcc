import Foundation
import Hummingbird
import HummingbirdTesting
import NIOCore
import PaperboyTestSupport
import Testing

/// `paperboy ingest` and `paperboy serve --arxiv-categories` against a local OAI-PMH server
/// (two pages joined by a resumption token, a deleted record, a record without a title).
@Suite struct IngestEndToEndTests {
    static func oaiServer() -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            let body = (request.uri.query ?? "").contains("resumptionToken=token") ? OAIFixtures.second : OAIFixtures.first
            return Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }

    @Test func ingestCommand_isIdempotent_andServeSyncsOnItsOwn() async throws {
        let directory = try TemporaryDirectory()
        try await Self.oaiServer().test(.live) { client in
            let oai = "http://127.0.0.1:\(try #require(client.port))/oai"
            let database = directory.path("ingest.sqlite")
            let arguments = ["ingest", "--database", database, "--categories", "cs.LG,cs.CL", "--since", "2026-11-20",
                             "--oai", oai, "--interval", "0", "--checkpoints", directory.path("checkpoints")]
            let first = try run(Locations.binary, arguments)
            #expect(first.status == 0, "\(first.standardError)")
            #expect(first.standardOutput.contains("ingested 2 of 3 records in 2 pages: new 2, updated 0, unchanged 0, skipped 1, deleted upstream 1"), "\(first.standardOutput)")
            let second = try run(Locations.binary, arguments)
            #expect(second.standardOutput.contains("new 0, updated 0, unchanged 2"), "\(second.standardOutput)")
            let hostile = try run(Locations.binary, ["ingest", "--database", database, "--categories", "cs.LG'; DROP TABLE paper", "--oai", oai])
            #expect(hostile.status != 0 && hostile.standardError.contains("takes arXiv categories like cs.LG,cs.CL"))

            let server = try ServerProcess(
                database: directory.path("served.sqlite"),
                extraArguments: ["--arxiv-categories", "cs.LG", "--arxiv-oai", oai, "--arxiv-request-interval", "0",
                                 "--arxiv-state", directory.path("state")])
            var status = 0
            let deadline = Date().addingTimeInterval(30)
            while status != 200, Date() < deadline {
                status = try await httpGet("\(server.baseURL)/api/papers/2611.00003").status
                if status != 200 { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(status == 200, "the sync service should have stored 2611.00003: \(server.serverOutput())")
            let feed = try await httpGet("\(server.baseURL)/api/daily_papers?date=2026-11-21")
            #expect(feed.body.contains("2611.00003") && !feed.body.contains("2611.00002"))
            #expect(server.stop() == 0, "\(server.serverOutput())")
        }
    }
}
