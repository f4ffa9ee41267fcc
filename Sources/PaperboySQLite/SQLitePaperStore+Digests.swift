import Foundation
import PaperboyStore
import GRDB
import PaperboyCore

extension SQLitePaperStore {
    static let subscriberColumns = "subscriber.id, subscriber.email, subscriber.frequency, subscriber.topics, subscriber.status, subscriber.token"

    static func subscriber(from row: Row, offset: Int = 0) -> Subscriber {
        Subscriber(
            id: row[offset], email: row[offset + 1], frequency: DigestFrequency(rawValue: row[offset + 2]) ?? .daily,
            topics: ListColumn.decode(row[offset + 3]), status: Subscriber.Status(rawValue: row[offset + 4]) ?? .pending,
            token: row[offset + 5])
    }

    public func subscribe(email: String, frequency: DigestFrequency, topics: [String], token: String, now: Date) async throws -> Subscriber {
        try await writing { db in
            if let row = try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE email = ?", arguments: [email]) {
                let existing = Self.subscriber(from: row)
                guard existing.status != .active && existing.status != .bounced else { return existing }
                try db.execute(
                    sql: "UPDATE subscriber SET frequency = ?, topics = ?, status = 'pending', unsubscribed_at = NULL WHERE id = ?",
                    arguments: [frequency.rawValue, ListColumn.encode(topics), existing.id])
                return Subscriber(id: existing.id, email: email, frequency: frequency, topics: topics, status: .pending, token: existing.token)
            }
            try db.execute(sql: """
                INSERT INTO subscriber (email, frequency, topics, status, token, created_at) VALUES (?, ?, ?, 'pending', ?, ?)
                """, arguments: [email, frequency.rawValue, ListColumn.encode(topics), token, now.timeIntervalSince1970])
            return Subscriber(id: db.lastInsertedRowID, email: email, frequency: frequency, topics: topics, status: .pending, token: token)
        }
    }

    public func subscriber(token: String) async throws -> Subscriber? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE token = ?", arguments: [token]).map { Self.subscriber(from: $0) }
        }
    }

    public func subscriber(email: String) async throws -> Subscriber? {
        try await reading { db in
            try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE email = ?", arguments: [email]).map { Self.subscriber(from: $0) }
        }
    }

    public func activeSubscribers(frequency: DigestFrequency) async throws -> [Subscriber] {
        try await readingAside { db in
            try Row.fetchAll(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE status = 'active' AND frequency = ? ORDER BY id", arguments: [frequency.rawValue])
                .map { Self.subscriber(from: $0) }
        }
    }

    public func confirmSubscription(token: String, now: Date) async throws -> Subscriber? {
        try await writing { db in
            try db.execute(sql: """
                UPDATE subscriber SET status = 'active', confirmed_at = COALESCE(confirmed_at, ?) WHERE token = ? AND status = 'pending'
                """, arguments: [now.timeIntervalSince1970, token])
            return try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE token = ?", arguments: [token]).map { Self.subscriber(from: $0) }
        }
    }

    public func updatePreferences(token: String, frequency: DigestFrequency, topics: [String]) async throws -> Subscriber? {
        try await writing { db in
            try db.execute(sql: "UPDATE subscriber SET frequency = ?, topics = ? WHERE token = ?", arguments: [frequency.rawValue, ListColumn.encode(topics), token])
            return try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE token = ?", arguments: [token]).map { Self.subscriber(from: $0) }
        }
    }

    public func unsubscribe(token: String, now: Date) async throws -> Subscriber? {
        try await writing { db in
            try db.execute(sql: """
                UPDATE subscriber SET status = 'unsubscribed', unsubscribed_at = ? WHERE token = ? AND status <> 'unsubscribed'
                """, arguments: [now.timeIntervalSince1970, token])
            // Digests already planned but not sent are dropped with the subscription.
            try db.execute(sql: """
                UPDATE digest_outbox SET status = 'failed', last_error = 'unsubscribed'
                WHERE status = 'pending' AND subscriber_id = (SELECT id FROM subscriber WHERE token = ?)
                """, arguments: [token])
            return try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE token = ?", arguments: [token]).map { Self.subscriber(from: $0) }
        }
    }

    public func planDigests(period: DigestPeriod, messageIDDomain: String, now: Date) async throws -> Int {
        try await writing { db in
            try db.execute(sql: """
                INSERT INTO digest_outbox (subscriber_id, period, status, next_attempt_at, message_id)
                SELECT id, ?, 'pending', ?, '<digest-' || ? || '-' || id || '-' || token || '@' || ? || '>'
                FROM subscriber WHERE status = 'active' AND frequency = ?
                ON CONFLICT DO NOTHING
                """, arguments: [period.key, now.timeIntervalSince1970, period.key, messageIDDomain, period.frequency.rawValue])
            return db.changesCount
        }
    }

    public func claimNextDelivery(now: Date) async throws -> DigestDelivery? {
        try await writing { db in
            guard let row = try Row.fetchOne(db, sql: """
                UPDATE digest_outbox SET status = 'sending', attempts = attempts + 1
                WHERE (subscriber_id, period) = (
                    SELECT subscriber_id, period FROM digest_outbox
                    WHERE status = 'sending' OR (status = 'pending' AND next_attempt_at <= ?)
                    ORDER BY status = 'sending' DESC, next_attempt_at, subscriber_id LIMIT 1)
                RETURNING subscriber_id, period, attempts, message_id
                """, arguments: [now.timeIntervalSince1970]) else { return nil }
            let subscriberID: Int64 = row[0]
            guard let subscriberRow = try Row.fetchOne(db, sql: "SELECT \(Self.subscriberColumns) FROM subscriber WHERE id = ?", arguments: [subscriberID]) else {
                return nil
            }
            return DigestDelivery(subscriber: Self.subscriber(from: subscriberRow), period: row[1], status: .sending, attempts: row[2], messageID: row[3])
        }
    }

    public func markSent(subscriberID: Int64, period: String, now: Date) async throws {
        try await writing { db in
            try db.execute(sql: """
                UPDATE digest_outbox SET status = 'sent', sent_at = ?, last_error = NULL WHERE subscriber_id = ? AND period = ?
                """, arguments: [now.timeIntervalSince1970, subscriberID, period])
        }
    }

    public func markRetry(subscriberID: Int64, period: String, error: String, retryAt: Date, giveUp: Bool) async throws {
        try await writing { db in
            try db.execute(sql: """
                UPDATE digest_outbox SET status = ?, next_attempt_at = ?, last_error = ? WHERE subscriber_id = ? AND period = ?
                """, arguments: [giveUp ? "failed" : "pending", retryAt.timeIntervalSince1970, String(error.prefix(500)), subscriberID, period])
        }
    }

    public func markBounced(subscriberID: Int64, period: String, error: String) async throws {
        try await writing { db in
            try db.execute(sql: """
                UPDATE digest_outbox SET status = 'bounced', last_error = ? WHERE subscriber_id = ? AND period = ?
                """, arguments: [String(error.prefix(500)), subscriberID, period])
            try db.execute(sql: """
                UPDATE subscriber SET bounce_count = bounce_count + 1,
                    status = CASE WHEN bounce_count + 1 >= 3 THEN 'bounced' ELSE status END
                WHERE id = ?
                """, arguments: [subscriberID])
        }
    }

    public func outboxCounts(period: String) async throws -> [String: Int] {
        try await readingAside { db in
            var counts: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT status, count(*) FROM digest_outbox WHERE period = ? GROUP BY status", arguments: [period]) {
                counts[row[0]] = row[1]
            }
            return counts
        }
    }
}
