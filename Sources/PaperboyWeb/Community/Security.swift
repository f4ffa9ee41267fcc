import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import PaperboyCore

/// Tokens, hashes and the checks every state-changing request passes.
///
/// - Sign-in links and session cookies carry 32 random bytes; the database keeps only their
///   SHA-256, so a leaked copy of it signs nobody in.
/// - Forms carry a CSRF token: an HMAC of the session (or, before sign-in, of a random
///   `pb_csrf` cookie) under the server's secret. A page from another site can make a browser
///   post, but cannot read the token.
/// - Every POST must also come from this site: a cross-site `Origin` or `Sec-Fetch-Site` is refused.
public struct Security: Sendable {
    /// Raw key bytes: Crypto's SymmetricKey is not Sendable.
    let secretBytes: Data
    var secret: SymmetricKey { SymmetricKey(data: secretBytes) }
    /// Set the `Secure` cookie attribute (the site is served over HTTPS).
    public let secureCookies: Bool
    /// bcrypt's work factor; 12 takes about a quarter of a second, which is the point.
    public let bcryptCost: UInt8
    /// Checked against when an address has no account or no password, so both answers take as long.
    let decoyHash: String

    public static let sessionCookie = "pb_session"
    public static let csrfCookie = "pb_csrf"
    public static let sessionLifetime: TimeInterval = 30 * 86_400
    public static let signInLinkLifetime: TimeInterval = 15 * 60

    /// `secret` from PAPERBOY_SECRET (at least 32 bytes of text); a random one otherwise, which
    /// only means that forms opened before a restart must be reloaded.
    public init(secret: String?, secureCookies: Bool, bcryptCost: UInt8 = 12) {
        if let secret, secret.utf8.count >= 32 {
            secretBytes = Data(SHA256.hash(data: Data(secret.utf8)))
        } else {
            secretBytes = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        }
        self.secureCookies = secureCookies
        self.bcryptCost = bcryptCost
        decoyHash = Bcrypt.hash(UUID().uuidString, cost: bcryptCost)
    }

    public func newToken() -> String {
        let key = SymmetricKey(size: .bits256)
        return key.withUnsafeBytes { Data($0) }.base64URLEncoded
    }

    public func hash(_ token: String) -> Data {
        Data(SHA256.hash(data: Data(token.utf8)))
    }

    func csrfToken(binding: String) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(("csrf|" + binding).utf8), using: secret)).base64URLEncoded
    }

    func csrfTokenIsValid(_ submitted: String?, binding: String) -> Bool {
        guard let submitted, let decoded = Data(base64URLEncoded: submitted) else { return false }
        return HMAC<SHA256>.isValidAuthenticationCode(decoded, authenticating: Data(("csrf|" + binding).utf8), using: secret)
    }

    /// `value.signature`: a link that names `value` for `purpose` and cannot be forged.
    public func signed(_ value: String, purpose: String) -> String {
        let code = Data(HMAC<SHA256>.authenticationCode(for: Data("\(purpose)|\(value)".utf8), using: secret))
        return value + "." + code.prefix(16).base64URLEncoded
    }

    /// The value of a `signed` string, or nil when the signature does not match.
    public func verified(_ signed: String?, purpose: String) -> String? {
        guard let signed, signed.utf8.count <= 200, let dot = signed.lastIndex(of: ".") else { return nil }
        let value = String(signed[..<dot])
        let expected = self.signed(value, purpose: purpose)
        // Constant-time comparison of the whole string.
        guard expected.utf8.count == signed.utf8.count else { return nil }
        var difference: UInt8 = 0
        for (left, right) in zip(expected.utf8, signed.utf8) { difference |= left ^ right }
        return difference == 0 ? value : nil
    }

    func hashPassword(_ password: String) -> String {
        Bcrypt.hash(password, cost: bcryptCost)
    }

    func verifyPassword(_ password: String, hash: String?) -> Bool {
        // A made-up hash for unknown accounts keeps the answer as slow as for known ones.
        Bcrypt.verify(password, hash: hash ?? decoyHash) && hash != nil
    }

    /// Passwords are optional; when set they are 10 to 200 characters.
    static func validatePassword(_ password: String) throws(AccountInputError) {
        guard password.count >= 10 else { throw .badPassword("a password has at least 10 characters") }
        guard password.utf8.count <= 200 else { throw .badPassword("a password has at most 200 characters") }
    }

    // MARK: Cookies

    func cookieHeader(name: String, value: String, maxAge: TimeInterval) -> String {
        var parts = ["\(name)=\(value)", "Path=/", "HttpOnly", "SameSite=Lax", "Max-Age=\(Int(maxAge))"]
        if secureCookies { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    func expiredCookieHeader(name: String) -> String {
        cookieHeader(name: name, value: "", maxAge: 0)
    }

    static func cookie(_ name: String, in request: Request) -> String? {
        for header in request.headers[values: .cookie] {
            for pair in header.split(separator: ";") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2, parts[0].trimmingCharacters(in: .whitespaces) == name {
                    let value = parts[1].trimmingCharacters(in: .whitespaces)
                    // Our tokens are base64url; anything else is not ours.
                    guard !value.isEmpty, value.utf8.count <= 100,
                          value.utf8.allSatisfy({ $0.isBase64URL }) else { return nil }
                    return value
                }
            }
        }
        return nil
    }

    /// False for requests another site's page made the browser send.
    static func isSameOrigin(_ request: Request) -> Bool {
        if let site = request.headers[HTTPField.Name("Sec-Fetch-Site")!], site == "cross-site" || site == "same-site" {
            return false
        }
        if let origin = request.headers[HTTPField.Name("Origin")!] {
            guard origin != "null", let host = URL(string: origin)?.host else { return false }
            let authority = request.head.authority ?? ""
            let requestHost = authority.split(separator: ":").first.map(String.init) ?? authority
            return host.lowercased() == requestHost.lowercased()
                || request.headers[HTTPField.Name("X-Forwarded-Host")!]?.lowercased() == host.lowercased()
        }
        return true
    }
}

extension UInt8 {
    var isBase64URL: Bool {
        (self >= 0x30 && self <= 0x39) || (self >= 0x41 && self <= 0x5A) || (self >= 0x61 && self <= 0x7A) || self == 0x2D || self == 0x5F
    }
}

extension Data {
    var base64URLEncoded: String {
        base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    init?(base64URLEncoded text: String) {
        guard text.utf8.count <= 200, text.utf8.allSatisfy({ $0.isBase64URL }) else { return nil }
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while base64.utf8.count % 4 != 0 { base64 += "=" }
        self.init(base64Encoded: base64)
    }
}
