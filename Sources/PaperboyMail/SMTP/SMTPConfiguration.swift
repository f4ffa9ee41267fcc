import Foundation

/// Where and how to deliver by SMTP, read from a URL:
///
///     smtp://user:password@host:587?starttls=required   (the default: STARTTLS must be offered)
///     smtp://host:25?starttls=optional                  (TLS when offered)
///     smtp://host:2525?starttls=none                    (plain text; loopback sinks and tests)
///     smtps://user:password@host:465                    (TLS from the first byte)
///
/// User and password are percent-decoded; AUTH is used only when they are given.
public struct SMTPConfiguration: Sendable, Equatable {
    public enum Security: String, Sendable, Equatable {
        case none, startTLSOptional, startTLSRequired, implicitTLS
    }

    public var host: String
    public var port: Int
    public var security: Security
    public var username: String?
    public var password: String?
    /// The name given in EHLO.
    public var helloName: String
    /// Seconds to wait for a connection or for any one reply.
    public var timeout: TimeInterval
    /// PEM file of certificates to trust instead of the system's (a private relay, tests).
    public var trustRootsFile: String?

    public init(
        host: String, port: Int, security: Security = .startTLSRequired, username: String? = nil, password: String? = nil,
        helloName: String = "paperboy.localhost", timeout: TimeInterval = 30, trustRootsFile: String? = nil
    ) {
        self.host = host
        self.port = port
        self.security = security
        self.username = username
        self.password = password
        self.helloName = helloName
        self.timeout = timeout
        self.trustRootsFile = trustRootsFile
    }

    public static func parse(_ text: String) throws(SMTPError) -> SMTPConfiguration {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "smtp" || scheme == "smtps", let host = components.host, !host.isEmpty else {
            throw .configuration("expected smtp://[user:password@]host[:port][?starttls=required|optional|none] or smtps://…")
        }
        // Percent-decoded, the host could hold spaces or control characters that end up in
        // connection errors and logs; a port out of range (or too long for an Int, which
        // URLComponents reports as no port) would fail only at the first send.
        guard !host.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            throw .configuration("the SMTP host contains spaces or control characters")
        }
        let portText = writtenPort(text) ?? ""
        if !portText.isEmpty, !(components.port.map { (1...65_535).contains($0) } ?? false) {
            throw .configuration("the SMTP port must be a number from 1 to 65535, not \(portText.prefix(20))")
        }
        var security: Security = scheme == "smtps" ? .implicitTLS : .startTLSRequired
        var trust: String?
        for item in components.queryItems ?? [] {
            switch (item.name, item.value) {
            case ("starttls", "required"): security = .startTLSRequired
            case ("starttls", "optional"): security = .startTLSOptional
            case ("starttls", "none"): security = .none
            case ("trust", let value?): trust = value
            default: throw .configuration("unknown SMTP URL parameter \(item.name)=\(item.value ?? "")")
            }
        }
        if scheme == "smtps" { security = .implicitTLS }
        return SMTPConfiguration(
            host: host, port: components.port ?? (scheme == "smtps" ? 465 : 587), security: security,
            username: components.percentEncodedUser.flatMap { $0.removingPercentEncoding },
            password: components.percentEncodedPassword.flatMap { $0.removingPercentEncoding },
            trustRootsFile: trust)
    }
}

extension SMTPConfiguration {
    /// The port as written after the host, or nil. Read from the text itself: URLComponents'
    /// ranges index its own (re-encoded) copy, and it reports an over-long port as none.
    static func writtenPort(_ text: String) -> Substring? {
        guard let schemeEnd = text.range(of: "://") else { return nil }
        let authority = text[schemeEnd.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? authority
        let afterHost = hostAndPort.hasPrefix("[") ? hostAndPort.drop { $0 != "]" } : hostAndPort
        guard let colon = afterHost.lastIndex(of: ":") else { return nil }
        return afterHost[afterHost.index(after: colon)...]
    }
}

public enum SMTPError: Error, Equatable, CustomStringConvertible {
    /// A 4xx reply: try again later.
    case temporary(code: Int, message: String)
    /// A 5xx reply: do not retry this message.
    case permanent(code: Int, message: String)
    case connection(String)
    case timeout(String)
    case protocolViolation(String)
    case configuration(String)

    public var description: String {
        switch self {
        case .temporary(let code, let message): "temporary SMTP failure \(code): \(message)"
        case .permanent(let code, let message): "permanent SMTP failure \(code): \(message)"
        case .connection(let reason): "SMTP connection failed: \(reason)"
        case .timeout(let what): "SMTP server did not answer in time (\(what))"
        case .protocolViolation(let reason): "SMTP protocol error: \(reason)"
        case .configuration(let reason): "bad SMTP configuration: \(reason)"
        }
    }

    /// Worth retrying later: 4xx replies, lost connections and timeouts.
    public var isTemporary: Bool {
        switch self {
        case .temporary, .connection, .timeout: true
        case .permanent, .protocolViolation, .configuration: false
        }
    }
}
