import ArgumentParser
import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboySearch
import PaperboyStore

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure search quality: nDCG@10 and recall@10 of each mode on a judged query set.",
        discussion: "Builds a fresh database from the corpus in a temporary folder, embeds it, and runs every query in every mode.")

    @OptionGroup var model: ModelOptions

    @Option(help: "Judged queries (JSON Lines).")
    var queries: String = "Data/eval/queries.jsonl"

    @Option(help: "The corpus the judgments refer to.")
    var corpus: String = "Data/seed-papers.jsonl"

    @Flag(help: "Print every query's scores.")
    var verbose = false

    func run() async throws {
        let judged = try EvaluationSet.load(queries)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let store = try SQLitePaperStore(path: directory.appendingPathComponent("eval.sqlite").path)
        try await store.migrate()
        let summary = try await Importer(store: store).importFile(at: corpus)
        guard summary.skipped.isEmpty else { throw ValidationError("the corpus has bad records: \(summary.skipped.prefix(3))") }
        let semantic = try model.requireSemanticIndex(store: store)
        _ = try await embedMissingPapers(semantic, store: store)
        let engine = SearchEngine(store: store, semantic: semantic)

        // Judgments name papers by title; results come back with ids. An empty query lists every paper.
        let everyPaper = try await store.keywordSearch(SearchQuery(), prefixTerms: [], limit: 10_000_000)
        let papers = try await store.papers(keys: everyPaper.map(\.key))
        let idsByTitle = Dictionary(papers.values.map { ($0.title, $0.id) }, uniquingKeysWith: { first, _ in first })
        var table: [SearchMode: (ndcg: Double, recall: Double)] = [:]
        var byKind: [String: [SearchMode: Double]] = [:]
        for mode in SearchMode.allCases {
            var ndcgTotal = 0.0
            var recallTotal = 0.0
            for query in judged {
                var grades: [String: Int] = [:]
                for judgment in query.relevant {
                    guard let id = idsByTitle[judgment.title] else { throw EvaluationError.unknownTitle(query: query.id, title: judgment.title) }
                    grades[id] = judgment.grade
                }
                let ranked = try await engine.search(query.query, mode: mode, limit: 10).results.map(\.paper.id)
                let ndcg = RankingMetrics.ndcg(ranked: ranked, grades: grades)
                ndcgTotal += ndcg
                recallTotal += RankingMetrics.recall(ranked: ranked, grades: grades)
                byKind[query.kind, default: [:]][mode, default: 0] += ndcg
                if verbose { print("\(query.id)\t\(mode.rawValue)\t\(String(format: "%.3f", ndcg))\t\(query.query)") }
            }
            table[mode] = (ndcgTotal / Double(judged.count), recallTotal / Double(judged.count))
        }
        print("\(judged.count) queries over \(summary.result.inserted + summary.result.updated + summary.result.unchanged) papers")
        print("| mode | nDCG@10 | recall@10 |")
        print("| --- | ---: | ---: |")
        for mode in SearchMode.allCases {
            guard let row = table[mode] else { continue }
            print("| \(mode.rawValue) | \(String(format: "%.3f", row.ndcg)) | \(String(format: "%.3f", row.recall)) |")
        }
        let kinds = Dictionary(grouping: judged, by: \.kind).mapValues(\.count)
        print("nDCG@10 by kind of query:")
        for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) {
            let scores = SearchMode.allCases.map { "\($0.rawValue) \(String(format: "%.3f", (byKind[kind]?[$0] ?? 0) / Double(count)))" }
            print("  \(kind) (\(count)): \(scores.joined(separator: ", "))")
        }
    }
}
