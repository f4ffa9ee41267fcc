import Foundation
import Logging
import PaperboyCore
import PaperboyStore

/// Builds one subscriber's digest; the web module implements it with the site's templates.
public protocol DigestComposing: Sendable {
    /// The message, or nil when the period has nothing to send.
    func message(for subscriber: Subscriber, period: DigestPeriod) async throws -> MailMessage?
}

/// Where digests go: SMTP (one connection for a whole run) or any other transport.
public enum DigestDestination: Sendable {
    case smtp(SMTPConfiguration)
    case transport(any MailTransport)
}

public struct DigestRunSummary: Sendable, Equatable, CustomStringConvertible {
    public var sent = 0
    public var retrying = 0
    public var bounced = 0
    public var failed = 0
    public var empty = 0

    public init() {}

    public var description: String {
        "digests: sent \(sent), retrying \(retrying), bounced \(bounced), failed \(failed), nothing to send \(empty)"
    }
}

/// Sends planned digests from the outbox, exactly one per (subscriber, period):
/// - a row is marked `sending` before its message goes out and `sent` as soon as the server
///   accepts it; a sender that dies in between leaves the row `sending`, and the next run
///   sends it again with the same Message-ID (a server that had accepted it, and mail
///   providers, treat that as the same message);
/// - 4xx replies and lost connections are retried with exponential backoff (1, 2, 4 … minutes,
///   at most six hours, eight attempts); 5xx replies are recorded as bounces, never retried.
///
/// With several instances on one database, only the holder of the `digests` lease sends
/// (`lease`), renewing it between messages; a `sending` row is then always a dead sender's.
public struct DigestRunner: Sendable {
    let store: any DigestStore
    let composer: any DigestComposing
    let destination: DigestDestination
    let lease: LeaseKeeper?
    let now: @Sendable () -> Date
    let logger: Logger
    public static let maximumAttempts = 8
    /// The lease every digest sender (servers, `paperboy digest send`) takes.
    public static let leaseName = "digests"

    public init(store: any DigestStore, composer: any DigestComposing, destination: DigestDestination, lease: LeaseKeeper? = nil,
                now: @escaping @Sendable () -> Date = Date.init, logger: Logger = Logger(label: "paperboy.digest")) {
        self.store = store
        self.composer = composer
        self.destination = destination
        self.lease = lease
        self.now = now
        self.logger = logger
    }

    /// The next due row, if this process still holds the lease.
    func claim() async throws -> DigestDelivery? {
        if let lease, try await !lease.hold(now: now()) {
            logger.warning("stopped sending digests: another instance holds the \(Self.leaseName) lease")
            return nil
        }
        return try await store.claimNextDelivery(now: now())
    }

    static func retryDelay(afterAttempt attempt: Int) -> TimeInterval {
        min(6 * 3600, 60 * pow(2, Double(max(0, attempt - 1))))
    }

    /// Sends every due row; returns what happened.
    public func sendDue() async throws -> DigestRunSummary {
        var summary = DigestRunSummary()
        switch destination {
        case .transport(let transport):
            while let item = try await claim() {
                try await deliver(item, summary: &summary) { text, from, to in try await transport.sendRendered(text, from: from, to: to) }
            }
        case .smtp(let configuration):
            // One connection for the run; a lost connection ends it and the next one takes over.
            var pending = try await claim()
            while let first = pending {
                var current: DigestDelivery? = first
                do {
                    try await SMTPClient.withSession(configuration) { session in
                        while let item = current {
                            try await deliver(item, summary: &summary) { text, from, to in _ = try await session.send(text, from: from, to: to) }
                            current = try await claim()
                        }
                    }
                    pending = nil
                } catch let error as SMTPError where error.isTemporary {
                    // The connection failed before or between messages: `current` is still claimed.
                    if let item = current { try await retry(item, error: "\(error)", summary: &summary) }
                    logger.warning("SMTP connection lost; continuing with a new one", metadata: ["error": "\(error)"])
                    pending = try await claim()
                }
            }
        }
        return summary
    }

    /// Composes and sends one row, recording the outcome. Connection-level failures propagate
    /// (the caller reconnects); refusals of this one message do not.
    func deliver(
        _ item: DigestDelivery, summary: inout DigestRunSummary,
        send: (String, String, String) async throws -> Void
    ) async throws {
        guard let period = DigestPeriod(item.period), item.subscriber.status == .active else {
            try await store.markRetry(subscriberID: item.subscriber.id, period: item.period, error: "subscriber is \(item.subscriber.status.rawValue)", retryAt: now(), giveUp: true)
            summary.failed += 1
            return
        }
        let composed: MailMessage?
        do {
            composed = try await composer.message(for: item.subscriber, period: period)
        } catch let error as MailError {
            // An address this sender cannot mail (not ASCII): give up on this subscriber, not on the run.
            try await store.markRetry(subscriberID: item.subscriber.id, period: item.period, error: "\(error)", retryAt: now(), giveUp: true)
            summary.failed += 1
            return
        }
        guard let message = composed else {
            try await store.markRetry(subscriberID: item.subscriber.id, period: item.period, error: "nothing to send for this period", retryAt: now(), giveUp: true)
            summary.empty += 1
            return
        }
        let rendered: String
        do {
            rendered = try message.render(date: now(), messageID: item.messageID)
        } catch {
            try await store.markRetry(subscriberID: item.subscriber.id, period: item.period, error: "\(error)", retryAt: now(), giveUp: true)
            summary.failed += 1
            return
        }
        do {
            try await send(rendered, message.from.address, message.to.address)
        } catch let error as SMTPError {
            switch error {
            case .permanent:
                try await store.markBounced(subscriberID: item.subscriber.id, period: item.period, error: "\(error)")
                summary.bounced += 1
                logger.notice("digest bounced", metadata: ["to": "\(item.subscriber.email)", "error": "\(error)"])
                return
            case .temporary:
                try await retry(item, error: "\(error)", summary: &summary)
                return
            case .connection, .timeout, .protocolViolation, .configuration:
                throw error
            }
        }
        try await store.markSent(subscriberID: item.subscriber.id, period: item.period, now: now())
        summary.sent += 1
    }

    func retry(_ item: DigestDelivery, error: String, summary: inout DigestRunSummary) async throws {
        let giveUp = item.attempts >= Self.maximumAttempts
        try await store.markRetry(
            subscriberID: item.subscriber.id, period: item.period, error: error,
            retryAt: now().addingTimeInterval(Self.retryDelay(afterAttempt: item.attempts)), giveUp: giveUp)
        if giveUp { summary.failed += 1 } else { summary.retrying += 1 }
    }
}
