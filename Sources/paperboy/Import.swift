import ArgumentParser
import PaperboyApp
import Foundation
import PaperboyCore
import Logging
import PaperboyIngest

struct Import: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import papers from a file; re-importing updates papers and never duplicates them.",
        discussion: """
            Formats: paperboy (Paperboy JSON Lines, as in Data/seed-papers.jsonl), arxiv (the arXiv metadata \
            snapshot JSON Lines), hf (the JSON array GET /api/daily_papers returns). Detected when --format is omitted.
            """)

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions
    @OptionGroup var metricsFile: MetricsFileOptions

    @Flag(name: .customLong("no-embed"), help: "Do not compute embeddings after importing (paperboy index does it later).")
    var noEmbed = false

    @Argument(help: "The file to import.")
    var file: String

    @Option(help: "paperboy, arxiv or hf (default: detected from the file).")
    var format: String?

    @Option(help: "Put papers without a daily-feed day on the feed: none, published (their publication day) or spread.")
    var daily: String = "none"

    @Option(name: .customLong("spread-days"), help: "With --daily spread: how many days, ending today, to spread papers over.")
    var spreadDays: Int = 14

    @Option(name: .customLong("batch-size"), help: "Records per transaction.")
    var batchSize: Int = 2_000

    @Flag(help: "Print every skipped record, not just the first 20.")
    var verbose = false

    func run() async throws {
        let chosenFormat: ImportFormat?
        if let format {
            guard let parsed = ImportFormat(rawValue: format) else {
                throw ValidationError("unknown format \(format): use \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            chosenFormat = parsed
        } else {
            chosenFormat = nil
        }
        let placement: DailyPlacement
        switch daily {
        case "none": placement = .none
        case "published": placement = .published
        case "spread":
            guard (1...3650).contains(spreadDays) else { throw ValidationError("--spread-days must be from 1 to 3650") }
            placement = .spread(days: spreadDays, endingOn: Day(containing: Date()))
        default: throw ValidationError("--daily must be none, published or spread")
        }
        guard (1...100_000).contains(batchSize) else { throw ValidationError("--batch-size must be from 1 to 100000") }

        let configuration = try await loadConfiguration(database, model, metricsFile)
        try await recordingRun("import", configuration: configuration, counts: Self.counts) {
            try await importAndEmbed(configuration: configuration, format: chosenFormat, placement: placement)
        }
    }

    /// What the metrics file counts: the records by outcome (as the server's arXiv sync counts
    /// them, under `source="import"`), and the papers embedded.
    static func counts(_ outcome: (summary: ImportSummary, embedded: Int)) -> [JobMetricsFile.Count] {
        let help = "Records imported or harvested, by source and outcome."
        let result = outcome.summary.result
        return [("new", result.inserted), ("updated", result.updated), ("unchanged", result.unchanged), ("skipped", outcome.summary.skipped.count)]
            .map { JobMetricsFile.Count("paperboy_ingested_records_total", help: help, labels: [("source", "import"), ("result", $0.0)], value: $0.1) }
            + [JobMetricsFile.Count("paperboy_embedded_papers_total", help: "Papers embedded by a paperboy command.", labels: [("command", "import")], value: outcome.embedded)]
    }

    func importAndEmbed(configuration: PaperboyConfiguration, format chosenFormat: ImportFormat?, placement: DailyPlacement) async throws -> (summary: ImportSummary, embedded: Int) {
        let store = try await Stores.open(configuration)
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let summary = try await Importer(store: store).importFile(
            at: file,
            options: ImportOptions(format: chosenFormat, placement: placement, batchSize: batchSize),
            progress: { progress in bar.show(done: progress.bytesRead, total: progress.totalBytes, label: "\(progress.records) records") })
        bar.finish()
        for skipped in summary.skipped.prefix(verbose ? Int.max : 20) {
            FileHandle.standardError.write(Data("skipped \(skipped)\n".utf8))
        }
        if !verbose, summary.skipped.count > 20 {
            FileHandle.standardError.write(Data("… and \(summary.skipped.count - 20) more skipped records (--verbose lists them all)\n".utf8))
        }
        print(summary.line)
        if summary.readNothing {
            throw ImportFailed(message: summary.processed == 0
                ? "no records in \(file): it is empty, or holds only blank lines"
                : "no record could be read from \(file), so nothing was stored: is it a \(ImportFormat.allCases.map(\.rawValue).joined(separator: ", ")) file? (see the reasons above)")
        }
        guard !noEmbed else { return (summary, 0) }
        var logger = Logger(label: "paperboy.import")
        logger.logLevel = .warning
        if let semantic = configuration.semanticIndex(store: store, logger: logger) {
            let (count, seconds) = try await embedMissingPapers(semantic, store: store)
            print("embedded \(count) papers in \(String(format: "%.1f", seconds)) s")
            let phrased = try await extractMissingKeyPhrases(semantic, store: store)
            print("key phrases for \(phrased.count) papers in \(String(format: "%.1f", phrased.seconds)) s")
            return (summary, count)
        }
        return (summary, 0)
    }
}

/// A one-line progress bar on standard error, only when it is a terminal.
final class ProgressBar: Sendable {
    let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
    }

    func show(done: Int, total: Int, label: String) {
        guard enabled else { return }
        let fraction = total > 0 ? min(1, Double(done) / Double(total)) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let bar = String(repeating: "█", count: filled) + String(repeating: "░", count: width - filled)
        FileHandle.standardError.write(Data("\r\(bar) \(Int(fraction * 100))% \(label)\u{1B}[K".utf8))
    }

    func finish() {
        guard enabled else { return }
        FileHandle.standardError.write(Data("\n".utf8))
    }
}

/// The import read nothing: the command fails with this message rather than report success.
struct ImportFailed: Error, CustomStringConvertible {
    let message: String
    var description: String { message }
}
