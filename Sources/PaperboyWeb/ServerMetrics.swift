import Foundation
import HTTPTypes
import Hummingbird
import Metrics
import PaperboySearch
import Synchronization

/// The web layer's own measurements, through swift-metrics: nothing is recorded until the
/// application bootstraps a metrics backend (`paperboy serve --metrics-port`), and then they
/// appear on `/metrics`. Labels take a few fixed values only, so the series stay bounded.
enum ServerMetrics {
    private static let cacheHits = Counter(label: "paperboy_page_cache_lookups_total", dimensions: [("result", "hit")])
    private static let cacheMisses = Counter(label: "paperboy_page_cache_lookups_total", dimensions: [("result", "miss")])
    private static let searchTimers: [SearchMode: Metrics.Timer] = Dictionary(uniqueKeysWithValues: SearchMode.allCases.map {
        ($0, Metrics.Timer(label: "paperboy_search_duration_seconds", dimensions: [("mode", $0.rawValue)], preferredDisplayUnit: .seconds))
    })

    static func pageCache(hit: Bool) {
        (hit ? cacheHits : cacheMisses).increment()
    }

    static func search(_ mode: SearchMode, nanoseconds: UInt64) {
        searchTimers[mode]?.recordNanoseconds(nanoseconds)
    }
}

/// Requests by route pattern, method and status, with their durations: what Hummingbird's
/// `MetricsMiddleware` records, without its in-flight gauge (two more atomic loops and a lookup
/// per request) or the closure it attaches to every body. One locked lookup per request.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let handles = RequestMetricHandles()

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            handles.record(route: context.endpointPath, method: request.method, status: response.status.code, since: started)
            return response
        } catch {
            let status = (error as? any HTTPResponseError)?.status.code ?? 500
            handles.record(route: context.endpointPath, method: request.method, status: status, since: started)
            throw error
        }
    }
}

final class RequestMetricHandles: Sendable {
    struct Key: Hashable {
        let route: String
        let method: HTTPRequest.Method
        let status: Int
    }

    struct Handles: Sendable {
        let requests: Counter
        let duration: Metrics.Timer
    }

    private let handles = Mutex<[Key: Handles]>([:])

    func record(route: String?, method: HTTPRequest.Method, status: Int, since started: UInt64) {
        let key = Key(route: route ?? "(none)", method: method, status: status)
        let found = handles.withLock { handles in
            if let found = handles[key] { return found }
            let dimensions = [("http_route", key.route), ("http_request_method", method.rawValue), ("http_response_status_code", String(status))]
            let made = Handles(
                requests: Counter(label: "paperboy_http_requests_total", dimensions: dimensions),
                duration: Metrics.Timer(label: "paperboy_http_request_duration_seconds", dimensions: dimensions, preferredDisplayUnit: .seconds))
            handles[key] = made
            return made
        }
        found.requests.increment()
        found.duration.recordNanoseconds(Int64(DispatchTime.now().uptimeNanoseconds - started))
    }
}
