import Foundation
import GRDB
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
@testable import PaperboyWeb
import Testing

@Suite struct HealthTests {
    @Test func healthz_answersGetAndHead_uncached() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let get = try await client.send("/healthz")
            #expect(get.status == .ok)
            #expect(String(buffer: get.body) == "ok\n")
            #expect(get.headers[.cacheControl] == "no-store")
            let head = try await client.send("/healthz", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test func readyz_currentSchema_keywordOnly_isReady() async throws {
        let fixture = try await WebFixture()
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/readyz")
            #expect(status == .ok)
            let body = try #require(json as? [String: Any])
            #expect(body["ready"] as? Bool == true)
            #expect(body["store"] as? String == "answers")
            #expect((body["migrations"] as? String)?.hasPrefix("current (") == true)
            #expect(body["search"] as? String == "keyword-only: no embedding model is installed")
            let head = try await client.send("/readyz", method: .head)
            #expect(head.status == .ok)
            #expect(head.body.readableBytes == 0)
            #expect(head.headers[.cacheControl] == "no-store")
        }
    }

    @Test func readyz_databaseMigratedByANewerBinary_isNotReady() async throws {
        let fixture = try await WebFixture()
        // What a newer binary's migration leaves behind.
        let queue = try DatabaseQueue(path: fixture.directory.path("paperboy.sqlite"))
        try await queue.write { db in try db.execute(sql: "INSERT INTO grdb_migrations (identifier) VALUES ('v99-from-the-future')") }
        try await fixture.test { client in
            let (status, json) = try await client.getJSON("/readyz")
            #expect(status == .serviceUnavailable)
            let body = try #require(json as? [String: Any])
            #expect(body["ready"] as? Bool == false)
            #expect((body["migrations"] as? String)?.contains("v99-from-the-future") == true)
            let head = try await client.send("/readyz", method: .head)
            #expect(head.status == .serviceUnavailable)
        }
    }

    @Test func readyz_postgresGoesAway_notReadyWithoutSayingWhere_thenReadyAgain() async throws {
        let server = try PostgresServer.dedicated()
        let store = try PostgresPaperStore(url: try await server.createDatabase())
        try await store.migrate()
        let fixture = try await WebFixture(cacheLifetime: .zero, store: store)
        try await fixture.test { client in
            #expect(try await client.send("/readyz").status == .ok)
            server.stopImmediately()
            let down = try await client.send("/readyz")
            #expect(down.status == .serviceUnavailable)
            let text = String(buffer: down.body)
            #expect(text.contains("does not answer"))
            // Where the database is stays in the log.
            #expect(!text.contains(String(server.port)))
            // The process itself is still up.
            #expect(try await client.send("/healthz").status == .ok)
            try server.restart()
            var ready = false
            for _ in 0..<100 where !ready {
                ready = try await client.send("/readyz").status == .ok
                if !ready { try await Task.sleep(for: .milliseconds(100)) }
            }
            #expect(ready, "ready again within 10 s of the database's return")
        }
    }
}
