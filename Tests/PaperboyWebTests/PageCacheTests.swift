import Foundation
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct PageCacheTests {
    @Test func writeThroughTheServersStore_showsAtOnce() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let before = try await client.get("/api/papers/2502.00002")
            #expect(before.body.contains("\"upvotes\":30"))
            _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00002", title: "Dense Retrieval at Scale", daily: "2025-02-04", dailyHour: 11, upvotes: 31, published: "2025-01-15"))])
            let after = try await client.get("/api/papers/2502.00002")
            #expect(after.body.contains("\"upvotes\":31"))
        }
    }

    // Two tests, so neither depends on how fast a loaded machine runs: one shows the cached copy
    // is served inside the lifetime, the other that a fresh one is rendered after it.
    @Test func writeFromAnotherProcess_isNotSeenInsideTheLifetime() async throws {
        let fixture = try await WebFixture(cacheLifetime: .seconds(600))
        // A second store object on the same file stands for `paperboy import` in another process.
        let other = try SQLitePaperStore(path: fixture.directory.path("paperboy.sqlite"))
        try await fixture.test { client in
            #expect(!(try await client.get("/").body.contains("Brand New Paper")))
            _ = try await other.upsert([record(samplePaper(id: "2502.00009", title: "Brand New Paper", daily: "2025-02-04", upvotes: 500))])
            #expect(!(try await client.get("/").body.contains("Brand New Paper")), "served from the cache")
        }
    }

    @Test func writeFromAnotherProcess_showsAfterTheLifetime() async throws {
        let fixture = try await WebFixture(cacheLifetime: .milliseconds(200))
        let other = try SQLitePaperStore(path: fixture.directory.path("paperboy.sqlite"))
        try await fixture.test { client in
            #expect(!(try await client.get("/").body.contains("Brand New Paper")))
            _ = try await other.upsert([record(samplePaper(id: "2502.00009", title: "Brand New Paper", daily: "2025-02-04", upvotes: 500))])
            try await Task.sleep(for: .milliseconds(300))
            // The first request after expiry re-renders.
            #expect(try await client.get("/").body.contains("Brand New Paper"))
        }
    }

    @Test func errors_areNotCached() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            #expect(try await client.get("/papers/2502.00042").status == .notFound)
            _ = try await fixture.store.upsert([record(samplePaper(id: "2502.00042", title: "Arrived Later"))])
            #expect(try await client.get("/papers/2502.00042").status == .ok)
        }
    }
}
