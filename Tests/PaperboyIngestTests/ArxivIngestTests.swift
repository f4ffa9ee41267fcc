import PaperboyBench
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

/// Found by Fuzz/OAIPMH: `<?x?>` made Foundation's XMLParser dereference a null pointer and
/// end the process. Such documents, and the encodings that could hide one, are refused first.
@Suite struct XMLInputCheckTests {
    @Test func processingInstructionWithoutData_isMalformed_notACrash() {
        for body in [
            "<?x?>" + OAIFixtures.noRecords,
            OAIFixtures.first.replacingOccurrences(of: "<ListRecords>", with: "<ListRecords><?x?>"),
            "<?xml version=\"1.0\" encoding=\"EBCDIC-US\"?><OAI-PMH/>",
            "<\u{0}?\u{0}x\u{0}?\u{0}>\u{0}",
        ] {
            #expect(throws: OAIPMHError.self) { try OAIPMHParser.parse(Data(body.utf8)) }
            #expect(throws: ArxivParseError.self) { try ArxivAtomParser.parse(Data(body.utf8)) }
        }
    }

    /// Found by Fuzz/OAIPMH running out of memory: libxml2 recovers from namespace errors, and
    /// Foundation leaked each one it reported, while the page still parsed.
    @Test func undeclaredPrefix_isMalformed() {
        let page = OAIFixtures.first.replacingOccurrences(of: "<ListRecords>", with: "<ListRecords>" + String(repeating: "<x:a/>", count: 1_000))
        #expect(throws: OAIPMHError.self) { try OAIPMHParser.parse(Data(page.utf8)) }
        let feed = "<feed xmlns=\"http://www.w3.org/2005/Atom\"><x:a/></feed>"
        #expect(throws: ArxivParseError.self) { try ArxivAtomParser.parse(Data(feed.utf8)) }
    }

    @Test func declarationAndInstructionsWithData_stillParse() throws {
        let page = OAIFixtures.first.replacingOccurrences(
            of: "encoding=\"UTF-8\"?>", with: "encoding='utf-8'?><?xml-stylesheet type=\"text/xsl\" href=\"/oai.xsl\"?>")
        #expect(page != OAIFixtures.first)
        #expect(try OAIPMHParser.parse(Data(page.utf8)).records.count == 2)
    }
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

@Suite struct ArxivRawTests {
    @Test func parse_arXivRaw_versionsAuthorsAccentsAndMissingFields() throws {
        let page = try OAIPMHParser.parse(Data(OAIFixtures.raw.utf8))
        #expect(page.records.count == 2 && page.resumptionToken == nil && page.skipped.isEmpty)
        let entry = page.records[0]
        #expect(entry.id == "0704.0001" && entry.version == 2)
        #expect(entry.authors.map(\.name) == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C.-P. Yuan"])
        #expect(entry.authors[1].affiliations == ["Argonne"] && entry.authors[3].affiliations.isEmpty)
        #expect(entry.published == DateParsing.parse("2007-04-02T19:18:42Z") && entry.updated == DateParsing.parse("2007-07-24T20:10:27Z"))
        #expect(entry.primaryCategory == "hep-ph" && entry.doi == "10.1103/PhysRevD.76.013009" && entry.journalRef == "Phys.Rev.D76:013009,2007")
        let paper = entry.record.paper
        #expect(paper.title == "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies")
        #expect(paper.abstract.hasPrefix("A fully differential calculation") && paper.abstract.hasSuffix("massive photon pairs."))
        let bare = page.records[1]
        #expect(bare.authors.isEmpty && bare.published == nil && bare.version == nil && bare.summary.isEmpty)
    }

    @Test func authors_freeTextField() {
        func names(_ field: String) -> [String] { ArxivAuthors.split(field).map(\.name) }
        #expect(names("Ada Lovelace and Alan Turing") == ["Ada Lovelace", "Alan Turing"])
        #expect(names("A. One, B. Two, and C. Three") == ["A. One", "B. Two", "C. Three"])
        #expect(names("J. M\\\"uller, F. Pi\\~{n}eiro, {\\O}ystein Ore, A. \\c{C}elik, K. G\\\"{o}del") == ["J. Müller", "F. Piñeiro", "Øystein Ore", "A. Çelik", "K. Gödel"])
        #expect(names("The ATLAS Collaboration") == ["The ATLAS Collaboration"])
        #expect(names("  ,  and , ").isEmpty && names("").isEmpty)
        let withAffiliations = ArxivAuthors.split("Grace Hopper (Yale, Harvard (Math)), Alan Kay (1, 2)")
        #expect(withAffiliations.map(\.name) == ["Grace Hopper", "Alan Kay"])
        #expect(withAffiliations[0].affiliations == ["Yale, Harvard (Math)"] && withAffiliations[1].affiliations.isEmpty)
        // Unbalanced parentheses and a trailing backslash do not crash or lose names.
        #expect(names("Broken (Affiliation, Next Person\\") == ["Broken"])
    }

