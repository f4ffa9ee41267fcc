import Foundation

/// arXiv identifiers: new style `YYMM.NNNNN` (4 or 5 digits) and old style `archive/YYMMNNN`,
/// each optionally followed by a version `vN`.
public enum ArxivID {
    /// Splits `2405.12345v3` into (`2405.12345`, 3); `nil` when `text` is no arXiv id.
    public static func parse(_ text: String) -> (id: String, version: Int?)? {
        var body = Substring(text.trimmingCharacters(in: .whitespaces))
        var version: Int?
        if let vIndex = body.lastIndex(of: "v"), vIndex > body.startIndex {
            let digits = body[body.index(after: vIndex)...]
            if !digits.isEmpty, digits.allSatisfy(\.isASCIIDigit), let number = Int(digits) {
                version = number
                body = body[..<vIndex]
            }
        }
        let id = String(body)
        return isValid(id) ? (id, version) : nil
    }

    public static func isValid(_ id: String) -> Bool {
        // Over the UTF-8 bytes: every accepted character is ASCII, and cards ask this of every
        // paper they show (splitting into Substrings was 4% of an uncached daily page).
        let bytes = Array(id.utf8)
        func digits(_ range: Range<Int>) -> Bool { range.allSatisfy { bytes[$0] >= 0x30 && bytes[$0] <= 0x39 } }
        if let slash = bytes.firstIndex(of: 0x2F) {
            // Old style: `hep-th/9901001`, `math.CO/0211159`.
            let archive = 0..<slash
            let number = (slash + 1)..<bytes.count
            return !archive.isEmpty && archive.count <= 16
                && archive.allSatisfy { index in
                    let byte = bytes[index] | 0x20
                    return (byte >= 0x61 && byte <= 0x7A) || bytes[index] == 0x2D || bytes[index] == 0x2E
                }
                && number.count == 7 && digits(number)
        }
        guard let dot = bytes.firstIndex(of: 0x2E) else { return false }
        return dot == 4 && digits(0..<4) && (5...6).contains(bytes.count - dot) && digits((dot + 1)..<bytes.count)
    }

    /// Reads an id from a bare id or an arXiv abstract/PDF URL.
    public static func fromReference(_ text: String) -> String? {
        var reference = text.trimmingCharacters(in: .whitespacesAndNewlines)
        for prefix in ["arXiv:", "arxiv:"] where reference.hasPrefix(prefix) {
            reference.removeFirst(prefix.count)
        }
        // Any arXiv page of the paper: abs, pdf (with or without .pdf), html, format, versioned,
        // on www. or export., with a query string or fragment; and Hugging Face's paper pages.
        for host in ["arxiv.org/", "huggingface.co/papers/", "alphaxiv.org/abs/"] {
            guard let range = reference.range(of: host, options: .caseInsensitive) else { continue }
            var path = reference[range.upperBound...]
            if let end = path.firstIndex(where: { $0 == "?" || $0 == "#" }) { path = path[..<end] }
            while path.hasSuffix("/") { path = path.dropLast() }
            for prefix in ["abs/", "pdf/", "html/", "format/"] where path.lowercased().hasPrefix(prefix) {
                path = path.dropFirst(prefix.count)
            }
            reference = String(path)
            if reference.lowercased().hasSuffix(".pdf") { reference.removeLast(4) }
            break
        }
        return parse(reference)?.id
    }
}

extension Character {
    var isASCIIDigit: Bool { isASCII && isNumber }
    var isASCIILetter: Bool { isASCII && isLetter }
}
