import Foundation

/// One stored value as both schemas understand it: each store turns its own encoding
/// (SQLite's unit-separated lists and 0/1 booleans, PostgreSQL's `text[]` and `boolean`) into these.
public enum TransferValue: Sendable, Equatable {
    case null
    case integer(Int64)
    case real(Double)
    case text(String)
    case blob(Data)
    case list([String])
    case boolean(Bool)
}

public struct TransferColumn: Sendable {
    public enum Kind: Sendable { case integer, real, text, blob, list, boolean }

    public let name: String
    public let kind: Kind
}

/// A table copied row for row, with its primary key kept, so foreign keys, `/u/username` links,
/// comment anchors and unsubscribe tokens mean the same in the copy.
public struct TransferTable: Sendable {
    public let name: String
    public let columns: [TransferColumn]
    /// The primary key's columns: rows are read in this order, a batch at a time after the last one read.
    public let keyColumns: [String]
    /// A column new rows get their ids from (a PostgreSQL identity), to be moved past the copied ids.
    public let identityColumn: String?

    init(_ name: String, key: [String], identity: String? = nil, _ columns: [(String, TransferColumn.Kind)]) {
        self.name = name
        self.columns = columns.map { TransferColumn(name: $0.0, kind: $0.1) }
        keyColumns = key
        identityColumn = identity
        precondition(key.allSatisfy { name in self.columns.contains { $0.name == name } })
    }

    /// Positions of the key columns in `columns`.
    public var keyIndexes: [Int] { keyColumns.map { key in columns.firstIndex { $0.name == key }! } }

    public var columnList: String { columns.map(\.name).joined(separator: ", ") }
}

/// Every table that holds data, parents before children. Left out: leases (they belong to the
/// running servers of the source), and what is derived from papers (SQLite's FTS index,
/// PostgreSQL's search vectors and term counts), which the destination builds as rows arrive.
public enum TransferSchema {
    public static let tables: [TransferTable] = [
        TransferTable("paper", key: ["key"], identity: "key", [("key", .integer)] + PaperRow.columns.map { column in
            let kind: TransferColumn.Kind = switch column.kind {
            case .text: .text
            case .list: .list
            case .integer: .integer
            case .real: .real
            case .boolean: .boolean
            }
            return (column.name, kind)
        }),
        TransferTable("paper_embedding", key: ["paper_key"], [
            ("paper_key", .integer), ("model", .text), ("source_modified_at", .real), ("vector", .blob), ("saved_at", .real),
        ]),
        TransferTable("account", key: ["id"], identity: "id", [
            ("id", .integer), ("username", .text), ("email", .text), ("role", .text), ("password_hash", .text),
            ("created_at", .real),
        ]),
        // Tokens and sessions are hashes of what the users hold: copied, people stay signed in.
        TransferTable("sign_in_token", key: ["token_hash"], [
            ("token_hash", .blob), ("email", .text), ("expires_at", .real), ("used_at", .real),
        ]),
        TransferTable("session", key: ["token_hash"], [
            ("token_hash", .blob), ("account_id", .integer), ("created_at", .real), ("expires_at", .real),
        ]),
        TransferTable("vote", key: ["account_id", "paper_key"], [
            ("account_id", .integer), ("paper_key", .integer), ("created_at", .real),
        ]),
        TransferTable("comment", key: ["id"], identity: "id", [
            ("id", .integer), ("paper_key", .integer), ("account_id", .integer), ("body", .text),
            ("created_at", .real), ("edited_at", .real), ("hidden", .boolean), ("deleted", .boolean),
        ]),
        TransferTable("subscriber", key: ["id"], identity: "id", [
            ("id", .integer), ("email", .text), ("frequency", .text), ("topics", .list), ("status", .text),
            ("token", .text), ("created_at", .real), ("confirmed_at", .real), ("unsubscribed_at", .real),
            ("bounce_count", .integer),
        ]),
        TransferTable("digest_outbox", key: ["subscriber_id", "period"], [
            ("subscriber_id", .integer), ("period", .text), ("status", .text), ("attempts", .integer),
            ("next_attempt_at", .real), ("message_id", .text), ("last_error", .text), ("sent_at", .real),
        ]),
        TransferTable("service_state", key: ["name"], [
            ("name", .text), ("value", .text), ("updated_at", .real),
        ]),
        // Readers' libraries, signals, tokens and models (v8-for-you); the TF-IDF term counts are
        // derived from papers and rebuilt by the destination's vocabulary job.
        TransferTable("library_entry", key: ["account_id", "paper_key"], [
            ("account_id", .integer), ("paper_key", .integer), ("saved_at", .real),
        ]),
        TransferTable("library_tag", key: ["account_id", "tag", "paper_key"], [
            ("account_id", .integer), ("tag", .text), ("paper_key", .integer),
        ]),
        TransferTable("public_tag", key: ["account_id", "tag"], [("account_id", .integer), ("tag", .text)]),
        TransferTable("not_interested", key: ["account_id", "paper_key"], [
            ("account_id", .integer), ("paper_key", .integer), ("created_at", .real),
        ]),
        TransferTable("follow", key: ["account_id", "kind", "value"], [
            ("account_id", .integer), ("kind", .text), ("value", .text), ("created_at", .real),
        ]),
        TransferTable("interest_paragraph", key: ["account_id"], [
            ("account_id", .integer), ("body", .text), ("updated_at", .real),
        ]),
        TransferTable("api_token", key: ["id"], identity: "id", [
            ("id", .integer), ("account_id", .integer), ("token_hash", .blob), ("name", .text), ("created_at", .real),
        ]),
        TransferTable("recommendation_model", key: ["account_id", "tag"], [
            ("account_id", .integer), ("tag", .text), ("fingerprint", .text), ("weights", .blob), ("trained_at", .real),
        ]),
        // Issue 19: rendered thumbnails and authorship claims.
        TransferTable("paper_thumbnail", key: ["paper_key"], [
            ("paper_key", .integer), ("media_type", .text), ("small", .blob), ("large", .blob), ("rendered_at", .real),
        ]),
        TransferTable("author_claim", key: ["account_id", "paper_key"], [
            ("account_id", .integer), ("paper_key", .integer), ("author_name", .text), ("status", .text),
            ("verified_by", .text), ("created_at", .real), ("decided_at", .real),
        ]),
    ]
}