    @Test func syntheticPages_parseBackToTheCorpus() throws {
        let pages = try SyntheticCorpus(count: 25).oaiPages(pageSize: 10)
        #expect(pages.count == 3)
        var ids: [String] = []
        var tokens: [String?] = []
        for data in pages {
            let page = try OAIPMHParser.parse(data)
            ids += page.records.map(\.id)
            tokens.append(page.resumptionToken)
            #expect(page.records.allSatisfy { !$0.authors.isEmpty && !$0.summary.isEmpty && $0.published != nil })
        }
        #expect(ids.count == 25 && Set(ids).count == 25 && tokens == ["synthetic|1", "synthetic|2", nil])
    }
}

@Suite struct ArxivSyncTests {
    @Test func sync_askForArXivRaw_remembersTheLastRun_andStartsOverForNewCategories() async throws {
        let requests = RequestLog()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            requests.withLock { $0.append(request.uri.query ?? "") }
            return Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody(byteBuffer: ByteBuffer(string: OAIFixtures.raw)))
        }
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            func sync(_ categories: [String]) -> ArxivSync {
                let ingest = ArxivIngest(
                    store: store, client: ArxivIngestTests.client(port: port), oaiBaseURL: "http://127.0.0.1:\(port)/oai",
                    policy: .curated, format: .arXivRaw)
                return ArxivSync(ingest: ingest, categories: categories, checkpointFolder: directory.path("sync"))
            }
            let now = try #require(DateParsing.parse("2026-11-24T08:00:00Z"))
            let first = try await sync(["cs.LG"]).run(now: now)
            #expect(first.result.inserted == 2 && first.kept == 2)
            let paper = try #require(try await store.paper(id: "0704.0001"))
            #expect(paper.authors.first == "C. Balázs" && paper.version == 2 && paper.dailyDay == nil)
            _ = try await sync(["cs.LG"]).run(now: now.addingTimeInterval(86_400))
            _ = try await sync(["cs.LG", "cs.CL"]).run(now: now.addingTimeInterval(2 * 86_400))
            #expect(try await sync(["cs.CL", "cs.LG"]).nextSince(now: now) == Day(iso: "2026-11-25"))
            // The state is in the database, so another instance would carry on from it.
            let state = try #require(try await sync(["cs.LG", "cs.CL"]).loadState())
            #expect(state.lastSuccess == Day(iso: "2026-11-26") && state.lastRunAt == now.addingTimeInterval(2 * 86_400))
            #expect(try await !sync(["cs.LG", "cs.CL"]).isDue(now: now.addingTimeInterval(2 * 86_400 + 3600), interval: 6 * 3600))
            #expect(try await sync(["cs.LG", "cs.CL"]).isDue(now: now.addingTimeInterval(2 * 86_400 + 6 * 3600), interval: 6 * 3600))
        }
        let log = requests.withLock { $0 }
        #expect(log.count == 3 && log.allSatisfy { $0.contains("metadataPrefix=arXivRaw") && $0.contains("set=cs") })
        // First run: three days back; second: the day before the last success; new categories: three days back again.
        #expect(log[0].contains("from=2026-11-21") && log[1].contains("from=2026-11-23") && log[2].contains("from=2026-11-23"))
    }
}

/// A local OAI-PMH server whose answers the test changes between runs.
final class ScriptedOAIServer: Sendable {
    /// Page bodies by request: the first page, and the page behind the resumption token.
    let pages: Mutex<(first: Data, second: Data)>

    init(first: String, second: String) {
        pages = Mutex((Data(first.utf8), Data(second.utf8)))
    }

    func set(first: Data? = nil, second: Data? = nil) {
        pages.withLock { pages in
            if let first { pages.first = first }
            if let second { pages.second = second }
        }
    }

