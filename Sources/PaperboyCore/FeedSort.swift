import Foundation

/// How a feed is ordered.
public enum FeedSort: String, Sendable, CaseIterable {
    /// Most upvoted first (the web pages' default).
    case upvotes
    /// Newest publication first (the API's `publishedAt`).
    case publishedAt
    /// Upvotes discounted by age; see `Trending.score`.
    case trending
}

/// The trending formula: every upvote counts for less as it ages, like Hacker News's ranking
/// but measured in days, because papers gather votes over days, not hours:
///
///     score = Σ over upvotes  1 / (days since the vote + 1) ^ 1.5
///
/// A vote cast now counts 1, a day-old vote 0.35, a three-day-old vote 0.125, so a paper rises
/// while people are voting for it and sinks when they stop, whatever its total. Upvotes an
/// import brought (the Hub's counts) carry no date: they count as cast when the paper reached
/// the daily feed.
public enum Trending {
    public static let gravity = 1.5

    /// The weight of `upvotes` votes cast at `castAt`.
    public static func score(upvotes: Int, castAt: Date?, now: Date) -> Double {
        let days = max(0, now.timeIntervalSince(castAt ?? now) / 86_400)
        return Double(upvotes) / pow(days + 1, gravity)
    }
}
