import Dispatch
import Synchronization

/// Values computed from a store, remembered while the store stays at one `Version`: each is kept
/// under the version read before it was computed, so a change that lands meanwhile makes it
/// stale, never wrong, and a value read at an older version never replaces newer ones. Versions
/// that do not see every writer (the SQLite store's own write count misses another process's
/// import) also let values expire after `lifetimeSeconds`. At most `capacity` values; all are
/// dropped when it is reached.
public final class VersionMemo<Version: Comparable & Sendable, Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct State {
        var version: Version?
        var since: UInt64 = 0
        var values: [Key: Value] = [:]
    }

    private let state = Mutex(State())
    /// Nanoseconds; nil: values last as long as their version.
    private let lifetime: UInt64?
    private let capacity: Int

    public init(lifetimeSeconds: UInt64?, capacity: Int) {
        lifetime = lifetimeSeconds.map { $0 * 1_000_000_000 }
        self.capacity = capacity
    }

    public func value(for key: Key, version: Version) -> Value? {
        state.withLock { current($0, version: version) ? $0.values[key] : nil }
    }

    public func keep(_ value: Value, for key: Key, version: Version) {
        state.withLock { state in
            // Read before a change: the value may be older than the kept ones.
            if let kept = state.version, version < kept { return }
            if !current(state, version: version) || state.values.count >= capacity {
                state = State(version: version, since: DispatchTime.now().uptimeNanoseconds)
            }
            state.values[key] = value
        }
    }

    private func current(_ state: State, version: Version) -> Bool {
        guard state.version == version else { return false }
        guard let lifetime else { return true }
        return DispatchTime.now().uptimeNanoseconds - state.since < lifetime
    }
}
