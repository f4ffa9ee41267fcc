import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing

/// Two `paperboy serve` processes on one PostgreSQL database, both with the digest service on:
/// each subscriber gets exactly one digest (the lease), and both serve the same data.
@Suite struct TwoInstancesTests {
    @Test(.enabled(if: !DigestPeriod.due(on: Day(containing: Date())).isEmpty, "digests are due on weekdays only"))
    func twoServers_sendEachDigestOnce_andServeTheSameFeed() async throws {
        let directory = try TemporaryDirectory()
        let url = try await PostgresServer.shared().createDatabase()
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let imported = try run(Locations.binary, ["import", seed, "--database", url, "--daily", "spread", "--spread-days", "7", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        let store = try PostgresPaperStore(url: url)
        try await store.migrate()
        let count = 20
        for index in 0..<count {
            let pending = try await store.subscribe(email: "reader\(index)@example.org", frequency: .daily, topics: [], token: "two-\(index)-\(UUID().uuidString)", now: Date())
            _ = try await store.confirmSubscription(token: pending.token, now: Date())
        }
        let sink = try SMTPSink(in: directory)
        defer { sink.stop() }
        let arguments = ["--digest-hour", "0", "--mail", "smtp://127.0.0.1:\(sink.port)?starttls=none", "--public-url", "https://papers.example.org",
                         "--model", "/nonexistent"]
        let first = try ServerProcess(database: url, extraArguments: arguments)
        let second = try ServerProcess(database: url, extraArguments: arguments)

        let deadline = Date().addingTimeInterval(60)
        while try sink.messages().count < count, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        // Long enough for a second sender, if there were one, to send its copies.
        try await Task.sleep(for: .seconds(3))
        let recipients = try sink.envelopes().compactMap { ($0["to"] as? [String])?.first }
        #expect(recipients.count == count && Set(recipients).count == count, "\(recipients.count) digests for \(count) subscribers")
        let holder = try await store.leaseHolder("digests", now: Date())
        #expect(holder != nil)

        let feedOne = try await httpGet("\(first.baseURL)/api/daily_papers?limit=100")
        let feedTwo = try await httpGet("\(second.baseURL)/api/daily_papers?limit=100")
        func ids(_ body: String) throws -> [String] {
            let entries = try #require(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [[String: Any]])
            return entries.compactMap { ($0["paper"] as? [String: Any])?["id"] as? String }
        }
        #expect(feedOne.status == 200 && feedTwo.status == 200)
        let (one, two) = (try ids(feedOne.body), try ids(feedTwo.body))
        #expect(!one.isEmpty && Set(one) == Set(two), "\(one.count) and \(two.count) papers")
        #expect(first.stop() == 0 && second.stop() == 0)
        await store.close()
    }
}
