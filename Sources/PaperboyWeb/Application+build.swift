import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PaperboyCore
import PaperboyMail
import PaperboySearch
import PaperboyStore

/// Everything the web application is built from, injected so tests control the store and the clock.
public struct WebDependencies: Sendable {
    public var store: any PaperStore
    public var search: SearchEngine
    public var configuration: WebConfiguration
    public var now: @Sendable () -> Date
    public var security: Security
    public var mailer: any SignInMailer
    public var metadata: any PaperMetadataSource
    public var rateLimiter: RateLimiter
    /// Subscription confirmations go out through this; digests through `digests`.
    public var mailTransport: any MailTransport
    public var mailFrom: MailAddress
    public var digests: DigestComposer?
    /// Per-reader recommendations (issue 15); without one, For-you pages and the API say they are off.
    public var recommender: Recommender?
    /// The loaded semantic index, for `/readyz`; nil when search is keyword-only.
    public var semantic: SemanticIndex?

    /// `search` defaults to keyword-only search over `store`; `metadata` to the local database only.
    public init(
        store: any PaperStore, search: SearchEngine? = nil, configuration: WebConfiguration = WebConfiguration(),
        security: Security, mailer: any SignInMailer, metadata: any PaperMetadataSource = LocalOnlyMetadataSource(),
        rateLimiter: RateLimiter = RateLimiter(), mailTransport: any MailTransport, mailFrom: MailAddress,
        digests: DigestComposer? = nil, recommender: Recommender? = nil, semantic: SemanticIndex? = nil,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.recommender = recommender
        self.semantic = semantic
        self.mailTransport = mailTransport
        self.mailFrom = mailFrom
        self.digests = digests
        self.store = store
        self.search = search ?? SearchEngine(store: store, semantic: nil)
        self.configuration = configuration
        self.security = security
        self.mailer = mailer
        self.metadata = metadata
        self.rateLimiter = rateLimiter
        self.now = now
    }
}

/// The router with every page and API route, wrapped in request logging and error pages.
public func buildRouter(_ dependencies: WebDependencies, resources: SiteResources, logger: Logger = Logger(label: "paperboy.web")) -> Router<PaperboyRequestContext> {
    let router = Router(context: PaperboyRequestContext.self)
    if dependencies.configuration.tracesRequests {
        // Outermost, so the request's span holds everything below it: the search engine's and the
        // store's spans become its children. Query values that are words people searched for,
        // addresses or tokens stay out of the trace, as they stay out of the log.
        router.add(middleware: TracingMiddleware(redactingQueryParameters: [
            "q", "token", "s", "email", "subscriber", "next", "topics", "password", "csrf", "username",
        ]))
    }
    router.add(middleware: RequestActivityMiddleware())
    if dependencies.configuration.recordsMetrics {
        router.add(middleware: RequestMetricsMiddleware())
    }
    router.add(middleware: AccessLogMiddleware(proxies: dependencies.configuration.trustedProxies))
    if !dependencies.configuration.compresses { router.add(middleware: IdentityEncodingMiddleware()) }
    router.add(middleware: SecurityHeadersMiddleware())
    // Sessions outside error pages, so an error page still knows who is signed in.
    router.add(middleware: StoreUnavailableMiddleware())
    router.add(middleware: SessionMiddleware(store: dependencies.store, security: dependencies.security, now: dependencies.now))
    router.add(middleware: ErrorPageMiddleware(
        resources: resources, siteName: dependencies.configuration.siteName, now: dependencies.now))
    HealthRoutes(store: dependencies.store, semantic: dependencies.semantic, logger: logger).addRoutes(to: router)
    let cache = PageCache(
        store: dependencies.store, lifetime: dependencies.configuration.cacheLifetime, maxBytes: dependencies.configuration.cacheBytes,
        compresses: dependencies.configuration.compresses, now: dependencies.now)
    // Search first: /api/papers/search must not be taken for a paper id.
    SearchRoutes(engine: dependencies.search, resources: resources, configuration: dependencies.configuration, now: dependencies.now, cache: cache)
        .addRoutes(to: router)
    SitePages(
        store: dependencies.store, search: dependencies.search, resources: resources, configuration: dependencies.configuration,
        now: dependencies.now, cache: cache, recommender: dependencies.recommender
    ).addRoutes(to: router)
    let community = CommunityContext(
        store: dependencies.store, security: dependencies.security, mailer: dependencies.mailer, metadata: dependencies.metadata,
        limiter: dependencies.rateLimiter, resources: resources, configuration: dependencies.configuration, logger: logger,
        now: dependencies.now)
    // Before the paper pages: /papers/{id}/upvote and friends are POST-only, but share the prefix.
    CommunityRoutes(community: community).addRoutes(to: router)
    EnrichmentRoutes(community: community, cache: cache).addRoutes(to: router)
    AccountRoutes(community: community).addRoutes(to: router)
    ForYouRoutes(community: community, recommender: dependencies.recommender).addRoutes(to: router)
    DigestRoutes(community: community, transport: dependencies.mailTransport, from: dependencies.mailFrom, composer: dependencies.digests)
        .addRoutes(to: router)
    HubAPIRoutes(store: dependencies.store, resources: resources, now: dependencies.now, cache: cache, site: dependencies.configuration.site).addRoutes(to: router)
    AtomFeedRoute(store: dependencies.store, configuration: dependencies.configuration, now: dependencies.now, cache: cache)
        .addRoutes(to: router)
    return router
}

