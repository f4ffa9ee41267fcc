import ArgumentParser
import Foundation
import Logging
import PaperboyIngest
import PaperboyStore
import ServiceLifecycle

/// `paperboy serve`'s options for the scheduled arXiv sync. With no categories there is no sync.
struct ArxivSyncOptions: ParsableArguments {
    @Option(name: .customLong("arxiv-categories"), help: "Harvest these arXiv categories by OAI-PMH on a schedule, e.g. cs.LG,cs.CL (env: PAPERBOY_ARXIV_CATEGORIES; default: no sync).")
    var categories: String?

    @Option(name: .customLong("arxiv-feed"), help: "all: new papers go on the feed of their submission day; curated: stored and searchable only (env: PAPERBOY_ARXIV_FEED; default: all).")
    var feed: String?

    @Option(name: .customLong("arxiv-oai"), help: "OAI-PMH endpoint (env: PAPERBOY_OAI_URL; default: https://oaipmh.arxiv.org/oai).")
    var oai: String?

    @Option(name: .customLong("arxiv-format"), help: "OAI-PMH metadata format, arXiv or arXivRaw (env: PAPERBOY_ARXIV_FORMAT; default: arXiv).")
    var format: String?

    @Option(name: .customLong("arxiv-sync-hours"), help: "Hours between harvests; the first runs at start-up (env: PAPERBOY_ARXIV_SYNC_HOURS; default: 6).")
    var hours: Double?

    @Option(name: .customLong("arxiv-state"), help: "Folder for harvest checkpoints; the last successful run is kept in the database (env: PAPERBOY_ARXIV_STATE; default: var/ingest).")
    var state: String?

    @Option(name: .customLong("arxiv-request-interval"), help: "Seconds between requests to arXiv, at least 3 against arXiv itself (env: PAPERBOY_ARXIV_REQUEST_INTERVAL; default: 3).")
    var requestInterval: Double?

    /// The sync service, or nil when no categories are configured.
    func service(store: any PaperStore, logger: Logger) throws -> ArxivSyncService? {
        let environment = ProcessInfo.processInfo.environment
        guard let list = categories ?? environment["PAPERBOY_ARXIV_CATEGORIES"], !list.isEmpty else { return nil }
        let wanted = try arxivCategories(list, option: "--arxiv-categories")
        let feedName = feed ?? environment["PAPERBOY_ARXIV_FEED"] ?? "all"
        guard let policy = ArxivIngest.FeedPolicy(rawValue: feedName) else { throw ValidationError("--arxiv-feed is all or curated, not \(feedName)") }
        let formatName = format ?? environment["PAPERBOY_ARXIV_FORMAT"] ?? "arXiv"
        guard let format = OAIMetadataFormat(rawValue: formatName) else { throw ValidationError("--arxiv-format is arXiv or arXivRaw, not \(formatName)") }
        let hoursText = hours.map { "\($0)" } ?? environment["PAPERBOY_ARXIV_SYNC_HOURS"] ?? "6"
        guard let hours = Double(hoursText), hours >= 0.01, hours <= 24 * 7 else {
            throw ValidationError("--arxiv-sync-hours is a number of hours from 0.01 to 168, not \(hoursText)")
        }
        let intervalText = requestInterval.map { "\($0)" } ?? environment["PAPERBOY_ARXIV_REQUEST_INTERVAL"] ?? "3"
        guard let interval = Double(intervalText), interval >= 0, interval <= 600 else {
            throw ValidationError("--arxiv-request-interval is a number of seconds from 0 to 600, not \(intervalText)")
        }
        let client = ArxivAPIClient(configuration: .init(minimumInterval: .milliseconds(Int(interval * 1000))), logger: logger)
        let ingest = ArxivIngest(
            store: store, client: client, oaiBaseURL: oai ?? environment["PAPERBOY_OAI_URL"] ?? "https://oaipmh.arxiv.org/oai",
            policy: policy, format: format)
        // A harvest page takes seconds; the lease is renewed before each one.
        let lease = LeaseKeeper(store: store, name: ArxivSync.name, duration: 600)
        let sync = ArxivSync(
            ingest: ingest, categories: wanted, checkpointFolder: state ?? environment["PAPERBOY_ARXIV_STATE"] ?? "var/ingest", lease: lease)
        return ArxivSyncService(sync: sync, lease: lease, interval: .milliseconds(Int(hours * 3_600_000)), logger: logger)
    }
}

/// `cs.LG,cs.CL` → ["cs.LG", "cs.CL"], or a clear error.
func arxivCategories(_ list: String, option: String) throws -> [String] {
    let wanted = list.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
    guard !wanted.isEmpty, wanted.count <= 100,
          wanted.allSatisfy({ $0.count <= 20 && $0.allSatisfy { ($0.isASCII && $0.isLetter) || $0 == "." || $0 == "-" } })
    else {
        throw ValidationError("\(option) takes arXiv categories like cs.LG,cs.CL")
    }
    return wanted
}

/// Runs the arXiv sync on whichever instance holds the sync lease (it renews the lease every
/// minute; the others take it over only when it lapses): at start-up when no run is on record,
/// then whenever `interval` has passed since the last successful run, by anyone. A failed run is
/// retried after a quarter of the interval (at most an hour) and never stops the server.
struct ArxivSyncService: Service {
    let sync: ArxivSync
    let lease: LeaseKeeper
    let interval: Duration
    let logger: Logger

    func run() async throws {
        let seconds = Double(interval.components.seconds) + Double(interval.components.attoseconds) / 1e18
        await cancelWhenGracefulShutdown {
            var notBefore = ContinuousClock.now
            while !Task.isCancelled {
                do {
                    if try await lease.hold(), ContinuousClock.now >= notBefore, try await sync.isDue(now: Date(), interval: seconds) {
                        let summary = try await sync.run()
                        logger.notice("arXiv sync: \(summary)")
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("arXiv sync failed: \(error)")
                    notBefore = ContinuousClock.now.advanced(by: min(interval / 4, .seconds(3600)))
                }
                do { try await Task.sleep(for: min(interval, .seconds(60))) } catch { break }
            }
        }
        try? await lease.release()
    }
}
