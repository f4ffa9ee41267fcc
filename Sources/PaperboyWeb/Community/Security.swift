import Crypto
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdBcrypt
import PaperboyCore
import PaperboyStore
import Synchronization

/// Tokens, hashes and the checks every state-changing request passes.
///
/// - Sign-in links and session cookies carry 32 random bytes; the database keeps only their
///   SHA-256, so a leaked copy of it signs nobody in.
/// - Forms carry a CSRF token: an HMAC of the session (or, before sign-in, of a random
///   `pb_csrf` cookie) under the server's secret. A page from another site can make a browser
///   post, but cannot read the token.
/// - Every POST must also come from this site: a cross-site `Origin` or `Sec-Fetch-Site` is refused.
public struct Security: Sendable {
    /// The keys forms and mailed links are signed with: the current one, and retired ones still
    /// accepted until their grace period ends.
    public let keys: SecretKeyRing
    var secret: SymmetricKey { keys.current }
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

    /// Signs with `keys`: the database's (`SecretKeyRing.load`), which every instance shares and
    /// which survive restarts.
    public init(keys: SecretKeyRing, secureCookies: Bool, bcryptCost: UInt8 = 12) {
        self.keys = keys
        self.secureCookies = secureCookies
        self.bcryptCost = bcryptCost
        decoyHash = Bcrypt.hash(UUID().uuidString, cost: bcryptCost)
    }

