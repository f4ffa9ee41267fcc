import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    static let subscriberColumns = "subscriber.id, subscriber.email, subscriber.frequency, subscriber.topics, subscriber.status, subscriber.token"

    static func subscriber(from row: PostgresRow) throws -> Subscriber {
        let (id, email, frequency, topics, status, token) = try row.decode((Int64, String, String, [String], String, String).self)
        return Subscriber(
            id: id, email: email, frequency: DigestFrequency(rawValue: frequency) ?? .daily, topics: topics,
            status: Subscriber.Status(rawValue: status) ?? .pending, token: token)
    }

    static func subscriber(token: String, _ connection: PostgresConnection, _ logger: Logger) async throws -> Subscriber? {
        try await connection.query("SELECT \(unescaped: subscriberColumns) FROM subscriber WHERE token = \(token)", logger: logger)
            .collect().first.map(subscriber)
    }

    public func subscribe(email: String, frequency: DigestFrequency, topics: [String], token: String, now: Date) async throws -> Subscriber {
        do {
            return try await subscribeOnce(email: email, frequency: frequency, topics: topics, token: token, now: now)
        } catch let error as PostgresStoreError where Self.violatedConstraint(error) == "subscriber_email_key" {
            // The same address subscribed at the same moment and won; now there is a row to find.
            return try await subscribeOnce(email: email, frequency: frequency, topics: topics, token: token, now: now)
        }
    }

    func subscribeOnce(email: String, frequency: DigestFrequency, topics: [String], token: String, now: Date) async throws -> Subscriber {
        try await write { [logger] connection in
            let existing = try await connection.query(
                "SELECT \(unescaped: Self.subscriberColumns) FROM subscriber WHERE email = \(email) FOR UPDATE", logger: logger
            ).collect().first.map(Self.subscriber)
            if let existing {
                guard existing.status != .active && existing.status != .bounced else { return existing }
                try await connection.run("""
                    UPDATE subscriber SET frequency = \(frequency.rawValue), topics = \(topics), status = 'pending', unsubscribed_at = NULL
                    WHERE id = \(existing.id)
                    """, logger: logger)
                return Subscriber(id: existing.id, email: email, frequency: frequency, topics: topics, status: .pending, token: existing.token)
            }
            guard let id = try await connection.query("""
                INSERT INTO subscriber (email, frequency, topics, status, token, created_at)
                VALUES (\(email), \(frequency.rawValue), \(topics), 'pending', \(token), \(now.timeIntervalSince1970)) RETURNING id
                """, logger: logger).collect().first?.decode(Int64.self) else {
                throw CommunityError.noSuchAccount(email)
            }
            return Subscriber(id: id, email: email, frequency: frequency, topics: topics, status: .pending, token: token)
        }
    }

    public func subscriber(token: String) async throws -> Subscriber? {
        try await read { [logger] connection in try await Self.subscriber(token: token, connection, logger) }
    }

    public func subscriber(email: String) async throws -> Subscriber? {
        try await read { [logger] connection in
            try await connection.query("SELECT \(unescaped: Self.subscriberColumns) FROM subscriber WHERE email = \(email)", logger: logger)
                .collect().first.map(Self.subscriber)
        }
    }

    public func activeSubscribers(frequency: DigestFrequency) async throws -> [Subscriber] {
        try await read { [logger] connection in
            try await connection.query("""
                SELECT \(unescaped: Self.subscriberColumns) FROM subscriber WHERE status = 'active' AND frequency = \(frequency.rawValue) ORDER BY id
                """, logger: logger).collect().map(Self.subscriber)
        }
    }

    public func confirmSubscription(token: String, now: Date) async throws -> Subscriber? {
        try await write { [logger] connection in
            try await connection.run("""
                UPDATE subscriber SET status = 'active', confirmed_at = COALESCE(confirmed_at, \(now.timeIntervalSince1970))
                WHERE token = \(token) AND status = 'pending'
                """, logger: logger)
            return try await Self.subscriber(token: token, connection, logger)
        }
    }

    public func updatePreferences(token: String, frequency: DigestFrequency, topics: [String]) async throws -> Subscriber? {
        try await write { [logger] connection in
            try await connection.run(
                "UPDATE subscriber SET frequency = \(frequency.rawValue), topics = \(topics) WHERE token = \(token)", logger: logger)
            return try await Self.subscriber(token: token, connection, logger)
        }
    }

    public func unsubscribe(token: String, now: Date) async throws -> Subscriber? {
        try await write { [logger] connection in
            try await connection.run("""
                UPDATE subscriber SET status = 'unsubscribed', unsubscribed_at = \(now.timeIntervalSince1970)
                WHERE token = \(token) AND status <> 'unsubscribed'
                """, logger: logger)
            // Digests already planned but not sent are dropped with the subscription.
            try await connection.run("""
                UPDATE digest_outbox SET status = 'failed', last_error = 'unsubscribed'
                WHERE status = 'pending' AND subscriber_id = (SELECT id FROM subscriber WHERE token = \(token))
                """, logger: logger)
            return try await Self.subscriber(token: token, connection, logger)
        }
    }

    public func planDigests(period: DigestPeriod, messageIDDomain: String, now: Date) async throws -> Int {
        try await write { [logger] connection in
            try await connection.query("""
                WITH added AS (
                    INSERT INTO digest_outbox (subscriber_id, period, status, next_attempt_at, message_id)
                    SELECT id, \(period.key), 'pending', \(now.timeIntervalSince1970),
                        '<digest-' || \(period.key) || '-' || id || '-' || token || '@' || \(messageIDDomain) || '>'
                    FROM subscriber WHERE status = 'active' AND frequency = \(period.frequency.rawValue)
                    ON CONFLICT DO NOTHING
                    RETURNING 1
                )
                SELECT count(*) FROM added
                """, logger: logger).collect().first?.decode(Int.self) ?? 0
        }
    }

    public func claimNextDelivery(now: Date) async throws -> DigestDelivery? {
        try await write { [logger] connection in
            // The row lock makes a second sender wait for this claim rather than take the same row.
            guard let row = try await connection.query("""
                UPDATE digest_outbox SET status = 'sending', attempts = attempts + 1
                WHERE (subscriber_id, period) = (
                    SELECT subscriber_id, period FROM digest_outbox
                    WHERE status = 'sending' OR (status = 'pending' AND next_attempt_at <= \(now.timeIntervalSince1970))
                    ORDER BY status = 'sending' DESC, next_attempt_at, subscriber_id LIMIT 1
                    FOR UPDATE)
                RETURNING subscriber_id, period, attempts, message_id
                """, logger: logger).collect().first else { return nil }
            let (subscriberID, period, attempts, messageID) = try row.decode((Int64, String, Int, String).self)
            guard let subscriber = try await connection.query(
                "SELECT \(unescaped: Self.subscriberColumns) FROM subscriber WHERE id = \(subscriberID)", logger: logger
            ).collect().first.map(Self.subscriber) else {
                return nil
            }
            return DigestDelivery(subscriber: subscriber, period: period, status: .sending, attempts: attempts, messageID: messageID)
        }
    }

    public func markSent(subscriberID: Int64, period: String, now: Date) async throws {
        try await write { [logger] connection in
            try await connection.run("""
                UPDATE digest_outbox SET status = 'sent', sent_at = \(now.timeIntervalSince1970), last_error = NULL
                WHERE subscriber_id = \(subscriberID) AND period = \(period)
                """, logger: logger)
        }
    }

    public func markRetry(subscriberID: Int64, period: String, error: String, retryAt: Date, giveUp: Bool) async throws {
        try await write { [logger] connection in
            try await connection.run("""
                UPDATE digest_outbox SET status = \(giveUp ? "failed" : "pending"), next_attempt_at = \(retryAt.timeIntervalSince1970),
                    last_error = \(String(error.prefix(500)))
                WHERE subscriber_id = \(subscriberID) AND period = \(period)
                """, logger: logger)
        }
    }

    public func markBounced(subscriberID: Int64, period: String, error: String) async throws {
        try await write { [logger] connection in
            try await connection.run("""
                UPDATE digest_outbox SET status = 'bounced', last_error = \(String(error.prefix(500)))
                WHERE subscriber_id = \(subscriberID) AND period = \(period)
                """, logger: logger)
            try await connection.run("""
                UPDATE subscriber SET bounce_count = bounce_count + 1,
                    status = CASE WHEN bounce_count + 1 >= 3 THEN 'bounced' ELSE status END
                WHERE id = \(subscriberID)
                """, logger: logger)
        }
    }

    public func outboxCounts(period: String) async throws -> [String: Int] {
        try await read { [logger] connection in
            var counts: [String: Int] = [:]
            for row in try await connection.query(
                "SELECT status, count(*) FROM digest_outbox WHERE period = \(period) GROUP BY status", logger: logger
            ).collect() {
                let (status, count) = try row.decode((String, Int).self)
                counts[status] = count
            }
            return counts
        }
    }
}
