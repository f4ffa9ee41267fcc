import Foundation

/// The Markdown subset of comments, rendered to HTML that is safe by construction: every byte
/// of input is escaped, and the only tags in the output are the ones this renderer writes
/// (p, br, strong, em, code, pre, blockquote, ul, ol, li, a). Links must be http(s); anything
/// else stays text. Written here because the one Markdown package available (Ink) passes raw
/// HTML through, which a comment box must never do.
///
/// Supported: paragraphs (a single newline is a line break), **bold**, *italic* or _italic_,
/// `code`, fenced code blocks, "> " quotes, "- " / "1. " lists, [text](https://…) links,
/// bare https:// links and arXiv:YYMM.NNNNN references.
public enum SafeMarkdown {
    public static func html(_ markdown: String) -> String {
        var renderer = BlockRenderer(lines: normalizedLines(markdown))
        return renderer.render()
    }

    /// The text without markup, for previews and plain-text mail.
    public static func plainText(_ markdown: String) -> String {
        var text = ""
        var inTag = false
        for character in html(markdown) {
            if character == "<" { inTag = true; continue }
            if character == ">" { inTag = false; continue }
            if !inTag { text.append(character) }
        }
        return text.replacingOccurrences(of: "&lt;", with: "<").replacingOccurrences(of: "&gt;", with: ">")
            .replacingOccurrences(of: "&quot;", with: "\"").replacingOccurrences(of: "&#39;", with: "'")
            .replacingOccurrences(of: "&amp;", with: "&")
    }

    /// CRLF and CR become LF; control characters other than tab and newline are dropped.
    static func normalizedLines(_ text: String) -> [[UInt8]] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var previousWasCR = false
        for byte in text.utf8 {
            if byte == 0x0D { bytes.append(0x0A); previousWasCR = true; continue }
            if byte == 0x0A && previousWasCR { previousWasCR = false; continue }
            previousWasCR = false
            if byte < 0x20 && byte != 0x0A && byte != 0x09 || byte == 0x7F { continue }
            bytes.append(byte)
        }
        return bytes.split(separator: 0x0A, omittingEmptySubsequences: false).map(Array.init)
    }

    static func escape(_ bytes: ArraySlice<UInt8>, into output: inout [UInt8]) {
        for byte in bytes {
            switch byte {
            case UInt8(ascii: "&"): output += Array("&amp;".utf8)
            case UInt8(ascii: "<"): output += Array("&lt;".utf8)
            case UInt8(ascii: ">"): output += Array("&gt;".utf8)
            case UInt8(ascii: "\""): output += Array("&quot;".utf8)
            case UInt8(ascii: "'"): output += Array("&#39;".utf8)
            default: output.append(byte)
            }
        }
    }

    /// Only absolute http(s) URLs without spaces, quotes, angle brackets or backslashes.
    static func isSafeURL(_ url: ArraySlice<UInt8>) -> Bool {
        guard url.count <= 2_000 else { return false }
        let lower = url.prefix(8).map { $0 >= 0x41 && $0 <= 0x5A ? $0 + 0x20 : $0 }
        let scheme = lower.starts(with: Array("https://".utf8)) || lower.starts(with: Array("http://".utf8))
        guard scheme, url.count > (lower.starts(with: Array("https://".utf8)) ? 8 : 7) else { return false }
        return !url.contains { $0 <= 0x20 || $0 == 0x7F || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "<")
            || $0 == UInt8(ascii: ">") || $0 == UInt8(ascii: "\\") || $0 == UInt8(ascii: "`") }
    }
}

private struct BlockRenderer {
    let lines: [[UInt8]]
    var index = 0
    var output: [UInt8] = []

    init(lines: [[UInt8]]) { self.lines = lines }

    mutating func render() -> String {
        while index < lines.count {
            let line = lines[index]
            if isBlank(line) { index += 1; continue }
            if line.starts(with: Array("```".utf8)) { codeBlock(); continue }
            if line.first == UInt8(ascii: ">") { quote(); continue }
            if listMarker(line, ordered: false) != nil { list(ordered: false); continue }
            if listMarker(line, ordered: true) != nil { list(ordered: true); continue }
            paragraph()
        }
        return String(decoding: output, as: UTF8.self)
    }

    func isBlank(_ line: [UInt8]) -> Bool { line.allSatisfy { $0 == 0x20 || $0 == 0x09 } }

