import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyIngest
import PaperboySearch
import PaperboySQLite

/// `paperboy eval recommendations`: the simulated-reader evaluation of issue 15.
struct EvalRecommendations: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "recommendations",
        abstract: "Measure recommendation quality: nDCG@10 and recall@10 for simulated readers who liked two papers each.",
        discussion: "Builds a fresh database from the corpus in a temporary folder, embeds it, and ranks the corpus for every reader profile by every method.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Reader profiles (JSON Lines).")
    var readers: String = "Data/eval/readers.jsonl"

    @Option(help: "Judged queries, read as digest topics for the topic threshold.")
    var queriesForTopics: String = "Data/eval/queries.jsonl"

    @Option(help: "The corpus the profiles refer to.")
    var corpus: String = "Data/seed-papers.jsonl"

    @Flag(name: .customLong("per-reader"), help: "Print every reader's scores.")
    var perReader = false

    func run() async throws {
        let profiles = try ReaderProfile.load(readers)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLitePaperStore(path: directory.appendingPathComponent("eval.sqlite").path)
        try await store.migrate()
        let summary = try await Importer(store: store).importFile(at: corpus)
        guard summary.skipped.isEmpty else { throw ValidationError("the corpus has bad records: \(summary.skipped.prefix(3))") }
        let semantic = try await loadConfiguration(model).requireSemanticIndex(store: store)
        _ = try await embedMissingPapers(semantic, store: store)
        let papers = try await RecommendationEvaluation.corpus(store: store, semantic: semantic)
        let report = try RecommendationEvaluation.run(profiles: profiles, corpus: papers)
        if perReader {
            for row in report.rows { print("\(row.profile)\t\(row.kind)\t\(row.method.rawValue)\t\(String(format: "%.3f", row.ndcg))\t\(String(format: "%.3f", row.recall))") }
        }
        print("\(profiles.count) readers over \(papers.count) papers, 2 liked papers each")
        print("| method | nDCG@10 | recall@10 | nDCG@10 broad | nDCG@10 narrow |")
        print("| --- | ---: | ---: | ---: | ---: |")
        for method in RecommendationMethod.allCases {
            let all = report.overall(method)
            let broad = report.overall(method, kind: "broad")
            let narrow = report.overall(method, kind: "narrow")
            print("| \(method.rawValue) | \(String(format: "%.3f", all.ndcg)) | \(String(format: "%.3f", all.recall)) | \(String(format: "%.3f", broad.ndcg)) | \(String(format: "%.3f", narrow.ndcg)) |")
        }
        print("Paperboy's score as a yes/no test (digest For-you threshold): threshold, precision, recall, F1")
        for step in -10...4 {
            let threshold = Float(step) / 10
            let quality = report.thresholdQuality(threshold)
            print(String(format: "  %+.1f  %.3f  %.3f  %.3f", threshold, quality.precision, quality.recall, quality.f1))
        }
        let queries = try EvaluationSet.load(queriesForTopics)
        let topicSimilarities = try RecommendationEvaluation.topicSimilarities(queries, corpus: papers, embed: semantic.embedder.embed)
        print("MiniLM cosine of a digest topic to a paper as a yes/no test (\(queries.count) judged queries): threshold, precision, recall")
        for step in stride(from: 20, through: 50, by: 5) {
            let threshold = Float(step) / 100
            let above = topicSimilarities.filter { $0.similarity >= threshold }
            let hits = above.filter(\.relevant).count
            let relevant = topicSimilarities.filter(\.relevant).count
            print(String(format: "  %.2f  %.3f  %.3f", threshold, above.isEmpty ? 0 : Double(hits) / Double(above.count), Double(hits) / Double(max(1, relevant))))
        }
        for other in [RecommendationMethod.tfidfSVM, .centroid] {
            let losses = report.losses(of: .paperboy, to: other)
            print("paperboy loses to \(other.rawValue) on \(losses.count) readers: \(losses.joined(separator: " "))")
        }
    }
}
