import Foundation
import PaperboyStore
import PostgresNIO

extension PostgresPaperStore: TransferableStore {
    /// Connects once directly when made from a URL: the pool would retry an unreachable server forever.
    public func checkReachable() async throws {
        if let location {
            do {
                let connection = try await PostgresConnection.connect(configuration: location.connectionConfiguration(), id: 0, logger: logger)
                try await connection.close()
            } catch {
                throw StoreError.cannotOpen(path: location.display, reason: Self.describe(error))
            }
        }
    }

    public func transferRows(of table: TransferTable, after key: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        var sql = SQLBuilder()
        let keys = table.keyColumns.joined(separator: ", ")
        var condition = ""
        if let key {
            // A row value comparison: the next rows in key order, on the primary key's index.
            let kinds = table.keyIndexes.map { table.columns[$0].kind }
            let placeholders = zip(key, kinds).map { value, kind in Self.placeholder(value, kind: kind, in: &sql) }
            condition = "WHERE (\(keys)) > (\(placeholders.joined(separator: ", ")))"
        }
        let text = "SELECT \(table.columnList) FROM \(table.name) \(condition) ORDER BY \(keys) LIMIT \(sql.bind(limit))"
        let statement = sql.query(text)
        return try await read { [logger] connection in
            try await connection.query(statement, logger: logger).collect().map { row in
                let cells = row.makeRandomAccess()
                return try table.columns.enumerated().map { index, column in
                    try Self.transferValue(cells[index], kind: column.kind)
                }
            }
        }
    }

    /// Rows per INSERT: a statement takes at most 65,535 parameters.
    static func rowsPerStatement(_ table: TransferTable) -> Int { max(1, 30_000 / table.columns.count) }

    public func insertTransferRows(_ rows: [[TransferValue]], into table: TransferTable) async throws {
        guard !rows.isEmpty else { return }
        defer { writes.add(1, ordering: .releasing) }
        var statements: [PostgresQuery] = []
        var start = 0
        while start < rows.count {
            let chunk = rows[start..<min(rows.count, start + Self.rowsPerStatement(table))]
            start += chunk.count
            var sql = SQLBuilder()
            let values = chunk.map { row in
                "(" + zip(row, table.columns).map { value, column in Self.placeholder(value, kind: column.kind, in: &sql) }
                    .joined(separator: ", ") + ")"
            }
            statements.append(sql.query("INSERT INTO \(table.name) (\(table.columnList)) VALUES \(values.joined(separator: ", "))"))
        }
        let logger = logger
        let built = statements
        try await write { [logger] connection in
            for statement in built { try await connection.run(statement, logger: logger) }
        }
    }

    public func transferRowCount(of table: TransferTable) async throws -> Int {
        try await read { [logger] connection in
            try await connection.query(PostgresQuery(unsafeSQL: "SELECT count(*) FROM \(table.name)"), logger: logger)
                .collect().first?.decode(Int.self) ?? 0
        }
    }

    /// Copied rows came with their ids, which leaves the identity sequences where they were:
    /// each is set so the next row gets the largest copied id plus one.
    public func finishTransfer() async throws {
        let logger = logger
        try await write { [logger] connection in
            for table in TransferSchema.tables {
                guard let column = table.identityColumn else { continue }
                try await connection.run(PostgresQuery(unsafeSQL: """
                    SELECT setval(pg_get_serial_sequence('\(table.name)', '\(column)'), COALESCE(max(\(column)), 0) + 1, false)
                    FROM \(table.name)
                    """), logger: logger)
            }
        }
    }

    /// Binds `value` cast to the column's type (a NULL too, so PostgreSQL need not guess) and returns its placeholder.
    static func placeholder(_ value: TransferValue, kind: TransferColumn.Kind, in sql: inout SQLBuilder) -> String {
        let placeholder = switch value {
        case .null:
            switch kind {
            case .integer: bindNull(Int64.self, in: &sql)
            case .real: bindNull(Double.self, in: &sql)
            case .text: bindNull(String.self, in: &sql)
            case .blob: bindNull(ByteBuffer.self, in: &sql)
            case .list: bindNull([String].self, in: &sql)
            case .boolean: bindNull(Bool.self, in: &sql)
            }
        case .integer(let integer): sql.bind(integer)
        case .real(let real): sql.bind(real)
        case .text(let text): sql.bind(text)
        case .blob(let data): sql.bind(ByteBuffer(bytes: data))
        case .list(let list): sql.bind(list)
        case .boolean(let flag): sql.bind(flag)
        }
        let type = switch kind {
        case .integer: "bigint"
        case .real: "float8"
        case .text: "text"
        case .blob: "bytea"
        case .list: "text[]"
        case .boolean: "boolean"
        }
        return "\(placeholder)::\(type)"
    }

    static func bindNull<Value: PostgresDynamicTypeEncodable>(_: Value.Type, in sql: inout SQLBuilder) -> String {
        sql.binds.append(Optional<Value>.none)
        return "$\(sql.binds.count)"
    }

    static func transferValue(_ cell: PostgresCell, kind: TransferColumn.Kind) throws -> TransferValue {
        switch kind {
        case .integer: try cell.decode(Int64?.self).map(TransferValue.integer) ?? .null
        case .real: try cell.decode(Double?.self).map(TransferValue.real) ?? .null
        case .text: try cell.decode(String?.self).map(TransferValue.text) ?? .null
        case .blob: try cell.decode(Data?.self).map(TransferValue.blob) ?? .null
        case .list: try cell.decode([String]?.self).map(TransferValue.list) ?? .null
        case .boolean: try cell.decode(Bool?.self).map(TransferValue.boolean) ?? .null
        }
    }
}
