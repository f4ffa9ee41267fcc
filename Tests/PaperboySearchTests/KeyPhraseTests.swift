import Foundation
@testable import PaperboySearch
import PaperboyCore
import PaperboySQLite
import PaperboyStore
import PaperboyTestSupport
import Testing

@Suite struct KeyPhraseCandidateTests {
    @Test func candidates_splitAtStopwordsPunctuationAndMaths_keepAcronymCase() throws {
        let candidates = KeyPhraseExtractor.candidates(
            title: "LoRA: Low-Rank Adaptation of Large Language Models",
            abstract: "We propose low-rank adaptation, which freezes the pretrained weights $W_0 + BA$ of GPT-3. It reduces trainable parameters.")
        #expect(candidates.contains("LoRA"))
        #expect(candidates.contains("low-rank adaptation"))
        #expect(candidates.contains("language models"))
        #expect(candidates.contains("GPT-3"))
        #expect(candidates.contains("trainable parameters"))
        // Never across a stopword, a comma or a formula; never a filler at an edge.
        #expect(!candidates.contains { $0.contains("of") && $0.split(separator: " ").contains("of") })
        #expect(!candidates.contains("adaptation which"))
        #expect(!candidates.contains { $0.contains("W_0") || $0.contains("BA") })
        #expect(!candidates.contains("propose") && !candidates.contains("propose low-rank adaptation"))
        // Title phrases come first.
        #expect(try #require(candidates.firstIndex(of: "LoRA")) < (try #require(candidates.firstIndex(of: "GPT-3"))))
        #expect(candidates.count <= KeyPhraseExtractor.maximumCandidates)
    }

    @Test func maximalMarginalRelevance_prefersRelevant_thenDifferent() {
        let document: [Float] = [1, 0, 0]
        let candidates: [[Float]] = [[0.9, 0.1, 0], [0.89, 0.11, 0], [0.6, 0, 0.8], [0, 1, 0]]
        let picked = KeyPhraseExtractor.maximalMarginalRelevance(document: document, candidates: candidates, count: 2, diversity: 0.5)
        // The nearest first; then not its near-duplicate but the relevant, different one.
        #expect(picked == [0, 2])
        #expect(KeyPhraseExtractor.maximalMarginalRelevance(document: document, candidates: candidates, count: 2, diversity: 0) == [0, 1])
        #expect(KeyPhraseExtractor.maximalMarginalRelevance(document: document, candidates: [], count: 5, diversity: 0.5).isEmpty)
    }
}

/// The real model on a real abstract, stored through the real store.
@Suite(.serialized) struct KeyPhraseModelTests {
    @Test func extractMissingKeyPhrases_realModel_picksDistinctPhrasesFromTheAbstract_andIsResumable() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        let abstract = """
            We present high quality image synthesis results using diffusion probabilistic models, a class of latent variable \
            models inspired by considerations from nonequilibrium thermodynamics. Our best results are obtained by training on a \
            weighted variational bound designed according to a novel connection between diffusion probabilistic models and \
            denoising score matching with Langevin dynamics.
            """
        _ = try await store.upsert([
            record(samplePaper(id: "2006.11239", title: "Denoising Diffusion Probabilistic Models", abstract: abstract)),
            record(samplePaper(id: "2502.00002", title: "A Second Paper About Graph Neural Networks",
                               abstract: "Graph neural networks pass messages along edges. We study their expressive power on molecules.")),
        ])
        let index = SemanticIndex(embedder: embedder, store: store)
        #expect(try await index.extractMissingKeyPhrases(batchSize: 1) == 2)
        #expect(try await index.extractMissingKeyPhrases() == 0)
        let phrases = try #require(try await store.paper(id: "2006.11239")).keyPhrases
        #expect(phrases.count == KeyPhraseExtractor.phraseCount)
        #expect(Set(phrases.map { $0.lowercased() }).count == phrases.count)
        let text = ("Denoising Diffusion Probabilistic Models " + abstract).lowercased()
        #expect(phrases.allSatisfy { text.contains($0.lowercased()) }, "\(phrases)")
        // The paper's subject is among them.
        #expect(phrases.contains { $0.lowercased().contains("diffusion") || $0.lowercased().contains("denoising") }, "\(phrases)")
        let graph = try #require(try await store.paper(id: "2502.00002")).keyPhrases
        #expect(graph.contains { $0.lowercased().contains("graph") }, "\(graph)")
    }
}
