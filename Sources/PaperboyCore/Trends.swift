import Foundation

/// Papers per ISO week over a range of weeks, for `/trends` (issue 19).
public struct WeeklyCounts: Sendable, Equatable {
    /// Mondays of the weeks, oldest first.
    public let weeks: [Day]
    public let counts: [Int]

    /// Counts `dates` into the `weekCount` weeks ending with the one containing `lastDay`; dates
    /// outside are left out.
    public init(dates: [Date], weekCount: Int, lastDay: Day) {
        let lastMonday = lastDay.adding(days: 1 - lastDay.isoWeekday)
        let firstMonday = lastMonday.adding(days: -7 * (weekCount - 1))
        weeks = (0..<weekCount).map { firstMonday.adding(days: 7 * $0) }
        var counts = Array(repeating: 0, count: weekCount)
        for date in dates {
            let offset = Day(containing: date).daysSinceEpoch - firstMonday.daysSinceEpoch
            guard offset >= 0 else { continue }
            let index = offset / 7
            if index < weekCount { counts[index] += 1 }
        }
        self.counts = counts
    }

    public var total: Int { counts.reduce(0, +) }
}

/// The chart of `WeeklyCounts` as an SVG document: bars, a scale, month labels and a title per bar
/// (a tooltip without script). Every text in it is escaped here; it goes into the page as is.
///
/// The chart is as wide as the page, so on a phone it is drawn at half size: the stylesheet then
/// doubles its text (`phoneFontSize`), and month labels come in two sets, each spaced for its own
/// text size: class `wide` only on a desktop, `narrow` only on a phone, neither on both.
public enum TrendChart {
    static let fontSize = 11.0
    /// The text size paperboy.css gives the chart's labels below 600 px.
    static let phoneFontSize = 22.0

