import Synchronization

/// The vectors of recently embedded queries, by their exact text. A search page's next page,
/// its mode switch and a digest topic asked again by many subscribers embed the same text;
/// a hit costs a dictionary look-up instead of a forward pass.
final class QueryVectorCache: Sendable {
    private struct Entry {
        let vector: [Float]
        var lastUse: UInt64
    }

    private struct Storage {
        var entries: [String: Entry] = [:]
        var clock: UInt64 = 0
    }

    let capacity: Int
    /// Texts longer than this are not kept: queries are short, and a long text would hold its key for little gain.
    static let longestText = 512
    private let storage = Mutex(Storage())

    init(capacity: Int) {
        self.capacity = max(capacity, 1)
    }

    func vector(for text: String) -> [Float]? {
        storage.withLock { storage in
            guard var entry = storage.entries[text] else { return nil }
            storage.clock &+= 1
            entry.lastUse = storage.clock
            storage.entries[text] = entry
            return entry.vector
        }
    }

    func insert(_ vector: [Float], for text: String) {
        guard text.utf8.count <= Self.longestText else { return }
        storage.withLock { storage in
            storage.clock &+= 1
            storage.entries[text] = Entry(vector: vector, lastUse: storage.clock)
            guard storage.entries.count > capacity else { return }
            // Drop the least recently used quarter at once, so eviction's sort is rare.
            let oldest = storage.entries.sorted { $0.value.lastUse < $1.value.lastUse }.prefix(max(1, capacity / 4))
            for (key, _) in oldest { storage.entries[key] = nil }
        }
    }

    var count: Int { storage.withLock { $0.entries.count } }
}
