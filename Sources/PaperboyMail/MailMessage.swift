import Foundation
import PaperboyCore

/// An email: one sender, one recipient, a subject, a plain-text body and optionally an HTML
/// alternative. `render` produces RFC 5322 text with CRLF line endings, UTF-8 throughout
/// (encoded words in headers, quoted-printable bodies), so any transport can send it as is.
public struct MailMessage: Sendable, Equatable {
    public var from: MailAddress
    public var to: MailAddress
    public var subject: String
    /// Extra headers, such as List-Unsubscribe; names and values are checked by `render`.
    public var headers: [(name: String, value: String)]
    public var text: String
    public var html: String?

    public init(from: MailAddress, to: MailAddress, subject: String, headers: [(name: String, value: String)] = [], text: String, html: String? = nil) {
        self.from = from
        self.to = to
        self.subject = subject
        self.headers = headers
        self.text = text
        self.html = html
    }

    public static func == (left: MailMessage, right: MailMessage) -> Bool {
        left.from == right.from && left.to == right.to && left.subject == right.subject && left.text == right.text
            && left.html == right.html && left.headers.map(\.name) == right.headers.map(\.name) && left.headers.map(\.value) == right.headers.map(\.value)
    }

    /// CR or LF anywhere (checked on scalars: "\r\n" is one Character and equals neither).
    static func hasLineBreak(_ text: String) -> Bool {
        text.unicodeScalars.contains { $0 == "\r" || $0 == "\n" }
    }

    /// The message as sent; `messageID` is `<random@domain>`.
    public func render(date: Date, messageID: String) throws(MailError) -> String {
        for (name, value) in headers {
            guard !name.isEmpty, name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: ":") }) else { throw .badHeader(name) }
            guard !Self.hasLineBreak(value) else { throw .badHeader(name) }
        }
        guard !Self.hasLineBreak(subject) else { throw .badHeader("Subject") }
        var lines = [
            "Date: " + MailDate.format(date),
            "From: " + from.headerValue,
            "To: " + to.headerValue,
            "Message-ID: " + messageID,
            "Subject: " + HeaderEncoding.encode(subject, headerNameLength: 9),
            "MIME-Version: 1.0",
        ]
        lines += headers.map { "\($0.name): \($0.value)" }
        if let html {
            let boundary = "=_paperboy_" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
            lines.append("Content-Type: multipart/alternative;\r\n boundary=\"\(boundary)\"")
            lines.append("")
            lines.append("This is a multi-part message in MIME format.")
            for (type, body) in [("text/plain", text), ("text/html", html)] {
                lines.append("--" + boundary)
                lines.append("Content-Type: \(type); charset=utf-8")
                lines.append("Content-Transfer-Encoding: quoted-printable")
                lines.append("")
                lines.append(QuotedPrintable.encode(body))
            }
            lines.append("--" + boundary + "--")
        } else {
            lines.append("Content-Type: text/plain; charset=utf-8")
            lines.append("Content-Transfer-Encoding: quoted-printable")
            lines.append("")
            lines.append(QuotedPrintable.encode(text))
        }
        return lines.joined(separator: "\r\n") + "\r\n"
    }
}

/// An address with an optional display name. Display names are encoded when not plain ASCII.
public struct MailAddress: Sendable, Equatable {
    public let address: String
    public let name: String?

    public init(_ address: String, name: String? = nil) throws(MailError) {
        do {
            self.address = try EmailAddress.normalize(address)
        } catch {
            throw .badAddress(String(address.prefix(80)), error.description)
        }
        // Headers and MAIL FROM/RCPT TO carry the address raw, and without SMTPUTF8 they must be
        // ASCII; accounts may hold other addresses (the sign-up form allows them).
        guard self.address.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw .badAddress(String(address.prefix(80)), "only ASCII addresses can be mailed")
        }
        if let name, name.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .badAddress(String(address.prefix(80)), "a display name has no line breaks or control characters")
        }
        self.name = name
    }

    var headerValue: String {
        guard let name, !name.isEmpty else { return address }
        let plain = name.utf8.allSatisfy { $0 >= 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "\"") && $0 != UInt8(ascii: "\\") }
        return (plain ? "\"\(name)\"" : HeaderEncoding.encodedWords(name)) + " <\(address)>"
    }
}

