import ArgumentParser
import Foundation
import Logging
import PaperboyApp

struct Serve: AsyncParsableCommand, ConfigurationFlags {
    static let configuration = CommandConfiguration(abstract: "Run the web server until SIGINT or SIGTERM, then shut down gracefully.")

    @OptionGroup var database: DatabaseOptions
    @OptionGroup var model: ModelOptions

    @Option(help: "Address to listen on (env: PAPERBOY_HOST).")
    var host: String?

    @Option(help: "Port to listen on; 0 picks a free one (env: PAPERBOY_PORT).")
    var port: String?

    @Option(name: .customLong("public-url"), help: "The address people reach the site at, for links in mail, feeds and exports (env: PAPERBOY_PUBLIC_URL; default: http://HOST:PORT as listened on). Set it when serving behind a reverse proxy or on a public address.")
    var publicURL: String?

    @Option(name: .customLong("trusted-proxies"), help: "Reverse proxies, as addresses or CIDR ranges (\"127.0.0.1,10.0.0.0/8\"), whose X-Forwarded-For or Forwarded header names the client for rate limits (env: PAPERBOY_TRUSTED_PROXIES; default: none, the connecting address counts).")
    var trustedProxies: String?

    @Option(name: .customLong("idle-timeout"), help: "Seconds after which a connection that has not sent a whole request head, or sits idle, is closed (env: PAPERBOY_IDLE_TIMEOUT; default: 30).")
    var idleTimeout: String?

    @Option(name: .customLong("site-name"), help: "Name shown in the footer and feed titles (env: PAPERBOY_SITE_NAME).")
    var siteName: String?

    @Option(name: .customLong("cache-seconds"), help: "How long rendered pages may be reused; 0 turns the cache off (env: PAPERBOY_CACHE_SECONDS).")
    var cacheSeconds: String?

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical (env: PAPERBOY_LOG_LEVEL).")
    var logLevel: String?

    @Option(name: .customLong("log-format"), help: "text, or json for one JSON object per line (a request's line has request_id, route, status, duration_ms and client) (env: PAPERBOY_LOG_FORMAT; default: text).")
    var logFormat: String?

    @Option(name: .customLong("metrics-port"), help: "Serve Prometheus metrics at /metrics on this port, apart from the site; 0 picks a free one (env: PAPERBOY_METRICS_PORT; default: no metrics).")
    var metricsPort: String?

    @Option(name: .customLong("metrics-host"), help: "Address the metrics port listens on (env: PAPERBOY_METRICS_HOST; default: 127.0.0.1, this machine only).")
    var metricsHost: String?

    @Option(name: .customLong("compression"), help: "on: gzip text for clients that accept it; off: never, e.g. when the proxy compresses (env: PAPERBOY_COMPRESSION; default: on).")
    var compression: String?

    @Option(name: .customLong("otlp-endpoint"), help: "Send each request's trace (route, store, search) by OTLP/HTTP to this OpenTelemetry collector, e.g. http://127.0.0.1:4318 (env: PAPERBOY_OTLP_ENDPOINT; default: no tracing). The standard OTEL_* variables (sampler, service name) apply too.")
    var otlpEndpoint: String?
    @Option(name: .customLong("vector-index"), help: "File for the trained vector index above 100k papers, so a restart loads it instead of training again; \"off\" for none (env: PAPERBOY_VECTOR_INDEX; default: the SQLite database's path plus .vectors, none for PostgreSQL).")
    var vectorIndex: String?

    @OptionGroup var mail: MailOptions

    @OptionGroup var arxivSync: ArxivSyncOptions

    @OptionGroup var enrichment: EnrichmentOptions

    @Option(name: .customLong("arxiv-api"), help: "arXiv API address for submissions of papers not yet stored, or \"off\" (env: PAPERBOY_ARXIV_API; default: https://export.arxiv.org/api/query).")
    var arxivAPI: String?

    @Option(name: .customLong("digest-hour"), help: "UTC hour (0-23) at which digests go out, or -1 for never (env: PAPERBOY_DIGEST_HOUR; default: 7).")
    var digestHour: String?

    var flags: [PaperboyConfiguration.Key: String] {
        given([
            .host: host,
            .port: port,
            .publicURL: publicURL,
            .trustedProxies: trustedProxies,
            .idleTimeout: idleTimeout,
            .siteName: siteName,
            .cacheSeconds: cacheSeconds,
            .logLevel: logLevel,
            .logFormat: logFormat,
            .metricsPort: metricsPort,
            .metricsHost: metricsHost,
            .compression: compression,
            .otlpEndpoint: otlpEndpoint,
            .arxivAPI: arxivAPI,
            .digestHour: digestHour,
            .vectorIndex: vectorIndex,
        ])
    }

    func run() async throws {
        let configuration = try await loadConfiguration(database, model, mail, arxivSync, enrichment, self)
        if configuration.server.logFormat == .json {
            // Before any logger is made: every component's lines, requests' included, become JSON.
            LoggingSystem.bootstrap { label in JSONLogHandler(label: label) }
        }
        let server: PaperboyServer
        do {
            server = try await PaperboyServer.make(configuration, onListening: { host, port, papers in
                // Scripts and end-to-end tests read this line to learn the port.
                let line = "Paperboy listening on http://\(host):\(port) with \(papers) papers from \(configuration.database.display)\n"
                FileHandle.standardOutput.write(Data(line.utf8))
            })
        } catch let error as ConfigurationError {
            throw ValidationError(error.description)
        }
        try await server.run()
    }
}
