import Foundation

// How the import formats' bytes become records, apart from files and the store, so the
// fuzz targets in Fuzz/ run exactly what `Importer` runs.

public enum ImportError: Error, CustomStringConvertible {
    case cannotRead(path: String, reason: String)
    case notAJSONArray(reason: String)

    public var description: String {
        switch self {
        case .cannotRead(let path, let reason): "cannot read \(path): \(reason)"
        case .notAJSONArray(let reason): "the file is not a JSON array of daily papers: \(reason)"
        }
    }
}

/// Decoding of one line or one whole file into raw records, before validation.
enum RecordDecoding {
    static let maxLineBytes = 4 << 20

    /// One line of Paperboy or arXiv snapshot JSON Lines (`format` is not `.hf`).
    static func line(_ line: Data, format: ImportFormat, decoder: JSONDecoder) -> Result<RawRecord, RecordRejection> {
        if line.count > maxLineBytes {
            return .failure(RecordRejection("line longer than \(maxLineBytes) bytes"))
        } else if format == .arxiv {
            return DecodeResult(decoding: ArxivSnapshotLine.self, from: line, with: decoder).map(\.raw)
        } else {
            return DecodeResult(decoding: PaperboyLine.self, from: line, with: decoder).map(\.raw)
        }
    }

    /// The Hub's daily-papers array: one result per element, so a bad element does not sink the rest.
    static func hubDailyEntries(_ data: Data) throws(ImportError) -> [Result<RawRecord, RecordRejection>] {
        do {
            return try JSONDecoder().decode([DecodeResult<HubDailyEntry>].self, from: data).map { $0.map(\.raw) }
        } catch {
            throw ImportError.notAJSONArray(reason: JSONErrorText.describe(error))
        }
    }
}

/// Decodes what it can and keeps the error for what it cannot, so one bad element of an array
/// does not sink the rest.
enum DecodeResult<Value: Decodable>: Decodable {
    case success(Value)
    case failure(RecordRejection)

    init(from decoder: any Decoder) throws {
        do {
            self = .success(try Value(from: decoder))
        } catch {
            self = .failure(RecordRejection(JSONErrorText.describe(error)))
        }
    }

    init(decoding type: Value.Type, from data: Data, with decoder: JSONDecoder) {
        do {
            self = .success(try decoder.decode(Value.self, from: data))
        } catch {
            self = .failure(RecordRejection(JSONErrorText.describe(error)))
        }
    }

    func map<T>(_ transform: (Value) -> T) -> Result<T, RecordRejection> {
        switch self {
        case .success(let value): .success(transform(value))
        case .failure(let rejection): .failure(rejection)
        }
    }
}

/// Short, human error texts from `DecodingError`.
enum JSONErrorText {
    static func describe(_ error: any Error) -> String {
        guard let decodingError = error as? DecodingError else { return "\(error)" }
        func path(_ context: DecodingError.Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "" : " at \(keys.joined(separator: "."))"
        }
        switch decodingError {
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as NSError?)?.localizedDescription
            if context.codingPath.isEmpty {
                return "not valid JSON (or not valid UTF-8)" + (underlying.map { ": \($0)" } ?? "")
            }
            return "invalid value\(path(context)): \(context.debugDescription)"
        case .keyNotFound(let key, let context):
            return "missing field \"\(key.stringValue)\"\(path(context))"
        case .typeMismatch(let type, let context):
            return "wrong type\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "null where \(type) was expected\(path(context))"
        @unknown default:
            return "\(error)"
        }
    }
}
