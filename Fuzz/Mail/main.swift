import Foundation

// Mail: what an SMTP server replies (the first byte 0 picks it), smtp:// configuration URLs
// (1), and MIME messages rendered from untrusted display names, subjects and bodies (2).
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzMail(_ bytes: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let data = fuzzData(bytes, size)
    let rest = data.dropFirst()
    switch bytes[0] % 3 {
    case 0: replies(rest)
    case 1: smtpURL(String(decoding: rest, as: UTF8.self))
    default: mime(rest)
    }
    return 0
}

/// Splits the stream as `SMTPReplyLineDecoder` does and feeds the lines to the client's parser.
func replies(_ data: Data) {
    var parser = SMTPReplyParser()
    var remaining = data[...]
    while !remaining.isEmpty {
        guard let newline = remaining.firstIndex(of: 0x0A) else {
            // The decoder waits for more, or refuses a line over the limit; either way no reply.
            return
        }
        let line = remaining[...newline]
        remaining = remaining[(newline + 1)...]
        let reply: SMTPReply?
        do {
            reply = try parser.add(line: line)
        } catch {
            // The client answers with SMTPError.protocolViolation; a fresh reply would start over.
            parser = SMTPReplyParser()
            continue
        }
        guard let reply else { continue }
        let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .newlines)
        invariant(text.prefix(3).allSatisfy { $0.isASCII && $0.isNumber } && (0...999).contains(reply.code),
                  "reply code \(reply.code) from \(text.prefix(8).debugDescription)")
        invariant(!reply.lines.isEmpty, "a reply without lines")
    }
}

func smtpURL(_ text: String) {
    let configuration: SMTPConfiguration
    do {
        configuration = try SMTPConfiguration.parse(text)
    } catch {
        return
    }
    invariant(!configuration.host.isEmpty, "empty host from \(text.debugDescription)")
    invariant((1...65_535).contains(configuration.port), "port \(configuration.port) from \(text.debugDescription)")
    invariant(!configuration.host.unicodeScalars.contains { $0.value < 0x21 || $0.value == 0x7F }, "host \(configuration.host.debugDescription)")
}

/// Fields separated by NUL: from name, to name, subject, text, html, to address.
func mime(_ data: Data) {
    let fields = data.split(separator: 0, maxSplits: 5, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
    func field(_ index: Int) -> String? { index < fields.count ? fields[index] : nil }
    let message: MailMessage
    do {
        let from = try MailAddress("digest@paperboy.example", name: field(0))
        let to = try MailAddress(field(5) ?? "reader@example.org", name: field(1))
        message = MailMessage(from: from, to: to, subject: field(2) ?? "", text: field(3) ?? "", html: field(4))
    } catch {
        return
    }
    let rendered: String
    do {
        rendered = try message.render(date: Date(timeIntervalSince1970: 1_790_000_000), messageID: "<fuzz@paperboy.example>")
    } catch {
        return
    }
    let bytes = Array(rendered.utf8)
    invariant(bytes.allSatisfy { $0 < 0x80 }, "8-bit byte in the message")
    for (index, byte) in bytes.enumerated() {
        if byte == 0x0D { invariant(index + 1 < bytes.count && bytes[index + 1] == 0x0A, "bare CR at \(index)") }
        if byte == 0x0A { invariant(index > 0 && bytes[index - 1] == 0x0D, "bare LF at \(index)") }
    }
    let lines = rendered.components(separatedBy: "\r\n")
    invariant(lines.allSatisfy { $0.utf8.count <= 998 }, "a line longer than 998 bytes")
    // The header section: the headers render writes, each once, and folded lines.
    guard let blank = lines.firstIndex(of: "") else { return invariant(false, "no end of headers") }
    var seen: [String: Int] = [:]
    for line in lines[..<blank] where !(line.hasPrefix(" ") || line.hasPrefix("\t")) {
        guard let colon = line.firstIndex(of: ":") else { return invariant(false, "header line without a name: \(line.prefix(60))") }
        seen[String(line[..<colon]), default: 0] += 1
    }
    let expected = ["Date", "From", "To", "Message-ID", "Subject", "MIME-Version", "Content-Type"]
        + (message.html == nil ? ["Content-Transfer-Encoding"] : [])
    invariant(seen.keys.sorted() == expected.sorted() && seen.values.allSatisfy { $0 == 1 }, "headers \(seen)")
}
