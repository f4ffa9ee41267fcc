import ArgumentParser
import Foundation
import Hummingbird
import Logging
import PaperboyCore
import PaperboyIngest
import PaperboyMail
import PaperboyPostgres
import PaperboyStore
import PaperboySearch
import PaperboyWeb
import ServiceLifecycle

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the web server until SIGINT or SIGTERM, then shut down gracefully.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Address to listen on (env: PAPERBOY_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env: PAPERBOY_PORT).")
    var port: Int?

    @Option(name: .customLong("public-url"), help: "The address people reach the site at, for links in mail, feeds and exports (env: PAPERBOY_PUBLIC_URL; default: http://HOST:PORT as listened on). Set it when serving behind a reverse proxy or on a public address.")
    var publicURL: String?

    @Option(name: .customLong("trusted-proxies"), help: "Reverse proxies, as addresses or CIDR ranges (\"127.0.0.1,10.0.0.0/8\"), whose X-Forwarded-For or Forwarded header names the client for rate limits (env: PAPERBOY_TRUSTED_PROXIES; default: none, the connecting address counts).")
    var trustedProxies: String?

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which a connection that has not sent a whole request head, or sits idle, is closed (env: PAPERBOY_IDLE_TIMEOUT; default: 30).")
    var idleTimeout: Int?

    @Option(name: .customLong("site-name"), help: "Name shown in the footer and feed titles (env: PAPERBOY_SITE_NAME).")
    var siteName: String?

    @Option(name: .customLong("cache-seconds"), help: "How long rendered pages may be reused; 0 turns the cache off (env: PAPERBOY_CACHE_SECONDS).")
    var cacheSeconds: Double?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env: PAPERBOY_LOG_LEVEL).")
    var logLevel: String?

    @OptionGroup var mail: MailOptions

    @OptionGroup var arxivSync: ArxivSyncOptions

    @Option(name: .customLong("arxiv-api"), help: "arXiv API address for submissions of papers not yet stored, or \"off\" (env: PAPERBOY_ARXIV_API; default: https://export.arxiv.org/api/query).")
    var arxivAPI: String?

    @Option(name: .customLong("digest-hour"), help: "UTC hour (0-23) at which digests go out, or -1 for never (env: PAPERBOY_DIGEST_HOUR; default: 7).")
    var digestHour: Int?

    func run() async throws {
        let environment = ProcessInfo.processInfo.environment
        let host = host ?? environment["PAPERBOY_HOST"] ?? "127.0.0.1"
        let portText = port.map(String.init) ?? environment["PAPERBOY_PORT"] ?? "8080"
        guard let port = Int(portText), (0...65535).contains(port) else {
            throw ValidationError("--port (or PAPERBOY_PORT) must be a number from 0 to 65535, not \"\(portText)\".")
        }
        let levelName = logLevel ?? environment["PAPERBOY_LOG_LEVEL"] ?? "info"
        guard let level = Logger.Level(rawValue: levelName) else { throw ValidationError("unknown log level \(levelName)") }
        var logger = Logger(label: "paperboy.server")
        logger.logLevel = level

        let cacheText = cacheSeconds.map { "\($0)" } ?? environment["PAPERBOY_CACHE_SECONDS"] ?? "2"
        guard let cacheSeconds = Double(cacheText), (0...3600).contains(cacheSeconds) else {
            throw ValidationError("--cache-seconds (or PAPERBOY_CACHE_SECONDS) must be a number from 0 to 3600, not \"\(cacheText)\".")
        }
        // Links (mail, Atom ids, Markdown) come from configuration only, never from a request's Host.
        let site: SiteAddress
        if let url = publicURL ?? environment["PAPERBOY_PUBLIC_URL"] {
            do { site = try SiteAddress(publicURL: url) } catch { throw ValidationError("--public-url (or PAPERBOY_PUBLIC_URL): \(error)") }
        } else {
            site = SiteAddress(listeningOn: host, port: port)
            if IPAddress(host).map({ $0.bytes == [127, 0, 0, 1] || $0.bytes == Array(repeating: 0, count: 15) + [1] }) != true, host != "localhost" {
                logger.warning("--public-url is not set: links in mail and feeds point at \(site.url), which only works where that address does; set --public-url to the address people use")
            }
        }
        let proxies: TrustedProxies
        do { proxies = try TrustedProxies(parsing: trustedProxies ?? environment["PAPERBOY_TRUSTED_PROXIES"] ?? "") } catch { throw ValidationError("\(error)") }
        let store = try await database.openStore()
        var configuration = WebConfiguration(
            siteName: siteName ?? environment["PAPERBOY_SITE_NAME"] ?? "Paperboy", site: site,
            cacheLifetime: .milliseconds(Int(cacheSeconds * 1000)), trustedProxies: proxies)
        let idleText = idleTimeout.map(String.init) ?? environment["PAPERBOY_IDLE_TIMEOUT"] ?? "30"
        guard let idleSeconds = Int(idleText), (1...3600).contains(idleSeconds) else {
            throw ValidationError("--idle-timeout (or PAPERBOY_IDLE_TIMEOUT) is 1 to 3600 seconds, not \"\(idleText)\".")
        }
        configuration.idleTimeoutSeconds = idleSeconds
        let papers = try await store.paperCount()
        if let postgres = store as? PostgresPaperStore {
            let pgvector = try await postgres.pgvectorVersion()
            logger.notice("PostgreSQL: pgvector \(pgvector.map { "\($0) is installed, but" } ?? "is not installed;") semantic search runs from this instance's in-memory index, refreshed from the database every 30 s")
        }
        let semantic = model.semanticIndex(store: store, logger: logger)
        if let semantic {
            let loaded = try await semantic.loadStoredEmbeddings()
            logger.notice("semantic search on: \(loaded) paper embeddings loaded (\(semantic.memoryBytes / 1_048_576) MiB)")
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
            }
        }
        let search = SearchEngine(store: store, semantic: semantic, logger: logger)
        let mailer = TransportSignInMailer(transport: try mail.transport(), from: try mail.sender())
        let keys = try await SecretKeyRing.load(store: store, environmentSecret: environment["PAPERBOY_SECRET"])
        logger.notice("forms and mailed links are signed with \(keys.isFixed ? "PAPERBOY_SECRET" : "the database's key (shared by every instance; paperboy secret rotate makes a new one)")")
        let security = Security(keys: keys, secureCookies: site.isHTTPS)
        let composer = DigestComposer(
            store: store, search: search, resources: try await SiteResources.load(), siteName: configuration.siteName,
            site: site, security: security, from: try mail.sender())
        let hourText = digestHour.map(String.init) ?? environment["PAPERBOY_DIGEST_HOUR"] ?? "7"
        guard let hour = Int(hourText), (-1...23).contains(hour) else {
            throw ValidationError("--digest-hour (or PAPERBOY_DIGEST_HOUR) is 0 to 23, or -1 for never, not \"\(hourText)\".")
        }
        let app = try await buildApplication(
            WebDependencies(
                store: store, search: search, configuration: configuration, security: security, mailer: mailer,
                metadata: metadataSource(environment),
                mailTransport: try mail.transport(), mailFrom: try mail.sender(), digests: composer),
            host: host, port: port, logger: logger
        ) { boundPort in
            // Scripts and end-to-end tests read this line to learn the port.
            let line = "Paperboy listening on http://\(host):\(boundPort) with \(papers) papers from \(database.displayLocation)\n"
            FileHandle.standardOutput.write(Data(line.utf8))
        }
        let sync = try arxivSync.service(store: store, logger: logger)
        var services: [any Service] = [app]
        if let sync { services.append(sync) }
        if let semantic { services.append(EmbeddingRefreshService(index: semantic, logger: logger)) }
        if !keys.isFixed { services.append(SecretRefreshService(keys: keys, store: store, logger: logger)) }
        if hour >= 0 {
            let lease = LeaseKeeper(store: store, name: DigestRunner.leaseName, duration: 180)
            let runner = DigestRunner(store: store, composer: composer, destination: try mail.digestDestination(), lease: lease, logger: logger)
            services.append(DigestService(store: store, runner: runner, lease: lease, hour: hour, messageIDDomain: site.host, logger: logger))
        }
        let group = ServiceGroup(configuration: .init(
            services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
    }
}

/// Embeds papers that arrive while the server runs and picks up embeddings other processes
/// stored (a CLI import), every `interval`.
struct EmbeddingRefreshService: Service {
    let index: SemanticIndex
    let logger: Logger
    var interval: Duration = .seconds(30)

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let embedded = try await index.embedMissing()
                    let loaded = try await index.loadStoredEmbeddings()
                    if embedded + loaded > 0 { logger.info("semantic index: \(embedded) papers embedded, \(loaded) embeddings loaded") }
                } catch {
                    logger.error("semantic index refresh failed: \(error)")
                }
                // Cancelled at shutdown: end quietly, the server is stopping too.
                do { try await Task.sleep(for: interval) } catch { return }
            }
        }
    }
}

