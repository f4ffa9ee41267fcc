import Foundation
import PaperboyCore

/// Subscriptions and the digest outbox.
public protocol DigestStore: Sendable {
    /// Creates a pending subscription, or returns the existing one for `email`. A pending or
    /// unsubscribed one is set back to pending with the new preferences; an active one is left as is.
    func subscribe(email: String, frequency: DigestFrequency, topics: [String], token: String, now: Date) async throws -> Subscriber
    func subscriber(token: String) async throws -> Subscriber?
    func subscriber(email: String) async throws -> Subscriber?
    /// Every active subscriber of `frequency`, by id.
    func activeSubscribers(frequency: DigestFrequency) async throws -> [Subscriber]
    /// Pending → active; nil for an unknown token.
    func confirmSubscription(token: String, now: Date) async throws -> Subscriber?
    func updatePreferences(token: String, frequency: DigestFrequency, topics: [String]) async throws -> Subscriber?
    func unsubscribe(token: String, now: Date) async throws -> Subscriber?

    /// Adds an outbox row for every active subscriber of `period`'s frequency that has none;
    /// returns how many were added. Safe to repeat.
    func planDigests(period: DigestPeriod, messageIDDomain: String, now: Date) async throws -> Int
    /// Marks the next due row `sending` and returns it: pending rows whose time has come, and
    /// rows left `sending` by a sender that died (they are resent with the same Message-ID).
    func claimNextDelivery(now: Date) async throws -> DigestDelivery?
    func markSent(subscriberID: Int64, period: String, now: Date) async throws
    /// Back to pending after `retryAt`, or `failed` when `giveUp`.
    func markRetry(subscriberID: Int64, period: String, error: String, retryAt: Date, giveUp: Bool) async throws
    /// A permanent refusal: the row is `bounced` and the subscriber's bounce count grows; after
    /// three the subscriber is `bounced` and gets no more mail.
    func markBounced(subscriberID: Int64, period: String, error: String) async throws
    /// Counts of outbox rows by status for `period`.
    func outboxCounts(period: String) async throws -> [String: Int]
}
