/// Links of the For-you pages and forms (issue 15).
extension Links {
    /// A feed in the reader's own order: `/papers/date/2025-02-03?sort=foryou`.
    public static func feedForYou(_ period: FeedPeriod, page: Int = 0) -> String {
        let base = feed(period, sort: nil, page: 0)
        return base + "?sort=foryou" + (page > 0 ? "&p=\(page)" : "")
    }

    public static func savePaper(_ id: String) -> String { "/papers/\(id)/save" }
    public static func unsavePaper(_ id: String) -> String { "/papers/\(id)/unsave" }
    public static func notInterested(_ id: String) -> String { "/papers/\(id)/not-interested" }

    /// `/library`, one tag's papers, or a search within them.
    public static func library(tag: String? = nil, query: String? = nil) -> String {
        var parts: [String] = []
        if let tag { parts.append("tag=" + percentEncoded(tag)) }
        if let query, !query.isEmpty { parts.append("q=" + percentEncoded(query)) }
        return "/library" + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
    }

    /// The library (or a tag of it) as BibTeX (`bib`) or JSON Lines (`jsonl`).
    public static func libraryExport(_ format: String, tag: String? = nil) -> String {
        "/library/export.\(format)" + (tag.map { "?tag=" + percentEncoded($0) } ?? "")
    }

    public static func tagVisibility(_ tag: String) -> String { "/library/tags/\(percentEncoded(tag))/visibility" }
    public static func collection(_ username: String, tag: String) -> String {
        "/u/\(percentEncoded(username))/collections/\(percentEncoded(tag))"
    }

    public static func follow() -> String { "/follow" }
    public static func forYouSettings() -> String { "/settings/for-you" }
    public static func interestParagraph() -> String { "/settings/for-you/interests" }
    public static func apiTokens() -> String { "/settings/for-you/tokens" }
    public static func deleteAPIToken(_ id: Int64) -> String { "/settings/for-you/tokens/\(id)/delete" }
    public static func recommendationsAPI() -> String { "/api/recommendations" }
    public static func myRecommendationsAPI() -> String { "/api/recommendations/me" }
}
