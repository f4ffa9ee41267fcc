import Foundation
import Hummingbird
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyMail
import PaperboyPostgres
import PaperboySearch
import PaperboyStore
import PaperboyWeb
import ServiceLifecycle
import UnixSignals

/// Everything `paperboy serve` runs, built from a configuration: the store, search, the web
/// application and the background jobs, as services of one group with graceful shutdown.
/// The executable only parses arguments and calls `run()`; tests start the same thing in-process.
public struct PaperboyServer: Sendable {
    public let configuration: PaperboyConfiguration
    public let store: any PaperStore
    public let site: SiteAddress
    public let services: [any Service]
    let metrics: MetricsEndpoint
    let logger: Logger

    /// The port `/metrics` is listening on, once it is (nil without `--metrics-port`).
    public var metricsPort: Int? { metrics.boundPort.withLock { $0 } }

    /// Opens the store and builds every service. `onListening` receives the bound port.
    public static func make(
        _ configuration: PaperboyConfiguration, logger given: Logger? = nil, now: @escaping @Sendable () -> Date = Date.init,
        onListening: @escaping @Sendable (_ host: String, _ port: Int, _ papers: Int) async -> Void = { _, _, _ in }
    ) async throws -> PaperboyServer {
        let settings = configuration.server
        guard let level = Logger.Level(rawValue: settings.logLevel) else { throw ConfigurationError("unknown log level \(settings.logLevel)") }
        var logger = given ?? Logger(label: "paperboy.server")
        logger.logLevel = level

        // Links (mail, Atom ids, Markdown) come from configuration only, never from a request's Host.
        let site = try configuration.site(orListeningOn: settings.host, port: settings.port)
        if settings.publicURL == nil {
            if !isLoopback(settings.host) {
                logger.warning("--public-url is not set: links in mail and feeds point at \(site.url), which only works where that address does; set --public-url to the address people use")
            }
        }
        // Before the store opens: swift-metrics handles made earlier would stay unrecorded.
        if settings.metricsPort != nil { _ = PrometheusMetrics.registry }
        // Before any span is started, so the first request's trace is complete.
        let tracingService = try settings.otlpEndpoint.flatMap { try RequestTracing.install(endpoint: $0, logger: logger) }
        let store = try await Stores.open(configuration)
        var web = WebConfiguration(
            siteName: settings.siteName, site: site,
            cacheLifetime: .milliseconds(Int(settings.cacheSeconds * 1000)), trustedProxies: settings.trustedProxies)
        web.idleTimeoutSeconds = settings.idleTimeoutSeconds
        web.compresses = settings.compression
        web.recordsMetrics = settings.metricsPort != nil
        web.tracesRequests = settings.otlpEndpoint != nil

        let papers = try await store.paperCount()
        if let postgres = store as? PostgresPaperStore {
            let pgvector = try await postgres.pgvectorVersion()
            logger.notice("PostgreSQL: pgvector \(pgvector.map { "\($0) is installed, but" } ?? "is not installed;") semantic search runs from this instance's in-memory index, refreshed from the database every 30 s")
        }
        let semantic = SemanticSearch.index(modelDirectory: configuration.modelDirectory, store: store, logger: logger)
        let indexFile = configuration.vectorIndexFile
        if let semantic {
            let loaded = try await SemanticSearch.load(semantic, indexFile: indexFile, logger: logger)
            logger.notice("semantic search on: \(loaded) paper embeddings loaded (\(semantic.memoryBytes / 1_048_576) MiB); \(OpenBLASKernel.description)")
            OperationsMetrics.vectorIndex(papers: semantic.count, bytes: semantic.memoryBytes)
            // Above 100k papers the approximate index is trained in the background; until it is
            // ready, semantic queries search exactly (slower, same answers). Scripts wait for this line.
            let readyLogger = logger
            Task {
                await semantic.waitForIndexBuilds()
                // Loading and training free gigabytes at a million papers; glibc keeps freed
                // heap for reuse unless asked to give it back.
                #if os(Linux)
                _ = releaseFreedHeap(0)
                #endif
                readyLogger.notice("vector index ready: \(semantic.memoryBytes / 1_048_576) MiB")
                if let indexFile { await VectorIndexSaving.save(semantic, to: indexFile, logger: readyLogger) }
            }
        }
        let search = SearchEngine(store: store, semantic: semantic, logger: logger)
        let keys = try await SecretKeyRing.load(store: store, environmentSecret: configuration.secret)
        logger.notice("forms and mailed links are signed with \(keys.isFixed ? "PAPERBOY_SECRET" : "the database's key (shared by every instance; paperboy secret rotate makes a new one)")")
        let security = Security(keys: keys, secureCookies: site.isHTTPS)
        let sender = try configuration.mail.sender()
        let transport = try configuration.mail.messageTransport()
        let recommender = Recommender(store: store, semantic: semantic, logger: logger)
        let composer = try await configuration.digestComposer(store: store, search: search, site: site, security: security, recommender: recommender)
        // One gate for every arXiv request this process makes: submissions, the sync, PDFs for thumbnails.
        let arxivGate = ArxivAPIClient(
            configuration: .init(baseURL: configuration.arxivAPI ?? "https://export.arxiv.org/api/query",
                                 minimumInterval: .milliseconds(Int(configuration.arxivRequestIntervalSeconds * 1000))),
            logger: logger)
        let metadata: any PaperMetadataSource = configuration.arxivAPI.map { _ in ArxivMetadataSource(client: arxivGate, overallLimit: .seconds(15)) } ?? LocalOnlyMetadataSource()

        let host = settings.host
        let app = try await buildApplication(
            WebDependencies(
                store: store, search: search, configuration: web, security: security,
                mailer: TransportSignInMailer(transport: transport, from: sender), metadata: metadata,
                mailTransport: transport, mailFrom: sender, digests: composer, recommender: recommender, semantic: semantic, now: now),
            host: host, port: settings.port, logger: logger
        ) { boundPort in
            await onListening(host, boundPort, papers)
        }

        let jobLogger = logger
        var services: [any Service] = [app]
        if let tracingService { services.append(tracingService) }
        let metrics = MetricsEndpoint()
        if let metricsPort = settings.metricsPort {
            if !Self.isLoopback(settings.metricsHost) {
                logger.warning("metrics are served on \(settings.metricsHost): anyone who reaches that address sees routes, timings and counts; keep it on a private network")
            }
            services.append(metrics.application(host: settings.metricsHost, port: metricsPort, store: store, logger: logger))
        }
        if let sync = configuration.arxivSync {
            services.append(try ArxivSyncJob.make(sync, oaiURL: configuration.oaiURL, store: store, client: arxivGate, logger: logger))
        }
        if let semantic {
            services.append(ScheduledJob("semantic index refresh", every: .seconds(30), logger: logger) {
                // On the idle thread, stepping aside while requests are answered (issue 20).
                let embedded = try await semantic.embedMissing(inBackground: true)
                let loaded = try await semantic.loadStoredEmbeddings()
                if embedded + loaded > 0 { jobLogger.info("semantic index: \(embedded) papers embedded, \(loaded) embeddings loaded") }
                OperationsMetrics.vectorIndex(papers: semantic.count, bytes: semantic.memoryBytes)
                // Key phrases use the same model, so they follow the embeddings (issue 19), a
                // little slower: after search is served, in the same idle-thread way.
                let phrased = try await semantic.extractMissingKeyPhrases(inBackground: true)
                if phrased > 0 { jobLogger.info("key phrases: \(phrased) papers") }
                // A retrained index is saved at once; other changes wait for the shutdown.
                if let indexFile { await VectorIndexSaving.save(semantic, to: indexFile, onlyIfRebuilt: true, logger: jobLogger) }
            })
            if let indexFile { services.append(VectorIndexSaving(semantic: semantic, path: indexFile, logger: logger)) }
        }
        services += RecommendationJobs.make(recommender, store: store, now: now, logger: logger)
        services += try EnrichmentJobs.make(configuration, store: store, arxiv: arxivGate, now: now, logger: logger)
        if !keys.isFixed {
            // Well within a rotated key's grace period.
            services.append(ScheduledJob("rereading the signing keys", every: .seconds(60), firstRoundAfter: .seconds(60), logger: logger) {
                try await keys.refresh(store: store)
            })
        }
        if let hour = configuration.digestHour {
            let sending = DigestSending(
                store: store, composer: composer, destination: try configuration.mail.digestDestination(),
                lease: LeaseKeeper(store: store, name: DigestRunner.leaseName, duration: 180),
                messageIDDomain: site.host, logger: logger, now: now)
            services.append(sending.scheduledJob(hour: hour))
        }
        return PaperboyServer(configuration: configuration, store: store, site: site, services: services, metrics: metrics, logger: logger)
    }

    static func isLoopback(_ host: String) -> Bool {
        host == "localhost" || (IPAddress(host).map { $0.bytes == [127, 0, 0, 1] || $0.bytes == Array(repeating: 0, count: 15) + [1] } ?? false)
    }

    /// Runs until SIGTERM or SIGINT, then shuts down gracefully: requests in flight are answered,
    /// background jobs stop between rounds, leases are given up.
    public func run() async throws {
        defer { logger.notice("stopped") }
        try await serviceGroup(signals: [.sigterm, .sigint]).run()
    }

    /// The services as one group; a test runs it and calls `triggerGracefulShutdown()`.
    public func serviceGroup(signals: [UnixSignal] = []) -> ServiceGroup {
        let store = store
        let notice = ShutdownNotice(logger: logger) {
            // Requests in flight answer 503 within a second instead of waiting for a pool that
            // may still be reconnecting after an outage, so the server does stop.
            (store as? PostgresPaperStore)?.stopWaiting()
        }
        return ServiceGroup(configuration: .init(services: services + [notice], gracefulShutdownSignals: signals, logger: logger))
    }
}

/// Saves the trained vector index when the server shuts down, so the next start loads it
/// (`SemanticIndex.saveIndex`); a failed save is logged, and the next start trains again.
struct VectorIndexSaving: Service {
    let semantic: SemanticIndex
    let path: String
    let logger: Logger

