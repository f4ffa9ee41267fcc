import Foundation

/// The file formats `paperboy import` reads.
public enum ImportFormat: String, Sendable, CaseIterable {
    /// Paperboy's own JSON Lines (the bundled demo corpus is in it).
    case paperboy
    /// The arXiv metadata snapshot JSON Lines (Kaggle's `arxiv-metadata-oai-snapshot.json`).
    case arxiv
    /// The JSON array `GET /api/daily_papers` returns on the Hugging Face Hub.
    case hf

    /// Guesses the format from the first bytes of a file.
    public static func detect(prefix: Data) -> ImportFormat {
        guard let firstByte = prefix.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 || $0 == 0xEF || $0 == 0xBB || $0 == 0xBF) })
        else { return .paperboy }
        if firstByte == UInt8(ascii: "[") { return .hf }
        let firstLine = prefix.prefix { $0 != 0x0A }
        if let object = try? JSONSerialization.jsonObject(with: firstLine) as? [String: Any],
           object["authors_parsed"] != nil || object["versions"] != nil || object["update_date"] != nil {
            return .arxiv
        }
        // A truncated first line (longer than the prefix) still gives its keys away.
        let text = String(decoding: firstLine, as: UTF8.self)
        if text.contains("\"authors_parsed\"") || text.contains("\"update_date\"") { return .arxiv }
        return .paperboy
    }
}
