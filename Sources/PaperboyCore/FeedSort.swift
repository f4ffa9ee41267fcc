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

/// The trending formula: upvotes decay with the time since the paper reached the daily feed,
/// like Hacker News's ranking but measured in days, because papers gather votes over days, not hours:
///
///     score = upvotes / (daysSinceDaily + 1) ^ 1.5
///
/// A day-old paper needs about 2.8 times the votes of a fresh one to rank level with it, a three-day-old one 8 times.
public enum Trending {
    public static let gravity = 1.5

    public static func score(upvotes: Int, dailyAt: Date?, now: Date) -> Double {
        let days = max(0, now.timeIntervalSince(dailyAt ?? now) / 86_400)
        return Double(upvotes) / pow(days + 1, gravity)
    }
}
