import Foundation

/// What a signed-in person may do. Members vote, comment and submit; curators also feature
/// papers on a day and hide spam; admins also change roles.
public enum Role: String, Sendable, Codable, CaseIterable, Comparable {
    case member, curator, admin

    var rank: Int {
        switch self {
        case .member: 0
        case .curator: 1
        case .admin: 2
        }
    }

    public static func < (left: Role, right: Role) -> Bool { left.rank < right.rank }

    public var canCurate: Bool { self >= .curator }
}

public struct Account: Sendable, Equatable {
    public var id: Int64
    public var username: String
    public var email: String
    public var role: Role
    /// The bcrypt hash when the person set a password; sign-in by mail works either way.
    public var passwordHash: String?
    public var createdAt: Date

    public init(id: Int64, username: String, email: String, role: Role, passwordHash: String? = nil, createdAt: Date) {
        self.id = id
        self.username = username
        self.email = email
        self.role = role
        self.passwordHash = passwordHash
        self.createdAt = createdAt
    }
}

/// Usernames appear in URLs (`/u/NAME`) and next to every comment: ASCII letters, digits,
/// `-` and `_`, 2 to 32 characters, starting with a letter or digit.
public enum Username {
    /// A name a reader may choose. `allowReserved`: the operator, creating accounts from the
    /// command line, may take a reserved name (an `admin` account is theirs to make).
    public static func validate(_ raw: String, allowReserved: Bool = false) throws(AccountInputError) -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard (2...32).contains(name.utf8.count) else { throw .badUsername("a username has 2 to 32 characters") }
        guard name.utf8.allSatisfy({ byte in
            (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
        }) else { throw .badUsername("a username has only letters a–z, digits, - and _") }
        guard let first = name.utf8.first, first != 0x2D, first != 0x5F else { throw .badUsername("a username starts with a letter or digit") }
        guard allowReserved || !reserved.contains(name.lowercased()) else { throw .badUsername("\(name) is reserved; choose another") }
        return name
    }

    /// Names a reader could take to pass as the site or its staff, or that clash with a path.
    public static let reserved: Set<String> = [
        "admin", "administrator", "root", "support", "help", "paperboy", "staff", "moderator", "mod", "curator",
        "security", "abuse", "postmaster", "webmaster", "hostmaster", "info", "noreply", "no-reply", "mailer-daemon",
        "system", "official", "team", "api", "www", "mail", "settings", "signin", "signout", "login", "logout",
        "register", "account", "accounts", "anonymous", "null", "nil", "undefined", "everyone", "owner",
    ]
}

/// A pragmatic check of an address typed into a form: one @, a dotted domain, no spaces or
/// control characters, at most 254 bytes. Lower-cased, so one person has one account.
public enum EmailAddress {
    public static func normalize(_ raw: String) throws(AccountInputError) -> String {
        let address = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard !address.isEmpty else { throw .badEmail("enter an email address") }
        guard address.utf8.count <= 254 else { throw .badEmail("that address is too long") }
        guard !address.unicodeScalars.contains(where: { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }) else {
            throw .badEmail("an address has no spaces or control characters")
        }
        // Mail headers carry ASCII; an internationalised address (RFC 6531) needs every relay on
        // the way to support SMTPUTF8, which we cannot promise, so it is refused plainly.
        guard address.utf8.allSatisfy({ $0 < 0x80 }) else {
            throw .badEmail("this site can only send mail to addresses written in plain ASCII letters (a domain such as bücher.de in its xn-- form)")
        }
        let parts = address.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[0].utf8.count <= 64 else { throw .badEmail("that is not an email address") }
        let domain = parts[1]
        let labels = domain.split(separator: ".", omittingEmptySubsequences: false)
        guard labels.count >= 2, labels.allSatisfy({ !$0.isEmpty && $0.utf8.count <= 63 }),
              !address.contains(where: { "<>()[],;:\\\"".contains($0) }) else {
            throw .badEmail("that is not an email address")
        }
        return address
    }
}

public enum AccountInputError: Error, Equatable, CustomStringConvertible {
    case badUsername(String)
    case badEmail(String)
    case badPassword(String)

    public var description: String {
        switch self {
        case .badUsername(let reason), .badEmail(let reason), .badPassword(let reason): reason
        }
    }
}

/// A comment under a paper. Deleted comments keep their place in the thread as "[deleted]".
public struct Comment: Sendable, Equatable {
    public var id: Int64
    public var paperID: String
    public var author: String
    public var body: String
    public var createdAt: Date
    public var editedAt: Date?
    public var hidden: Bool
    public var deleted: Bool

    public init(id: Int64, paperID: String, author: String, body: String, createdAt: Date, editedAt: Date? = nil, hidden: Bool = false, deleted: Bool = false) {
        self.id = id
        self.paperID = paperID
        self.author = author
        self.body = body
        self.createdAt = createdAt
        self.editedAt = editedAt
        self.hidden = hidden
        self.deleted = deleted
    }

    /// Comments longer than this are refused: a discussion, not a paper.
    public static let maximumLength = 10_000
}

/// The state of one person's vote after a change.
public struct VoteState: Sendable, Equatable {
    public var upvoted: Bool
    public var upvotes: Int

    public init(upvoted: Bool, upvotes: Int) {
        self.upvoted = upvoted
        self.upvotes = upvotes
    }
}

/// What happened to a submission.
public enum SubmissionOutcome: Sendable, Equatable {
    /// On today's feed now, credited to the submitter.
    case added(Paper)
    /// Already on the feed (on `day`); nothing changed.
    case alreadyOnFeed(Paper, day: Day)
}
