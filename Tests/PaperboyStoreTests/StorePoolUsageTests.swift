import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

/// The pool gauges `/metrics` shows (issue 18): what each store reports of its connections.
@Suite struct StorePoolUsageTests {
    @Test(arguments: StoreKind.allCases) func poolUsage_whileAWriteRuns_countsItInUse_andIdleAfterwards(_ kind: StoreKind) async throws {
        try await kind.withStore { store in
            _ = try await store.paperCount()
            let before = try #require(store.poolUsage)
            #expect(before.inUse == 0 && before.waiting == 0)
            #expect(before.store == (kind == .sqlite ? "sqlite" : "postgres"))
            // SQLite: 5 readers of its own, GRDB's pool's 5 and the writer; PostgreSQL: the pool's maximum (20 in `serve`, fewer in tests).
            #expect(kind == .sqlite ? before.limit == 11 : (2...20).contains(before.limit), "\(before.limit)")
            #expect(before.idle >= 1, "the connection just used is open (PostgreSQL) or free (SQLite)")

            let papers = (0..<3_000).map { samplePaper(id: "2503.\(String(format: "%05d", $0))", title: "Pool gauge paper \($0)") }
            let writing = Task { try await store.upsert(papers.map { record($0) }) }
            var seen = false
            let deadline = Date().addingTimeInterval(20)
            while !seen, Date() < deadline {
                let usage = try #require(store.poolUsage)
                seen = usage.inUse >= 1
                #expect(usage.inUse + usage.idle <= usage.limit)
                if !seen { try await Task.sleep(for: .milliseconds(1)) }
            }
            #expect(seen, "the import's transaction holds a connection while it runs")
            _ = try await writing.value
            let after = try #require(store.poolUsage)
            #expect(after.inUse == 0 && after.waiting == 0)
            #expect(after.idle >= 1)
        }
    }
}
