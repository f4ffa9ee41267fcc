import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// What several Paperboy instances on one database use to agree: leases, so that a scheduled
/// job (the digest sender, the arXiv sync) runs on one instance at a time, and small named
/// values that such a job keeps between runs wherever it runs next.
public protocol CoordinationStore: Sendable {
    /// Takes or renews the lease `name` for `holder` until `now + duration`. True when `holder`
    /// holds it afterwards: it was free, expired, already `holder`'s, or `replacing`'s (a holder
    /// known to be dead).
    func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date, replacing: String?) async throws -> Bool

    /// Gives the lease up if `holder` has it, so another instance can take it at once.
    func releaseLease(_ name: String, holder: String) async throws

    /// The current holder of an unexpired lease.
    func leaseHolder(_ name: String, now: Date) async throws -> String?

    func serviceState(_ name: String) async throws -> String?

    func setServiceState(_ name: String, value: String, now: Date) async throws

    /// The value of `name`, storing `value` first when there is none. Of several instances that
    /// call this at once on an empty database, all get the same value: the one stored first.
    func initialServiceState(_ name: String, value: String, now: Date) async throws -> String
}

/// One instance's hold on a lease: renewed when a third of its time has passed, taken over at
/// once from a holder on the same host whose process is gone (a crash or `kill -9`), otherwise
/// only after it expires.
public actor LeaseKeeper {
    let store: any CoordinationStore
    public let name: String
    /// `host/pid/nonce`: unique per process, and tells a same-host successor whom to check.
    public let holder: String
    let duration: TimeInterval
    var renewedAt: Date?

    public init(store: any CoordinationStore, name: String, duration: TimeInterval) {
        self.store = store
        self.name = name
        self.duration = duration
        holder = "\(ProcessInfo.processInfo.hostName)/\(ProcessInfo.processInfo.processIdentifier)/\(UUID().uuidString.prefix(8))"
    }

    /// Whether this process holds the lease now (taking or renewing it as needed).
    public func hold(now: Date = Date()) async throws -> Bool {
        if let renewedAt, now.timeIntervalSince(renewedAt) < duration / 3 { return true }
        var held = try await store.acquireLease(name, holder: holder, duration: duration, now: now, replacing: nil)
        if !held, let current = try await store.leaseHolder(name, now: now), Self.isDeadLocalProcess(current) {
            held = try await store.acquireLease(name, holder: holder, duration: duration, now: now, replacing: current)
        }
        renewedAt = held ? now : nil
        return held
    }

    /// Waits (polling every `interval`) until the lease is held or `timeout` passes.
    public func wait(timeout: Duration, interval: Duration = .seconds(1)) async throws -> Bool {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            if try await hold() { return true }
            guard ContinuousClock.now < deadline else { return false }
            try await Task.sleep(for: interval)
        }
    }

    public func release() async throws {
        renewedAt = nil
        try await store.releaseLease(name, holder: holder)
    }

    /// True for `host/pid/…` on this host when no process `pid` exists.
    static func isDeadLocalProcess(_ holder: String) -> Bool {
        let parts = holder.split(separator: "/")
        guard parts.count == 3, parts[0] == ProcessInfo.processInfo.hostName, let pid = Int32(parts[1]), pid > 0 else { return false }
        return kill(pid, 0) == -1 && errno == ESRCH
    }
}
