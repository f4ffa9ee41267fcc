import Logging
import OTel
import ServiceLifecycle
import Synchronization
import Tracing

/// Optional OpenTelemetry tracing (`--otlp-endpoint`): each request's span, with the search
/// engine's and the store's spans under it, goes by OTLP/HTTP (protobuf) to the operator's
/// collector (the OpenTelemetry Collector, Jaeger, Tempo…). Off by default: without an endpoint
/// no tracer is installed, and the `withSpan` calls in the search engine and the stores cost a
/// task-local read each.
public enum RequestTracing {
    /// swift-distributed-tracing allows one tracer per process; tests start several servers in
    /// one, so the first server with an endpoint installs it and runs its exporter.
    private static let installed = Mutex<String?>(nil)

    /// Installs the tracer for `endpoint` and returns the exporter's service, which the server
    /// runs with its others (it flushes the last spans at shutdown). Nil when this process already
    /// has a tracer (the same endpoint is kept; another one is refused).
    static func install(endpoint: String, logger: Logger) throws -> (any Service)? {
        try installed.withLock { current -> (any Service)? in
            if let current {
                guard current == endpoint else {
                    throw ConfigurationError("this process already sends traces to \(current); one tracer per process")
                }
                return nil
            }
            var configuration = OTel.Configuration.default
            configuration.serviceName = "paperboy"
            configuration.diagnosticLogger = .custom(logger)
            configuration.diagnosticLogLevel = .warning
            configuration.logs.enabled = false
            configuration.metrics.enabled = false
            configuration.traces.enabled = true
            configuration.traces.exporter = .otlp
            // An explicit endpoint is used as given, so name the traces path of the OTLP/HTTP
            // base address, as OTEL_EXPORTER_OTLP_ENDPOINT does.
            configuration.traces.otlpExporter.endpoint = endpoint.hasSuffix("/v1/traces")
                ? endpoint : (endpoint.hasSuffix("/") ? endpoint + "v1/traces" : endpoint + "/v1/traces")
            configuration.traces.otlpExporter.protocol = .httpProtobuf
            // The batch processor's queue is bounded (2,048 spans): while the collector is away,
            // spans are dropped, never held without limit or waited for by requests.
            let backend = try OTel.makeTracingBackend(configuration: configuration)
            InstrumentationSystem.bootstrap(backend.factory)
            current = endpoint
            logger.notice("tracing: requests' spans go to \(configuration.traces.otlpExporter.endpoint) (OTLP/HTTP)")
            return backend.service
        }
    }
}
