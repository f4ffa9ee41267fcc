import Dispatch
import PaperboyStore
import Synchronization

/// How many papers each search term is in (`postings`), and whether a word is in any
/// (`containsWord`), remembered until the store's next write. A fresh search asked the index both
/// for each of its words before ranking: two FTS5 statements a word, about 20 µs each, which
/// are the same for every query that shares the word until something is written.
///
/// Entries are kept under the store's `changeCount` read before their statement ran, so a write
/// that commits meanwhile makes them stale, never wrong. A write by another process (a
/// `paperboy import` into the live file) is not counted: entries also expire after `lifetime`.
/// The counts only plan a search (`KeywordPlan`) and pick spelling corrections; the ranking
/// itself always reads the index.
final class TermCounts: Sendable {
    static let lifetime: UInt64 = 60_000_000_000
    static let capacity = 20_000

    private struct State {
        var version: UInt64 = .max
        var since: UInt64 = 0
        var postings: [String: PostingCount] = [:]
        var words: [String: Bool] = [:]
    }

    private let state = Mutex(State())

    func postings(_ key: String, version: UInt64) -> PostingCount? {
        state.withLock { current($0, version: version) ? $0.postings[key] : nil }
    }

    func word(_ key: String, version: UInt64) -> Bool? {
        state.withLock { current($0, version: version) ? $0.words[key] : nil }
    }

    func keep(_ count: PostingCount, for key: String, version: UInt64) {
        state.withLock { state in
            guard start(&state, version: version) else { return }
            state.postings[key] = count
        }
    }

    func keep(_ contains: Bool, for word: String, version: UInt64) {
        state.withLock { state in
            guard start(&state, version: version) else { return }
            state.words[word] = contains
        }
    }

    private func current(_ state: State, version: UInt64) -> Bool {
        state.version == version && DispatchTime.now().uptimeNanoseconds - state.since < Self.lifetime
    }

    /// Empties the entries when they belong to another version, are too old or too many; false
    /// when `version` is older than the kept one (a read that started before a write).
    private func start(_ state: inout State, version: UInt64) -> Bool {
        if state.version != .max, version < state.version { return false }
        if !current(state, version: version) || state.postings.count + state.words.count >= Self.capacity {
            state = State(version: version, since: DispatchTime.now().uptimeNanoseconds)
        }
        return true
    }
}
