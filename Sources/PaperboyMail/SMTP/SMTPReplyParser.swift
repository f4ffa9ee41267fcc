import Foundation

/// A reply: the code and its text lines.
public struct SMTPReply: Sendable, Equatable {
    public let code: Int
    public let lines: [String]

    public var text: String { lines.joined(separator: " ") }
}

/// Reads a server's reply lines into replies. Pure over bytes, without NIO, so tests and the
/// fuzz target (Fuzz/SMTPReply) run the same code as `SMTPSession`, which feeds it the lines
/// `SMTPReplyLineDecoder` splits off the connection.
struct SMTPReplyParser {
    /// A line longer than this without its LF is refused: the server is broken or hostile.
    static let maxLineBytes = 8_192

    /// The line is no `NNN text` / `NNN-text` reply line.
    struct Unreadable: Error, Equatable {}

    private var collected: [String] = []

    /// Takes one line, its line ending included or not; returns the reply once a line ends it.
    mutating func add(line bytes: some Collection<UInt8>) throws(Unreadable) -> SMTPReply? {
        let text = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .newlines)
        // Three digits (RFC 5321 4.2): Int alone would also read "+25" or "-12".
        guard text.count >= 3, text.utf8.prefix(3).allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), let code = Int(text.prefix(3)) else {
            throw Unreadable()
        }
        collected.append(String(text.dropFirst(4)))
        // "250-…" continues, "250 …" (or a bare "250") ends the reply.
        if text.count == 3 || text[text.index(text.startIndex, offsetBy: 3)] == " " {
            defer { collected = [] }
            return SMTPReply(code: code, lines: collected)
        }
        return nil
    }
}
