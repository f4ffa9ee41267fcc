import Foundation
import Hummingbird
import PaperboyStore

/// Keeps rendered GET responses for a short time so a busy feed is rendered once, not per request.
///
/// An entry is fresh while it is younger than `lifetime` and the store has not been written through
/// this process since it was made; writes from elsewhere (a CLI import, another instance) show up
/// within `lifetime`. When an entry only aged out, one request renders it again while the others
/// are served the previous copy, so a popular page is never rendered by every connection at once.
/// After a write through this process nobody gets the old copy. Only 200 responses are kept.
///
/// Anyone can send any URL, so the cache must not grow with them: a page is keyed on its path and
/// only the query parameters its route reads, decoded and in a fixed order (`?x=1` and `?p=00`
/// do not make new entries), and the entries together hold at most `maxBytes`; past that the
/// oldest go first.
final class PageCache: @unchecked Sendable {
    struct Entry {
        let page: Page
        let madeAt: UInt64
        let storeVersion: UInt64
        let bytes: Int
        var refreshing = false
    }

    let lifetimeNanoseconds: UInt64
    let maxBytes: Int
    let store: any PaperStore
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]
    private var bytes = 0

    /// The wall clock for `Last-Modified`; freshness uses the monotonic clock.
    let now: @Sendable () -> Date

    /// Whether kept pages get a gzip form (off when `--compression off`).
    let compresses: Bool

    init(
        store: any PaperStore, lifetime: Duration, maxBytes: Int = 64 << 20, compresses: Bool = true,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.store = store
        self.compresses = compresses
        self.now = now
        let (seconds, attoseconds) = lifetime.components
        lifetimeNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.maxBytes = maxBytes
    }

    /// What the cache holds now, for tests and metrics.
    var usage: (entries: Int, bytes: Int) { lock.withLock { (entries.count, bytes) } }

    /// The key for `request` on a route that reads `parameters`, or nil when a parameter is not
    /// valid percent-encoding (the route answers 400, which is not kept anyway).
    static func key(for request: Request, parameters: [String]) -> String? {
        var key = request.uri.path
        guard !parameters.isEmpty else { return key }
        let query = QueryParameters(request)
        for name in parameters.sorted() {
            guard !query.malformed.contains(name) else { return nil }
            guard let value = query.values[name], !value.isEmpty else { continue }
            // Numbers in one spelling: p=007 and p=7 are one page.
            let normalised = Int(value).map(String.init) ?? value
            key += "&\(name)=\(normalised.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")"
        }
        return key
    }

    /// The cached page for `request`, or the one `make` renders (kept when it is a 200).
    /// `parameters`: the query parameters the route reads; any others do not change the page.
    func page(for request: Request, parameters: [String] = [], make: () async throws -> Page) async throws -> Page {
        try await QueryParameters.$declaredForCache.withValue(Set(parameters)) {
            try await cachedPage(for: request, parameters: parameters, make: make)
        }
    }

    private func cachedPage(for request: Request, parameters: [String], make: () async throws -> Page) async throws -> Page {
        // Signed-in pages carry a name, vote buttons and form tokens: never shared.
        guard lifetimeNanoseconds > 0, Viewer.current == nil, let key = Self.key(for: request, parameters: parameters) else {
            return try await make()
        }
        let version = store.changeCount
        let cached: Page? = lock.withLock {
            guard var entry = entries[key], entry.storeVersion == version else { return nil }
            if DispatchTime.now().uptimeNanoseconds - entry.madeAt < lifetimeNanoseconds { return entry.page }
            if entry.refreshing { return entry.page }
            entry.refreshing = true
            entries[key] = entry
            return nil
        }
        if let cached {
            ServerMetrics.pageCache(hit: true)
            return cached
        }
        ServerMetrics.pageCache(hit: false)

        var page: Page
        do {
            page = try await make()
        } catch {
            lock.withLock { entries[key]?.refreshing = false }
            throw error
        }
        guard page.status == .ok else {
            lock.withLock { entries[key]?.refreshing = false }
            return page
        }
        // Hashed and compressed here, once for every request the entry answers. Content that
        // did not change keeps the time it first appeared, so If-Modified-Since still matches.
        let previous = lock.withLock { entries[key]?.page.representations }
        let etag = PageRepresentations.etag(of: page.body)
        if let previous, previous.etag == etag {
            page.representations = previous
        } else {
            page.representations = PageRepresentations(
                body: page.body, contentType: page.contentType, etag: etag, lastModified: now(), compress: compresses)
        }
        // The body, its gzip form, the key and the bookkeeping around them.
        let size = page.body.readableBytes + (page.representations?.gzipped?.readableBytes ?? 0) + key.utf8.count + 256
        let kept = page
        lock.withLock {
            guard size <= maxBytes / 8 else {
                entries[key]?.refreshing = false
                return
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if let old = entries.removeValue(forKey: key) { bytes -= old.bytes }
            if bytes + size > maxBytes { evict(toFit: size, version: version, now: now) }
            entries[key] = Entry(page: kept, madeAt: now, storeVersion: version, bytes: size)
            bytes += size
        }
        return page
    }

    /// Drops stale entries, then the oldest, until `size` more bytes fit in three quarters of the
    /// budget (so a full cache is not swept on every new page). Called with the lock held.
    private func evict(toFit size: Int, version: UInt64, now: UInt64) {
        for (key, entry) in entries where entry.storeVersion != version || now - entry.madeAt >= lifetimeNanoseconds {
            entries.removeValue(forKey: key)
            bytes -= entry.bytes
        }
        let target = maxBytes * 3 / 4 - size
        guard bytes > target else { return }
        for (key, entry) in entries.sorted(by: { $0.value.madeAt < $1.value.madeAt }) {
            entries.removeValue(forKey: key)
            bytes -= entry.bytes
            if bytes <= target { break }
        }
    }
}