    func run() async throws {
        // Returns when the group starts shutting down (or is cancelled).
        try? await gracefulShutdown()
        await Self.save(semantic, to: path, logger: logger)
    }

    static func save(_ semantic: SemanticIndex, to path: String, onlyIfRebuilt: Bool = false, logger: Logger) async {
        let started = ContinuousClock.now
        do {
            if try await semantic.saveIndex(to: path, onlyIfRebuilt: onlyIfRebuilt) {
                logger.notice("vector index saved to \(path) in \(String(format: "%.2f", (ContinuousClock.now - started).inSeconds)) s (\(semantic.count) papers)")
            }
        } catch {
            logger.warning("the vector index could not be saved to \(path): \(error); the next start trains it again")
        }
    }
}

/// Says at notice level when a graceful shutdown begins, so an operator sees it start (and, with
/// `run()`'s last line, end) without debug logging.
struct ShutdownNotice: Service {
    let logger: Logger
    let onShutdown: @Sendable () -> Void

    func run() async throws {
        // Returns when the group starts shutting down (or is cancelled).
        try? await gracefulShutdown()
        logger.notice("shutting down: answering requests in flight, stopping background jobs")
        onShutdown()
    }
}

extension PaperboyConfiguration {
    /// Where links point: `--public-url`, or else the address `host:port` (the server's own, or
    /// the one `digest send` assumes).
    public func site(orListeningOn host: String, port: Int) throws(ConfigurationError) -> SiteAddress {
        guard let url = server.publicURL else { return SiteAddress(listeningOn: host, port: port) }
        do { return try SiteAddress(publicURL: url) } catch { throw ConfigurationError("--public-url (or PAPERBOY_PUBLIC_URL): \(error)") }
    }

