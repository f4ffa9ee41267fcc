import Foundation
import PaperboyCore
import PaperboyPostgres
import PaperboyStore
import PaperboyTestSupport
import Testing

/// What only the PostgreSQL store has: URLs, connecting, several servers migrating one database.
/// Everything a store does is in the conformance suite, which runs against both stores.
@Suite struct PostgresPaperStoreTests {
    @Test func open_malformedURLs_areRefusedWithoutThePassword() throws {
        for url in ["mysql://u:secret@h/db", "postgres:///db", "postgres://h:5432/db", "postgres://u:secret@h/db?sslmode=sometimes"] {
            #expect(throws: StoreError.self, "\(url)") { try PostgresPaperStore(url: url) }
            do {
                _ = try PostgresPaperStore(url: url)
            } catch {
                #expect(!"\(error)".contains("secret"), "\(error)")
            }
        }
    }

    @Test func migrate_unreachableServer_failsAtOnceWithTheReason() async throws {
        let store = try PostgresPaperStore(url: "postgres://paperboy:secret@127.0.0.1:1/paperboy?sslmode=disable")
        let start = Date()
        do {
            try await store.migrate()
            Issue.record("migrate reached a server on port 1")
        } catch {
            let message = "\(error)"
            #expect(message.contains("127.0.0.1:1") && message.lowercased().contains("refused"), "\(message)")
            #expect(!message.contains("secret"), "\(message)")
        }
        #expect(Date().timeIntervalSince(start) < 15)
        await store.close()
    }

    @Test func migrate_unknownDatabase_saysSo() async throws {
        let server = try PostgresServer.shared()
        let store = try PostgresPaperStore(url: server.url(database: "no_such_database"))
        do {
            try await store.migrate()
            Issue.record("migrate opened a database that does not exist")
        } catch {
            #expect("\(error)".contains("no_such_database"), "\(error)")
        }
        await store.close()
    }

    @Test func migrate_twoServersAtOnceOnANewDatabase_applyEachMigrationOnce() async throws {
        let url = try await PostgresServer.shared().createDatabase()
        let stores = try (0..<3).map { _ in try PostgresPaperStore(url: url, maximumConnections: 2) }
        try await withThrowingTaskGroup(of: Void.self) { group in
            for store in stores { group.addTask { try await store.migrate() } }
            try await group.waitForAll()
        }
        for store in stores {
            #expect(try await store.appliedMigrations() == ["v1-papers", "v2-search", "v3-community", "v4-digests", "v5-coordination", "v6-embedding-changes", "v8-for-you"])
        }
        _ = try await stores[0].upsert([record(samplePaper())])
        #expect(try await stores[2].paperCount() == 1)
        for store in stores { await store.close() }
    }

    @Test func failedStatement_saysWhatTheServerSaid() async throws {
        let store = try await makePostgresStore()
        let hash = Data(repeating: 7, count: 32)
        try await store.saveSignInToken(hash: hash, email: "a@example.org", expiresAt: testNow)
        do {
            try await store.saveSignInToken(hash: hash, email: "secret@example.org", expiresAt: testNow)
            Issue.record("a second token with the same hash was stored")
        } catch let error as PostgresStoreError {
            #expect(error.sqlState == "23505" && error.constraint == "sign_in_token_pkey")
            #expect("\(error)".contains("duplicate key value violates unique constraint"), "\(error)")
            #expect(!"\(error)".contains("secret@example.org"))
        }
        await store.close()
    }
}
