import Foundation
import Hummingbird
import HummingbirdTesting
import HTTPTypes
import NIOCore
import PaperboyCore
@testable import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Synchronization
import Testing

@Suite(.serialized) struct ThumbnailTests {
    static func isWebP(_ data: Data) -> Bool {
        data.count > 12 && data.prefix(4) == Data("RIFF".utf8) && data.subdata(in: 8..<12) == Data("WEBP".utf8)
    }

    @Test func backfill_localPDFs_rendersGoodOnes_placeholdersForBrokenHugeAndMissing_resumes() async throws {
        let good = makePDF(text: "Paperboy thumbnail test")
        let huge = makePDF(text: "Huge", extraOperators: String(repeating: "% padding to make the file large\n", count: 8_000))
        let arrivals = Mutex<[ContinuousClock.Instant]>([])
        let router = Router()
        router.get("/pdf/:name") { _, context -> Response in
            arrivals.withLock { $0.append(ContinuousClock.now) }
            let name = try context.parameters.require("name")
            let body: Data
            switch name {
            case "good.pdf": body = good
            case "broken.pdf": body = Data("%PDF-1.4\nthis is not really a PDF at all\n%%EOF".utf8)
            case "huge.pdf": body = huge
            default: return Response(status: .notFound)
            }
            return Response(status: .ok, headers: [.contentType: "application/pdf"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: body)))
        }
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            var records: [PaperRecord] = []
            for (index, name) in ["good.pdf", "broken.pdf", "huge.pdf", "missing.pdf"].enumerated() {
                var paper = samplePaper(id: "pb-thumb-\(index)")
                paper.pdfURL = "http://127.0.0.1:\(port)/pdf/\(name)"
                records.append(record(paper))
            }
            _ = try await store.upsert(records)
            let gate = ArxivAPIClient(configuration: .init(minimumInterval: .milliseconds(200), maximumAttempts: 2, timeout: .seconds(10)))
            let backfill = ThumbnailBackfill(store: store, source: gate, renderer: try ThumbnailRenderer(), maxPDFBytes: 100_000)
            #expect(huge.count > 100_000)
            let summary = try await backfill.run()
            #expect(summary == ThumbnailBackfill.Summary(rendered: 1, placeholders: 3, stoppedBy: nil), "\(summary)")
            #expect(try await store.paper(id: "pb-thumb-0")?.thumbnail == .image)
            for id in ["pb-thumb-1", "pb-thumb-2", "pb-thumb-3"] { #expect(try await store.paper(id: id)?.thumbnail == .placeholder) }
            let small = try #require(try await store.thumbnail(paperID: "pb-thumb-0", size: .small))
            let large = try #require(try await store.thumbnail(paperID: "pb-thumb-0", size: .large))
            #expect(small.mediaType == "image/webp" && Self.isWebP(small.data) && Self.isWebP(large.data))
            #expect(large.data.count > small.data.count)
            // Done is done: a second run fetches nothing.
            let before = arrivals.withLock { $0.count }
            #expect(try await backfill.run() == ThumbnailBackfill.Summary())
            #expect(arrivals.withLock { $0.count } == before)
            // One request at a time, spaced by the gate.
            let times = arrivals.withLock { $0 }
            for (earlier, later) in zip(times, times.dropFirst()) { #expect(later - earlier >= .milliseconds(185)) }

            // The network fails: the run stops and the paper stays to do, for the next run.
            var unreachable = samplePaper(id: "pb-thumb-offline")
            unreachable.pdfURL = "http://127.0.0.1:9/paper.pdf"
            _ = try await store.upsert([record(unreachable)])
            let stopped = try await backfill.run()
            #expect(stopped.stoppedBy != nil && stopped.rendered + stopped.placeholders == 0)
            #expect(try await store.paper(id: "pb-thumb-offline")?.thumbnail == nil)
        }
    }

    @Test func renderer_overTheMemoryLimit_isUnrenderable_notACrash() async throws {
        let renderer = try ThumbnailRenderer(limits: .init(seconds: 10, memoryBytes: 4 << 20))
        await #expect(throws: ThumbnailRenderer.Failure.self) { try await renderer.render(makePDF(text: "tight")) }
        #expect(try await ThumbnailRenderer().render(makePDF(text: "roomy")).small.isEmpty == false)
    }

    @Test func renderer_programOverTheTimeLimit_isKilledAndReported() async throws {
        let renderer = try ThumbnailRenderer(limits: .init(seconds: 1, memoryBytes: 256 << 20))
        let started = ContinuousClock.now
        await #expect(throws: ThumbnailRenderer.Failure.unrenderable("took longer than 1 s")) { try await renderer.run("/bin/sleep", ["20"], what: "sleep") }
        #expect(ContinuousClock.now - started < .seconds(10))
    }
}

@Suite(.serialized) struct GitHubStarsTests {
    struct Seen: Sendable {
        var path: String
        var ifNoneMatch: String?
        var authorization: String?
        var agent: String?
    }

