import Crypto
import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyPostgres
import PaperboySearch
import PaperboyStore
import PaperboyTestSupport
import ServiceLifecycle
import Testing

/// Two servers on one PostgreSQL database, both with the digest job on: each subscriber gets
/// exactly one digest (the lease), and both serve the same feed. The servers run in-process with a
/// clock set to a weekday morning, so the test runs (and means the same) on any day of the week.
@Suite struct TwoServersTests {
    /// The latest day up to `today` on which digests are due (a weekday), at 08:00 UTC: its
    /// digests cover a day inside the week of papers the test spreads up to today.
    static func digestMorning(onOrBefore today: Day) -> Date {
        var day = today
        while DigestPeriod.due(on: day).isEmpty { day = day.adding(days: -1) }
        return day.start.addingTimeInterval(8 * 3600)
    }

    @Test func twoServers_sendEachDigestOnce_andServeTheSameFeed() async throws {
        let directory = try TemporaryDirectory()
        let url = try await PostgresServer.shared().createDatabase()
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/seed-papers.jsonl").path
        let store = try await Stores.open(.postgres(url: url))
        let realToday = Day(containing: Date())
        _ = try await Importer(store: store).importFile(at: seed, options: ImportOptions(placement: .spread(days: 7, endingOn: realToday)))
        let count = 20
        for index in 0..<count {
            let pending = try await store.subscribe(email: "reader\(index)@example.org", frequency: .daily, topics: [], token: "two-\(index)-\(UUID().uuidString)", now: Date())
            _ = try await store.confirmSubscription(token: pending.token, now: Date())
        }
        let sink = try SMTPSink(in: directory)
        defer { sink.stop() }

        // A clock that runs from a weekday morning at the real pace.
        let offset = Self.digestMorning(onOrBefore: realToday).timeIntervalSince(Date())
        let clock: @Sendable () -> Date = { Date().addingTimeInterval(offset) }
        let configuration = try await PaperboyConfiguration.load(
            commandLine: [
                .database: url, .port: "0", .digestHour: "0", .mail: "smtp://127.0.0.1:\(sink.port)?starttls=none",
                .publicURL: "https://papers.example.org", .model: directory.path("no-model"), .arxivAPI: "off", .logLevel: "warning",
            ],
            environment: [:])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let first = try await PaperboyServer.make(configuration, now: clock, onListening: { _, port, _ in continuation.yield(port) })
        let second = try await PaperboyServer.make(configuration, now: clock, onListening: { _, port, _ in continuation.yield(port) })
        let groups = [first.serviceGroup(), second.serviceGroup()]
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for group in groups { tasks.addTask { try await group.run() } }
            var iterator = ports.makeAsyncIterator()
            let portOne = try #require(await iterator.next())
            let portTwo = try #require(await iterator.next())

            let deadline = Date().addingTimeInterval(60)
            while try sink.messages().count < count, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
            // Long enough for a second sender, if there were one, to send its copies.
            try await Task.sleep(for: .seconds(3))
            let recipients = try sink.envelopes().compactMap { ($0["to"] as? [String])?.first }
            #expect(recipients.count == count && Set(recipients).count == count, "\(recipients.count) digests for \(count) subscribers")

            func ids(_ port: Int) async throws -> [String] {
                let (data, _) = try await URLSession.shared.data(from: try #require(URL(string: "http://127.0.0.1:\(port)/api/daily_papers?limit=100")))
                let entries = try #require(try JSONSerialization.jsonObject(with: data) as? [[String: Any]])
                return entries.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
            }
            let (one, two) = (try await ids(portOne), try await ids(portTwo))
            #expect(!one.isEmpty && Set(one) == Set(two), "\(one.count) and \(two.count) papers")
            for group in groups { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
        #expect(try await store.leaseHolder("digests", now: clock()) == nil, "the sender gave the lease up at shutdown")
        for opened in [first.store, second.store, store] { await (opened as? PostgresPaperStore)?.close() }
    }

    /// Issue 15: a reader's library and model live in the database, so two servers show the same
    /// public collection and recommend the same papers, whichever of them trained the model
    /// (the retraining job holds a lease: one trainer at a time).
    @Test func twoServers_shareLibrariesAndModels() async throws {
        let directory = try TemporaryDirectory()
        let url = try await PostgresServer.shared().createDatabase()
        let seed = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Data/seed-papers.jsonl").path
        let store = try await Stores.open(.postgres(url: url))
        _ = try await Importer(store: store).importFile(at: seed, options: ImportOptions(placement: .spread(days: 7, endingOn: Day(containing: Date()))))
        let ada = try await store.createAccount(username: "ada", email: "ada@example.org", role: .member, passwordHash: nil, now: Date())
        let liked = try await store.keywordSearch(SearchQuery.parse("diffusion denoising"), prefixTerms: [], limit: 4).map(\.id)
        try #require(liked.count == 4)
        for id in liked { try await store.savePaper(id, tags: ["diffusion"], accountID: ada.id, now: Date()) }
        try await store.setTagPublic(true, tag: "diffusion", accountID: ada.id)
        let token = "pbt_two_servers_\(UUID().uuidString)"
        _ = try await store.createAPIToken(hash: Data(SHA256.hash(data: Data(token.utf8))), name: "test", accountID: ada.id, now: Date())

        let configuration = try await PaperboyConfiguration.load(
            commandLine: [
                .database: url, .port: "0", .mail: directory.path("mail"), .model: directory.path("no-model"),
                .arxivAPI: "off", .logLevel: "warning",
            ],
            environment: [:])
        let (ports, continuation) = AsyncStream.makeStream(of: Int.self)
        let first = try await PaperboyServer.make(configuration, onListening: { _, port, _ in continuation.yield(port) })
        let second = try await PaperboyServer.make(configuration, onListening: { _, port, _ in continuation.yield(port) })
        let groups = [first.serviceGroup(), second.serviceGroup()]
        try await withThrowingTaskGroup(of: Void.self) { tasks in
            for group in groups { tasks.addTask { try await group.run() } }
            var iterator = ports.makeAsyncIterator()
            let servers = [try #require(await iterator.next()), try #require(await iterator.next())]

            func get(_ port: Int, _ path: String) async throws -> (Int, Data) {
                var request = URLRequest(url: try #require(URL(string: "http://127.0.0.1:\(port)\(path)")))
                request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
            }
            func recommended(_ port: Int) async throws -> [String] {
                let (status, data) = try await get(port, "/api/recommendations/me?limit=10")
                guard status == 200, let body = try JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let papers = body["recommendedPapers"] as? [[String: Any]] else { return [] }
                return papers.compactMap { $0["paperId"] as? String }
            }
            // The same public collection from both servers.
            for port in servers {
                let (status, data) = try await get(port, "/u/ada/collections/diffusion")
                let page = String(decoding: data, as: UTF8.self)
                #expect(status == 200 && liked.allSatisfy { page.contains("/papers/\($0)") }, "server on \(port): \(status)")
            }
            // One of them trains Ada's model (within the retraining job's first rounds); both use it.
            var lists: [[String]] = [[], []]
            let deadline = Date().addingTimeInterval(90)
            while lists.contains(where: \.isEmpty), Date() < deadline {
                try await Task.sleep(for: .seconds(1))
                lists = [try await recommended(servers[0]), try await recommended(servers[1])]
            }
            #expect(!lists[0].isEmpty && lists[0] == lists[1], "recommendations: \(lists[0].prefix(3)) and \(lists[1].prefix(3))")
            #expect(Set(lists[0]).isDisjoint(with: liked), "saved papers are not recommended back")
            for group in groups { await group.triggerGracefulShutdown() }
            try await tasks.waitForAll()
        }
        for opened in [first.store, second.store, store] { await (opened as? PostgresPaperStore)?.close() }
    }
}
