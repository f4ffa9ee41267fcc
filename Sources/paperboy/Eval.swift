import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyCore
import PaperboyIngest
import PaperboySearch
import PaperboyPostgres
import PaperboySQLite
import PaperboyStore

struct Eval: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Measure search quality: nDCG@10 and recall@10 of each mode on a judged query set.",
        discussion: """
            Builds a fresh database from the corpus (a SQLite file in a temporary folder, or the empty \
            database given with --database), embeds it, and runs every query in every mode.
            """,
        subcommands: [EvalRecommendations.self])

    @OptionGroup var model: ModelOptions

    @Option(help: "Judged queries (JSON Lines).")
    var queries: String = "Data/eval/queries.jsonl"

    @Option(help: "The corpus the judgments refer to.")
    var corpus: String = "Data/seed-papers.jsonl"

    @Option(help: "An empty database to evaluate on instead, e.g. postgres://USER@127.0.0.1/DB; it is left holding the corpus.")
    var database: String?

    @Flag(help: "Print every query's scores.")
    var verbose = false

    func run() async throws {
        let judged = try EvaluationSet.load(queries)
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paperboy-eval-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: directory) }
        let location = try database.map { try DatabaseLocation($0, option: "--database") }
            ?? .sqlite(path: directory.appendingPathComponent("eval.sqlite").path)
        let store = try await Stores.open(location)
        // Other papers would change the document frequencies and the answers: only the corpus counts.
        let before = try await store.paperCount()
        let summary = try await Importer(store: store).importFile(at: corpus)
        guard summary.skipped.isEmpty else { throw ValidationError("the corpus has bad records: \(summary.skipped.prefix(3))") }
        let corpusSize = summary.result.inserted + summary.result.updated + summary.result.unchanged
        guard before == 0 || before == corpusSize, try await store.paperCount() == corpusSize else {
            throw ValidationError("\(location.display) held \(before) papers before the corpus was imported; evaluate on an empty database")
        }
        let semantic = try await loadConfiguration(model).requireSemanticIndex(store: store)
        _ = try await embedMissingPapers(semantic, store: store)
        let engine = SearchEngine(store: store, semantic: semantic)

        let idsByTitle = try await EvaluationSet.paperIDsByTitle(in: store)
        let report = try await EvaluationReport.run(judged, engine: engine, idsByTitle: idsByTitle)
        if verbose {
            for row in report.perQuery { print("\(row.id)\t\(row.mode.rawValue)\t\(String(format: "%.3f", row.ndcg))\t\(row.query)") }
        }
        print("\(judged.count) queries over \(summary.result.inserted + summary.result.updated + summary.result.unchanged) papers")
        print("| mode | nDCG@10 | recall@10 |")
        print("| --- | ---: | ---: |")
        for mode in SearchMode.allCases {
            guard let row = report.overall[mode] else { continue }
            print("| \(mode.rawValue) | \(String(format: "%.3f", row.ndcg)) | \(String(format: "%.3f", row.recall)) |")
        }
        let kinds = Dictionary(grouping: judged, by: \.kind).mapValues(\.count)
        print("nDCG@10 by kind of query:")
        for (kind, count) in kinds.sorted(by: { $0.key < $1.key }) {
            let scores = SearchMode.allCases.map { "\($0.rawValue) \(String(format: "%.3f", report.ndcgByKind[kind]?[$0] ?? 0))" }
            print("  \(kind) (\(count)): \(scores.joined(separator: ", "))")
        }
        if let postgres = store as? PostgresPaperStore { await postgres.close() }
    }
}
