import Dispatch
import PaperboyCore
import PaperboyStore
import Synchronization

/// Values read from the store, remembered until its next write: each is kept under the store's
/// `changeCount` read before its statement ran, so a write that commits meanwhile makes it stale,
/// never wrong, and an older read never replaces newer values. A write by another process (a
/// `paperboy import` into the live file) is not counted, so values also expire after `lifetime`.
/// At most `capacity` values; all are dropped when it is reached.
final class WriteVersionMemo<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var version: UInt64 = .max
        var since: UInt64 = 0
        var values: [Key: Value] = [:]
    }

    private let state = Mutex(State())
    private let lifetime: UInt64
    private let capacity: Int

    init(lifetimeSeconds: UInt64, capacity: Int) {
        lifetime = lifetimeSeconds * 1_000_000_000
        self.capacity = capacity
    }

    func value(for key: Key, version: UInt64) -> Value? {
        state.withLock { current($0, version: version) ? $0.values[key] : nil }
    }

    func keep(_ value: Value, for key: Key, version: UInt64) {
        state.withLock { state in
            // A read that started before a write: its value may be older than the kept ones.
            if state.version != .max, version < state.version { return }
            if !current(state, version: version) || state.values.count >= capacity {
                state = State(version: version, since: DispatchTime.now().uptimeNanoseconds)
            }
            state.values[key] = value
        }
    }

    private func current(_ state: State, version: UInt64) -> Bool {
        state.version == version && DispatchTime.now().uptimeNanoseconds - state.since < lifetime
    }
}

/// How many papers each search term is in (`postings`), and whether a word is in any
/// (`containsWord`), remembered until the store's next write. A fresh search asked the index both
/// for each of its words before ranking: two FTS5 statements a word, about 20 µs each, which
/// are the same for every query that shares the word until something is written. The counts only
/// plan a search (`KeywordPlan`) and pick spelling corrections; the ranking always reads the index.
final class TermCounts: Sendable {
    /// By "cap expression": the cap changes the count.
    let postings = WriteVersionMemo<String, PostingCount>(lifetimeSeconds: 60, capacity: 10_000)
    let words = WriteVersionMemo<String, Bool>(lifetimeSeconds: 60, capacity: 10_000)
}

/// The feed's latest day and each day's neighbours, remembered until the store's next write.
/// Every feed page asked for both, two reads of a few microseconds of SQL each, but about 8% of
/// an uncached daily page each in the read's own cost (a reader from the pool, its queue; perf).
/// Five seconds at most, so a day imported by another process shows within that.
final class FeedDays: Sendable {
    struct Neighbours: Sendable {
        let previous: Day?
        let next: Day?
    }

    let latest = WriteVersionMemo<Int, Day?>(lifetimeSeconds: 5, capacity: 1)
    let neighbours = WriteVersionMemo<Int, Neighbours>(lifetimeSeconds: 5, capacity: 4_096)
}
