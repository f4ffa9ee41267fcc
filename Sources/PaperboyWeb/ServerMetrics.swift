import Foundation
import Metrics
import PaperboySearch

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
