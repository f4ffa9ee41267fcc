import Foundation
import Hummingbird

/// Settings the web layer needs, read once at start-up and passed down.
public struct WebConfiguration: Sendable {
    /// Shown in the footer and the Atom feed title.
    public var siteName: String
    /// Absolute base URL used where a link must be absolute (Atom ids, Markdown export).
    /// `nil`: taken from each request's Host header.
    public var publicURL: String?
    /// Papers per feed page.
    public var pageSize: Int
    /// How long a rendered GET response may be reused; zero turns the page cache off.
    public var cacheLifetime: Duration

    public init(siteName: String = "Paperboy", publicURL: String? = nil, pageSize: Int = 50, cacheLifetime: Duration = .seconds(2)) {
        self.siteName = siteName
        self.publicURL = publicURL.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        self.pageSize = pageSize
        self.cacheLifetime = cacheLifetime
    }

    /// The base URL for absolute links in a response to `request`.
    func baseURL(for request: Request) -> String {
        publicURL ?? "http://\(request.head.authority ?? "localhost")"
    }
}