    @Test func refresh_localGitHub_conditionalRequests_tokenAndRateLimit() async throws {
        let seen = Mutex<[Seen]>([])
        let remaining = Mutex(10)
        let reset = 1_900_000_000
        let router = Router()
        router.get("/repos/:owner/:name") { request, context -> Response in
            let name = try context.parameters.require("name")
            seen.withLock { $0.append(Seen(path: request.uri.path, ifNoneMatch: request.headers[.ifNoneMatch], authorization: request.headers[.authorization], agent: request.headers[.userAgent])) }
            let left = remaining.withLock { value in
                value -= 1
                return value
            }
            var headers: HTTPFields = [.contentType: "application/json"]
            headers[HTTPField.Name("X-RateLimit-Remaining")!] = String(max(left, 0))
            headers[HTTPField.Name("X-RateLimit-Reset")!] = String(reset)
            if left < 0 { return Response(status: .forbidden, headers: headers) }
            if name == "gone" { return Response(status: .notFound, headers: headers) }
            let etag = "\"\(name)-v1\""
            if request.headers[.ifNoneMatch] == etag { return Response(status: .notModified, headers: headers) }
            headers[.eTag] = etag
            let stars = name == "one" ? 1520 : 7
            return Response(status: .ok, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: #"{"full_name":"lab/\#(name)","stargazers_count":\#(stars)}"#)))
        }
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await store.upsert([
            record(samplePaper(id: "2502.00001", daily: nil, published: "2025-02-01", githubRepo: "https://github.com/lab/one")),
            record(samplePaper(id: "2502.00002", daily: nil, published: "2025-02-02", githubRepo: "https://github.com/lab/gone")),
            record(samplePaper(id: "2502.00003", daily: nil, published: "2025-02-03", githubRepo: "https://github.com/lab/three.git")),
            record(samplePaper(id: "2502.00004", daily: nil, published: "2020-02-03", githubRepo: "https://github.com/lab/ancient")),
        ])
        let app = Application(router: router, configuration: ApplicationConfiguration(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            let github = GitHubClient(configuration: .init(baseURL: "http://127.0.0.1:\(port)/", token: "test-token"), now: { testNow })
            let refresh = GitHubStarsRefresh(store: store, client: github, recentDays: 30)
            let first = try await refresh.run(now: testNow)
            #expect(first.updated == 2 && first.missing == 1 && first.failed == 0 && first.pausedUntil == nil, "\(first)")
            #expect(try await store.paper(id: "2502.00001")?.githubStars == 1520)
            #expect(try await store.paper(id: "2502.00003")?.githubStars == 7)
            #expect(try await store.paper(id: "2502.00002")?.githubStars == nil)
            #expect(try await store.paper(id: "2502.00004")?.githubStars == nil)
            let firstRound = seen.withLock { $0 }
            #expect(Set(firstRound.map(\.path)) == ["/repos/lab/one", "/repos/lab/gone", "/repos/lab/three"])
            #expect(firstRound.allSatisfy { $0.authorization == "Bearer test-token" && $0.ifNoneMatch == nil && ($0.agent ?? "").hasPrefix("Paperboy") })

            // The same day: nothing is due.
            #expect(try await refresh.run(now: testNow.addingTimeInterval(3600)) == GitHubStarsRefresh.Summary())
            // The next day: conditional requests, answered 304; the counts stay.
            let second = try await refresh.run(now: testNow.addingTimeInterval(86_400))
            #expect(second.unchanged == 2 && second.missing == 1, "\(second)")
            let conditional = seen.withLock { Array($0.dropFirst(firstRound.count)) }
            #expect(conditional.first { $0.path == "/repos/lab/one" }?.ifNoneMatch == "\"one-v1\"")
            #expect(try await store.paper(id: "2502.00001")?.githubStars == 1520)

            // Four requests are left: the fourth answer says none remain, and the client asks
            // nothing more until the reset.
            remaining.withLock { $0 = 4 }
            let requestsBefore = seen.withLock { $0.count }
            let third = try await refresh.run(now: testNow.addingTimeInterval(2 * 86_400))
            #expect(third.pausedUntil == nil)
            let fourth = try await refresh.run(now: testNow.addingTimeInterval(3 * 86_400))
            #expect(fourth.pausedUntil == Date(timeIntervalSince1970: TimeInterval(reset)), "\(fourth)")
            #expect(seen.withLock { $0.count } - requestsBefore == 4)
        }
    }

    @Test func repositoryPath_acceptsGitHubLinksOnly() {
        #expect(GitHubClient.repositoryPath("https://github.com/lab/repo") == "lab/repo")
        #expect(GitHubClient.repositoryPath("https://github.com/lab/repo.git") == "lab/repo")
        #expect(GitHubClient.repositoryPath("https://github.com/lab/repo/tree/main/src") == "lab/repo")
        #expect(GitHubClient.repositoryPath("https://gitlab.com/lab/repo") == nil)
        #expect(GitHubClient.repositoryPath("https://github.com/lab") == nil)
        #expect(GitHubClient.repositoryPath("https://github.com/lab/..") == nil)
    }
}
