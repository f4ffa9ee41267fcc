import Foundation
import Hummingbird
import Logging
import Metrics
import NIOCore
import PaperboyStore
import Prometheus
import ServiceLifecycle
import Synchronization

/// The Prometheus backend for swift-metrics: one per process, made the first time a server with a
/// metrics port starts (swift-metrics allows one bootstrap), and shared by every server the
/// process runs (tests start several).
public enum PrometheusMetrics {
    public static let registry: PrometheusCollectorRegistry = {
        let registry = PrometheusCollectorRegistry()
        var factory = PrometheusMetricsFactory(registry: registry)
        // Pages from the cache answer in well under a millisecond; searches take tens.
        factory.defaultDurationHistogramBuckets = [
            .microseconds(250), .microseconds(500), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
            .milliseconds(25), .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500), .seconds(1),
            .milliseconds(2500), .seconds(5), .seconds(10),
        ]
        MetricsSystem.bootstrap(factory)
        return registry
    }()

    /// The registry in the Prometheus text exposition format.
    public static func exposition() -> ByteBuffer {
        ByteBuffer(bytes: registry.emitToBuffer())
    }
}

/// What the server's background jobs record for `/metrics`.
enum OperationsMetrics {
    static func vectorIndex(papers: Int, bytes: Int) {
        Gauge(label: "paperboy_vector_index_papers").record(papers)
        Gauge(label: "paperboy_vector_index_bytes").record(bytes)
    }

    static func arxivSyncSucceeded(at date: Date, new: Int, updated: Int, unchanged: Int, skipped: Int) {
        Gauge(label: "paperboy_arxiv_sync_last_success_timestamp_seconds").record(date.timeIntervalSince1970)
        for (result, count) in [("new", new), ("updated", updated), ("unchanged", unchanged), ("skipped", skipped)] where count > 0 {
            Counter(label: "paperboy_ingested_records_total", dimensions: [("source", "arxiv_sync"), ("result", result)]).increment(by: count)
        }
    }

    static func arxivSyncFailed() {
        Counter(label: "paperboy_arxiv_sync_failures_total").increment()
    }

    /// The store's connections at the moment of a scrape.
    static func pool(_ usage: StorePoolUsage) {
        for (state, count) in [("in_use", usage.inUse), ("idle", usage.idle)] {
            Gauge(label: "paperboy_store_pool_connections", dimensions: [("store", usage.store), ("state", state)]).record(count)
        }
        Gauge(label: "paperboy_store_pool_waiting", dimensions: [("store", usage.store)]).record(usage.waiting)
        Gauge(label: "paperboy_store_pool_max_connections", dimensions: [("store", usage.store)]).record(usage.limit)
    }

    static func digests(sent: Int, retrying: Int, bounced: Int, failed: Int) {
        for (result, count) in [("sent", sent), ("retrying", retrying), ("bounced", bounced), ("failed", failed)] where count > 0 {
            Counter(label: "paperboy_digests_total", dimensions: [("result", result)]).increment(by: count)
        }
    }
}

/// `/metrics` on its own listener (`--metrics-port`, on `--metrics-host`, loopback by default),
/// never on the public port: what the server counts (routes, timings, cache and store behaviour)
/// is for the operator's Prometheus, and a separate port keeps it off the reverse proxy without
/// a token to configure, leak or rotate.
final class MetricsEndpoint: Sendable {
    /// The port the listener was bound to (useful with port 0), once it is.
    let boundPort = Mutex<Int?>(nil)

    func application(host: String, port: Int, store: any PaperStore, logger: Logger) -> some Service {
        let router = Router()
        router.get("/metrics") { _, _ in
            // Gauges of the moment are read when Prometheus asks, not kept up to date per statement.
            if let usage = store.poolUsage { OperationsMetrics.pool(usage) }
            return Response(
                status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8", .cacheControl: "no-store"],
                body: ResponseBody(byteBuffer: PrometheusMetrics.exposition()))
        }
        return Application(
            router: router,
            configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "Paperboy metrics"),
            onServerRunning: { channel in
                let port = channel.localAddress?.port ?? port
                self.boundPort.withLock { $0 = port }
                logger.notice("metrics on http://\(host.contains(":") ? "[\(host)]" : host):\(port)/metrics")
            },
            logger: logger)
    }
}

/// `--log-format json`: each log entry as one JSON object on one line of standard error, for log
/// shippers (journald, Loki, Vector). The request id's key is `request_id`; other metadata keeps
/// its name.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level = .info
    let label: String
    private static let output = Mutex(())

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var fields: [String: String] = [:]
        for (key, value) in metadata.merging(event.metadata ?? [:], uniquingKeysWith: { $1 }) {
            fields[key == "hb.request.id" ? "request_id" : key] = "\(value)"
        }
        let line = Self.line(
            time: Date(), level: event.level, label: label, message: "\(event.message)", fields: fields)
        Self.output.withLock { _ in FileHandle.standardError.write(Data(line.utf8)) }
    }

    /// One object, keys sorted after the fixed ones, ending in a newline.
    static func line(time: Date, level: Logger.Level, label: String, message: String, fields: [String: String]) -> String {
        var text = "{\"time\":\(quoted(timestamp(time))),\"level\":\(quoted(level.rawValue)),\"label\":\(quoted(label)),\"message\":\(quoted(message))"
        for key in fields.keys.sorted() where !["time", "level", "label", "message"].contains(key) {
            text += ",\(quoted(key)):\(quoted(fields[key] ?? ""))"
        }
        return text + "}\n"
    }

    static func timestamp(_ date: Date) -> String {
        Date.ISO8601FormatStyle(includingFractionalSeconds: true).format(date)
    }

    /// A JSON string: quotes, backslashes and control characters escaped, so a hostile path or
    /// header cannot break the line in two.
    static func quoted(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += "\\n"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case _ where scalar.value < 0x20 || scalar.value == 0x2028 || scalar.value == 0x2029:
                result += String(format: "\\u%04x", scalar.value)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }
}
