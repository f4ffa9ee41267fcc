import Foundation
import PaperboyTestSupport
import Testing

/// The real binary on PostgreSQL: `--database postgres://…` to a new database on the test server.
@Suite(.serialized) struct PostgresEndToEndTests {
    @Test func binary_postgresDatabase_importsServesAndSearches() async throws {
        let database = try await PostgresServer.shared().createDatabase()
        let seed = Locations.repository.appendingPathComponent("Data/seed-papers.jsonl").path

        let migrate = try run(Locations.binary, ["migrate", "--database", database])
        #expect(migrate.status == 0, "\(migrate.standardError)")
        #expect(migrate.standardOutput.contains("is at schema v12-search-text-version (12 migrations applied)"))

        let imported = try run(Locations.binary, ["import", seed, "--database", database, "--daily", "spread", "--spread-days", "7", "--no-embed"])
        #expect(imported.status == 0, "\(imported.standardError)")
        #expect(imported.standardOutput.contains("imported 228 records as paperboy: new 228, updated 0, unchanged 0, skipped 0"))
        let again = try run(Locations.binary, ["import", seed, "--database", database, "--no-embed"])
        #expect(again.standardOutput.contains("new 0, updated 0, unchanged 228, skipped 0"), "\(again.standardOutput)")

        let search = try run(Locations.binary, ["search", "--database", database, "--mode", "keyword", "diffusion models"])
        #expect(search.status == 0, "\(search.standardError)")
        #expect(search.standardOutput.hasPrefix("1. "), "\(search.standardOutput)")

        let server = try ServerProcess(database: database)
        let today = ISO8601DateFormatter.string(from: Date(), timeZone: TimeZone(identifier: "UTC")!, formatOptions: [.withFullDate])
        let api = try await httpGet("\(server.baseURL)/api/daily_papers?date=\(today)&limit=100")
        #expect(api.status == 200)
        let entries = try #require(try JSONSerialization.jsonObject(with: Data(api.body.utf8)) as? [[String: Any]])
        #expect(entries.count >= 30, "a seventh of 228 papers is on today's feed")
        let firstID = try #require((entries.first?["paper"] as? [String: Any])?["id"] as? String)
        let page = try await httpGet("\(server.baseURL)/papers/\(firstID)")
        #expect(page.status == 200 && page.body.contains("<h2>Abstract</h2>"))
        let results = try await httpGet("\(server.baseURL)/search?q=diffusion&mode=keyword")
        #expect(results.status == 200 && results.body.contains("/papers/"))
        #expect(server.stop() == 0, "SIGTERM should shut the server down cleanly: \(server.serverOutput())")
    }
}
