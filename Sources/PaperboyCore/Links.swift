/// Every URL Paperboy prints comes from here, so routes and links cannot drift apart.
public enum Links {
    public static func home() -> String { "/" }

    public static func paper(_ id: String) -> String { "/papers/\(id)" }

    public static func paperMarkdown(_ id: String) -> String { "/papers/\(id).md" }

    public static func paperJSON(_ id: String) -> String { "/api/papers/\(id)" }

    /// A feed page: `/papers/date/2025-02-03`, `/papers/week/2025-W06`, `/papers/month/2025-02`.
    public static func feed(_ period: FeedPeriod, sort: FeedSort? = nil, page: Int = 0) -> String {
        let kind = switch period {
        case .day: "date"
        case .week: "week"
        case .month: "month"
        }
        var query: [String] = []
        if let sort, sort != .upvotes { query.append("sort=\(sort == .publishedAt ? "date" : sort.rawValue)") }
        if page > 0 { query.append("p=\(page)") }
        return "/papers/\(kind)/\(period)" + (query.isEmpty ? "" : "?" + query.joined(separator: "&"))
    }

    public static func atomFeed() -> String { "/feed.atom" }

    public static func openAPI() -> String { "/api/openapi.json" }

    public static func stylesheet() -> String { "/static/paperboy.css" }

    public static func arxivAbstract(_ id: String) -> String { "https://arxiv.org/abs/\(id)" }

    public static func arxivPDF(_ id: String) -> String { "https://arxiv.org/pdf/\(id)" }

    public static func doi(_ doi: String) -> String { "https://doi.org/\(doi)" }
}