    /// The digest composer the server and `paperboy digest send` both use.
    /// `recommender` adds each reader's "For you" section and the topic threshold (issue 15).
    public func digestComposer(store: any PaperStore, search: SearchEngine, site: SiteAddress, security: Security,
                               recommender: Recommender? = nil) async throws -> DigestComposer {
        DigestComposer(
            store: store, search: search, resources: try await SiteResources.load(), siteName: server.siteName,
            site: site, security: security, from: try mail.sender(), recommender: recommender)
    }
}

/// The embedding model and the semantic index over a store.
public enum SemanticSearch {
    /// The semantic index, or nil (with one clear log line) when the model is missing or broken.
    public static func index(modelDirectory: String, store: any PaperStore, logger: Logger) -> SemanticIndex? {
        do {
            let embedder = try SentenceEmbedder(modelDirectory: modelDirectory)
            return SemanticIndex(embedder: embedder, store: store, logger: logger)
        } catch {
            logger.warning("semantic search is off, keyword search only: \(error). Run scripts/install-model to fetch the model.")
            return nil
        }
    }
}

extension SemanticSearch {
    /// Fills `semantic` as a start does: from the index saved at `indexFile` when it still fits
    /// the store (logged with what the load took), else from the store's embeddings, after which
    /// an approximate index above 100k papers trains in the background. Returns how many
    /// embeddings it holds.
    public static func load(_ semantic: SemanticIndex, indexFile: String?, logger: Logger) async throws -> Int {
        if let indexFile, FileManager.default.fileExists(atPath: indexFile) {
            let started = ContinuousClock.now
            do {
                let load = try await semantic.loadSavedIndex(from: indexFile)
                logger.notice("vector index loaded from \(indexFile) in \(String(format: "%.2f", (ContinuousClock.now - started).inSeconds)) s (file read with the database check beside it \(String(format: "%.2f", load.fileSeconds)) s, then \(load.newer) newer embeddings \(String(format: "%.2f", load.databaseSeconds)) s): \(load.papers) papers, no training needed")
                return load.papers
            } catch let error as VectorIndexFile.FileError {
                logger.warning("\(error); loading the embeddings from the database and training the index again")
            }
        }
        return try await semantic.loadStoredEmbeddings()
    }
}

/// The scheduled arXiv harvest (see `ArxivSync`).
public enum ArxivSyncJob {
    /// Runs on whichever instance holds the sync lease: at start-up when no run is on record, then
    /// whenever `hours` have passed since the last successful run, by anyone. A failed run is
    /// retried after a quarter of the interval (at most an hour).
    /// `client` is the process's arXiv gate, shared with submissions and thumbnails.
    public static func make(
        _ settings: PaperboyConfiguration.ArxivSyncSettings, oaiURL: String, store: any PaperStore, client: ArxivAPIClient, logger: Logger
    ) throws -> ScheduledJob {
        let ingest = ArxivIngest(store: store, client: client, oaiBaseURL: oaiURL, policy: settings.feed, format: settings.format)
        // A harvest page takes seconds; the lease is renewed before each one.
        let lease = LeaseKeeper(store: store, name: ArxivSync.name, duration: 600)
        let sync = ArxivSync(ingest: ingest, categories: settings.categories, checkpointFolder: settings.stateFolder, lease: lease)
        let interval = Duration.milliseconds(Int(settings.hours * 3_600_000))
        let seconds = settings.hours * 3600
        return ScheduledJob(
            "arXiv sync", every: min(interval, .seconds(60)), lease: lease, retryAfterFailure: min(interval / 4, .seconds(3600)), logger: logger
        ) {
            guard try await sync.isDue(now: Date(), interval: seconds) else { return }
            let summary: ArxivIngest.Summary
            do {
                summary = try await sync.run()
            } catch {
                OperationsMetrics.arxivSyncFailed()
                throw error
            }
            OperationsMetrics.arxivSyncSucceeded(
                at: Date(), new: summary.result.inserted, updated: summary.result.updated, unchanged: summary.result.unchanged, skipped: summary.skipped)
            logger.notice("arXiv sync: \(summary)")
        }
    }
}

/// Planning and sending digests through the outbox: one path for the server's daily job and
/// `paperboy digest send`.
public struct DigestSending: Sendable {
    public let store: any PaperStore
    public let composer: DigestComposer
    public let destination: DigestDestination
    /// Held while sending, so one instance (or command) sends at a time.
    public let lease: LeaseKeeper
    public let messageIDDomain: String
    public let logger: Logger
    public let now: @Sendable () -> Date

