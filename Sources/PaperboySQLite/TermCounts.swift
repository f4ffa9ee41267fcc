import PaperboyCore
import PaperboyStore

/// Values read from the store, remembered until its next write: `VersionMemo` under the store's
/// `changeCount`, which a write by another process (a `paperboy import` into the live file) does
/// not move, so every use gives its values a lifetime.
typealias WriteVersionMemo<Key: Hashable & Sendable, Value: Sendable> = VersionMemo<UInt64, Key, Value>

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