    public static func svg(_ series: WeeklyCounts, label: String) -> String {
        let width = 720.0, height = 240.0, left = 56.0, bottom = 30.0, top = 12.0, right = 8.0
        let plotWidth = width - left - right, plotHeight = height - top - bottom
        let maximum = max(series.counts.max() ?? 0, 1)
        let scale = niceCeiling(maximum)
        let barWidth = plotWidth / Double(max(series.counts.count, 1))
        var parts: [String] = []
        parts.append(##"<svg xmlns="http://www.w3.org/2000/svg" class="trend-chart" viewBox="0 0 \##(Int(width)) \##(Int(height))" role="img" aria-label="\##(escape(label))">"##)
        parts.append("<title>\(escape(label))</title>")
        // Horizontal grid lines at whole numbers of papers, each labelled with its own value.
        for value in ticks(scale) {
            let y = top + plotHeight * (1 - Double(value) / Double(scale))
            parts.append(##"<line x1="\##(format(left))" y1="\##(format(y))" x2="\##(format(width - right))" y2="\##(format(y))" stroke="#ccc" stroke-width="1"/>"##)
            parts.append(##"<text x="\##(format(left - 4))" y="\##(format(y))" font-size="\##(Int(fontSize))" text-anchor="end" dominant-baseline="middle" fill="#555">\##(value)</text>"##)
        }
        for (index, count) in series.counts.enumerated() {
            let barHeight = plotHeight * Double(count) / Double(scale)
            let x = left + barWidth * Double(index)
            let period = FeedPeriod.week(containing: series.weeks[index])
            parts.append(##"<rect x="\##(format(x + 1))" y="\##(format(top + plotHeight - barHeight))" width="\##(format(max(barWidth - 2, 1)))" height="\##(format(barHeight))" fill="#3b6ea5"><title>\##(period): \##(count) paper\##(count == 1 ? "" : "s")</title></rect>"##)
        }
        // Every month up to about a year, then every 3 or 6 months; on a phone three times fewer.
        let monthsPerLabel = series.counts.count <= 60 ? 1 : series.counts.count <= 130 ? 3 : 6
        let wide = monthLabels(series, left: left, barWidth: barWidth, fontSize: fontSize, monthsPerLabel: monthsPerLabel)
        let narrow = monthLabels(series, left: left, barWidth: barWidth, fontSize: phoneFontSize, monthsPerLabel: monthsPerLabel * 3)
        for label in (wide.merging(narrow) { first, _ in first }).sorted(by: { $0.key < $1.key }).map(\.value) {
            let sets = (wide[label.week] != nil, narrow[label.week] != nil)
            let kind = sets == (true, true) ? "" : sets.0 ? #" class="wide""# : #" class="narrow""#
            parts.append(##"<text\##(kind) x="\##(format(label.x))" y="\##(format(height - 8))" font-size="\##(Int(fontSize))" fill="#555">\##(escape(label.text))</text>"##)
        }
        parts.append("</svg>")
        return parts.joined(separator: "\n")
    }

    struct MonthLabel: Equatable {
        let week: Int
        let x: Double
        let text: String
    }

    /// Labels for the first week of each month (with the year for January and the first week),
    /// every `monthsPerLabel` months, each starting clear of the one before at `fontSize`.
    static func monthLabels(_ series: WeeklyCounts, left: Double, barWidth: Double, fontSize: Double, monthsPerLabel: Int) -> [Int: MonthLabel] {
        var labels: [Int: MonthLabel] = [:]
        var lastMonth = -1
        var clearFrom = -Double.infinity
        for (index, monday) in series.weeks.enumerated() {
            let month = monday.components.month
            guard month != lastMonth else { continue }
            lastMonth = month
            let x = left + barWidth * Double(index) + 1
            guard (month - 1) % monthsPerLabel == 0 || index == 0, x >= clearFrom else { continue }
            let name = FeedPeriod.monthNames[month - 1].prefix(3)
            let text = month == 1 || index == 0 ? "\(name) \(monday.components.year)" : String(name)
            labels[index] = MonthLabel(week: index, x: x, text: text)
            clearFrom = x + textWidth(text, fontSize: fontSize) + fontSize / 2
        }
        return labels
    }

    /// About how wide `text` is drawn in a sans-serif face: 0.62 em a character.
    static func textWidth(_ text: String, fontSize: Double) -> Double {
        Double(text.count) * fontSize * 0.62
    }

    /// The grid's values for a `niceCeiling` scale, 0 and the top included: halves of a scale of
    /// 1 or 2 times a power of ten, fifths of 5 times one, and whole papers only (a scale of 1 has
    /// no half line; halving 5 would label 2.5).
    static func ticks(_ scale: Int) -> [Int] {
        var leading = scale
        while leading >= 10 { leading /= 10 }
        let step = scale == 1 ? 1 : leading == 5 ? scale / 5 : scale / 2
        return Array(stride(from: 0, through: scale, by: step))
    }

    /// 1, 2, 5, 10, 20, 50, … at or above `value`.
    static func niceCeiling(_ value: Int) -> Int {
        var magnitude = 1
        while true {
            for step in [1, 2, 5] where step * magnitude >= value { return step * magnitude }
            magnitude *= 10
        }
    }

    static func format(_ value: Double) -> String { String(format: "%.1f", value) }

    static func escape(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
            .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;")
    }
}

/// A key phrase whose share of a period's papers grew most against the period before.
public struct RisingPhrase: Sendable, Equatable {
    public let phrase: String
    /// Papers of this period with the phrase, and of the previous one.
    public let count: Int
    public let previousCount: Int
    /// Share now minus share before, in percentage points.
    public let growth: Double

    public init(phrase: String, count: Int, previousCount: Int, growth: Double) {
        self.phrase = phrase
        self.count = count
        self.previousCount = previousCount
        self.growth = growth
    }

    /// The phrases in at least `minimumCount` papers of `current` whose share grew most, largest
    /// growth first (ties: more papers, then alphabetical). Phrases are compared case-insensitively.
    public static func rising(current: [[String]], previous: [[String]], limit: Int = 10, minimumCount: Int = 2) -> [RisingPhrase] {
        guard !current.isEmpty else { return [] }
        func documentCounts(_ papers: [[String]]) -> [String: (count: Int, shown: String)] {
            var counts: [String: (count: Int, shown: String)] = [:]
            for phrases in papers {
                for phrase in Set(phrases.map { $0.lowercased() }) {
                    let shown = phrases.first { $0.lowercased() == phrase } ?? phrase
                    counts[phrase, default: (0, shown)].count += 1
                }
            }
            return counts
        }
        let now = documentCounts(current)
        let before = documentCounts(previous)
        let total = Double(current.count), previousTotal = Double(max(previous.count, 1))
        return now.compactMap { phrase, entry -> RisingPhrase? in
            guard entry.count >= minimumCount else { return nil }
            let earlier = before[phrase]?.count ?? 0
            let growth = (Double(entry.count) / total - Double(earlier) / previousTotal) * 100
            guard growth > 0 else { return nil }
            return RisingPhrase(phrase: entry.shown, count: entry.count, previousCount: earlier, growth: growth)
        }
        .sorted { ($0.growth, $0.count, $1.phrase) > ($1.growth, $1.count, $0.phrase) }
        .prefix(limit).map { $0 }
    }
}

/// Email addresses a paper's own metadata carries (abstract, comments, journal reference): what
/// an authorship claim is checked against.
public enum PaperEmails {
    public static func addresses(in paper: Paper) -> Set<String> {
        var found = Set<String>()
        for text in [paper.abstract, paper.authorComments ?? "", paper.journalRef ?? ""] {
            found.formUnion(addresses(in: text))
        }
        return found
    }

    /// `local@domain.tld` runs in `text`, lower-cased.
    public static func addresses(in text: String) -> Set<String> {
        guard text.contains("@"), let regex = try? NSRegularExpression(pattern: #"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+"#) else { return [] }
        var found = Set<String>()
        for match in regex.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            guard let range = Range(match.range, in: text) else { continue }
            var address = String(text[range]).lowercased()
            while address.hasSuffix(".") || address.hasSuffix("-") { address.removeLast() }
            found.insert(address)
        }
        return found
    }
}
