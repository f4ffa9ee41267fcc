import Foundation

/// How often a subscriber hears from us.
public enum DigestFrequency: String, Sendable, Codable, CaseIterable {
    /// Monday to Friday, each covering the previous weekday's feed.
    case daily
    /// Mondays, covering the previous ISO week.
    case weekly
}

/// The stretch of feed one digest covers: a day (`2026-11-23`) or an ISO week (`2026-W47`).
public struct DigestPeriod: Sendable, Hashable, CustomStringConvertible {
    public let feed: FeedPeriod
    public let frequency: DigestFrequency

    public init(day: Day) {
        feed = .day(day)
        frequency = .daily
    }

    public init(weekContaining day: Day) {
        feed = .week(containing: day)
        frequency = .weekly
    }

    /// `2026-11-23` (daily) or `2026-W47` (weekly).
    public init?(_ text: String) {
        if let day = Day(iso: text) {
            self.init(day: day)
        } else if let week = FeedPeriod.week(iso: text) {
            self.init(weekContaining: week.days.lowerBound)
        } else {
            return nil
        }
    }

    public var key: String { feed.description }

    public var description: String { key }

    /// The digests due on `day`: the previous weekday's on weekdays, the previous week's on Mondays.
    public static func due(on day: Day) -> [DigestPeriod] {
        let weekday = day.isoWeekday
        guard weekday <= 5 else { return [] }
        var periods = [DigestPeriod(day: day.adding(days: weekday == 1 ? -3 : -1))]
        if weekday == 1 { periods.append(DigestPeriod(weekContaining: day.adding(days: -7))) }
        return periods
    }
}

/// Saved searches a subscriber follows ("diffusion", "author:Hinton", a sentence of interest).
public enum DigestTopics {
    public static let maximumCount = 10
    public static let maximumLength = 200

    /// One topic per line or comma; blank ones dropped; control characters refused.
    public static func parse(_ text: String) throws(AccountInputError) -> [String] {
        guard !text.unicodeScalars.contains(where: { $0.value < 0x20 && $0 != "\n" && $0 != "\r" && $0 != "\t" || $0.value == 0x7F }) else {
            throw .badEmail("topics cannot contain control characters")
        }
        let topics = text.split(whereSeparator: { $0 == "\n" || $0 == "\r\n" || $0 == "," || $0 == "\r" })
            .map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
        return try validate(topics)
    }

    public static func validate(_ topics: [String]) throws(AccountInputError) -> [String] {
        guard topics.count <= maximumCount else { throw .badEmail("at most \(maximumCount) topics") }
        for topic in topics {
            guard topic.count <= maximumLength else { throw .badEmail("a topic has at most \(maximumLength) characters") }
            guard !topic.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) else {
                throw .badEmail("topics cannot contain line breaks or control characters")
            }
        }
        var seen = Set<String>()
        return topics.filter { seen.insert($0.lowercased()).inserted }
    }
}

public struct Subscriber: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, active, unsubscribed, bounced }

    public var id: Int64
    public var email: String
    public var frequency: DigestFrequency
    public var topics: [String]
    public var status: Status
    /// Random and unguessable: the key in every signed link of this subscriber's mail.
    public var token: String

    public init(id: Int64, email: String, frequency: DigestFrequency, topics: [String], status: Status, token: String) {
        self.id = id
        self.email = email
        self.frequency = frequency
        self.topics = topics
        self.status = status
        self.token = token
    }
}

/// One (subscriber, period) row of the outbox.
public struct DigestDelivery: Sendable, Equatable {
    public enum Status: String, Sendable { case pending, sending, sent, failed, bounced }

    public var subscriber: Subscriber
    public var period: String
    public var status: Status
    public var attempts: Int
    /// Fixed when the row is made, so a message resent after a crash has the same id.
    public var messageID: String

    public init(subscriber: Subscriber, period: String, status: Status, attempts: Int, messageID: String) {
        self.subscriber = subscriber
        self.period = period
        self.status = status
        self.attempts = attempts
        self.messageID = messageID
    }
}
