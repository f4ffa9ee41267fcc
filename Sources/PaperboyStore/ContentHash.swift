import Foundation
import PaperboyCore

/// Ordered string lists (authors, categories) in one column, separated by the ASCII unit separator,
/// which imports strip from names. Cheaper to read on every page than JSON.
package enum ListColumn {
    package static let separator: Character = "\u{1F}"
    private static let separatorByte = separator.asciiValue!

    package static func encode(_ values: [String]) -> String {
        values.joined(separator: String(separator))
    }

    /// Split on the separator's byte: the same values as splitting on the `Character` (U+001F is
    /// a control character, which the grapheme rules always break around), without walking
    /// grapheme clusters, 4.6% of an uncached daily page's time (issue 17). Over the bytes
    /// themselves: the generic `split` of the UTF-8 view and a `Substring` per value were still
    /// half of decoding a feed page's rows (perf).
    package static func decode(_ text: String) -> [String] {
        if text.isEmpty { return [] }
        var text = text
        return text.withUTF8 { bytes in
            var values: [String] = []
            var start = 0
            for index in bytes.indices where bytes[index] == separatorByte {
                values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self))
                start = index + 1
            }
            values.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[start...]), as: UTF8.self))
            return values
        }
    }
}

/// A fingerprint of everything an import record says, so re-importing the same data is a no-op.
/// A day the import chose (placement) is not part of what the source said, so it is left out.
/// Shared with the PostgreSQL store, so both judge "unchanged" alike.
package enum ContentHash {
    package static func of(_ record: PaperRecord) -> Int64 {
        let paper = record.paper
        var hasher = FNV1a()
        let fields: [String?] = [
            paper.id, paper.title, paper.abstract, ListColumn.encode(paper.authors), String(paper.authorCount),
            ListColumn.encode(paper.categories), paper.publishedAt.map { "\($0.timeIntervalSince1970)" },
            paper.updatedAt.map { "\($0.timeIntervalSince1970)" }, paper.version.map(String.init), paper.doi,
            paper.journalRef, paper.authorComments, paper.githubRepo, paper.projectPage, paper.pdfURL, paper.source,
            record.dayIsPlacement ? nil : paper.dailyDay?.iso,
            record.dayIsPlacement ? nil : paper.submittedOnDailyAt.map { "\($0.timeIntervalSince1970)" }, paper.submittedBy,
            record.hasUpvotes ? String(paper.upvotes) : nil, record.hasCommentCount ? String(paper.commentCount) : nil,
        ]
        for field in fields {
            if let field { hasher.add(field) } else { hasher.add("\u{0}nil") }
            hasher.add("\u{1E}")
        }
        return Int64(bitPattern: hasher.value)
    }

    /// Whether writing `record` (whose hash is `hash`) over a stored paper would change nothing:
    /// the same content, and no placed feed day for a paper that has none yet.
    package static func changesNothing(_ record: PaperRecord, hash: Int64, storedHash: Int64, storedOnFeed: Bool) -> Bool {
        storedHash == hash && (!record.dayIsPlacement || storedOnFeed)
    }
}

struct FNV1a {
    var value: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func add(_ text: String) {
        for byte in text.utf8 {
            value ^= UInt64(byte)
            value = value &* 0x100_0000_01b3
        }
    }
}

/// Embeddings as little-endian Float32 bytes (the PostgreSQL store's bytea holds the same).
package enum VectorBlob {
    package static func encode(_ vector: [Float]) -> Data {
        vector.withUnsafeBufferPointer { Data(buffer: $0) }
    }

    package static func decode(_ data: Data) -> [Float] {
        var vector = [Float](repeating: 0, count: data.count / MemoryLayout<Float>.size)
        vector.withUnsafeMutableBytes { _ = data.copyBytes(to: $0) }
        return vector
    }
}
