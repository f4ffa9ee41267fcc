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
/// as Hacker News does, so a fresh paper with a few votes can pass an old one with many.
///
///     score = upvotes / (hoursSinceDaily + 2) ^ 1.5
public enum Trending {
    public static let gravity = 1.5

    public static func score(upvotes: Int, dailyAt: Date?, now: Date) -> Double {
        let hours = max(0, now.timeIntervalSince(dailyAt ?? now) / 3600)
        return Double(upvotes) / pow(hours + 2, gravity)
    }
}
