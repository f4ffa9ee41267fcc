import Foundation
import PaperboyTestSupport
import Testing

/// Issue 18 against the real binary: metrics on their own port, JSON logs, readiness, and a
/// backup taken while the server runs and an import writes.
@Suite(.serialized) struct OperationsEndToEndTests {
    static func seeded(_ directory: TemporaryDirectory, name: String = "ops.sqlite") throws -> String {
        let database = directory.path(name)
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--no-embed"])
        guard imported.status == 0 else { throw TestFailure("import failed: \(imported.standardError)") }
        return database
    }

    /// The series lines of one metric family in a Prometheus exposition.
    static func series(_ name: String, in text: String) -> [String] {
        text.split(separator: "\n").map(String.init).filter { $0.hasPrefix(name + "{") || $0.hasPrefix(name + " ") }
    }

    @Test func metricsOnTheirOwnPort_andOneJSONLinePerRequest() async throws {
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(database: try Self.seeded(directory), extraArguments: [
            "--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off",
            "--metrics-port", "0", "--log-format", "json", "--log-level", "info",
        ])
        defer { _ = server.stop() }
        var metricsPort: Int?
        for _ in 0..<100 where metricsPort == nil {
            metricsPort = SecurityEndToEndTests.capture(#"metrics on http://127\.0\.0\.1:(\d+)/metrics"#, in: server.serverOutput()).flatMap { Int($0) }
            if metricsPort == nil { try await Task.sleep(for: .milliseconds(50)) }
        }
        let port = try #require(metricsPort, "no metrics line in \(server.serverOutput().suffix(2000))")
        // The refresh job embeds the imported papers first; each write empties the page cache.
        var embedded = false
        for _ in 0..<1200 where !embedded {
            embedded = server.serverOutput().contains("papers embedded")
            if !embedded { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(embedded, "the semantic index embedded the imported papers")

        for path in ["/", "/", "/search?q=zebracorn+quokka&mode=keyword", "/api/daily_papers", "/no/such/page", "/readyz"] {
            _ = try RawConnection.exchange(port: server.port, "GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        }
        // Not on the public port.
        let publicPort = try RawConnection.exchange(port: server.port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(publicPort.httpStatus == 404)

        let answer = try RawConnection.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(answer.httpStatus == 200)
        #expect(answer.httpHeader("Content-Type")?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = answer.httpBody
        let requests = Self.series("paperboy_http_requests_total", in: text)
        #expect(requests.contains { $0.contains(#"http_route="/""#) && $0.contains(#"http_response_status_code="200""#) && $0.hasSuffix(" 2") }, "\(requests)")
        #expect(requests.contains { $0.contains(#"http_response_status_code="404""#) }, "\(requests)")
        let durations = Self.series("paperboy_http_request_duration_seconds_bucket", in: text)
        #expect(durations.contains { $0.contains(#"http_route="/api/daily_papers""#) && $0.contains(#"le="+Inf""#) && $0.hasSuffix(" 1") })
        #expect(Self.series("paperboy_search_duration_seconds_count", in: text).contains { $0.contains(#"mode="keyword""#) && $0.hasSuffix(" 1") })
        #expect(Self.series("paperboy_page_cache_lookups_total", in: text).contains { $0.contains(#"result="hit""#) })
        #expect(Self.series("paperboy_page_cache_lookups_total", in: text).contains { $0.contains(#"result="miss""#) })
        let storeCount = Self.series("paperboy_store_query_duration_seconds_count", in: text).first { $0.contains(#"store="sqlite""#) }
        #expect((storeCount?.split(separator: " ").last).flatMap { Int($0) } ?? 0 > 0, "\(String(describing: storeCount))")
        #expect(!Self.series("paperboy_vector_index_papers", in: text).isEmpty, "the model is installed by scripts/test, so the index loads")
        // Route patterns, never what was searched for.
        #expect(!text.contains("zebracorn"))

        // Every line a JSON object; one per request, with what the issue asks for.
        let lines = server.serverOutput().split(separator: "\n").filter { $0.hasPrefix("{") }
        #expect(lines.count >= 8)
        var requestLines: [[String: Any]] = []
        for line in lines {
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            if object["message"] as? String == "request" { requestLines.append(object) }
        }
        #expect(requestLines.count == 7, "one line per request: \(requestLines)")
        let search = try #require(requestLines.first { $0["route"] as? String == "/search" })
        #expect(search["status"] as? String == "200")
        #expect(search["client"] as? String == "127.0.0.1")
        #expect((search["request_id"] as? String)?.isEmpty == false)
        #expect(Double(search["duration_ms"] as? String ?? "") != nil)
        #expect(!lines.contains { $0.contains("zebracorn") }, "the words searched for stay out of the log: \(lines.filter { $0.contains("zebracorn") })")
        #expect(requestLines.contains { $0["status"] as? String == "404" })
        #expect(Set(requestLines.compactMap { $0["request_id"] as? String }).count == 7)
    }

    @Test func readyz_andHealthz_fromTheBinary_answerGetAndHead() async throws {
        let directory = try TemporaryDirectory()
        let server = try ServerProcess(database: try Self.seeded(directory), extraArguments: ["--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off"])
        defer { _ = server.stop() }
        let ready = try RawConnection.exchange(port: server.port, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        #expect(ready.httpStatus == 200)
        let body = try #require(try JSONSerialization.jsonObject(with: Data(ready.httpBody.utf8)) as? [String: Any])
        #expect(body["ready"] as? Bool == true)
        #expect((body["search"] as? String)?.hasPrefix("hybrid: ") == true, "\(body)")
        for path in ["/readyz", "/healthz"] {
            let head = try RawConnection.exchange(port: server.port, "HEAD \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            #expect(head.httpStatus == 200 && head.httpBody.isEmpty, "\(head)")
        }
    }

    @Test func backup_whileServingAndImporting_restoresIntoAWorkingServer() async throws {
        let directory = try TemporaryDirectory()
        let database = try Self.seeded(directory)
        let server = try ServerProcess(database: database, extraArguments: ["--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off"])
        // A second import writes while the backup is taken.
        var lines = ""
        for number in 0..<20_000 {
            lines += #"{"id":"2605.\#(String(format: "%05d", number))","title":"Written during the backup \#(number)","abstract":"An abstract about attention.","authors":["Ada Lovelace"],"published":"2026-05-01"}"# + "\n"
        }
        let extra = try directory.write("extra.jsonl", lines)
        let importer = Task.detached { try run(Locations.binary, ["import", extra, "--database", database, "--no-embed", "--batch-size", "500"]) }
        try await Task.sleep(for: .milliseconds(300))
        let backupPath = directory.path("backup.sqlite")
        let backup = try run(Locations.binary, ["backup", "--database", database, "--to", backupPath])
        #expect(backup.status == 0, "\(backup.standardError)")
        #expect(backup.standardOutput.contains("integrity check ok"), "\(backup.standardOutput)")
        let imported = try await importer.value
        #expect(imported.status == 0, "\(imported.standardError)")
        let copied = try #require(SecurityEndToEndTests.capture(#": (\d+) papers"#, in: backup.standardOutput).flatMap { Int($0) })
        #expect(copied >= 228 && copied <= 228 + 20_000)
        #expect((copied - 228) % 500 == 0, "whole import batches only: \(copied)")
        // Refuses to overwrite, and says so.
        let again = try run(Locations.binary, ["backup", "--database", database, "--to", backupPath])
        #expect(again.status != 0 && again.standardError.contains("already exists"), "\(again.standardError)")
        #expect(server.stop() == 0)

        let restoredPath = directory.path("restored.sqlite")
        let restore = try run(Locations.binary, ["restore", "--database", restoredPath, "--from", backupPath])
        #expect(restore.status == 0 && restore.standardOutput.contains("\(copied) papers"), "\(restore.standardError)")
        let overLive = try run(Locations.binary, ["restore", "--database", database, "--from", backupPath])
        #expect(overLive.status != 0 && overLive.standardError.contains("--replace"), "\(overLive.standardError)")
        let restored = try ServerProcess(database: restoredPath, extraArguments: ["--mail", directory.path("mail"), "--digest-hour=-1", "--arxiv-api", "off"])
        defer { _ = restored.stop() }
        #expect(try RawConnection.exchange(port: restored.port, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n").httpStatus == 200)
        #expect(restored.serverOutput().contains("with \(copied) papers"))
    }
}
