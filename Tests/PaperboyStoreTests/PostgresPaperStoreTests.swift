import Foundation
import PaperboyCore
@testable import PaperboyPostgres
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
            #expect(try await store.appliedMigrations() == StoreKind.postgres.migrations)
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

/// BM25's statistics on PostgreSQL (migration v7) are kept by triggers, not counted per query:
/// they must follow every insert, edit and delete, or rankings drift from SQLite's.
@Suite struct PostgresSearchStatisticsTests {
    @Test func lengthsAndTotals_followInsertsEditsAndDeletes() async throws {
        let store = try await makePostgresStore()
        do {
            _ = try await store.upsert([
                record(samplePaper(id: "2502.00001", title: "Sparse attention", abstract: "We make attention sparse and fast.")),
                record(samplePaper(id: "2502.00002", title: "Dense retrieval", abstract: "Retrieval with dense vectors.")),
                record(samplePaper(id: "2502.00003", title: "Graph networks", abstract: "Nodes, edges and messages.")),
            ])
            try await Self.expectConsistent(store, papers: 3)
            // An edited abstract changes the paper's length and the total; a vote changes neither.
            _ = try await store.upsert([record(samplePaper(
                id: "2502.00002", title: "Dense retrieval", abstract: "Retrieval with dense vectors, at scale, over millions of documents."))])
            try await Self.expectConsistent(store, papers: 3)
            let logger = store.logger
            try await store.read { connection in
                _ = try await connection.query("UPDATE paper SET upvotes = upvotes + 1", logger: logger).collect()
                _ = try await connection.query("DELETE FROM paper WHERE id = '2502.00003'", logger: logger).collect()
            }
            try await Self.expectConsistent(store, papers: 2)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// The key-ordered postings (migration v10) must hold exactly each paper's stems with
    /// `ts_rank_cd`'s value and the paper's length, through inserts (in and out of key order, in
    /// several blocks), edits, votes and deletes; the backfill must rebuild the same table.
    @Test func postings_followInsertsEditsAndDeletes_andTheBackfillRebuildsThem() async throws {
        let store = try await makePostgresStore()
        do {
            _ = try await store.upsert((1...300).map { index in
                record(samplePaper(id: "2501.\(String(format: "%05d", index))", title: "Sparse attention \(index)",
                    abstract: index.isMultiple(of: 3) ? "We make attention sparse, attention fast, and attention cheap." : "Dense vectors."))
            })
            try await Self.expectPostingsConsistent(store)
            let logger = store.logger
            try await store.read { connection in
                // Keys chosen by hand: far blocks (the backfill works eight blocks at a time), and
                // an older key after a newer one in the same block (merged, not appended).
                for key in [70_000, 5_000, 4_500, 4_501] {
                    _ = try await connection.query("""
                        INSERT INTO paper (key, id, title, abstract, source, content_hash, created_at, modified_at)
                        VALUES (\(key), \("9999.\(key)"), 'Attention blocks', 'Sparse attention, far away.', 'test', 0, 0, 0)
                        """, logger: logger).collect()
                }
            }
            try await Self.expectPostingsConsistent(store)
            _ = try await store.upsert([record(samplePaper(id: "2501.00003", title: "Graph networks", abstract: "Nodes and edges."))])
            try await store.setFeatured(true, paperID: "2501.00006")
            try await store.read { connection in
                _ = try await connection.query("UPDATE paper SET upvotes = upvotes + 1", logger: logger).collect()
                _ = try await connection.query("DELETE FROM paper WHERE key IN (2, 4500, 70000) OR id = '2501.00009'", logger: logger).collect()
            }
            try await Self.expectPostingsConsistent(store)
            let kept = try await Self.postingRows(store)
            try await store.read { connection in
                _ = try await connection.query("SELECT paper_posting_rebuild()", logger: logger).collect()
            }
            #expect(try await Self.postingRows(store) == kept)
            try await Self.expectPostingsConsistent(store)
        } catch {
            await store.close()
            throw error
        }
        await store.close()
    }

    /// `paper_posting` against every paper's vector: the same (stem, key, value, length) entries,
    /// each value what `ts_rank_cd` gives, each block's entries ascending and counted.
    static func expectPostingsConsistent(_ store: PostgresPaperStore) async throws {
        let logger = store.logger
        let row = try await store.read { connection in
            try await connection.query("""
                WITH kept AS (
                    SELECT posting.term, (posting.block << 12) + entry.place AS key, entry.frequency, entry.length
                    FROM paper_posting AS posting, unnest(posting.offsets, posting.frequencies, posting.tokens) AS entry(place, frequency, length)
                ), expected AS (
                    SELECT stem AS term, paper.key, ts_rank_cd('{0, 0.1, 0.3, 1.0}'::real[], paper.search, to_tsquery('simple', stem)) AS frequency,
                        paper.search_tokens AS length
                    FROM paper, unnest(tsvector_to_array(paper.search)) AS stem
                )
                SELECT (SELECT count(*) FROM (SELECT * FROM kept EXCEPT ALL SELECT * FROM expected) AS extra),
                       (SELECT count(*) FROM (SELECT * FROM expected EXCEPT ALL SELECT * FROM kept) AS missing),
                       (SELECT count(*) FROM expected),
                       (SELECT count(*) FROM paper_posting WHERE documents <> cardinality(offsets) OR documents <> cardinality(frequencies)
                            OR documents <> cardinality(tokens) OR documents = 0
                            OR offsets <> ARRAY(SELECT place FROM unnest(offsets) AS place ORDER BY place))
                """, logger: logger).collect().first?.decode((Int, Int, Int, Int).self)
        }
        let (extra, missing, expected, malformed) = try #require(row)
        #expect(extra == 0 && missing == 0, "\(extra) postings too many, \(missing) missing")
        #expect(expected > 0)
        #expect(malformed == 0, "\(malformed) blocks out of order or miscounted")
    }

    static func postingRows(_ store: PostgresPaperStore) async throws -> [String] {
        let logger = store.logger
        return try await store.read { connection in
            try await connection.query("""
                SELECT term || ' ' || block || ' ' || documents || ' ' || offsets::text || ' ' || frequencies::text || ' ' || tokens::text
                FROM paper_posting ORDER BY term, block
                """, logger: logger).collect().map { try $0.decode(String.self) }
        }
    }

    /// Every paper's kept length is its vector's, and the totals are the sums.
    static func expectConsistent(_ store: PostgresPaperStore, papers: Int) async throws {
        let logger = store.logger
        let row = try await store.read { connection in
            try await connection.query("""
                SELECT (SELECT papers FROM paper_search_total), (SELECT tokens FROM paper_search_total),
                       (SELECT count(*) FROM paper), (SELECT COALESCE(sum(paper_search_tokens(search)), 0) FROM paper),
                       (SELECT count(*) FROM paper WHERE search_tokens <> paper_search_tokens(search) OR search_tokens = 0)
                """, logger: logger).collect().first?.decode((Int, Int, Int, Int, Int).self)
        }
        let (keptPapers, keptTokens, countedPapers, countedTokens, stale) = try #require(row)
        #expect(keptPapers == papers && countedPapers == papers, "papers kept \(keptPapers), counted \(countedPapers)")
        #expect(keptTokens == countedTokens && countedTokens > 0, "tokens kept \(keptTokens), counted \(countedTokens)")
        #expect(stale == 0, "\(stale) papers with a stale length")
    }
}
