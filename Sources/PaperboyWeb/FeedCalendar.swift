import PaperboyCore
import Synchronization

/// The calendar on feed pages: the month of the period shown, each day linking to its daily
/// feed, each row to its week, the caption to the month, and arrows to the months either side.
/// Server-rendered, so it needs no JavaScript; the date field beside it jumps anywhere.
struct FeedCalendar {
    struct Cell {
        let label: String
        let url: String?
        /// The day is in the period the page shows.
        let current: Bool
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
                guard days.contains(day) else { return Cell(label: "", url: nil, current: false) }
                return Cell(label: String(day.components.day), url: day <= today ? link(.day(day)) : nil,
                            current: period.days.contains(day))
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

extension FeedCalendar {
    /// The calendar's markup for a feed page, the same for every reader of that page on that
    /// day: kept for the last few hundred pages asked for. Building and writing it each time was
    /// a third of an uncached daily page (BENCHMARKS.md, issue 17).
    static func html(showing period: FeedPeriod, today: Day, link: (FeedPeriod) -> String) -> String {
        // The period's own link carries the period, the order and For-you; `today` the rest.
        let key = link(period) + " " + today.iso
        if let known = recent.withLock({ $0[key] }) { return known }
        let html = FeedCalendar(showing: period, today: today, link: link).html
        recent.withLock { memo in
            if memo.count >= memoCapacity { memo.removeAll(keepingCapacity: true) }
            memo[key] = html
        }
        return html
    }

    private static let recent = Mutex([String: String]())
    static let memoCapacity = 512

    /// `<details class="calendar">…</details>`: a month table and the date field.
    var html: String {
        var out = HTMLWriter(capacity: 6_144)
        out.raw("<details class=\"calendar\">\n<summary>Calendar</summary>\n<div class=\"calendar-panel\">\n<table class=\"month\">\n<caption><a href=\"")
        out.text(previousMonthURL)
        out.raw("\" aria-label=\"")
        out.text(previousMonthLabel)
        out.raw("\">←</a> <a href=\"")
        out.text(monthURL)
        out.raw("\">")
        out.text(monthLabel)
        out.raw("</a> ")
        if let nextMonthURL {
            out.raw("<a href=\"")
            out.text(nextMonthURL)
            out.raw("\" aria-label=\"")
            out.text(nextMonthLabel)
            out.raw("\">→</a>")
        } else {
            out.raw("<span></span>")
        }
        out.raw("</caption>\n<thead><tr><th scope=\"col\"><span class=\"visually-hidden\">Week</span></th>")
        for weekday in weekdays {
            out.raw("<th scope=\"col\">")
            out.text(weekday)
            out.raw("</th>")
        }
        out.raw("</tr></thead>\n<tbody>\n")
        for week in weeks {
            out.raw("<tr><td class=\"week\"><a href=\"")
            out.text(week.url)
            out.raw("\" aria-label=\"Week ")
            out.text(week.label)
            out.raw("\">")
            out.text(week.label)
            out.raw("</a></td>")
            for day in week.days {
                out.raw("<td>")
                if let url = day.url {
                    out.raw("<a href=\"")
                    out.text(url)
                    out.raw(day.current ? "\" class=\"current\" aria-current=\"date\">" : "\">")
                    out.text(day.label)
                    out.raw("</a>")
                } else {
                    out.raw("<span class=\"outside\">")
                    out.text(day.label)
                    out.raw("</span>")
                }
                out.raw("</td>")
            }
            out.raw("</tr>\n")
        }
        out.raw("</tbody>\n</table>\n<form class=\"jump\" method=\"get\" action=\"")
        out.text(jumpAction)
        out.raw("\">\n<label for=\"jump-date\">Go to a date</label>\n<input id=\"jump-date\" type=\"date\" name=\"date\" value=\"")
        out.text(selected)
        out.raw("\" max=\"")
        out.text(latest)
        out.raw("\" required>\n<select name=\"view\" aria-label=\"Show that\"><option value=\"day\">day</option><option value=\"week\">week</option><option value=\"month\">month</option></select>\n<button type=\"submit\">Go</button>\n</form>\n</div>\n</details>")
        return out.html
    }
}
