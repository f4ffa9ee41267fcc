import Foundation
import PaperboyStore
import GRDB

extension SQLitePaperStore {
    public func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date, replacing: String?) async throws -> Bool {
        try await writing { db in
            try db.execute(sql: """
                INSERT INTO lease (name, holder, expires_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE lease.holder = excluded.holder OR lease.expires_at <= ? OR lease.holder = ?
                """, arguments: [name, holder, now.timeIntervalSince1970 + duration, now.timeIntervalSince1970, replacing])
            return try String.fetchOne(db, sql: "SELECT holder FROM lease WHERE name = ?", arguments: [name]) == holder
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await writing { db in
            try db.execute(sql: "DELETE FROM lease WHERE name = ? AND holder = ?", arguments: [name, holder])
        }
    }

    public func leaseHolder(_ name: String, now: Date) async throws -> String? {
        try await reading { db in
            try String.fetchOne(db, sql: "SELECT holder FROM lease WHERE name = ? AND expires_at > ?", arguments: [name, now.timeIntervalSince1970])
        }
    }

    public func serviceState(_ name: String) async throws -> String? {
        try await reading { db in
            try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE name = ?", arguments: [name])
        }
    }

    public func setServiceState(_ name: String, value: String, now: Date) async throws {
        try await writing { db in
            try db.execute(sql: """
                INSERT INTO service_state (name, value, updated_at) VALUES (?, ?, ?)
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, arguments: [name, value, now.timeIntervalSince1970])
        }
    }

    public func initialServiceState(_ name: String, value: String, now: Date) async throws -> String {
        try await writing { db in
            try db.execute(sql: """
                INSERT INTO service_state (name, value, updated_at) VALUES (?, ?, ?) ON CONFLICT (name) DO NOTHING
                """, arguments: [name, value, now.timeIntervalSince1970])
            // In the same transaction as the insert: the row is there (nothing deletes service state).
            return try String.fetchOne(db, sql: "SELECT value FROM service_state WHERE name = ?", arguments: [name]) ?? value
        }
    }
}
