import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboyStore
import PaperboyTestSupport
import Testing
@testable import PaperboySearch

@Suite struct RecommendationTests {
    static let repository = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func termExtractor_wordsAndPairs_withoutStopwordsOrNumbers() {
        #expect(TermExtractor.words("The Graph Neural-Network, for 3D naïve x!") == ["graph", "neural", "network", "naive"])
        let counts = TermExtractor.termCounts("sparse attention and sparse attention")
        #expect(counts == ["sparse": 2, "attention": 2, "sparse attention": 2, "attention sparse": 1])
    }

    /// ASCII text takes a byte path; it must give the Character path's words exactly.
    @Test func termExtractor_asciiBytePath_matchesTheCharacterPath() throws {
        let lines = try String(contentsOf: Self.repository.appendingPathComponent("Data/seed-papers.jsonl"), encoding: .utf8)
            .split(separator: "\n")
        var texts = try lines.map { line -> String in
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any])
            return TermExtractor.text(title: object["title"] as? String ?? "", abstract: object["abstract"] as? String ?? "")
        }.filter { $0.utf8.allSatisfy { $0 < 0x80 } }
        #expect(texts.count > 150)
        texts += ["", "a", "ab", "3D x2 _a a_ __ Z9 9z", "GPT-4o, T5-XXL & BERT_base\r\n(a) [b] {c} `d` @e ~f", "ALL CAPS And Mixed"]
        for text in texts {
            #expect(TermExtractor.asciiWords(text) == TermExtractor.characterWords(text.lowercased()), "\(text.prefix(60))")
        }
    }

    @Test func vocabulary_dropsRareAndCommonTerms_vectorsHaveUnitNorm() {
        let texts = (0..<20).map { "common word \($0 % 2 == 0 ? "even" : "odd") lottery\($0 < 3 ? " ticket" : "")" }
        let vocabulary = TermVocabulary(statistics: TermVocabulary.statistics(of: texts),
                                        parameters: .init(minimumDocuments: 2, maximumDocumentShare: 0.5, maximumTerms: 100))
        #expect(vocabulary.indexOfTerm["common"] == nil, "in every paper")
        #expect(vocabulary.indexOfTerm["ticket"] != nil)
        #expect(vocabulary.indexOfTerm["even"] != nil)
        let vector = vocabulary.vector("lottery ticket even")
        let norm = vector.values.reduce(0) { $0 + $1 * $1 }
        #expect(abs(norm - 1) < 1e-5)
        #expect(vocabulary.vector("").indexes.isEmpty)
    }

    @Test func linearSVM_separatesSeparableData_andRanksByMargin() {
        // Two clusters along the first dense dimension, noise in the second.
        var generator = SplitMix64(seed: 3)
        var examples: [FeatureVector] = []
        var labels: [Bool] = []
        for index in 0..<200 {
            let positive = index < 20
            let x = (positive ? 1 : -1) * (0.5 + generator.nextUnitFloat())
            examples.append(FeatureVector(sparse: SparseVector(), dense: [x, generator.nextUnitFloat() - 0.5]))
            labels.append(positive)
        }
        for loss in [LinearSVM.Loss.hinge, .squaredHinge] {
            let svm = LinearSVM.train(examples, labels: labels, sparseDimensions: 0, denseDimensions: 2,
                                      parameters: .init(cost: 1, loss: loss, tolerance: 1e-4))
            let correct = zip(examples, labels).filter { (svm.decision($0.0) > 0) == $0.1 }.count
            #expect(correct == 200, "\(loss)")
            #expect(abs(svm.denseWeights[0]) > 5 * abs(svm.denseWeights[1]), "\(loss): \(svm.denseWeights)")
        }
    }

    @Test func model_roundTripsThroughStorage_andExplainsWithTerms() throws {
        let texts = ["lottery ticket pruning", "lottery ticket sparse", "diffusion image", "diffusion video", "graph neural"]
        let vocabulary = TermVocabulary(statistics: TermVocabulary.statistics(of: texts), parameters: .init(minimumDocuments: 1, maximumDocumentShare: 1))
        let features = HybridFeatures(vocabulary: vocabulary)
        let vectors = texts.map { features.features(text: $0, embedding: nil) }
        let model = RecommendationTrainer.train(TrainingSet(liked: [vectors[0]], negatives: [vectors[2]], rest: Array(vectors[3...])),
                                                features: features, likedKeys: [1], follows: [Follow(kind: .author, value: "Ada")])
        let decoded = try RecommendationModel.decode(try model.encoded())
        #expect(decoded == model)
        let bound = decoded.bound(to: features)
        #expect(bound.score(vectors[1]) > bound.score(vectors[2]))
        let recommendation = bound.recommend(
            Paper(id: "x", title: "lottery ticket", abstract: "sparse", source: "test"), embedding: nil, liked: [])
        #expect(recommendation.reason.contains("lottery"))
        let followed = bound.recommend(Paper(id: "y", title: "graph", abstract: "", authors: ["Ada"], source: "test"), embedding: nil, liked: [])
        #expect(followed.reason == "by Ada, whom you follow")
    }

    /// The claim in BENCHMARKS.md: on simulated readers who liked two papers, Paperboy's model
    /// beats arxiv-sanity-lite's TF-IDF SVM by a clear margin (and the embedding centroid).
    @Test func paperboyModel_beatsTheTFIDFSVM_onSimulatedReaders() async throws {
        let embedder = try loadTestEmbedder()
        let directory = try TemporaryDirectory()
        let store = try await makeStore(in: directory)
        _ = try await Importer(store: store).importFile(at: Self.repository.appendingPathComponent("Data/seed-papers.jsonl").path)
        let semantic = SemanticIndex(embedder: embedder, store: store)
        #expect(try await semantic.embedMissing() == 228)
        let corpus = try await RecommendationEvaluation.corpus(store: store, semantic: semantic)
        #expect(corpus.count == 228)
        let profiles = try ReaderProfile.load(Self.repository.appendingPathComponent("Data/eval/readers.jsonl").path)
        #expect(profiles.count >= 30)
        let report = try RecommendationEvaluation.run(profiles: profiles, corpus: corpus)
        let paperboy = report.overall(.paperboy)
        let sanity = report.overall(.tfidfSVM)
        let centroid = report.overall(.centroid)
        #expect(paperboy.ndcg > sanity.ndcg + 0.03, "paperboy \(paperboy.ndcg) vs tfidf-svm \(sanity.ndcg)")
        #expect(paperboy.recall > sanity.recall, "paperboy \(paperboy.recall) vs tfidf-svm \(sanity.recall)")
        #expect(paperboy.ndcg > centroid.ndcg, "paperboy \(paperboy.ndcg) vs centroid \(centroid.ndcg)")
        #expect(report.overall(.upvotes).ndcg < 0.1)
    }
}
