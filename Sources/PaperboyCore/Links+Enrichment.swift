/// Links of authors, claims, trends and thumbnails (issue 19).
extension Links {
    /// `/authors/Ada%20Lovelace`: the name exactly as papers list it, as one path segment.
    public static func author(_ name: String) -> String { "/authors/" + pathSegment(name) }

    public static func claimAuthorship(_ id: String) -> String { "/papers/\(id)/claim" }
    /// The curators' queue of authorship claims.
    public static func authorClaims() -> String { "/claims" }
    public static func decideAuthorClaim() -> String { "/claims/decide" }

    /// `/trends?q=…` (a query, or `category:cs.CL`); no query: the trends page's form.
    public static func trends(_ query: String? = nil) -> String {
        guard let query, !query.isEmpty else { return "/trends" }
        return "/trends?q=" + percentEncoded(query)
    }

    /// A search for one key phrase, as an exact phrase.
    public static func keyPhraseSearch(_ phrase: String) -> String { search("\"\(phrase)\"") }

    /// `/thumbnails/small/2502.00001.webp` (old-style ids keep their slash).
    public static func thumbnail(_ id: String, size: ThumbnailSize) -> String { "/thumbnails/\(size.rawValue)/\(id).webp" }

    public static func thumbnailPlaceholder() -> String { "/static/thumbnail-placeholder.svg" }

    /// Percent-encodes everything but unreserved characters (a space becomes `%20`, not `+`).
    static func pathSegment(_ text: String) -> String {
        percentEncoded(text, spaceAsPlus: false)
    }
}
