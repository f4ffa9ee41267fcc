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
final class PageCache: @unchecked Sendable {
    struct Entry {
        let page: Page
        let madeAt: UInt64
        let storeVersion: UInt64
        var refreshing = false
    }

    let lifetimeNanoseconds: UInt64
    let maxEntries: Int
    let store: any PaperStore
    private let lock = NSLock()
    private var entries: [String: Entry] = [:]

    init(store: any PaperStore, lifetime: Duration, maxEntries: Int = 2_000) {
        self.store = store
        let (seconds, attoseconds) = lifetime.components
        lifetimeNanoseconds = UInt64(max(0, seconds)) * 1_000_000_000 + UInt64(max(0, attoseconds) / 1_000_000_000)
        self.maxEntries = maxEntries
    }

    /// The cached page for `request`, or the one `make` renders (kept when it is a 200).
    func page(for request: Request, make: () async throws -> Page) async throws -> Page {
        // Signed-in pages carry a name, vote buttons and form tokens: never shared.
        guard lifetimeNanoseconds > 0, Viewer.current == nil else { return try await make() }
        // The authority is part of the key: absolute links may come from the Host header.
        let key = "\(request.head.authority ?? "")\(request.uri)"
        let version = store.changeCount
        let cached: Page? = lock.withLock {
            guard var entry = entries[key], entry.storeVersion == version else { return nil }
            if DispatchTime.now().uptimeNanoseconds - entry.madeAt < lifetimeNanoseconds { return entry.page }
            if entry.refreshing { return entry.page }
            entry.refreshing = true
            entries[key] = entry
            return nil
        }
        if let cached { return cached }

        let page: Page
        do {
            page = try await make()
        } catch {
            lock.withLock { entries[key]?.refreshing = false }
            throw error
        }
        lock.withLock {
            guard page.status == .ok else {
                entries[key]?.refreshing = false
                return
            }
            let now = DispatchTime.now().uptimeNanoseconds
            if entries.count >= maxEntries {
                entries = entries.filter { $0.value.storeVersion == version && now - $0.value.madeAt < lifetimeNanoseconds }
                if entries.count >= maxEntries { entries.removeAll(keepingCapacity: true) }
            }
            entries[key] = Entry(page: page, madeAt: now, storeVersion: version)
        }
        return page
    }
}
