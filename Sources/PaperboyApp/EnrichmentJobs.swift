import Foundation
import Logging
import PaperboyIngest
import PaperboyStore

/// The server's side of issue 19: GitHub stars refreshed daily for recent papers, and
/// thumbnails rendered for papers as they arrive (sync, submissions, imports). Both off unless
/// configured; each runs on one instance at a time (a lease), so instances do not ask twice.
public enum EnrichmentJobs {
    public static func make(
        _ configuration: PaperboyConfiguration, store: any PaperStore, arxiv: ArxivAPIClient, now: @escaping @Sendable () -> Date, logger: Logger
    ) throws -> [ScheduledJob] {
        var jobs: [ScheduledJob] = []
        if let settings = configuration.githubStars {
            let refresh = GitHubStarsRefresh(
                store: store, client: GitHubClient(configuration: .init(baseURL: settings.apiURL, token: settings.token), now: now),
                recentDays: settings.recentDays, logger: logger)
            // Hourly rounds: each asks only for papers not checked in the last day, so every
            // recent paper is refreshed about daily and a used-up rate limit is waited out.
            jobs.append(ScheduledJob(
                "GitHub stars", every: .seconds(3600), lease: LeaseKeeper(store: store, name: "github stars", duration: 1800),
                firstRoundAfter: .seconds(10), now: now, logger: logger
            ) {
                let summary = try await refresh.run(now: now())
                if summary != GitHubStarsRefresh.Summary() { logger.notice("GitHub stars: \(summary)") }
            })
        }
        if let settings = configuration.thumbnails {
            let renderer: ThumbnailRenderer
            do {
                renderer = try ThumbnailRenderer(limits: .init(seconds: settings.renderSeconds, memoryBytes: settings.renderMegabytes << 20))
            } catch {
                throw ConfigurationError("--thumbnails on: \(error)")
            }
            let backfill = ThumbnailBackfill(
                store: store, source: arxiv, renderer: renderer, maxPDFBytes: settings.maxPDFMegabytes << 20, logger: logger, now: now)
            jobs.append(ScheduledJob(
                "thumbnails", every: .seconds(300), lease: LeaseKeeper(store: store, name: "thumbnails", duration: 900),
                firstRoundAfter: .seconds(20), now: now, logger: logger
            ) {
                // New arrivals only (stored in the last week): older papers are `paperboy
                // thumbnails`' to backfill, so turning this on does not crawl a whole imported
                // snapshot. A round does at most 100 (5 minutes at arXiv's pace).
                let summary = try await backfill.run(limit: 100, arrivedSince: now().addingTimeInterval(-7 * 86_400))
                if summary != ThumbnailBackfill.Summary() { logger.notice("thumbnails: \(summary)") }
            })
        }
        return jobs
    }
}
