import Foundation

// Comment Markdown to HTML. Beyond not crashing: the only tags in the output are the ones the
// renderer writes, every link is http(s) or a path on this site, and attribute values stay quoted.
let allowedTags: [[UInt8]] = [
    "p", "/p", "br", "strong", "/strong", "em", "/em", "code", "/code", "pre", "/pre",
    "blockquote", "/blockquote", "ul", "/ul", "ol", "/ol", "li", "/li", "/a",
].map { Array("<\($0)>".utf8) }
let linkPrefix = Array("<a href=\"".utf8)
let externalLinkEnd = Array("\" rel=\"nofollow ugc noopener\" target=\"_blank\">".utf8)

func checkHTML(_ html: String, markdown: String) {
    let bytes = Array(html.utf8)
    var index = 0
    var openLinks = 0
    while index < bytes.count {
        guard bytes[index] == UInt8(ascii: "<") else {
            invariant(bytes[index] != UInt8(ascii: ">"), "a raw '>' in text at byte \(index)")
            index += 1
            continue
        }
        let rest = bytes[index...]
        if let tag = allowedTags.first(where: { rest.starts(with: $0) }) {
            if tag == Array("</a>".utf8) { openLinks -= 1 }
            index += tag.count
            continue
        }
        invariant(rest.starts(with: linkPrefix), "a tag the renderer does not write at byte \(index): \(String(decoding: rest.prefix(40), as: UTF8.self))")
        let valueStart = index + linkPrefix.count
        guard let quote = bytes[valueStart...].firstIndex(of: UInt8(ascii: "\"")) else {
            invariant(false, "an unterminated href")
            return
        }
        let url = String(decoding: bytes[valueStart..<quote], as: UTF8.self)
        invariant(isWebURL(url) || (url.utf8.first == UInt8(ascii: "/") && url.utf8.dropFirst().first != UInt8(ascii: "/")), "link to \(url)")
        invariant(!url.contains("<") && !url.contains(">") && !url.contains(" "), "unescaped href \(url)")
        let after = bytes[quote...]
        if after.starts(with: externalLinkEnd) {
            index = quote + externalLinkEnd.count
        } else {
            invariant(after.starts(with: Array("\">".utf8)), "stray attributes after href")
            index = quote + 2
        }
        openLinks += 1
        invariant(openLinks <= 1, "a link inside a link")
    }
    invariant(openLinks == 0, "unclosed link")
    invariant(!html.lowercased().contains("<script"), "<script in output")
}

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzSafeMarkdown(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let markdown = String(decoding: UnsafeBufferPointer(start: bytes, count: size), as: UTF8.self)
    checkHTML(SafeMarkdown.html(markdown), markdown: markdown)
    let plain = SafeMarkdown.plainText(markdown)
    invariant(plain.utf8.count <= markdown.utf8.count * 2 + 16, "plain text grew from \(markdown.utf8.count) to \(plain.utf8.count) bytes")
    return 0
}
