import Foundation
import PaperboyStore
import GRDB

extension SQLitePaperStore: TransferableStore {
    public func checkReachable() async throws {
        do {
            _ = try await reading { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM sqlite_master") }
        } catch {
            throw StoreError.cannotOpen(path: database.path, reason: "\(error)")
        }
    }

    public func transferRows(of table: TransferTable, after key: [TransferValue]?, limit: Int) async throws -> [[TransferValue]] {
        let keys = table.keyColumns.joined(separator: ", ")
        var arguments = StatementArguments()
        var condition = ""
        if let key {
            // A row value comparison: the next rows in key order, on the primary key's index.
            condition = "WHERE (\(keys)) > (\(Array(repeating: "?", count: key.count).joined(separator: ", ")))"
            for value in key { _ = arguments.append(contentsOf: [Self.databaseValue(value)]) }
        }
        _ = arguments.append(contentsOf: [limit])
        let sql = "SELECT \(table.columnList) FROM \(table.name) \(condition) ORDER BY \(keys) LIMIT ?"
        let bound = arguments
        return try await readingAside { db in
            try Row.fetchAll(db, sql: sql, arguments: bound).map { row in
                try table.columns.enumerated().map { index, column in
                    try Self.transferValue(row[index] as DatabaseValue, column: column, table: table.name)
                }
            }
        }
    }

    public func insertTransferRows(_ rows: [[TransferValue]], into table: TransferTable) async throws {
        defer { writes.add(1, ordering: .releasing) }
        let placeholders = Array(repeating: "?", count: table.columns.count).joined(separator: ", ")
        let sql = "INSERT INTO \(table.name) (\(table.columnList)) VALUES (\(placeholders))"
        try await writing { db in
            let statement = try db.cachedStatement(sql: sql)
            for row in rows {
                try statement.execute(arguments: StatementArguments(row.map(Self.databaseValue)))
            }
        }
    }

    public func transferRowCount(of table: TransferTable) async throws -> Int {
        try await readingAside { db in try Int.fetchOne(db, sql: "SELECT count(*) FROM \(table.name)") ?? 0 }
    }

    /// SQLite gives an `INTEGER PRIMARY KEY` row the largest id plus one: nothing to move.
    public func finishTransfer() async throws {}

    static func databaseValue(_ value: TransferValue) -> DatabaseValue {
        switch value {
        case .null: .null
        case .integer(let integer): integer.databaseValue
        case .real(let real): real.databaseValue
        case .text(let text): text.databaseValue
        case .blob(let data): data.databaseValue
        case .list(let list): ListColumn.encode(list).databaseValue
        case .boolean(let flag): (flag ? 1 : 0).databaseValue
        }
    }

    static func transferValue(_ value: DatabaseValue, column: TransferColumn, table: String) throws -> TransferValue {
        switch (column.kind, value.storage) {
        case (_, .null): return .null
        case (.integer, .int64(let integer)): return .integer(integer)
        case (.real, .double(let real)): return .real(real)
        case (.real, .int64(let integer)): return .real(Double(integer))
        case (.text, .string(let text)): return .text(text)
        case (.blob, .blob(let data)): return .blob(data)
        case (.list, .string(let text)): return .list(ListColumn.decode(text))
        case (.boolean, .int64(let integer)): return .boolean(integer != 0)
        default: throw TransferError.unexpectedValue(table: table, column: column.name, found: "\(value)")
        }
    }
}

public enum TransferError: Error, CustomStringConvertible {
    case unexpectedValue(table: String, column: String, found: String)

    public var description: String {
        switch self {
        case .unexpectedValue(let table, let column, let found): "\(table).\(column) holds \(found), which this version cannot copy"
        }
    }
}
