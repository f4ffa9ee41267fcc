import Foundation

/// Small text utilities shared by imports and pages.
public enum TextTools {
    /// The first GitHub repository URL in `text`, normalised to `https://github.com/owner/repo`.
    public static func githubRepository(in text: String) -> String? {
        // Most abstracts have no link: a byte scan rules them out before any String searching.
        guard containsASCIICaseInsensitive(text, "github.com/") else { return nil }
        var searchRange = text.startIndex..<text.endIndex
        while let hit = text.range(of: "github.com/", options: .caseInsensitive, range: searchRange) {
            searchRange = hit.upperBound..<text.endIndex
            let path = text[hit.upperBound...].prefix { character in
                character.isASCII && (character.isLetter || character.isNumber || "-_./".contains(character))
            }
            let segments = path.split(separator: "/", omittingEmptySubsequences: false)
            guard segments.count >= 2 else { continue }
            let owner = segments[0]
            var repository = Substring(segments[1])
            while let last = repository.last, last == "." || last == "_" || last == "-" {
                repository = repository.dropLast()
            }
            if repository.lowercased().hasSuffix(".git") { repository = repository.dropLast(4) }
            guard !owner.isEmpty, !repository.isEmpty,
                  owner.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "-" }),
                  !["orgs", "topics", "sponsors", "features", "about"].contains(owner.lowercased())
            else { continue }
            return "https://github.com/\(owner)/\(repository)"
        }
        return nil
    }

    /// Whether `text` contains the ASCII `needle` (given in lower case), ignoring ASCII case.
    static func containsASCIICaseInsensitive(_ text: String, _ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard let first = pattern.first else { return true }
        var text = text
        return text.withUTF8 { bytes in
            guard bytes.count >= pattern.count else { return false }
            var index = 0
            let last = bytes.count - pattern.count
            while index <= last {
                if bytes[index] | 0x20 == first {
                    var matched = 1
                    while matched < pattern.count, bytes[index + matched] | 0x20 == pattern[matched] | 0x20 { matched += 1 }
                    if matched == pattern.count { return true }
                }
                index += 1
            }
            return false
        }
    }

    /// Collapses runs of white space (abstracts from arXiv carry hard line breaks) and trims the ends.
    /// Drops ASCII white space at both ends, on bytes: Foundation's `trimmingCharacters` goes
    /// through UTF-16 and was the top of the OAI-PMH parser's profile.
    public static func trimmingASCIIWhitespace(_ text: String) -> String {
        let bytes = text.utf8
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end, isSpace(bytes[start]) { start = bytes.index(after: start) }
        while end > start, isSpace(bytes[bytes.index(before: end)]) { end = bytes.index(before: end) }
        if start == bytes.startIndex, end == bytes.endIndex { return text }
        return String(Substring(bytes[start..<end]))
    }

    public static func collapseWhitespace(_ text: String) -> String {
        // Imports call this on every title and abstract: work on bytes unless non-ASCII white space may be present.
        var text = text
        let fast: String? = text.withUTF8 { bytes in
            var output = [UInt8]()
            output.reserveCapacity(bytes.count)
            var pendingSpace = false
            var changed = false
            for byte in bytes {
                switch byte {
                case 0x20, 0x09, 0x0A, 0x0B, 0x0C, 0x0D:
                    if byte != 0x20 || pendingSpace || output.isEmpty { changed = true }
                    pendingSpace = true
                case 0xC2, 0xE1, 0xE2, 0xE3:
                    // Lead bytes of the non-ASCII spaces (U+0085, U+00A0, U+1680, U+2000…, U+3000).
                    return nil
                default:
                    if pendingSpace, !output.isEmpty { output.append(0x20) }
                    pendingSpace = false
                    output.append(byte)
                }
            }
            if pendingSpace { changed = true }
            return changed ? String(decoding: output, as: UTF8.self) : nil
        }
        if let fast { return fast }
        if !text.utf8.contains(where: { $0 >= 0x80 }) { return text }
        return text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
    }

    /// A stable id for a paper with no arXiv id, derived from its normalised title.
    public static func localID(forTitle title: String) -> String {
        let normalised = collapseWhitespace(title).lowercased()
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in normalised.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        return "pb-" + String(hash, radix: 36)
    }

    /// `text` cut to at most `limit` characters at a word boundary, with an ellipsis when cut.
    public static func trimmed(_ text: String, to limit: Int) -> String {
        // Never more characters than UTF-8 bytes: short texts need no grapheme count.
        guard text.utf8.count > limit else { return text }
        var text = text
        // ASCII without "\r" (one character in "\r\n"): a character is a byte, and bytes are cut directly.
        if let cut = text.withUTF8({ bytes -> String? in
            guard limit >= 0, bytes.allSatisfy({ $0 < 0x80 && $0 != 0x0D }) else { return nil }
            let end = bytes[..<limit].lastIndex(of: UInt8(ascii: " ")) ?? limit
            return String(decoding: bytes[..<end], as: UTF8.self) + "…"
        }) {
            return cut
        }
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + "…"
    }
}
