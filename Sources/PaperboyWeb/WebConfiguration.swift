import Foundation
import Hummingbird
import PaperboyCore
import Synchronization

/// Settings the web layer needs, read once at start-up and passed down.
public struct WebConfiguration: Sendable {
    /// Shown in the footer and the Atom feed title.
    public var siteName: String
    /// Where absolute links point (mail, Atom ids, Markdown export). It comes from configuration
    /// only: a request's `Host` or `X-Forwarded-Host` never chooses where a mailed link goes.
    public var site: SiteAddress
    /// Papers per feed page.
    public var pageSize: Int
    /// How long a rendered GET response may be reused; zero turns the page cache off.
    public var cacheLifetime: Duration
    /// At most this many bytes of rendered pages are kept.
    public var cacheBytes: Int
    /// Reverse proxies whose `X-Forwarded-For` / `Forwarded` headers name the client.
    public var trustedProxies: TrustedProxies
    /// A connection that sends no complete request head, or sits idle, this long is closed.
    public var idleTimeoutSeconds: Int = 30
    /// Whether requests are counted and timed for `/metrics` (on when a metrics port is set).
    public var recordsMetrics = false
    /// Whether each request gets a trace span (on when an OTLP endpoint is set; see `Tracing`).
    public var tracesRequests = false
    /// Whether text pages go out gzip-compressed to clients that accept it.
    public var compresses = true

    /// `publicURL` nil: links point at `http://127.0.0.1:8080`, the address the demo listens on;
    /// `serve` passes the address it really listens on through `site`.
    public init(
        siteName: String = "Paperboy", publicURL: String? = nil, site: SiteAddress? = nil, pageSize: Int = 50,
        cacheLifetime: Duration = .seconds(2), cacheBytes: Int = 64 << 20, trustedProxies: TrustedProxies = TrustedProxies()
    ) {
        self.siteName = siteName
        if let site {
            self.site = site
        } else if let publicURL, let configured = try? SiteAddress(publicURL: publicURL) {
            self.site = configured
        } else {
            self.site = SiteAddress(listeningOn: "127.0.0.1", port: 8080)
        }
        self.pageSize = pageSize
        self.cacheLifetime = cacheLifetime
        self.cacheBytes = cacheBytes
        self.trustedProxies = trustedProxies
    }

    /// The base URL for absolute links, without a trailing slash.
    public var baseURL: String { site.url }
}

/// The site's own address, the only source of absolute links.
///
/// Either the operator's `--public-url`, or the address the server listens on. With port 0 the
/// port is known only once the server is bound, so `serve` fills it in then (`bound(port:)`).
public final class SiteAddress: Sendable {
    public struct Invalid: Error, CustomStringConvertible {
        public let description: String
    }

    private let state: Mutex<String>
    /// True when the operator configured it (`--public-url`), false when taken from the listening address.
    public let isConfigured: Bool

    /// `https://papers.example.org` or `http://host:port/prefix`; a trailing slash is dropped.
    public init(publicURL: String) throws {
        var text = publicURL.trimmingCharacters(in: .whitespaces)
        while text.hasSuffix("/") { text.removeLast() }
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              scheme == "http" || scheme == "https", let host = components.host, !host.isEmpty,
              components.query == nil, components.fragment == nil, components.user == nil else {
            throw Invalid(description: "the public URL must be an http:// or https:// address with a host and no query, like https://papers.example.org, not \"\(publicURL.prefix(200))\"")
        }
        state = Mutex(text)
        isConfigured = true
    }

    /// The address the server listens on, as a link a browser on that network can open.
    /// A wildcard address (0.0.0.0, ::) names no host, so links use the loopback address.
    public init(listeningOn host: String, port: Int) {
        state = Mutex(Self.url(host: host, port: port))
        isConfigured = false
    }

    static func url(host: String, port: Int) -> String {
        var name = host
        if name == "0.0.0.0" || name.isEmpty { name = "127.0.0.1" }
        if name == "::" || name == "[::]" { name = "[::1]" }
        if name.contains(":"), !name.hasPrefix("[") { name = "[\(name)]" }
        return "http://\(name):\(port)"
    }

    /// Fills in the port the server was bound to, when links come from the listening address.
    public func bound(host: String, port: Int) {
        guard !isConfigured else { return }
        state.withLock { $0 = Self.url(host: host, port: port) }
    }

    /// The base URL, without a trailing slash.
    public var url: String { state.withLock { $0 } }

    /// `scheme://host[:port]` in lower case, with the scheme's default port left out, as browsers
    /// send it in `Origin`.
    public var origin: String { Self.origin(of: url) ?? url }

    /// The origin of `text` (a URL or an `Origin` header), or nil when it has no scheme and host.
    static func origin(of text: String) -> String? {
        guard let components = URLComponents(string: text), let scheme = components.scheme?.lowercased(),
              let host = components.host?.lowercased(), !host.isEmpty else { return nil }
        let bracketed = host.contains(":") && !host.hasPrefix("[") ? "[\(host)]" : host
        if let port = components.port, !(scheme == "http" && port == 80), !(scheme == "https" && port == 443) {
            return "\(scheme)://\(bracketed):\(port)"
        }
        return "\(scheme)://\(bracketed)"
    }

    /// Whether the site is served over HTTPS (then cookies are marked `Secure`).
    public var isHTTPS: Bool { url.lowercased().hasPrefix("https://") }

    /// The host name, for Message-IDs.
    public var host: String { URLComponents(string: url)?.host ?? "localhost" }
}
