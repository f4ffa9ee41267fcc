import ArgumentParser
import Foundation
import Logging
import PaperboyApp
import PaperboyCore
import PaperboyIngest
import PaperboyStore

/// `--github-*` and `--thumbnail*` (issue 19), for `serve`, `thumbnails` and `stars`.
struct EnrichmentOptions: ParsableArguments, ConfigurationFlags {
    @Option(name: .customLong("github-stars"), help: "on: read the GitHub stars of recent papers' repositories daily (env: PAPERBOY_GITHUB_STARS; default: off). A token in PAPERBOY_GITHUB_TOKEN raises GitHub's limit from 60 to 5,000 requests an hour.")
    var githubStars: String?

    @Option(name: .customLong("github-api"), help: "GitHub REST API address (env: PAPERBOY_GITHUB_API; default: https://api.github.com).")
    var githubAPI: String?

    @Option(name: .customLong("github-recent-days"), help: "Papers published or on the feed this many days back have their stars refreshed (env: PAPERBOY_GITHUB_RECENT_DAYS; default: 30).")
    var githubRecentDays: String?

    @Option(name: .customLong("thumbnails"), help: "on: fetch new papers' PDFs through the arXiv gate and render their first page (env: PAPERBOY_THUMBNAILS; default: off).")
    var thumbnails: String?

    @Option(name: .customLong("thumbnail-max-mb"), help: "PDFs larger than this get a placeholder (env: PAPERBOY_THUMBNAIL_MAX_MB; default: 40).")
    var maxMegabytes: String?

    @Option(name: .customLong("thumbnail-seconds"), help: "Time limit of one render (env: PAPERBOY_THUMBNAIL_SECONDS; default: 30).")
    var seconds: String?

    @Option(name: .customLong("thumbnail-memory-mb"), help: "Memory limit of one render (env: PAPERBOY_THUMBNAIL_MEMORY_MB; default: 768).")
    var memory: String?

    var flags: [PaperboyConfiguration.Key: String] {
        given([
            .githubStars: githubStars, .githubAPI: githubAPI, .githubRecentDays: githubRecentDays,
            .thumbnails: thumbnails, .thumbnailMaxMB: maxMegabytes, .thumbnailSeconds: seconds, .thumbnailMemoryMB: memory,
        ])
    }
}

struct Thumbnails: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render first-page thumbnails of papers that have none (PDFs through the arXiv gate, 3 s apart); resumable: stop it any time and run it again.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var enrichment: EnrichmentOptions
    @OptionGroup var arxivSync: ArxivSyncOptions

    @Option(help: "Stop after this many papers.")
    var limit: Int?

    func run() async throws {
        let configuration = try await loadConfiguration(database, arxivSync, enrichment)
        guard let settings = configuration.thumbnails else {
            throw ValidationError("thumbnails are off: pass --thumbnails on (or set PAPERBOY_THUMBNAILS=on); see the README for what they cost")
        }
        let store = try await Stores.open(configuration)
        let renderer: ThumbnailRenderer
        do {
            renderer = try ThumbnailRenderer(limits: .init(seconds: settings.renderSeconds, memoryBytes: settings.renderMegabytes << 20))
        } catch {
            throw ValidationError("\(error)")
        }
        let client = ArxivAPIClient(configuration: .init(minimumInterval: .milliseconds(Int(configuration.arxivRequestIntervalSeconds * 1000))))
        let backfill = ThumbnailBackfill(store: store, source: client, renderer: renderer, maxPDFBytes: settings.maxPDFMegabytes << 20)
        let (done, total) = try await store.thumbnailProgress()
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let started = Date()
        let summary = try await backfill.run(limit: limit) { summary in
            let now = done + summary.rendered + summary.placeholders
            bar.show(done: now, total: max(total, now), label: "\(now)/\(total) thumbnails (\(summary.placeholders) placeholders)")
        }
        bar.finish()
        let after = try await store.thumbnailProgress()
        print("thumbnails: \(summary) in \(String(format: "%.0f", Date().timeIntervalSince(started))) s; \(after.done) of \(after.total) papers with a PDF are done")
        if summary.stoppedBy != nil { throw ExitCode(1) }
    }
}

struct Stars: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Refresh the GitHub stars of recent papers now (the server does it daily with --github-stars on).")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var enrichment: EnrichmentOptions

    func run() async throws {
        let configuration = try await loadConfiguration(database, enrichment)
        guard let settings = configuration.githubStars else {
            throw ValidationError("GitHub stars are off: pass --github-stars on (or set PAPERBOY_GITHUB_STARS=on)")
        }
        let store = try await Stores.open(configuration)
        let refresh = GitHubStarsRefresh(
            store: store, client: GitHubClient(configuration: .init(baseURL: settings.apiURL, token: settings.token)), recentDays: settings.recentDays)
        let bar = ProgressBar(enabled: isatty(STDERR_FILENO) == 1)
        let summary = try await refresh.run(now: Date()) { done in bar.show(done: done, total: done, label: "\(done) repositories asked") }
        bar.finish()
        print("GitHub stars: \(summary)")
    }
}
