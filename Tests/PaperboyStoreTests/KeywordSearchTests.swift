import Foundation
import PaperboyCore
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct KeywordSearchTests {
    static func store(_ directory: TemporaryDirectory) async throws -> SQLitePaperStore {
        let store = try await makeStore(in: directory)
        var old = samplePaper(id: "1706.03762", title: "Attention Is All You Need", abstract: "The dominant sequence transduction models are based on recurrent networks. We propose the Transformer.", authors: ["Ashish Vaswani", "Noam Shazeer"], published: "2017-06-12")
        old.categories = ["cs.CL", "cs.LG"]
        _ = try await store.upsert([
            record(old),
            record(samplePaper(id: "1803.03635", title: "The Lottery Ticket Hypothesis", abstract: "Pruning finds sparse trainable subnetworks at initialization.", authors: ["Jonathan Frankle", "Michael Carbin"], published: "2018-03-09")),
            record(samplePaper(id: "2006.11239", title: "Denoising Diffusion Probabilistic Models", abstract: "High quality image synthesis with diffusion probabilistic models; attention layers help.", authors: ["Jonathan Ho"], published: "2020-06-19")),
            record(samplePaper(id: "2112.10752", title: "High-Resolution Image Synthesis with Latent Diffusion Models", abstract: "Latent diffusion trains in an autoencoder's latent space.", authors: ["Robin Rombach"], published: "2021-12-20")),
        ])
        return store
    }

    func ids(_ store: SQLitePaperStore, _ text: String, prefix: [String] = []) async throws -> [String] {
        try await store.keywordSearch(SearchQuery.parse(text), prefixTerms: prefix, limit: 10).map(\.id)
    }

    @Test func bm25_titleMatchesOutrankAbstractMatches() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        let hits = try await ids(store, "attention")
        #expect(hits.first == "1706.03762")
        #expect(hits.contains("2006.11239"))
    }

    @Test func stemming_findsOtherWordForms() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        #expect(try await ids(store, "pruned").contains("1803.03635"))
        #expect(try await ids(store, "synthesizing images").count == 2)
    }

    @Test func phrases_filtersAndExclusions() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        #expect(try await ids(store, "\"latent diffusion\"") == ["2112.10752"])
        #expect(try await ids(store, "diffusion -latent") == ["2006.11239"])
        #expect(try await ids(store, "author:Frankle") == ["1803.03635"])
        #expect(try await ids(store, "author:\"Jonathan Ho\" diffusion") == ["2006.11239"])
        #expect(try await ids(store, "category:cs.CL") == ["1706.03762"])
        #expect(try await ids(store, "diffusion year:2021") == ["2112.10752"])
        #expect(try await ids(store, "year:2017-2018").sorted() == ["1706.03762", "1803.03635"])
        #expect(try await ids(store, "diffusion from:2021-01-01") == ["2112.10752"])
    }

    @Test func hostileInput_isSearchedAsText() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        for text in ["\"unbalanced", "title:attention OR NOT", "attention*", "'; DROP TABLE paper; --", "NEAR(a b)", "a AND", "^attention", "x\u{0}y", "\"\"\"", "*"] {
            // Queries that parse to nothing are refused before the store (see SearchQueryTests).
            guard let query = try? SearchQuery.parse(text) else { continue }
            _ = try await store.keywordSearch(query, prefixTerms: [], limit: 10)
        }
        #expect(try await store.paperCount() == 4)
        #expect(try await ids(store, "'; DROP TABLE paper; --") == [])
    }

    @Test func prefixTerms_matchCorrections_andVocabularyIsListed() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        #expect(try await store.containsWord("diffusion"))
        #expect(!(try await store.containsWord("difusion")))
        let terms = try await store.indexedTerms(startingWith: "d", limit: 100).map(\.term)
        #expect(terms.contains("diffus"))
        #expect(try await ids(store, "difusion", prefix: ["diffus"]).count == 2)
    }

    @Test func updatesAndNewPapers_reachTheIndex() async throws {
        let directory = try TemporaryDirectory()
        let store = try await Self.store(directory)
        _ = try await store.upsert([record(samplePaper(id: "1803.03635", title: "Sparse Winning Tickets", abstract: "Renamed."))])
        #expect(try await ids(store, "lottery") == [])
        #expect(try await ids(store, "winning") == ["1803.03635"])
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

    @Test func plannedQuery_overBudget_putsPapersWithEveryWordFirst() async throws {
        let directory = try TemporaryDirectory()
        let store = try SQLitePaperStore(path: directory.path("planned.sqlite"), searchPostingBudget: 20)
        try await store.migrate()
        // "kernel" is common, "quokka" rare; two papers have both.
        var batch = (0..<200).map { index in
            record(samplePaper(id: "2501.\(String(format: "%05d", index + 1))", title: "Kernel methods \(index)", abstract: "A kernel paper."))
        }
        batch.append(record(samplePaper(id: "2502.00001", title: "Quokka kernels", abstract: "Kernel regression for quokka counts.")))
        batch.append(record(samplePaper(id: "2502.00002", title: "Quokka populations", abstract: "No kernels here, but quokka kernel words.")))
        batch.append(record(samplePaper(id: "2502.00003", title: "Quokka habitats", abstract: "Field notes.")))
        _ = try await store.upsert(batch)
        let hits = try await store.keywordSearch(SearchQuery.parse("quokka kernel"), prefixTerms: [], limit: 10)
        #expect(Set(hits.prefix(2).map(\.id)) == ["2502.00001", "2502.00002"])
        // Too few papers have both words, so the rarest word fills the rest.
        #expect(hits.map(\.id).contains("2502.00003"))
        #expect(zip(hits, hits.dropFirst()).allSatisfy { $0.rank < $1.rank })
        // A single word commoner than the budget is ranked over the newest papers only.
        let common = try await store.keywordSearch(SearchQuery.parse("kernel"), prefixTerms: [], limit: 200)
        #expect(!common.isEmpty && common.count < 100)
        #expect(common.allSatisfy { $0.id >= "2501.00150" })
    }
}