/// The router behind `HeadRequestResponder`: what the server and in-process tests run.
public func buildResponder(
    _ dependencies: WebDependencies, resources: SiteResources, logger: Logger = Logger(label: "paperboy.web")
) -> HeadRequestResponder<RouterResponder<PaperboyRequestContext>> {
    HeadRequestResponder(base: buildRouter(dependencies, resources: resources, logger: logger).buildResponder())
}

/// The Hummingbird application serving Paperboy on `host:port`.
/// `onServerRunning` receives the bound port (useful with port 0); links that come from the
/// listening address get that port before any request is answered.
public func buildApplication(
    _ dependencies: WebDependencies,
    host: String,
    port: Int,
    logger: Logger,
    onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }
) async throws -> some ApplicationProtocol {
    let resources = try await SiteResources.load()
    let site = dependencies.configuration.site
    return Application(
        responder: buildResponder(dependencies, resources: resources, logger: logger),
        // A connection that sends no complete request head (slowloris), or sits idle between
        // requests, for this long is closed.
        server: .http1(configuration: .init(idleTimeout: .seconds(Int64(dependencies.configuration.idleTimeoutSeconds)))),
        configuration: ApplicationConfiguration(address: .hostname(host, port: port), serverName: "Paperboy"),
        onServerRunning: { channel in
            let bound = channel.localAddress?.port ?? port
            site.bound(host: host, port: bound)
            await onServerRunning(bound)
        },
        logger: logger)
}

/// Answers `HEAD` wherever `GET` works (RFC 9110): the GET response's status and headers,
/// with its length but without its body.
public struct HeadRequestResponder<Base: HTTPResponder>: HTTPResponder {
    public typealias Context = Base.Context
    let base: Base

    public func respond(to request: Request, context: Context) async throws -> Response {
        guard request.method == .head else { return try await base.respond(to: request, context: context) }
        var head = request.head
        head.method = .get
        // Hummingbird's own HEAD form of a response: the same headers, Content-Length included.
        return try await base.respond(to: Request(head: head, body: request.body), context: context).createHeadResponse()
    }
}

/// Headers every response carries: no MIME sniffing, no framing, and a content policy that allows
/// only the site's own stylesheet, so injected markup could not run script even if it slipped through.
/// Counts the requests being answered, so background work waits for a quiet moment (`RequestActivity`).
struct RequestActivityMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        RequestActivity.begin()
        defer { RequestActivity.end() }
        return try await next(request, context)
    }
}

struct SecurityHeadersMiddleware<Context: RequestContext>: RouterMiddleware {
    static var sitePolicy: String { "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; img-src 'self' https:; base-uri 'none'; form-action 'self'" }
    /// The digest's web view: the mail's inline styles, and nothing else beyond the site's policy.
    static var digestPolicy: String { "default-src 'none'; style-src 'unsafe-inline'; img-src 'self' https:; base-uri 'none'; form-action 'self'" }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        response.headers[.xContentTypeOptions] = "nosniff"
        response.headers[HTTPField.Name("X-Frame-Options")!] = "DENY"
        // A route may set a narrower or page-specific policy (the digest's web view); others get the site's.
        if response.headers[.contentSecurityPolicy] == nil { response.headers[.contentSecurityPolicy] = Self.sitePolicy }
        response.headers[HTTPField.Name("Referrer-Policy")!] = "same-origin"
        return response
    }
}
