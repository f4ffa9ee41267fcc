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
        // The pool of the moment: SQLite's 10 readers (5 of its own, 5 of GRDB's pool) and 1 writer, idle between requests.
        #expect(Self.series("paperboy_store_pool_connections", in: text).contains { $0.contains(#"state="in_use""#) && $0.contains(#"store="sqlite""#) }, "\(text)")
        func value(_ line: String?) -> Double? { line?.split(separator: " ").last.flatMap { Double($0) } }
        #expect(value(Self.series("paperboy_store_pool_connections", in: text).first { $0.contains(#"state="idle""#) }) == 11)
        #expect(value(Self.series("paperboy_store_pool_max_connections", in: text).first { $0.contains(#"store="sqlite""#) }) == 11)
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

    /// `import` and `ingest` run from cron and exit: `--metrics-textfile-dir` leaves their counts
    /// for node_exporter's textfile collector. Debian's node_exporter reads them back here.
    @Test func commands_metricsTextfile_readByNodeExporter() async throws {
        let exporter = try #require(Locations.tool("prometheus-node-exporter", environmentKey: "PAPERBOY_NODE_EXPORTER"),
                                    "Debian's prometheus-node-exporter is missing: scripts/test installs it")
        let directory = try TemporaryDirectory()
        let textfiles = directory.path("textfile")
        let database = directory.path("cron.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path
        for _ in 0..<2 {
            let imported = try run(Locations.binary, ["import", seed, "--database", database, "--no-embed", "--metrics-textfile-dir", textfiles])
            #expect(imported.status == 0, "\(imported.standardError)")
        }
        let bad = try directory.write("bad.jsonl", "not json\n{also not}\n")
        let failed = try run(Locations.binary, ["import", bad, "--database", database, "--no-embed"], environment: ["PAPERBOY_METRICS_TEXTFILE_DIR": textfiles])
        #expect(failed.status != 0)

        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: exporter)
        process.arguments = ["--web.listen-address=127.0.0.1:\(port)", "--collector.disable-defaults", "--collector.textfile",
                             "--collector.textfile.directory=\(textfiles)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        defer { kill(process.processIdentifier, SIGTERM); process.waitUntilExit() }
        var text = ""
        for _ in 0..<100 where text.isEmpty {
            if let answer = try? RawConnection.exchange(port: port, "GET /metrics HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"),
               answer.httpStatus == 200 {
                text = answer.httpBody
            } else {
                try await Task.sleep(for: .milliseconds(100))
            }
        }
        #expect(Self.series("node_textfile_scrape_error", in: text) == ["node_textfile_scrape_error 0"], "\(text.prefix(3000))")
        #expect(Self.series("paperboy_ingested_records_total", in: text).contains(#"paperboy_ingested_records_total{result="new",source="import"} 228"#), "\(text)")
        #expect(Self.series("paperboy_ingested_records_total", in: text).contains(#"paperboy_ingested_records_total{result="unchanged",source="import"} 228"#))
        #expect(Self.series("paperboy_command_runs_total", in: text).contains(#"paperboy_command_runs_total{command="import",outcome="success"} 2"#))
        #expect(Self.series("paperboy_command_runs_total", in: text).contains(#"paperboy_command_runs_total{command="import",outcome="failure"} 1"#))
        #expect(Self.series("paperboy_command_last_run_success", in: text) == [#"paperboy_command_last_run_success{command="import"} 0"#])
        let lastSuccess = Self.series("paperboy_command_last_success_timestamp_seconds", in: text).first?.split(separator: " ").last.flatMap { Double($0) }
        #expect(abs((lastSuccess ?? 0) - Date().timeIntervalSince1970) < 600, "\(String(describing: lastSuccess))")
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
