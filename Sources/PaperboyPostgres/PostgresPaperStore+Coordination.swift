import Foundation
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore {
    public func acquireLease(_ name: String, holder: String, duration: TimeInterval, now: Date, replacing: String?) async throws -> Bool {
        let time = now.timeIntervalSince1970
        // One statement: INSERT … ON CONFLICT takes the row lock, so racing instances serialise
        // and exactly one of them sees its own name come back.
        return try await write { [logger] connection in
            let rows = try await connection.query("""
                INSERT INTO lease (name, holder, expires_at) VALUES (\(name), \(holder), \(time + duration))
                ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
                WHERE lease.holder = excluded.holder OR lease.expires_at <= \(time) OR lease.holder = \(replacing)
                RETURNING holder
                """, logger: logger).collect()
            return try rows.first?.decode(String.self) == holder
        }
    }

    public func releaseLease(_ name: String, holder: String) async throws {
        try await write { [logger] connection in
            try await connection.run("DELETE FROM lease WHERE name = \(name) AND holder = \(holder)", logger: logger)
        }
    }

    public func leaseHolder(_ name: String, now: Date) async throws -> String? {
        try await read { [logger] connection in
            try await connection.query(
                "SELECT holder FROM lease WHERE name = \(name) AND expires_at > \(now.timeIntervalSince1970)", logger: logger
            ).collect().first?.decode(String.self)
        }
    }

    public func serviceState(_ name: String) async throws -> String? {
        try await read { [logger] connection in
            try await connection.query("SELECT value FROM service_state WHERE name = \(name)", logger: logger).collect().first?.decode(String.self)
        }
    }

    public func setServiceState(_ name: String, value: String, now: Date) async throws {
        try await write { [logger] connection in
            try await connection.run("""
                INSERT INTO service_state (name, value, updated_at) VALUES (\(name), \(value), \(now.timeIntervalSince1970))
                ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
                """, logger: logger)
        }
    }

    public func initialServiceState(_ name: String, value: String, now: Date) async throws -> String {
        try await write { [logger] connection in
            // ON CONFLICT DO NOTHING waits for a concurrent insert of the same name to commit,
            // so the SELECT after it sees the winner's value.
            try await connection.run("""
                INSERT INTO service_state (name, value, updated_at) VALUES (\(name), \(value), \(now.timeIntervalSince1970))
                ON CONFLICT (name) DO NOTHING
                """, logger: logger)
            // The row is there after the insert either way: nothing deletes service state.
            return try await connection.query("SELECT value FROM service_state WHERE name = \(name)", logger: logger)
                .collect().first?.decode(String.self) ?? value
        }
    }
}

extension PostgresPaperStore {
    /// The installed pgvector version, if any. Paperboy serves semantic search from each
    /// instance's memory either way; this is reported at start-up so operators know what the
    /// database offers.
    public func pgvectorVersion() async throws -> String? {
        try await read { [logger] connection in
            try await connection.query("SELECT extversion FROM pg_extension WHERE extname = 'vector'", logger: logger)
                .collect().first?.decode(String.self)
        }
    }
}
