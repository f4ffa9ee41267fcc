import Foundation
import Synchronization

/// At most `count` events per `period`.
public struct RateLimit: Sendable, Equatable {
    public let count: Int
    public let period: Duration

    public init(count: Int, per period: Duration) {
        self.count = count
        self.period = period
    }

    var seconds: Double { period.inSeconds }
}

public enum RateDecision: Sendable, Equatable {
    case allowed
    /// Over the limit; the next event is allowed after this many seconds.
    case limited(retryAfter: TimeInterval)
}

/// Token buckets keyed by string ("vote|user:42"), in memory. Each bucket holds `count` tokens
/// and refills continuously at `count / period`, so bursts up to the limit pass and a steady
/// stream is held to the rate. Buckets that have refilled are dropped now and then (a dropped
/// bucket and a full one answer alike), which bounds memory by the keys active within one period.
public final class RateLimiter: Sendable {
    struct Bucket {
        var tokens: Double
        var updated: Date
        let rate: Double
        let capacity: Double

        func isFull(at now: Date) -> Bool { tokens + max(0, now.timeIntervalSince(updated)) * rate >= capacity }
    }

    struct State {
        var buckets: [String: Bucket] = [:]
        var calls = 0
    }

    let state = Mutex(State())
    /// Above this many keys, prune every 1,000 calls instead of every 10,000.
    let pruneThreshold: Int

    public init(pruneThreshold: Int = 100_000) {
        self.pruneThreshold = pruneThreshold
    }

    public func allow(_ key: String, limit: RateLimit, now: Date) -> RateDecision {
        let rate = Double(limit.count) / max(limit.seconds, 0.001)
        return state.withLock { state in
            state.calls += 1
            if state.calls % (state.buckets.count >= pruneThreshold ? 1_000 : 10_000) == 0 {
                state.buckets = state.buckets.filter { !$0.value.isFull(at: now) }
            }
            var bucket = state.buckets[key] ?? Bucket(tokens: Double(limit.count), updated: now, rate: rate, capacity: Double(limit.count))
            let elapsed = max(0, now.timeIntervalSince(bucket.updated))
            bucket.tokens = min(Double(limit.count), bucket.tokens + elapsed * rate)
            bucket.updated = now
            if bucket.tokens >= 1 {
                bucket.tokens -= 1
                state.buckets[key] = bucket
                return .allowed
            }
            state.buckets[key] = bucket
            return .limited(retryAfter: (1 - bucket.tokens) / rate)
        }
    }

    public var trackedKeys: Int { state.withLock { $0.buckets.count } }
}
