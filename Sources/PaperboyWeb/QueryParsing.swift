import Hummingbird
import PaperboyCore

/// Reads and checks query parameters, with messages that say what was expected.
struct QueryParameters {
    /// Decoded as HTML forms encode them: `+` is a space, then percent-escapes. First value wins.
    private(set) var values: [String: String]
    /// Names whose value was not valid percent-encoded UTF-8.
    let malformed: Set<String>

    /// A URL's query. Control characters (U+0000–U+001F, U+007F) become spaces: no search, date or
    /// name holds one, a search pasted from a PDF can (line breaks, form feeds), and a page that
    /// shows the value back (the search box, the title) must not carry them into its HTML.
    init(_ request: Request) {
        self.init(encoded: request.uri.query ?? "")
        // Every request reads its query here, cached pages too: the values are copied only when one needs it.
        for (name, value) in values where Self.hasControls(value) {
            values[name] = Self.controlsAsSpaces(value)
        }
    }

    /// From `name=value&…` text: a URL's query or an `application/x-www-form-urlencoded` body.
    init(encoded: String) {
        let fields = FormFields(encoded: encoded)
        values = fields.values
        malformed = fields.malformed
    }

    static func hasControls(_ value: String) -> Bool {
        value.utf8.contains { $0 < 0x20 || $0 == 0x7F }
    }

    static func controlsAsSpaces(_ value: String) -> String {
        String(String.UnicodeScalarView(value.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? " " : $0 }))
    }

    /// While a cached route renders: the parameters it declared to the page cache. Reading any
    /// other would serve one cached page for requests that differ in it, so debug builds (and
    /// with them the tests) stop there.
    @TaskLocal static var declaredForCache: Set<String>?

    func string(_ name: String, maxLength: Int = 100) throws -> String? {
        if let declared = Self.declaredForCache {
            assert(declared.contains(name), "the route reads \(name) but does not declare it to the page cache")
        }
        if malformed.contains(name) { throw RequestProblem.badRequest("\(name) is not valid percent-encoded UTF-8.") }
        guard let value = values[name] else { return nil }
        guard value.count <= maxLength else { throw RequestProblem.badRequest("\(name) is too long (at most \(maxLength) characters).") }
        return value.isEmpty ? nil : value
    }

    func integer(_ name: String, default defaultValue: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text = try string(name, maxLength: 12) else { return defaultValue }
        guard let value = Int(text), range.contains(value) else {
            throw RequestProblem.badRequest("\(name) must be a whole number from \(range.lowerBound) to \(range.upperBound), got \"\(text)\".")
        }
        return value
    }

    /// At most one of `date`, `week`, `month`.
    func period() throws -> FeedPeriod? {
        let date = try string("date", maxLength: 20)
        let week = try string("week", maxLength: 20)
        let month = try string("month", maxLength: 20)
        guard [date, week, month].compactMap({ $0 }).count <= 1 else {
            throw RequestProblem.badRequest("Use only one of date, week and month.")
        }
        if let date {
            guard let period = FeedPeriod.day(iso: date) else { throw RequestProblem.badRequest("date must be YYYY-MM-DD, got \"\(date)\".") }
            return period
        }
        if let week {
            guard let period = FeedPeriod.week(iso: week) else { throw RequestProblem.badRequest("week must be an ISO week like 2025-W09, got \"\(week)\".") }
            return period
        }
        if let month {
            guard let period = FeedPeriod.month(iso: month) else { throw RequestProblem.badRequest("month must be YYYY-MM, got \"\(month)\".") }
            return period
        }
        return nil
    }

    func username(_ name: String) throws -> String? {
        guard let value = try string(name, maxLength: 64) else { return nil }
        guard value.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || "-_.".contains($0)) }) else {
            throw RequestProblem.badRequest("\(name) may contain only letters, digits, '-', '_' and '.'.")
        }
        return value
    }
}
