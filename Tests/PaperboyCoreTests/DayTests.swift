import Foundation
import Testing
@testable import PaperboyCore

@Suite struct DayTests {
    @Test func parse_validDate_roundTrips() throws {
        let day = try #require(Day(iso: "2024-02-29"))
        #expect(day.iso == "2024-02-29")
        #expect(day.components.year == 2024 && day.components.month == 2 && day.components.day == 29)
        #expect(Day(iso: "1970-01-01")?.daysSinceEpoch == 0)
    }

    @Test(arguments: ["2023-02-29", "2024-13-01", "2024-00-10", "2024-1-01", "24-01-01", "2024-01-01T00:00", "", "abcd-ef-gh", "２０２４-01-01"])
    func parse_invalidDate_isRejected(text: String) {
        #expect(Day(iso: text) == nil)
    }

    @Test func containing_dateNearMidnight_usesUTC() {
        let justBefore = Date(timeIntervalSince1970: 86_400 - 1)
        #expect(Day(containing: justBefore).iso == "1970-01-01")
        #expect(Day(containing: Date(timeIntervalSince1970: -1)).iso == "1969-12-31")
    }

    @Test func isoWeekday_knownDays_match() {
        #expect(Day(iso: "2025-02-03")?.isoWeekday == 1) // Monday
        #expect(Day(iso: "2024-12-29")?.isoWeekday == 7) // Sunday
    }

    @Test func week_yearBoundary_followsISO8601() throws {
        // 2025-W01 starts on Monday 2024-12-30.
        let week = try #require(FeedPeriod.week(iso: "2025-W01"))
        #expect(week.days.lowerBound.iso == "2024-12-30")
        #expect(week.days.upperBound.iso == "2025-01-05")
        #expect(FeedPeriod.week(containing: Day(iso: "2024-12-31")!) == week)
        // 2020 has 53 ISO weeks, 2021 has 52.
        #expect(FeedPeriod.week(iso: "2020-W53") != nil)
        #expect(FeedPeriod.week(iso: "2021-W53") == nil)
        #expect(FeedPeriod.week(containing: Day(iso: "2021-01-03")!).description == "2020-W53")
    }

    @Test(arguments: ["2025-W00", "2025-W1", "2025W01", "2025-w01", "2025-01", ""])
    func week_invalidText_isRejected(text: String) {
        #expect(FeedPeriod.week(iso: text) == nil)
    }

    @Test func month_february_coversLeapDay() throws {
        let month = try #require(FeedPeriod.month(iso: "2024-02"))
        #expect(month.days.lowerBound.iso == "2024-02-01")
        #expect(month.days.upperBound.iso == "2024-02-29")
        #expect(FeedPeriod.month(iso: "2024-13") == nil)
        #expect(FeedPeriod.month(iso: "2024-2") == nil)
    }

    @Test func neighbours_crossYearBoundaries() {
        #expect(FeedPeriod.month(iso: "2025-01")!.previous.description == "2024-12")
        #expect(FeedPeriod.month(iso: "2024-12")!.next.description == "2025-01")
        #expect(FeedPeriod.week(iso: "2025-W01")!.previous.description == "2024-W52")
        #expect(FeedPeriod.week(iso: "2020-W53")!.next.description == "2021-W01")
        #expect(FeedPeriod.day(iso: "2024-03-01")!.previous.description == "2024-02-29")
    }

    @Test func title_isReadable() {
        #expect(FeedPeriod.day(iso: "2025-02-03")!.title == "Monday, 3 February 2025")
        #expect(FeedPeriod.month(iso: "2025-02")!.title == "February 2025")
    }
}
