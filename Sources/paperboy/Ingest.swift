import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// `paperboy ingest`: harvest new and changed arXiv papers by OAI-PMH.
struct Ingest: AsyncParsableCommand, ConfigurationFlags {
    static let configuration = CommandConfiguration(
        abstract: "Harvest arXiv papers in some categories since a date (OAI-PMH); resumable, idempotent.",
        discussion: "Progress is saved after each page in --checkpoints; an interrupted run continues where it stopped.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var metricsFile: MetricsFileOptions

    @Option(help: "Comma-separated arXiv categories, e.g. cs.LG,cs.CL.")
    var categories: String

    @Option(help: "First datestamp to harvest (YYYY-MM-DD); default: everything.")
    var since: String?

    @Option(help: "all: new papers go on the feed of their submission day; curated: stored only.")
    var feed: String = "all"

    @Option(help: "OAI-PMH endpoint (env: PAPERBOY_OAI_URL).")
    var oai: String?

    @Option(help: "OAI-PMH metadata format: arXiv (structured authors) or arXivRaw (version history).")
    var format: String = "arXiv"

    @Option(help: "Folder for resumption checkpoints.")
    var checkpoints: String = "var/ingest"

    @Option(help: "Seconds between requests (arXiv asks for at least 3).")
    var interval: Double = 3

    var flags: [PaperboyConfiguration.Key: String] { given([.oaiURL: oai]) }

    func run() async throws {
        let wanted: [String]
        do { wanted = try PaperboyConfiguration.arxivCategories(categories, option: "--categories") } catch { throw ValidationError(error.description) }
        var day: Day?
        if let since {
            guard let parsed = Day(iso: since) else { throw ValidationError("--since is a date like 2026-11-01, not \(since)") }
            day = parsed
        }
        guard let policy = ArxivIngest.FeedPolicy(rawValue: feed) else { throw ValidationError("--feed is all or curated") }
        guard let format = OAIMetadataFormat(rawValue: format) else { throw ValidationError("--format is arXiv or arXivRaw") }
        guard interval >= 0 else { throw ValidationError("--interval cannot be negative") }
        try FileManager.default.createDirectory(atPath: checkpoints, withIntermediateDirectories: true)
        let configuration = try await loadConfiguration(database, metricsFile, self)
        let summary = try await recordingRun("ingest", configuration: configuration, counts: Self.counts) {
            let store = try await Stores.open(configuration)
            let client = ArxivAPIClient(configuration: .init(minimumInterval: .milliseconds(Int(interval * 1000))))
            let ingest = ArxivIngest(store: store, client: client, oaiBaseURL: configuration.oaiURL, policy: policy, format: format)
            return try await ingest.run(categories: wanted, since: day, checkpointFolder: checkpoints)
        }
        print(summary)
    }

    /// The harvested records by outcome, under `source="arxiv_ingest"` (the server's sync counts
    /// under `arxiv_sync`), and the pages fetched.
    static func counts(_ summary: ArxivIngest.Summary) -> [JobMetricsFile.Count] {
        let help = "Records imported or harvested, by source and outcome."
        return [("new", summary.result.inserted), ("updated", summary.result.updated), ("unchanged", summary.result.unchanged),
                ("skipped", summary.skipped), ("deleted_upstream", summary.deleted)]
            .map { JobMetricsFile.Count("paperboy_ingested_records_total", help: help, labels: [("source", "arxiv_ingest"), ("result", $0.0)], value: $0.1) }
            + [JobMetricsFile.Count("paperboy_oai_pages_total", help: "OAI-PMH pages harvested by paperboy ingest.", labels: [("command", "ingest")], value: summary.pages)]
    }
}
