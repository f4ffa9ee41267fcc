import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import PaperboyTestSupport
import Testing

/// `serve` on PostgreSQL under a stream of keyword searches while PostgreSQL is stopped
/// (`pg_ctl -m immediate`) and started again 4 s later: requests recover, and SIGTERM still
/// stops the server within 10 s, answering what is in flight.
@Suite(.serialized) struct ShutdownAfterOutageTests {
    @Test func sigterm_afterAPostgresOutageUnderLoad_stopsTheServerWithinTenSeconds() async throws {
        let postgres = try PostgresServer.dedicated()
        let url = try await postgres.createDatabase()
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let imported = try run(Locations.binary, ["import", seed, "--database", url, "--daily", "spread", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(database: url, extraArguments: [
            "--cache-seconds", "0", "--digest-hour=-1", "--arxiv-api", "off", "--mail", directory.path("mail"), "--log-level", "notice",
        ])
        let base = server.baseURL
        let stop = Stopper()
        let statuses = StatusCounts()
        // Eight connections of keyword searches, as in the report.
        let load = Task {
            await withTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    group.addTask {
                        var index = 0
                        while !stop.isSet {
                            index += 1
                            let words = ["diffusion", "transformer", "graph", "language", "vision", "reinforcement", "retrieval", "speech"]
                            let url = URL(string: "\(base)/api/papers/search?q=\(words[(worker + index) % words.count])&mode=keyword")!
                            var request = URLRequest(url: url)
                            request.timeoutInterval = 15
                            if let (_, response) = try? await URLSession.shared.data(for: request), let http = response as? HTTPURLResponse {
                                statuses.add(http.statusCode)
                            } else {
                                statuses.add(0)
                            }
                        }
                    }
                }
            }
        }
        try await Task.sleep(for: .seconds(2))
        postgres.stopImmediately()
        try await Task.sleep(for: .seconds(4))
        try postgres.restart()
        // Requests recover: 200s again after the restart.
        let before = statuses.count(200)
        let deadline = Date().addingTimeInterval(30)
        while statuses.count(200) < before + 20, Date() < deadline { try await Task.sleep(for: .milliseconds(200)) }
        #expect(statuses.count(200) >= before + 20, "searches recovered after the restart: \(statuses.summary)")
        // During the outage a search fails fast with 503 (or waits for the pool and succeeds); never a 500.
        #expect(statuses.count(500) == 0, """
            answers during the outage: \(statuses.summary); \
            \(server.serverOutput().split(separator: "\n").filter { $0.contains("error") || $0.contains("500") }.suffix(10).joined(separator: "\n"))
            """)

        let started = Date()
        let status = server.stop()
        let took = Date().timeIntervalSince(started)
        stop.set()
        await load.value
        let log = server.serverOutput()
        #expect(log.contains("shutting down"), "the shutdown's start is logged at notice level: \(log.suffix(1500))")
        // Issue 21 item 2: in about one run in three the server was still running 20 s after
        // SIGTERM, with nothing logged after "shutting down": a request waited on a statement that
        // ignored cancellation (see PostgresPaperStore.withConnection).
        #expect(took < 10, "SIGTERM took \(String(format: "%.1f", took)) s to stop the server: \(log.suffix(2000))")
        #expect(status == 0, "exit status \(status)")
        #expect(log.contains("stopped"), "the shutdown's end is logged")
    }
}

final class Stopper: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}

final class StatusCounts: @unchecked Sendable {
    private let lock = NSLock()
    private var counts: [Int: Int] = [:]
    func add(_ status: Int) { lock.withLock { counts[status, default: 0] += 1 } }
    func count(_ status: Int) -> Int { lock.withLock { counts[status] ?? 0 } }
    var summary: String { lock.withLock { counts.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }.joined(separator: ", ") } }
}