    public init(
        store: any PaperStore, composer: DigestComposer, destination: DigestDestination, lease: LeaseKeeper, messageIDDomain: String,
        logger: Logger, now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.now = now
        self.store = store
        self.composer = composer
        self.destination = destination
        self.lease = lease
        self.messageIDDomain = messageIDDomain
        self.logger = logger
    }

    /// Plans `periods` (each subscriber gets one outbox row per period), then sends what is due.
    public func planAndSend(_ periods: [DigestPeriod], now: Date) async throws -> (planned: [(period: DigestPeriod, count: Int)], summary: DigestRunSummary) {
        var planned: [(period: DigestPeriod, count: Int)] = []
        for period in periods {
            planned.append((period, try await store.planDigests(period: period, messageIDDomain: messageIDDomain, now: now)))
        }
        let runner = DigestRunner(store: store, composer: composer, destination: destination, lease: lease, now: self.now, logger: logger)
        return (planned, try await runner.sendDue())
    }

    /// Every minute on the lease holder: once the UTC `hour` has passed, plan what is due today
    /// (weekdays: the previous weekday; Mondays also the previous week); then send what the
    /// outbox holds, so retries go out when their time comes.
    public func scheduledJob(hour: Int) -> ScheduledJob {
        // The lease is given up after each round: `paperboy digest send` run by hand takes its
        // turn between two rounds instead of waiting for a server that never lets go.
        ScheduledJob("digest run", every: .seconds(60), lease: lease, releasingLeaseAfterRound: true, now: now, logger: logger) {
            let now = self.now()
            let today = Day(containing: now)
            let periods = now.timeIntervalSince(today.start) >= Double(hour) * 3600 ? DigestPeriod.due(on: today) : []
            let (planned, summary) = try await planAndSend(periods, now: now)
            for (period, count) in planned where count > 0 {
                logger.notice("planned \(count) \(period.frequency.rawValue) digests for \(period.key)")
            }
            if summary != DigestRunSummary() { logger.notice("\(summary)") }
            OperationsMetrics.digests(sent: summary.sent, retrying: summary.retrying, bounced: summary.bounced, failed: summary.failed)
        }
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which Swift's Glibc module does not export (it lives in malloc.h).
@_silgen_name("malloc_trim")
private func releaseFreedHeap(_ pad: Int) -> Int32
#endif
