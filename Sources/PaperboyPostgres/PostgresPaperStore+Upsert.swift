import Foundation
import PaperboyCore
import PaperboyStore
import PostgresNIO

/// Batched writes for `upsert`: a statement per round trip costs more than the row, so a batch
/// goes to the server as one JSON parameter (`jsonb_to_recordset`), one UPDATE for the stored
/// papers and one INSERT for the new ones, with `PaperRow`'s merge rules, as `upsertSQL`.
extension PostgresPaperStore {
    /// The batch's columns and their types, as `jsonb_to_recordset` reads them.
    static let batchColumns = PaperRow.imported.map { "\($0.name) \(postgresType($0))" }.joined(separator: ", ")

    /// The stored papers of the batch, merged by `PaperRow`'s rules.
    static let batchUpdateSQL = """
        UPDATE paper SET
            \(PaperRow.mergeAssignments(.postgres) { "batch.\($0.name)" })
        FROM jsonb_to_recordset($1::jsonb) AS batch(\(batchColumns))
        WHERE paper.id = batch.id
        """

    /// The new papers of the batch; ids another transaction inserted meanwhile come back missing.
    static let batchInsertSQL = """
        INSERT INTO paper (\(PaperRow.imported.map(\.name).joined(separator: ", ")))
        SELECT \(PaperRow.imported.map { PaperRow.insertValue($0, $0.name) }.joined(separator: ", "))
        FROM jsonb_to_recordset($1::jsonb) AS batch(\(batchColumns))
        ORDER BY id
        ON CONFLICT (id) DO NOTHING
        RETURNING id
        """

    /// The records as one JSON array of objects; a nil value is left out and reads as NULL.
    static func batchJSON(_ writes: [PlannedWrite], now: Double) throws -> String {
        let rows: [[String: Any]] = writes.map { write in
            PaperRow.values(for: write.record, hash: write.hash, now: now).reduce(into: [:]) { row, field in
                switch field.value {
                case .text(let text): if let text { row[field.key] = text }
                case .list(let list): row[field.key] = list
                case .integer(let number): if let number { row[field.key] = number }
                case .real(let number): if let number { row[field.key] = number }
                case .boolean(let flag): row[field.key] = flag
                }
            }
        }
        return String(decoding: try JSONSerialization.data(withJSONObject: rows), as: UTF8.self)
    }

    /// A write the batch decided on: the record, its hash, and whether its row exists by then.
    struct PlannedWrite {
        let record: PaperRecord
        let hash: Int64
        let exists: Bool
    }

    /// Writes `writes` (each id at most once) with two statements, falling back to the one-row
    /// upsert for papers another transaction inserted since this one looked.
    static func writeBatch(_ writes: [PlannedWrite], now: Double, _ connection: PostgresConnection, _ logger: Logger) async throws {
        let updates = writes.filter(\.exists)
        if !updates.isEmpty {
            var binds = PostgresBindings(capacity: 1)
            binds.append(try batchJSON(updates, now: now))
            try await connection.run(PostgresQuery(unsafeSQL: batchUpdateSQL, binds: binds), logger: logger)
        }
        let inserts = writes.filter { !$0.exists }
        if !inserts.isEmpty {
            var binds = PostgresBindings(capacity: 1)
            binds.append(try batchJSON(inserts, now: now))
            let inserted = Set(try await connection.query(PostgresQuery(unsafeSQL: batchInsertSQL, binds: binds), logger: logger)
                .collect().map { try $0.decode(String.self) })
            for write in inserts where !inserted.contains(write.record.paper.id) {
                try await connection.run(upsertQuery(for: write.record, hash: write.hash, now: now), logger: logger)
            }
        }
    }
}
