/// Every URL Paperboy prints comes from here, so routes and links cannot drift apart.
public enum Links {
    public static func home() -> String { "/" }

    public static func paper(_ id: String) -> String { "/papers/\(id)" }

    public static func paperMarkdown(_ id: String) -> String { "/papers/\(id).md" }

    public static func paperJSON(_ id: String) -> String { "/api/papers/\(id)" }

    /// A feed page: `/papers/date/2025-02-03`, `/papers/week/2025-W06`, `/papers/month/2025-02`.
    public static func feed(_ period: FeedPeriod, sort: FeedSort? = nil, page: Int = 0) -> String {
        let kind = switch period {
        case .day: "date"
        case .week: "week"
        case .month: "month"
        }
        var query: [String] = []
        if let sort, sort != .upvotes { query.append("sort=\(sort == .publishedAt ? "date" : sort.rawValue)") }
        if page > 0 { query.append("p=\(page)") }
        return "/papers/\(kind)/\(period)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    public static func atomFeed() -> String { "/feed.atom" }

    /// The calendar's date field: `/papers/jump?date=2025-02-03&view=week` redirects to that feed.
    public static func jump() -> String { "/papers/jump" }

    public static func openAPI() -> String { "/api/openapi.json" }

    public static func stylesheet() -> String { "/static/paperboy.css" }

    public static func favicon() -> String { "/static/favicon.svg" }

    public static func arxivAbstract(_ id: String) -> String { "https://arxiv.org/abs/\(id)" }

    public static func arxivPDF(_ id: String) -> String { "https://arxiv.org/pdf/\(id)" }

    public static func doi(_ doi: String) -> String { "https://doi.org/\(doi)" }
}

extension Links {
    /// `/search?q=…` with the query percent-encoded.
    public static func search(_ query: String, mode: String? = nil, page: Int = 0) -> String {
        var parts = ["q=" + percentEncoded(query)]
        if let mode { parts.append("mode=\(mode)") }
        if page > 0 { parts.append("p=\(page)") }
        return "/search?" + parts.joined(separator: "&")
    }

    public static func searchPage() -> String { "/search" }

    public static func similarJSON(_ id: String) -> String { "/api/papers/\(id)/similar" }

    static func percentEncoded(_ text: String) -> String {
        percentEncoded(text, spaceAsPlus: true)
    }

    /// Every byte but the unreserved ones as `%XX`; a space as `+` or as `%20`.
    /// Written into bytes: cards link every author, and building the text piece by piece (and
    /// `replacingOccurrences` for `%20`) was 5% of an uncached daily page.
    static func percentEncoded(_ text: String, spaceAsPlus: Bool) -> String {
        func hex(_ digit: UInt8) -> UInt8 { digit < 10 ? UInt8(ascii: "0") + digit : UInt8(ascii: "A") + digit - 10 }
        var output: [UInt8] = []
        output.reserveCapacity(text.utf8.count + 8)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                output.append(byte)
            case UInt8(ascii: " ") where spaceAsPlus:
                output.append(UInt8(ascii: "+"))
            default:
                output.append(UInt8(ascii: "%"))
                output.append(hex(byte >> 4))
                output.append(hex(byte & 0x0F))
            }
        }
        return String(decoding: output, as: UTF8.self)
    }
}


/// Accounts and community pages.
extension Links {
    /// `/signin`, with `next` (a path on this site) to return to afterwards.
    public static func signIn(next: String? = nil) -> String {
        guard let next, SafeRedirect.isLocalPath(next) else { return "/signin" }
        return "/signin?next=" + percentEncoded(next)
    }

    /// The mailed sign-in link; `next` (a local path) is where the reader goes once signed in.
    public static func signInConfirm(token: String, next: String = "/") -> String {
        "/signin/confirm?token=" + percentEncoded(token) + (next == "/" ? "" : "&next=" + percentEncoded(next))
    }
    public static func signInConfirmAction() -> String { "/signin/confirm" }
    public static func signOut() -> String { "/signout" }
    public static func profile(_ username: String) -> String { "/u/" + percentEncoded(username) }
    public static func settings() -> String { "/settings" }
    public static func settingsPassword() -> String { "/settings/password" }
    public static func deleteAccount() -> String { "/settings/delete-account" }
    public static func settingsUsername() -> String { "/settings/username" }
    public static func settingsEmail() -> String { "/settings/email" }
    public static func confirmEmail(token: String) -> String { "/settings/email/confirm?token=" + percentEncoded(token) }
    public static func confirmEmailAction() -> String { "/settings/email/confirm" }
    public static func exportAccount() -> String { "/settings/export" }
    /// Settings after a change, saying what changed (`Settings.Done`).
    public static func settings(done: String) -> String { "/settings?done=" + percentEncoded(done) }
    public static func submit() -> String { "/submit" }
    public static func trending(page: Int = 0) -> String { page > 0 ? "/trending?p=\(page)" : "/trending" }
    public static func upvote(_ id: String) -> String { "/papers/\(id)/upvote" }
    public static func comments(_ id: String) -> String { "/papers/\(id)/comments" }
    public static func comment(_ paperID: String, _ commentID: Int64) -> String { "/papers/\(paperID)#comment-\(commentID)" }
    public static func editComment(_ commentID: Int64) -> String { "/comments/\(commentID)/edit" }
    public static func deleteComment(_ commentID: Int64) -> String { "/comments/\(commentID)/delete" }
    public static func hideComment(_ commentID: Int64) -> String { "/comments/\(commentID)/hide" }
    public static func feature(_ id: String) -> String { "/papers/\(id)/feature" }
    public static func hidePaper(_ id: String) -> String { "/papers/\(id)/hide" }
    public static func script() -> String { "/static/paperboy.js" }
}

/// Where a form may send someone back to: a path on this site, never another host.
public enum SafeRedirect {
    public static func isLocalPath(_ path: String) -> Bool {
        // "//host" and "/\host" are other hosts to a browser; control characters split headers.
        path.hasPrefix("/") && !path.hasPrefix("//") && !path.hasPrefix("/\\") && path.utf8.count <= 300
            && !path.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F }
    }

    public static func path(_ candidate: String?, otherwise fallback: String) -> String {
        guard let candidate, isLocalPath(candidate) else { return fallback }
        return candidate
    }
}
