import Mustache
import PaperboyCore

/// The calendar on feed pages: the month of the period shown, each day linking to its daily
/// feed, each row to its week, the caption to the month, and arrows to the months either side.
/// Server-rendered, so it needs no JavaScript; the date field beside it jumps anywhere.
struct FeedCalendar {
    struct Cell {
        let label: String
        let url: String?
        /// The day is in the period the page shows.
        let current: Bool
        let today: Bool
    }

    struct Week {
        let label: String
        let url: String
        let days: [Cell]
    }

    let monthLabel: String
    let monthURL: String
    let previousMonthURL: String
    let previousMonthLabel: String
    let nextMonthURL: String?
    let nextMonthLabel: String
    let weeks: [Week]
    let weekdays = ["Mo", "Tu", "We", "Th", "Fr", "Sa", "Su"]
    /// The date field's value and bounds.
    let selected: String
    let latest: String
    let jumpAction = Links.jump()

    init(showing period: FeedPeriod, today: Day, link: (FeedPeriod) -> String) {
        let anchor = period.days.lowerBound
        let month = FeedPeriod.month(containing: anchor)
        let days = month.days
        monthLabel = month.title
        monthURL = link(month)
        previousMonthURL = link(month.previous)
        previousMonthLabel = "Previous month, " + month.previous.title
        let following = month.next
        nextMonthURL = following.days.lowerBound <= today ? link(following) : nil
        nextMonthLabel = "Next month, " + following.title
        selected = anchor.iso
        latest = today.iso

        var rows: [Week] = []
        var monday = days.lowerBound.adding(days: 1 - days.lowerBound.isoWeekday)
        while monday <= days.upperBound {
            let week = FeedPeriod.week(containing: monday)
            let cells = (0..<7).map { offset -> Cell in
                let day = monday.adding(days: offset)
                guard days.contains(day) else { return Cell(label: "", url: nil, current: false, today: false) }
                return Cell(label: String(day.components.day), url: day <= today ? link(.day(day)) : nil,
                            current: period.days.contains(day), today: day == today)
            }
            rows.append(Week(label: "W" + Day.pad(Self.weekNumber(week), 2), url: link(week), days: cells))
            monday = monday.adding(days: 7)
        }
        weeks = rows
    }

    static func weekNumber(_ period: FeedPeriod) -> Int {
        if case .week(_, let week) = period { return week }
        return 0
    }
}

extension FeedCalendar: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "monthLabel": monthLabel
        case "monthURL": monthURL
        case "previousMonthURL": previousMonthURL
        case "previousMonthLabel": previousMonthLabel
        case "nextMonthURL": nextMonthURL.orAbsent
        case "nextMonthLabel": nextMonthLabel
        case "weeks": weeks
        case "weekdays": weekdays
        case "selected": selected
        case "latest": latest
        case "jumpAction": jumpAction
        default: nil
        }
    }
}

extension FeedCalendar.Week: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url
        case "days": days
        default: nil
        }
    }
}

extension FeedCalendar.Cell: MustacheParent {
    func child(named name: String) -> Any? {
        switch name {
        case "label": label
        case "url": url.orAbsent
        case "current": current
        case "today": today
        case "blank": label.isEmpty
        default: nil
        }
    }
}
