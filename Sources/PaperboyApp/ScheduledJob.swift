import Foundation
import Logging
import PaperboyStore
import ServiceLifecycle

/// Background work that runs every `interval` for as long as the server does: the arXiv sync,
/// digests, the embedding refresh, rereading the signing keys. One loop for all of them:
///
/// - with a `lease`, a round runs only on the instance holding it (taken or renewed first), and
///   the lease is given up at shutdown so another instance can take over at once;
/// - a failed round is logged and never stops the server; the next one waits `retryAfterFailure`
///   when that is longer than `interval`;
/// - with `releasingLeaseAfterRound`, the lease is given up after each round, so that another
///   holder (`paperboy digest send` run by hand) can take its turn between rounds;
/// - a graceful shutdown ends the wait between rounds at once.
public struct ScheduledJob: Service {
    public let name: String
    public let interval: Duration
    public let lease: LeaseKeeper?
    public let retryAfterFailure: Duration?
    public let logger: Logger
    /// Waits before the first round (the embedding refresh follows the start-up load).
    public let firstRoundDelay: Duration
    public let releasesLeaseAfterRound: Bool
    /// The clock leases are taken by (the same one the job's work uses).
    let now: @Sendable () -> Date
    let round: @Sendable () async throws -> Void

    public init(
        _ name: String, every interval: Duration, lease: LeaseKeeper? = nil, retryAfterFailure: Duration? = nil,
        firstRoundAfter firstRoundDelay: Duration = .zero, releasingLeaseAfterRound: Bool = false,
        now: @escaping @Sendable () -> Date = Date.init, logger: Logger, round: @escaping @Sendable () async throws -> Void
    ) {
        releasesLeaseAfterRound = releasingLeaseAfterRound
        self.now = now
        self.name = name
        self.interval = interval
        self.lease = lease
        self.retryAfterFailure = retryAfterFailure
        self.firstRoundDelay = firstRoundDelay
        self.logger = logger
        self.round = round
    }

    public func run() async throws {
        await cancelWhenGracefulShutdown {
            var wait = firstRoundDelay
            while !Task.isCancelled {
                if wait > .zero {
                    // Cancelled at shutdown: end quietly, the server is stopping too.
                    do { try await Task.sleep(for: wait) } catch { return }
                }
                wait = interval
                do {
                    if let lease, try await !lease.hold(now: now()) { continue }
                    try await round()
                } catch is CancellationError {
                    return
                } catch {
                    logger.error("\(name) failed: \(error)")
                    if let retryAfterFailure, retryAfterFailure > interval { wait = retryAfterFailure }
                }
                if releasesLeaseAfterRound, let lease {
                    do { try await lease.release() } catch { logger.warning("\(name): could not give up the lease: \(error)") }
                }
            }
        }
        if let lease {
            do { try await lease.release() } catch { logger.warning("\(name): could not give up the lease: \(error)") }
        }
    }
}