    func application() -> Application<RouterResponder<BasicRequestContext>> {
        let router = Router()
        router.get("/oai") { request, _ -> Response in
            let current = self.pages.withLock { $0 }
            let body = (request.uri.query ?? "").contains("resumptionToken=") ? current.second : current.first
            return Response(status: .ok, headers: [.contentType: "text/xml"], body: ResponseBody(byteBuffer: ByteBuffer(data: body)))
        }
        return Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
    }
}

@Suite struct ArxivIngestResilienceTests {
    @Test(arguments: ["truncated", "invalid UTF-8"])
    func brokenSecondPage_failsClearly_keepsTheFirst_andTheNextRunResumes(_ damage: String) async throws {
        var broken = Data(OAIFixtures.second.utf8)
        if damage == "truncated" { broken = broken.prefix(broken.count / 2) } else { broken[broken.count / 2] = 0xFF }
        let server = ScriptedOAIServer(first: OAIFixtures.first, second: "")
        server.set(second: broken)
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await server.application().test(.live) { client in
            let port = try #require(client.port)
            let ingest = ArxivIngest(store: store, client: ArxivIngestTests.client(port: port), oaiBaseURL: "http://127.0.0.1:\(port)/oai")
            let checkpoints = directory.path("checkpoints")
            try FileManager.default.createDirectory(atPath: checkpoints, withIntermediateDirectories: true)
            await #expect {
                _ = try await ingest.run(categories: ["cs.LG"], since: Day(iso: "2026-11-20"), checkpointFolder: checkpoints)
            } throws: { error in
                guard case .oai(.malformed(let reason)) = error as? ArxivAPIClient.ClientError else { return false }
                return damage == "truncated" ? !reason.isEmpty : reason == "the body is not valid UTF-8"
            }
            // The first page is stored; the second is not half-stored.
            let firstStored = try await store.paper(id: "2611.00001")
            let secondStored = try await store.paper(id: "2611.00003")
            #expect(firstStored != nil && secondStored == nil)
            server.set(second: Data(OAIFixtures.second.utf8))
            let resumed = try await ingest.run(categories: ["cs.LG"], since: Day(iso: "2026-11-20"), checkpointFolder: checkpoints)
            // Only the page behind the saved token is asked for again.
            #expect(resumed.pages == 1 && resumed.result.inserted == 1)
            #expect(try await store.paperCount() == 2)
        }
    }

    @Test func newVersion_updatesMetadata_keepsVotesCommentsAndFeedDay() async throws {
        let server = ScriptedOAIServer(first: OAIFixtures.page([OAIFixtures.record("2611.00001", title: "First Title", categories: "cs.LG")], token: nil, cursor: 0), second: "")
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        try await server.application().test(.live) { client in
            let port = try #require(client.port)
            let ingest = ArxivIngest(store: store, client: ArxivIngestTests.client(port: port), oaiBaseURL: "http://127.0.0.1:\(port)/oai")
            _ = try await ingest.run(categories: ["cs.LG"], since: nil, checkpointFolder: nil)
            let account = try await store.createAccount(username: "grace", email: "grace@example.org", role: .member, passwordHash: nil, now: testNow)
            _ = try await store.setVote(true, paperID: "2611.00001", accountID: account.id, now: testNow)
            _ = try await store.addComment(paperID: "2611.00001", accountID: account.id, body: "Nice.", now: testNow)
            let before = try #require(try await store.paper(id: "2611.00001"))

            let revised = OAIFixtures.record("2611.00001", title: "Revised Title", categories: "cs.LG cs.AI", created: "2026-11-20")
                .replacingOccurrences(of: "<created>2026-11-20</created>", with: "<created>2026-11-20</created><updated>2026-11-23</updated>")
            server.set(first: Data(OAIFixtures.page([revised], token: nil, cursor: 0).utf8))
            let summary = try await ingest.run(categories: ["cs.LG"], since: nil, checkpointFolder: nil)
            #expect(summary.result == UpsertResult(inserted: 0, updated: 1, unchanged: 0))
            let after = try #require(try await store.paper(id: "2611.00001"))
            #expect(after.title == "Revised Title" && after.categories == ["cs.LG", "cs.AI"] && after.updatedAt == DateParsing.parse("2026-11-23"))
            #expect(after.upvotes == 1 && after.dailyDay == before.dailyDay && after.dailyDay == Day(iso: "2026-11-20"))
            #expect(try await store.comments(paperID: "2611.00001", includeHidden: false).map(\.body) == ["Nice."])
        }
    }
}