    /// One fixed key derived from `secret` (at least 32 bytes of text), or a random one: for tests
    /// and benchmarks. A server uses the database's keys.
    public init(secret: String?, secureCookies: Bool, bcryptCost: UInt8 = 12) {
        self.init(keys: SecretKeyRing(fixed: secret), secureCookies: secureCookies, bcryptCost: bcryptCost)
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

    /// True when `submitted` was made for `binding` with the current key or a retired one still in its grace period.
    func csrfTokenIsValid(_ submitted: String?, binding: String) -> Bool {
        guard let submitted, let decoded = Data(base64URLEncoded: submitted) else { return false }
        return keys.accepted(now: Date()).contains { key in
            HMAC<SHA256>.isValidAuthenticationCode(decoded, authenticating: Data(("csrf|" + binding).utf8), using: key)
        }
    }

    /// `value.signature`: a link that names `value` for `purpose` and cannot be forged.
    public func signed(_ value: String, purpose: String) -> String {
        signed(value, purpose: purpose, key: secret)
    }

    func signed(_ value: String, purpose: String, key: SymmetricKey) -> String {
        let code = Data(HMAC<SHA256>.authenticationCode(for: Data("\(purpose)|\(value)".utf8), using: key))
        return value + "." + code.prefix(16).base64URLEncoded
    }

    /// The value of a `signed` string, or nil when the signature matches no accepted key.
    public func verified(_ signed: String?, purpose: String) -> String? {
        guard let signed, signed.utf8.count <= 1_000, let dot = signed.lastIndex(of: ".") else { return nil }
        let value = String(signed[..<dot])
        for key in keys.accepted(now: Date()) {
            let expected = self.signed(value, purpose: purpose, key: key)
            // Constant-time comparison of the whole string.
            guard expected.utf8.count == signed.utf8.count else { continue }
            var difference: UInt8 = 0
            for (left, right) in zip(expected.utf8, signed.utf8) { difference |= left ^ right }
            if difference == 0 { return value }
        }
        return nil
    }

    func hashPassword(_ password: String) -> String {
        Bcrypt.hash(password, cost: bcryptCost)
    }

    func verifyPassword(_ password: String, hash: String?) -> Bool {
        // A made-up hash for unknown accounts keeps the answer as slow as for known ones.
        Bcrypt.verify(password, hash: hash ?? decoyHash) && hash != nil
    }

    /// Passwords are optional; when set they are 10 characters to 72 bytes. bcrypt reads only the
    /// first 72 bytes, so a longer one is refused rather than silently cut (pre-hashing would make
    /// the stored hashes differ from plain bcrypt's).
    static let maximumPasswordBytes = 72

    static func validatePassword(_ password: String) throws(AccountInputError) {
        guard password.count >= 10 else { throw .badPassword("a password has at least 10 characters") }
        guard password.utf8.count <= maximumPasswordBytes else {
            throw .badPassword("a password has at most 72 bytes (72 plain letters, fewer with accents or other scripts): only that much of it would count")
        }
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
    ///
    /// `Origin` must be the site's own origin, scheme, host and port alike: the configured public
    /// URL's, or, when none is configured, also `http://` plus the `Host` the browser used (a demo
    /// opened as localhost instead of 127.0.0.1). `X-Forwarded-Host` is never read: anyone can send it.
    static func isSameOrigin(_ request: Request, site: SiteAddress) -> Bool {
        if let fetchSite = request.headers[HTTPField.Name("Sec-Fetch-Site")!], fetchSite == "cross-site" || fetchSite == "same-site" {
            return false
        }
        guard let origin = request.headers[HTTPField.Name("Origin")!] else { return true }
        guard origin != "null", let given = SiteAddress.origin(of: origin) else { return false }
        if given == site.origin { return true }
        guard !site.isConfigured, let authority = request.head.authority, !authority.isEmpty,
              let requested = SiteAddress.origin(of: "http://\(authority)") else { return false }
        return given == requested
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

/// The server's signing keys, kept in the database (`service_state` "secret-keys") so that every
/// instance signs alike and a restart breaks no mailed link or open form.
///
/// The first instance to start makes the key; `paperboy secret rotate` makes a new current key
/// and keeps the old one accepted for a grace period (mailed unsubscribe links must keep working,
/// RFC 8058). Running servers reread the keys every minute (`refresh`). `PAPERBOY_SECRET`, when
/// set, is the one key instead, for operators who keep secrets outside the database.
public final class SecretKeyRing: Sendable {
    /// What is stored, as JSON.
    public struct Stored: Codable, Sendable, Equatable {
        public struct Retired: Codable, Sendable, Equatable {
            public var key: String
            public var acceptedUntil: Date
        }

        /// Base64 of 32 random bytes.
        public var current: String
        public var retired: [Retired]

        public static func new() -> Stored {
            Stored(current: SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }.base64EncodedString(), retired: [])
        }

        /// A new current key; the old one is accepted until `now + grace`. Keys past their grace are dropped.
        public func rotated(now: Date, grace: TimeInterval) -> Stored {
            var next = Stored.new()
            next.retired = retired.filter { $0.acceptedUntil > now } + [Retired(key: current, acceptedUntil: now.addingTimeInterval(grace))]
            return next
        }

        func encoded() throws -> String {
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .secondsSince1970
            return String(decoding: try encoder.encode(self), as: UTF8.self)
        }

        static func decode(_ text: String) throws -> Stored {
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            let stored = try decoder.decode(Stored.self, from: Data(text.utf8))
            guard Data(base64Encoded: stored.current)?.count == 32, stored.retired.allSatisfy({ Data(base64Encoded: $0.key)?.count == 32 }) else {
                throw SecretKeyError(description: "the stored secret keys are damaged: each must be 32 bytes of base64")
            }
            return stored
        }
    }

    public static let stateName = "secret-keys"

    struct Keys {
        var current: Data
        var retired: [(key: Data, until: Date)]
    }

    private let state: Mutex<Keys>
    /// True when the keys came from `PAPERBOY_SECRET` (or a test's fixed text), not the database.
    public let isFixed: Bool

    init(_ stored: Stored) {
        state = Mutex(Self.keys(stored))
        isFixed = false
    }

    /// One key derived from `secret` when it has at least 32 bytes, else a random key.
    public init(fixed secret: String?) {
        let bytes: Data = if let secret, secret.utf8.count >= 32 {
            Data(SHA256.hash(data: Data(secret.utf8)))
        } else {
            SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
        }
        state = Mutex(Keys(current: bytes, retired: []))
        isFixed = true
    }

    static func keys(_ stored: Stored) -> Keys {
        Keys(current: Data(base64Encoded: stored.current) ?? Data(),
             retired: stored.retired.compactMap { retired in Data(base64Encoded: retired.key).map { ($0, retired.acceptedUntil) } })
    }

    /// `environmentSecret` when given; otherwise the database's keys, made on first use.
    public static func load(store: any CoordinationStore, environmentSecret: String?, now: Date = Date()) async throws -> SecretKeyRing {
        if let environmentSecret {
            guard environmentSecret.utf8.count >= 32 else {
                throw SecretKeyError(description: "PAPERBOY_SECRET must be at least 32 characters; unset it to keep the key in the database")
            }
            return SecretKeyRing(fixed: environmentSecret)
        }
        let text = try await store.initialServiceState(stateName, value: try Stored.new().encoded(), now: now)
        return SecretKeyRing(try Stored.decode(text))
    }

    /// Rereads the database's keys, so a rotation made elsewhere is used here within a minute.
    public func refresh(store: any CoordinationStore) async throws {
        guard !isFixed, let text = try await store.serviceState(Self.stateName) else { return }
        let keys = Self.keys(try Stored.decode(text))
        state.withLock { $0 = keys }
    }

    /// Makes a new current key in the database; the old one stays accepted for `grace`.
    public static func rotate(store: any CoordinationStore, grace: TimeInterval, now: Date = Date()) async throws -> Stored {
        let text = try await store.initialServiceState(stateName, value: try Stored.new().encoded(), now: now)
        let next = try Stored.decode(text).rotated(now: now, grace: grace)
        try await store.setServiceState(stateName, value: try next.encoded(), now: now)
        return next
    }

    var current: SymmetricKey { SymmetricKey(data: state.withLock { $0.current }) }

    /// The current key first, then retired keys still in their grace period.
    func accepted(now: Date) -> [SymmetricKey] {
        state.withLock { keys in
            [SymmetricKey(data: keys.current)] + keys.retired.filter { $0.until > now }.map { SymmetricKey(data: $0.key) }
        }
    }
}

public struct SecretKeyError: Error, CustomStringConvertible {
    public let description: String
}
