import Foundation

/// A calendar day in UTC, the unit of the daily feed.
/// Stored as days since 1970-01-01 so ranges and neighbours are plain arithmetic.
public struct Day: Sendable, Hashable, Comparable, Codable, CustomStringConvertible {
    public let daysSinceEpoch: Int

    public init(daysSinceEpoch: Int) {
        self.daysSinceEpoch = daysSinceEpoch
    }

    public init?(year: Int, month: Int, day: Int) {
        guard (1...9999).contains(year), (1...12).contains(month),
              (1...Day.daysIn(month: month, year: year)).contains(day)
        else { return nil }
        self.daysSinceEpoch = Day.daysFromCivil(year: year, month: month, day: day)
    }

    /// The UTC day containing `date`.
    public init(containing date: Date) {
        self.daysSinceEpoch = Int((date.timeIntervalSince1970 / 86_400).rounded(.down))
    }

    /// Parses `YYYY-MM-DD` strictly.
    public init?(iso text: some StringProtocol) {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 3, parts[0].count == 4, parts[1].count == 2, parts[2].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]), let day = Int(parts[2])
        else { return nil }
        self.init(year: year, month: month, day: day)
    }

    public var components: (year: Int, month: Int, day: Int) {
        Day.civilFromDays(daysSinceEpoch)
    }

    /// `YYYY-MM-DD`.
    public var iso: String {
        let (year, month, day) = components
        return "\(Day.pad(year, 4))-\(Day.pad(month, 2))-\(Day.pad(day, 2))"
    }

    public var description: String { iso }

    /// Midnight UTC at the start of this day.
    public var start: Date { Date(timeIntervalSince1970: TimeInterval(daysSinceEpoch) * 86_400) }

    public func adding(days: Int) -> Day { Day(daysSinceEpoch: daysSinceEpoch + days) }

    /// ISO weekday, Monday = 1 … Sunday = 7.
    public var isoWeekday: Int {
        // 1970-01-01 was a Thursday (4).
        ((daysSinceEpoch % 7 + 7) % 7 + 3) % 7 + 1
    }

    public static func < (lhs: Day, rhs: Day) -> Bool { lhs.daysSinceEpoch < rhs.daysSinceEpoch }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let day = Day(iso: text) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "Expected a date as YYYY-MM-DD, got \(text.prefix(40))")
        }
        self = day
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(iso)
    }

    /// `value` as decimal, zero-padded to `width` digits.
    public static func pad(_ value: Int, _ width: Int) -> String {
        let digits = String(value)
        return digits.count >= width ? digits : String(repeating: "0", count: width - digits.count) + digits
    }

    static func isLeap(_ year: Int) -> Bool { (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 }

    static func daysIn(month: Int, year: Int) -> Int {
        switch month {
        case 2: isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    // Howard Hinnant's days_from_civil / civil_from_days.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let dayOfYear = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    static func civilFromDays(_ days: Int) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yearOfEra + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }
}

/// A stretch of the daily feed: one day, an ISO week or a calendar month.
public enum FeedPeriod: Sendable, Hashable, CustomStringConvertible {
    case day(Day)
    /// ISO week-numbering year and week (`2025-W09`).
    case week(year: Int, week: Int)
    case month(year: Int, month: Int)

    /// Parses `YYYY-MM-DD`.
    public static func day(iso text: String) -> FeedPeriod? { Day(iso: text).map { .day($0) } }

    /// Parses `YYYY-Www`.
    public static func week(iso text: String) -> FeedPeriod? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[0].allSatisfy(\.isASCIIDigit),
              parts[1].count == 3, parts[1].first == "W", parts[1].dropFirst().allSatisfy(\.isASCIIDigit),
              let year = Int(parts[0]), let week = Int(parts[1].dropFirst()),
              year >= 1, week >= 1, week <= FeedPeriod.weeksIn(isoYear: year)
        else { return nil }
        return .week(year: year, week: week)
    }

    /// Parses `YYYY-MM`.
    public static func month(iso text: String) -> FeedPeriod? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 4, parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy(\.isASCIIDigit) }),
              let year = Int(parts[0]), let month = Int(parts[1]), year >= 1, (1...12).contains(month)
        else { return nil }
        return .month(year: year, month: month)
    }

    /// The ISO week containing `day`.
    public static func week(containing day: Day) -> FeedPeriod {
        // The ISO year is the year of the Thursday of the same week.
        let thursday = day.adding(days: 4 - day.isoWeekday)
        let isoYear = thursday.components.year
        let firstThursday = FeedPeriod.firstMonday(isoYear: isoYear).adding(days: 3)
        return .week(year: isoYear, week: (thursday.daysSinceEpoch - firstThursday.daysSinceEpoch) / 7 + 1)
    }

    public static func month(containing day: Day) -> FeedPeriod {
        let (year, month, _) = day.components
        return .month(year: year, month: month)
    }

    /// First and last day, inclusive.
    public var days: ClosedRange<Day> {
        switch self {
        case .day(let day):
            return day...day
        case .week(let year, let week):
            let monday = FeedPeriod.firstMonday(isoYear: year).adding(days: (week - 1) * 7)
            return monday...monday.adding(days: 6)
        case .month(let year, let month):
            let first = Day(daysSinceEpoch: Day.daysFromCivil(year: year, month: month, day: 1))
            return first...first.adding(days: Day.daysIn(month: month, year: year) - 1)
        }
    }

    public var previous: FeedPeriod { shifted(by: -1) }
    public var next: FeedPeriod { shifted(by: 1) }

    func shifted(by step: Int) -> FeedPeriod {
        switch self {
        case .day(let day):
            return .day(day.adding(days: step))
        case .week:
            let target = step < 0 ? days.lowerBound.adding(days: -7) : days.upperBound.adding(days: 1)
            return .week(containing: target)
        case .month(let year, let month):
            let index = year * 12 + (month - 1) + step
            return .month(year: index / 12, month: index % 12 + 1)
        }
    }

    /// `2025-02-03`, `2025-W06`, `2025-02`.
    public var description: String {
        switch self {
        case .day(let day): day.iso
        case .week(let year, let week): "\(Day.pad(year, 4))-W\(Day.pad(week, 2))"
        case .month(let year, let month): "\(Day.pad(year, 4))-\(Day.pad(month, 2))"
        }
    }

    /// Human title: "Tuesday, 3 February 2025", "Week 6 of 2025", "February 2025".
    public var title: String {
        switch self {
        case .day(let day):
            let (year, month, dayOfMonth) = day.components
            return "\(FeedPeriod.weekdayNames[day.isoWeekday - 1]), \(dayOfMonth) \(FeedPeriod.monthNames[month - 1]) \(year)"
        case .week(let year, let week):
            let range = days
            return "Week \(week) of \(year) (\(range.lowerBound.iso) to \(range.upperBound.iso))"
        case .month(let year, let month):
            return "\(FeedPeriod.monthNames[month - 1]) \(year)"
        }
    }

    static let monthNames = ["January", "February", "March", "April", "May", "June", "July",
                             "August", "September", "October", "November", "December"]
    static let weekdayNames = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

    static func firstMonday(isoYear: Int) -> Day {
        // Week 1 is the week with 4 January in it.
        let january4 = Day(daysSinceEpoch: Day.daysFromCivil(year: isoYear, month: 1, day: 4))
        return january4.adding(days: 1 - january4.isoWeekday)
    }

    static func weeksIn(isoYear: Int) -> Int {
        let next = firstMonday(isoYear: isoYear + 1)
        return (next.daysSinceEpoch - firstMonday(isoYear: isoYear).daysSinceEpoch) / 7
    }
}