/// Rereads the signing keys every minute, so a `paperboy secret rotate` reaches every instance
/// well within the old key's grace period.
struct SecretRefreshService: Service {
    let keys: SecretKeyRing
    let store: any PaperStore
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do { try await Task.sleep(for: .seconds(60)) } catch { return }
                do {
                    try await keys.refresh(store: store)
                } catch {
                    logger.error("rereading the signing keys failed: \(error)")
                }
            }
        }
    }
}

#if os(Linux)
/// glibc's `malloc_trim`, which Swift's Glibc module does not export (it lives in malloc.h).
@_silgen_name("malloc_trim")
private func releaseFreedHeap(_ pad: Int) -> Int32
#endif

/// Plans the digests due today once the configured hour has passed (weekdays: the previous
/// weekday; Mondays also the previous week), then sends what the outbox holds, every minute,
/// so retries go out when their time comes.
extension Serve {
    /// Submissions look unknown ids up on arXiv unless that is turned off.
    func metadataSource(_ environment: [String: String]) -> any PaperMetadataSource {
        let address = arxivAPI ?? environment["PAPERBOY_ARXIV_API"] ?? "https://export.arxiv.org/api/query"
        guard address != "off" else { return LocalOnlyMetadataSource() }
        return ArxivMetadataSource(client: ArxivAPIClient(configuration: .init(baseURL: address)))
    }
}

struct DigestService: Service {
    let store: any PaperStore
    let runner: DigestRunner
    /// Held by one instance at a time; the others skip their rounds until it is free.
    let lease: LeaseKeeper
    let hour: Int
    let messageIDDomain: String
    let logger: Logger

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let now = Date()
                    // Without the lease it is another instance's turn to plan and send.
                    if try await lease.hold(now: now) {
                        let today = Day(containing: now)
                        if now.timeIntervalSince(today.start) >= Double(hour) * 3600 {
                            for period in DigestPeriod.due(on: today) {
                                let planned = try await store.planDigests(period: period, messageIDDomain: messageIDDomain, now: now)
                                if planned > 0 { logger.notice("planned \(planned) \(period.frequency.rawValue) digests for \(period.key)") }
                            }
                        }
                        let summary = try await runner.sendDue()
                        if summary != DigestRunSummary() { logger.notice("\(summary)") }
                    }
                } catch is CancellationError {
                    break
                } catch {
                    logger.error("digest run failed: \(error)")
                }
                do { try await Task.sleep(for: .seconds(60)) } catch { break }
            }
        }
        // Let another instance take over at once rather than when the lease runs out.
        try? await lease.release()
    }
}