public enum MailError: Error, Equatable, CustomStringConvertible {
    case badAddress(String, String)
    case badHeader(String)
    case cannotWrite(String)

    public var description: String {
        switch self {
        case .badAddress(let address, let reason): "\(address) is not a usable address: \(reason)"
        case .badHeader(let name): "the \(name) header contains a line break or is malformed"
        case .cannotWrite(let reason): "cannot store the message: \(reason)"
        }
    }
}

/// RFC 2047 encoded words for non-ASCII header text, each at most 75 characters.
enum HeaderEncoding {
    static func encode(_ text: String, headerNameLength: Int) -> String {
        if text.utf8.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) && text.utf8.count + headerNameLength <= 78 { return text }
        return encodedWords(text)
    }

    static func encodedWords(_ text: String) -> String {
        // Split on character boundaries so no UTF-8 sequence is cut between two words.
        var words: [String] = []
        var chunk = Data()
        for character in text {
            let bytes = Data(String(character).utf8)
            // 39 bytes make 52 base64 characters: with "Subject: " and the markers, under 78.
            if chunk.count + bytes.count > 39 {
                words.append("=?UTF-8?B?" + chunk.base64EncodedString() + "?=")
                chunk = Data()
            }
            chunk.append(bytes)
        }
        if !chunk.isEmpty || words.isEmpty { words.append("=?UTF-8?B?" + chunk.base64EncodedString() + "?=") }
        return words.joined(separator: "\r\n ")
    }
}

/// Quoted-printable (RFC 2045) with lines of at most 76 characters; line breaks (LF, CR or
/// CRLF) become CRLF hard breaks. Works on bytes: digests encode megabytes per second.
enum QuotedPrintable {
    static let hex = Array("0123456789ABCDEF".utf8)

    static func encode(_ text: String) -> String {
        let input = Array(text.utf8)
        var output: [UInt8] = []
        output.reserveCapacity(input.count + input.count / 8)
        var length = 0
        var index = 0
        while index < input.count {
            let byte = input[index]
            if byte == 0x0D || byte == 0x0A {
                output.append(0x0D)
                output.append(0x0A)
                length = 0
                index += (byte == 0x0D && index + 1 < input.count && input[index + 1] == 0x0A) ? 2 : 1
                continue
            }
            let next = index + 1 < input.count ? input[index + 1] : 0x0A
            let atLineEnd = next == 0x0A || next == 0x0D
            let literal = (byte >= 33 && byte <= 126 && byte != UInt8(ascii: "=")) || ((byte == 0x20 || byte == 0x09) && !atLineEnd)
            let width = literal ? 1 : 3
            // A soft line break ("=" at the end) keeps every line within 76 characters.
            if length + width > 75 {
                output.append(UInt8(ascii: "="))
                output.append(0x0D)
                output.append(0x0A)
                length = 0
            }
            if literal {
                output.append(byte)
            } else {
                output.append(UInt8(ascii: "="))
                output.append(hex[Int(byte >> 4)])
                output.append(hex[Int(byte & 0x0F)])
            }
            length += width
            index += 1
        }
        return String(decoding: output, as: UTF8.self)
    }
}

extension String {
    var leftPaddedHex: String { count == 1 ? "0" + self : self }
}

enum MailDate {
    /// RFC 5322 date, always in UTC: "Tue, 24 Nov 2026 16:30:00 +0000".
    static func format(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "EEE, dd MMM yyyy HH:mm:ss '+0000'"
        return formatter.string(from: date)
    }
}
