import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

/// SQLite's own search machinery: the bulk path that swaps the FTS5 triggers out, checked with
/// FTS5's integrity check. Search results on every store are in `StoreConformanceTests.Search`.
@Suite struct KeywordSearchTests {
    static func store(_ directory: TemporaryDirectory) async throws -> SQLitePaperStore {
        let store = try await makeStore(in: directory)
        try await StoreConformanceTests.Search.seed(store)
        return store
    }

    func ids(_ store: SQLitePaperStore, _ text: String) async throws -> [String] {
        try await store.keywordSearch(SearchQuery.parse(text), prefixTerms: [], limit: 10).map(\.id)
    }

    @Test func bulkBatch_indexesNewRowsOnce_andUpdatesInPlace() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        // A batch above the bulk threshold: new papers, an update of an indexed paper, and the
        // same new id twice (inserted, then updated inside the batch).
        var batch = (0..<600).map { index in
            record(samplePaper(id: "2501.\(String(format: "%05d", index + 1))", title: "Bulk paper \(index) about kernels", abstract: "Common words only."))
        }
        batch.append(record(samplePaper(id: "1803.03635", title: "Sparse Winning Tickets", abstract: "Renamed in bulk.")))
        batch.append(record(samplePaper(id: "2501.00001", title: "Bulk paper zero, retitled for quokkas", abstract: "Changed.")))
        let result = try await store.upsert(batch)
        #expect(result.inserted == 600 && result.updated == 2)
        try await store.checkSearchIndex()
        #expect(try await ids(store, "quokkas") == ["2501.00001"])
        #expect(try await ids(store, "lottery") == [])
        #expect(try await ids(store, "winning") == ["1803.03635"])
        // The triggers are back: a small later write is indexed row by row again.
        _ = try await store.upsert([record(samplePaper(id: "2502.09999", title: "Wombats after the bulk import"))])
        #expect(try await ids(store, "wombats") == ["2502.09999"])
        try await store.checkSearchIndex()
    }
}
