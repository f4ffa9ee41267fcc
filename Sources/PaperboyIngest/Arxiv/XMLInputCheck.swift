import Foundation

/// What Foundation's XMLParser must not be given. On Linux, swift-corelibs-foundation passes a
/// processing instruction's data to strlen without checking it: `<?x?>` (no data) anywhere in
/// a response is a segfault that ends the process (found by Fuzz/OAIPMH). arXiv responses are
/// outside input, so such documents are refused before parsing, as are the ways to hide one
/// from a byte scan: NUL bytes (UTF-16 without a byte-order mark) and declared encodings other
/// than UTF-8 (EBCDIC). arXiv serves UTF-8 without processing instructions.
enum XMLInputCheck {
    /// Why `data` must not reach XMLParser, or nil when it may. Expects valid UTF-8.
    static func problem(in data: Data) -> String? {
        data.withUnsafeBytes { (bytes: UnsafeRawBufferPointer) -> String? in
            if bytes.contains(0) { return "the body contains NUL bytes" }
            if let encoding = declaredEncoding(bytes), !["utf-8", "utf8"].contains(encoding.lowercased()) {
                return "only UTF-8 is read, not \(encoding.prefix(20))"
            }
            var index = 0
            while index + 1 < bytes.count {
                defer { index += 1 }
                guard bytes[index] == UInt8(ascii: "<"), bytes[index + 1] == UInt8(ascii: "?") else { continue }
                var end = index + 2
                while end < bytes.count, !isSpace(bytes[end]), bytes[end] != UInt8(ascii: "?") { end += 1 }
                if end < bytes.count, bytes[end] == UInt8(ascii: "?") {
                    return "a processing instruction without data at byte \(index)"
                }
            }
            return nil
        }
    }

    static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || byte == 0x09 || byte == 0x0A || byte == 0x0D }

    /// The `encoding="…"` of a leading `<?xml …?>` declaration (after a byte-order mark, if any).
    static func declaredEncoding(_ bytes: UnsafeRawBufferPointer) -> String? {
        var start = 0
        if bytes.starts(with: [0xEF, 0xBB, 0xBF]) { start = 3 }
        guard bytes[start...].starts(with: Array("<?xml".utf8)) else { return nil }
        let declarationEnd = bytes[start...].firstRange(of: Array("?>".utf8))?.lowerBound ?? bytes.count
        let declaration = String(decoding: bytes[start..<declarationEnd], as: UTF8.self)
        guard let key = declaration.range(of: "encoding") else { return nil }
        let value = declaration[key.upperBound...].drop { $0.isWhitespace || $0 == "=" }
        guard let quote = value.first, quote == "\"" || quote == "'" else { return "" }
        return String(value.dropFirst().prefix { $0 != quote })
    }
}
