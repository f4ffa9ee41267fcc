import Foundation
import PaperboyTestSupport
import Testing

/// The real binary, started as a user would: import a file with the CLI, serve it, read it over HTTP.
@Suite(.serialized) struct EndToEndTests {
    @Test func binary_importThenServe_answersOverHTTP_andStopsGracefully() async throws {
        let directory = try TemporaryDirectory()
        let database = directory.path("e2e.sqlite")
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path

        let migrate = try run(Locations.binary, ["migrate", "--database", database])
        #expect(migrate.status == 0, "\(migrate.standardError)")
        #expect(migrate.standardOutput.contains("v12-search-text-version"))

        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "7", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("imported 228 records as paperboy: new 228, updated 0, unchanged 0, skipped 0"))
        let again = try run(Locations.binary, ["import", seed, "--database", database, "--no-embed"])
        #expect(again.standardOutput.contains("new 0, updated 0, unchanged 228, skipped 0"))

        let broken = directory.path("broken.jsonl")
        try Data("{\"title\": \"Fine\"}\n{not json}\n".utf8).write(to: URL(fileURLWithPath: broken))
        let partial = try run(Locations.binary, ["import", broken, "--database", database, "--no-embed"])
        #expect(partial.status == 0)
        #expect(partial.standardError.contains("skipped line 2: not valid JSON"))
        #expect(partial.standardOutput.contains("new 1, updated 0, unchanged 0, skipped 1"))

        let server = try ServerProcess(database: database)
        let today = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let api = try await httpGet("\(server.baseURL)/api/daily_papers?date=\(today)&limit=100")
        #expect(api.status == 200)
        #expect(api.contentType == "application/json; charset=utf-8")
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]])
        #expect(entries.count >= 30, "a seventh of 228 papers is on today's feed")
        let firstID = try #require((entries.first?["paper"] as? [String: Any])?["id"] as? String)
        let page = try await httpGet("\(server.baseURL)/papers/\(firstID)")
        #expect(page.status == 200)
        #expect(page.body.contains("<h2>Abstract</h2>"))
        let missing = try await httpGet("\(server.baseURL)/api/papers/0000.00000")
        #expect(missing.status == 404)
        let bad = try await httpGet("\(server.baseURL)/api/daily_papers?limit=5000")
        #expect(bad.status == 400)
        #expect(server.stop() == 0, "SIGTERM should shut the server down cleanly: \(server.serverOutput())")
    }

    @Test func binary_badArguments_failWithAMessage() throws {
        let badFormat = try run(Locations.binary, ["import", "x.jsonl", "--format", "csv"])
        #expect(badFormat.status != 0)
        #expect(badFormat.standardError.contains("unknown format csv"))
        let missing = try run(Locations.binary, ["import", "/nonexistent/papers.jsonl", "--database", FileManager.default.temporaryDirectory.appendingPathComponent("x-\(UUID()).sqlite").path])
        #expect(missing.status != 0)
        #expect(missing.standardError.contains("cannot read /nonexistent/papers.jsonl"))
        let postgres = try run(Locations.binary, ["migrate", "--database", "postgres://127.0.0.1/paperboy"])
        #expect(postgres.status != 0)
        #expect(postgres.standardError.contains("cannot open database at postgres://127.0.0.1/paperboy: the URL names no user"))
        let unreachable = try run(Locations.binary, ["migrate", "--database", "postgres://paperboy:secret@127.0.0.1:1/paperboy"])
        #expect(unreachable.status != 0)
        #expect(unreachable.standardError.contains("postgres://paperboy:***@127.0.0.1:1/paperboy") && unreachable.standardError.contains("refused"))
        #expect(!unreachable.standardError.contains("secret"))
        let badPort = try run(Locations.binary, ["serve", "--database", FileManager.default.temporaryDirectory.appendingPathComponent("x-\(UUID()).sqlite").path], environment: ["PAPERBOY_PORT": "eighty"])
        #expect(badPort.status != 0)
        #expect(badPort.standardError.contains("must be a number from 0 to 65535, not \"eighty\""))
    }

    @Test func synth_thenImport_roundTrips() throws {
        let directory = try TemporaryDirectory()
        let file = directory.path("synthetic.jsonl")
        let synth = try run(Locations.binary, ["synth", "--count", "500", "--output", file])
        #expect(synth.status == 0)
        let imported = try run(Locations.binary, ["import", file, "--database", directory.path("s.sqlite"), "--daily", "published", "--no-embed"])
        #expect(imported.standardOutput.contains("imported 500 records as arxiv: new 500, updated 0, unchanged 0, skipped 0"))
    }
}