/// A store whose tables can be read and written row for row, for `paperboy copy`.
/// The SQL stays in each store; `StoreCopier` only moves rows between two of them.
public protocol TransferableStore: PaperStore {
    /// Fails with the reason when the database cannot be reached, without writing anything.
    func checkReachable() async throws

    /// Up to `limit` rows of `table` in primary-key order, starting after the row whose key is `after`.
    func transferRows(of table: TransferTable, after key: [TransferValue]?, limit: Int) async throws -> [[TransferValue]]

    /// Inserts `rows` (values in `table.columns` order) as they are, keys included, in one transaction.
    func insertTransferRows(_ rows: [[TransferValue]], into table: TransferTable) async throws

    func transferRowCount(of table: TransferTable) async throws -> Int

    /// Called after the last row: new rows must get ids past the copied ones.
    func finishTransfer() async throws
}

public enum CopyError: Error, CustomStringConvertible {
    case destinationNotEmpty([(table: String, rows: Int)])
    case sourceSchema(applied: String?, expected: String)
    case countMismatch([(table: String, source: Int, destination: Int)])

    public var description: String {
        switch self {
        case .destinationNotEmpty(let tables):
            let list = tables.map { "\($0.table) (\($0.rows))" }.joined(separator: ", ")
            return "the destination already holds data in \(list); copy only into an empty database"
        case .sourceSchema(let applied, let expected):
            return "the source is at schema \(applied ?? "none"), not \(expected); run `paperboy migrate --database SOURCE` first"
        case .countMismatch(let tables):
            let list = tables.map { "\($0.table): source \($0.source), destination \($0.destination)" }.joined(separator: "; ")
            return "row counts differ after the copy: \(list)"
        }
    }
}

/// Rows copied and counted, table by table, in `TransferSchema.tables` order.
public struct CopySummary: Sendable {
    public struct Table: Sendable {
        public let name: String
        public let copied: Int
        public let source: Int
        public let destination: Int
    }

    public var tables: [Table] = []
}

/// Copies every table of one store into another, empty one, a batch at a time, keys kept.
public struct StoreCopier: Sendable {
    public let source: any TransferableStore
    public let destination: any TransferableStore
    public let batchSize: Int

    public init(source: any TransferableStore, destination: any TransferableStore, batchSize: Int = 1000) {
        self.source = source
        self.destination = destination
        self.batchSize = max(1, batchSize)
    }

    /// Refuses a source whose schema is older or newer than the (migrated) destination's: the source
    /// is only read, never migrated, and the tables must have the same columns on both sides.
    public func checkSourceSchema() async throws {
        let expected = try await destination.appliedMigrations().last ?? "none"
        let applied = try await source.appliedMigrations().last
        if applied != expected { throw CopyError.sourceSchema(applied: applied, expected: expected) }
    }

    /// Refuses a destination that holds any row, so nothing there is overwritten or mixed in.
    public func checkDestinationEmpty() async throws {
        var occupied: [(table: String, rows: Int)] = []
        for table in TransferSchema.tables {
            let rows = try await destination.transferRowCount(of: table)
            if rows > 0 { occupied.append((table.name, rows)) }
        }
        if !occupied.isEmpty { throw CopyError.destinationNotEmpty(occupied) }
    }

    /// Copies, then compares each table's row count in source and destination.
    /// `progress` is called after every batch with the table and the rows copied from it so far,
    /// and once more with `finished` when the table is done.
    public func run(
        progress: (_ table: String, _ copied: Int, _ total: Int, _ finished: Bool) -> Void = { _, _, _, _ in }
    ) async throws -> CopySummary {
        try await checkSourceSchema()
        try await checkDestinationEmpty()
        var copied: [String: Int] = [:]
        for table in TransferSchema.tables {
            let total = try await source.transferRowCount(of: table)
            var count = 0
            var after: [TransferValue]?
            while true {
                let rows = try await source.transferRows(of: table, after: after, limit: batchSize)
                guard let last = rows.last else { break }
                try await destination.insertTransferRows(rows, into: table)
                count += rows.count
                after = table.keyIndexes.map { last[$0] }
                progress(table.name, count, total, false)
                if rows.count < batchSize { break }
            }
            progress(table.name, count, total, true)
            copied[table.name] = count
        }
        try await destination.finishTransfer()

        var summary = CopySummary()
        var mismatches: [(table: String, source: Int, destination: Int)] = []
        for table in TransferSchema.tables {
            let inSource = try await source.transferRowCount(of: table)
            let inDestination = try await destination.transferRowCount(of: table)
            let copiedRows = copied[table.name] ?? 0
            if inSource != inDestination || copiedRows != inDestination {
                mismatches.append((table.name, inSource, inDestination))
            }
            summary.tables.append(.init(name: table.name, copied: copiedRows, source: inSource, destination: inDestination))
        }
        if !mismatches.isEmpty { throw CopyError.countMismatch(mismatches) }
        return summary
    }
}