    /// Where a list item's text starts, or nil when the line is no list item of that kind.
    func listMarker(_ line: [UInt8], ordered: Bool) -> Int? {
        if !ordered {
            guard line.count >= 2, [UInt8(ascii: "-"), UInt8(ascii: "*"), UInt8(ascii: "+")].contains(line[0]), line[1] == 0x20 else { return nil }
            return 2
        }
        var position = 0
        while position < line.count, position < 9, line[position] >= 0x30, line[position] <= 0x39 { position += 1 }
        guard position > 0, position + 1 < line.count, line[position] == UInt8(ascii: "."), line[position + 1] == 0x20 else { return nil }
        return position + 2
    }

    mutating func append(_ text: String) { output += Array(text.utf8) }

    mutating func codeBlock() {
        index += 1
        append("<pre><code>")
        var first = true
        while index < lines.count, !lines[index].starts(with: Array("```".utf8)) {
            if !first { output.append(0x0A) }
            SafeMarkdown.escape(lines[index][...], into: &output)
            first = false
            index += 1
        }
        index += 1 // the closing fence, if any
        append("</code></pre>\n")
    }

    mutating func quote() {
        var inner: [[UInt8]] = []
        while index < lines.count, lines[index].first == UInt8(ascii: ">") {
            var line = lines[index].dropFirst()
            if line.first == 0x20 { line = line.dropFirst() }
            inner.append(Array(line))
            index += 1
        }
        append("<blockquote><p>")
        inlineLines(inner.filter { !isBlank($0) })
        append("</p></blockquote>\n")
    }

    mutating func list(ordered: Bool) {
        append(ordered ? "<ol>" : "<ul>")
        while index < lines.count, let start = listMarker(lines[index], ordered: ordered) {
            append("<li>")
            var inline = InlineRenderer()
            inline.render(lines[index][start...], depth: 0)
            output += inline.output
            append("</li>")
            index += 1
        }
        append(ordered ? "</ol>\n" : "</ul>\n")
    }

    mutating func paragraph() {
        var block: [[UInt8]] = []
        while index < lines.count, !isBlank(lines[index]), !lines[index].starts(with: Array("```".utf8)),
              lines[index].first != UInt8(ascii: ">") {
            if !block.isEmpty, listMarker(lines[index], ordered: false) != nil || listMarker(lines[index], ordered: true) != nil { break }
            block.append(lines[index])
            index += 1
        }
        append("<p>")
        inlineLines(block)
        append("</p>\n")
    }

    mutating func inlineLines(_ block: [[UInt8]]) {
        for (number, line) in block.enumerated() {
            if number > 0 { append("<br>\n") }
            var inline = InlineRenderer()
            inline.render(line[...], depth: 0)
            output += inline.output
        }
    }
}

/// Code spans, links and emphasis within one line. Closers are looked for only a bounded
/// distance ahead, so hostile input ("*****…") stays linear.
private struct InlineRenderer {
    var output: [UInt8] = []
    static let lookahead = 300
    static let maximumDepth = 4

    mutating func append(_ text: String) { output += Array(text.utf8) }

    func find(_ needle: [UInt8], in text: ArraySlice<UInt8>, from start: Int, within distance: Int) -> Int? {
        guard !needle.isEmpty else { return nil }
        var position = start
        let end = min(text.endIndex, start + distance)
        while position + needle.count <= end {
            if text[position] == needle[0], text[position..<(position + needle.count)].elementsEqual(needle) { return position }
            position += 1
        }
        return nil
    }

