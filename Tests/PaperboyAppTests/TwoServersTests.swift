import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyPostgres
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
}
