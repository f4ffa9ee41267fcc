import Foundation

/// Small text utilities shared by imports and pages.
public enum TextTools {
    /// The first GitHub repository URL in `text`, normalised to `https://github.com/owner/repo`.
    public static func githubRepository(in text: String) -> String? {
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

    /// Collapses runs of white space (abstracts from arXiv carry hard line breaks).
    public static func collapseWhitespace(_ text: String) -> String {
        text.split(whereSeparator: { $0.isWhitespace }).joined(separator: " ")
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
        guard text.count > limit else { return text }
        let cut = text.prefix(limit)
        let end = cut.lastIndex(of: " ") ?? cut.endIndex
        return String(cut[..<end]) + "…"
    }
}