    /// `inLink`: inside a link's text, where another link (bracketed, bare or arXiv:) would nest
    /// an `<a>` in an `<a>`, which browsers take apart unpredictably.
    mutating func render(_ text: ArraySlice<UInt8>, depth: Int, inLink: Bool = false) {
        var position = text.startIndex
        var plainStart = position
        func flush(_ renderer: inout InlineRenderer, upTo end: Int) {
            if plainStart < end { SafeMarkdown.escape(text[plainStart..<end], into: &renderer.output) }
        }
        while position < text.endIndex {
            let byte = text[position]
            // `code`
            if byte == UInt8(ascii: "`"), let close = find([UInt8(ascii: "`")], in: text, from: position + 1, within: Self.lookahead), close > position + 1 {
                flush(&self, upTo: position)
                append("<code>")
                SafeMarkdown.escape(text[(position + 1)..<close], into: &output)
                append("</code>")
                position = close + 1
                plainStart = position
                continue
            }
            // [text](url)
            if byte == UInt8(ascii: "["), depth < Self.maximumDepth, !inLink,
               let middle = find(Array("](".utf8), in: text, from: position + 1, within: Self.lookahead),
               let close = find([UInt8(ascii: ")")], in: text, from: middle + 2, within: 2_000) {
                let url = text[(middle + 2)..<close]
                if SafeMarkdown.isSafeURL(url), middle > position + 1 {
                    flush(&self, upTo: position)
                    append("<a href=\"")
                    SafeMarkdown.escape(url, into: &output)
                    append("\" rel=\"nofollow ugc noopener\" target=\"_blank\">")
                    render(text[(position + 1)..<middle], depth: depth + 1, inLink: true)
                    append("</a>")
                    position = close + 1
                    plainStart = position
                    continue
                }
            }
            // Bare links, at the start of a word.
            if byte == UInt8(ascii: "h"), !inLink, position == text.startIndex || !isWordByte(text[position - 1]),
               text[position...].starts(with: Array("http://".utf8)) || text[position...].starts(with: Array("https://".utf8)) {
                var end = position
                while end < text.endIndex, text[end] > 0x20, text[end] != UInt8(ascii: "<"), text[end] != UInt8(ascii: ">"),
                      text[end] != UInt8(ascii: "\""), end - position < 2_000 { end += 1 }
                while end > position, [UInt8(ascii: "."), UInt8(ascii: ","), UInt8(ascii: ";"), UInt8(ascii: ":"), UInt8(ascii: "!"),
                                        UInt8(ascii: "?"), UInt8(ascii: ")"), UInt8(ascii: "'")].contains(text[end - 1]) { end -= 1 }
                let url = text[position..<end]
                if SafeMarkdown.isSafeURL(url) {
                    flush(&self, upTo: position)
                    append("<a href=\"")
                    SafeMarkdown.escape(url, into: &output)
                    append("\" rel=\"nofollow ugc noopener\" target=\"_blank\">")
                    SafeMarkdown.escape(url, into: &output)
                    append("</a>")
                    position = end
                    plainStart = position
                    continue
                }
            }
            // arXiv:2401.12345 → this site's paper page.
            if byte == UInt8(ascii: "a") || byte == UInt8(ascii: "A"), !inLink, position == text.startIndex || !isWordByte(text[position - 1]),
               text[position...].prefix(6).map({ $0 | 0x20 }).elementsEqual(Array("arxiv:".utf8)) {
                var end = position + 6
                while end < text.endIndex, end - position < 30, isWordByte(text[end]) || text[end] == UInt8(ascii: ".") { end += 1 }
                while end > position + 6, text[end - 1] == UInt8(ascii: ".") { end -= 1 }
                let id = String(decoding: text[(position + 6)..<end], as: UTF8.self)
                if let parsed = ArxivID.parse(id), !id.contains("/") {
                    flush(&self, upTo: position)
                    append("<a href=\"\(Links.paper(parsed.id))\">")
                    SafeMarkdown.escape(text[position..<end], into: &output)
                    append("</a>")
                    position = end
                    plainStart = position
                    continue
                }
            }
            // **bold**, then *italic* / _italic_
            if byte == UInt8(ascii: "*") || byte == UInt8(ascii: "_"), depth < Self.maximumDepth {
                let double = position + 1 < text.endIndex && text[position + 1] == byte && byte == UInt8(ascii: "*")
                let marker = double ? [byte, byte] : [byte]
                let innerStart = position + marker.count
                let opensWord = innerStart < text.endIndex && text[innerStart] != 0x20
                let wordInside = byte == UInt8(ascii: "_") && position > text.startIndex && isWordByte(text[position - 1])
                if opensWord, !wordInside, let close = find(marker, in: text, from: innerStart + 1, within: Self.lookahead),
                   text[close - 1] != 0x20 {
                    flush(&self, upTo: position)
                    append(double ? "<strong>" : "<em>")
                    render(text[innerStart..<close], depth: depth + 1, inLink: inLink)
                    append(double ? "</strong>" : "</em>")
                    position = close + marker.count
                    plainStart = position
                    continue
                }
            }
            position += 1
        }
        flush(&self, upTo: text.endIndex)
    }

    func isWordByte(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == UInt8(ascii: "_") || byte >= 0x80
    }
}
