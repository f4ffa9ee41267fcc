import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

/// The real model over the real demo corpus and the judged query set: the claim in
/// BENCHMARKS.md that hybrid beats both single modes is checked on every run.
@Suite struct SearchQualityTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func hybrid_beatsKeywordAndSemantic_onTheJudgedQueries() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let summary = try await Importer(store: store).importFile(at: Self.repository.appendingPathComponent("Data/seed-papers.jsonl").path)
        #expect(summary.result.inserted == 228)
        let semantic = SemanticIndex(embedder: embedder, store: store)
        #expect(try await semantic.embedMissing() == 228)
        let idsByTitle = try await EvaluationSet.paperIDsByTitle(in: store)
        #expect(idsByTitle.count == 228)
        let judged = try EvaluationSet.load(Self.repository.appendingPathComponent("Data/eval/queries.jsonl").path)
        #expect(judged.count >= 40)

        let report = try await EvaluationReport.run(judged, engine: SearchEngine(store: store, semantic: semantic), idsByTitle: idsByTitle)
        let hybrid = try #require(report.overall[.hybrid]?.ndcg)
        let keyword = try #require(report.overall[.keyword]?.ndcg)
        let semanticScore = try #require(report.overall[.semantic]?.ndcg)
        #expect(hybrid > keyword, "hybrid \(hybrid) vs keyword \(keyword)")
        #expect(hybrid > semanticScore, "hybrid \(hybrid) vs semantic \(semanticScore)")
        // The lottery-ticket query from the issue finds its paper first in hybrid mode.
        let lottery = try await SearchEngine(store: store, semantic: semantic)
            .search("finding sparse subnetworks that train from their initialization", mode: .hybrid, limit: 3)
        #expect(lottery.results.first?.paper.title == "The Lottery Ticket Hypothesis: Finding Sparse, Trainable Neural Networks")

        // Below the relevance floor nothing is shown: gibberish and off-topic queries no longer
        // fill pages with the least distant papers, while real queries still find theirs.
        let engine = SearchEngine(store: store, semantic: semantic)
        for nonsense in ["zzqxv blorft", "asdf qwerty", "blah blah"] {
            for mode in [SearchMode.semantic, .hybrid] {
                let response = try await engine.search(nonsense, mode: mode, limit: 20)
                #expect(response.results.isEmpty, "\(mode) \(nonsense): \(response.results.map(\.paper.title).prefix(3))")
            }
        }
        for topic in ["graph neural networks", "diffusion models for images", "quantization"] {
            #expect(try await engine.search(topic, mode: .semantic, limit: 5).results.count == 5, "\(topic)")
        }
    }
}
