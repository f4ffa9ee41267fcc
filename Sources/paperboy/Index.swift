import ArgumentParser
import PaperboyApp
import Foundation

struct Index: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Compute embeddings for papers that lack them (or changed); resumable: stop it any time and run it again.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var metricsFile: MetricsFileOptions

    func run() async throws {
        let configuration = try await loadConfiguration(database, model, metricsFile)
        let store = try await Stores.open(configuration)
        let index = try configuration.requireSemanticIndex(store: store)
        let (count, seconds) = try await recordingRun("index", configuration: configuration, counts: { result in
            [JobMetricsFile.Count("paperboy_embedded_papers_total", help: "Papers embedded by a paperboy command.", labels: [("command", "index")], value: result.0)]
        }) {
            try await embedMissingPapers(index, store: store)
        }
        let rate = seconds > 0 ? Double(count) / seconds : 0
        let stored = try await store.embeddingCount(model: index.modelName)
        let phrased = try await extractMissingKeyPhrases(index, store: store)
        print("key phrases for \(phrased.count) papers in \(String(format: "%.1f", phrased.seconds)) s")
        print("embedded \(count) papers in \(String(format: "%.1f", seconds)) s (\(String(format: "%.1f", rate)) papers/s); \(stored) of \(try await store.paperCount()) papers have embeddings")
    }
}
