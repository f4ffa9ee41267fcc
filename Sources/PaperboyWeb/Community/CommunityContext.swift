import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Mustache
import NIOCore
import PaperboyCore
import PaperboyStore

/// What the account and community routes share: the store, security settings, the mailer,
/// rate limits and page rendering.
struct CommunityContext: Sendable {
    let store: any PaperStore
    let security: Security
    let mailer: any SignInMailer
    let metadata: any PaperMetadataSource
    let limiter: RateLimiter
    let resources: SiteResources
    let configuration: WebConfiguration
    let logger: Logger
    let now: @Sendable () -> Date

    var site: SiteChrome { SiteChrome(name: configuration.siteName, today: Day(containing: now())) }

    func page(_ template: String, _ model: some MustacheParent, status: HTTPResponse.Status = .ok, cookies: [String] = []) -> Response {
        var response = Responses.html(resources.render(model, template: template), status: status).response()
        for cookie in cookies { response.headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return response
    }

    func message(heading: String, text: String, link: (url: String, label: String)? = nil, status: HTTPResponse.Status = .ok) -> Response {
        let model = MessagePageModel(site: site, heading: heading, text: text, link: link.map { NavigationLink(label: $0.label, url: $0.url) })
        return page("message", model, status: status)
    }

    /// A form post that passed the same-origin and CSRF checks.
    func readForm(_ request: Request, context: some RequestContext) async throws -> PostedForm {
        try await security.readForm(request, context: context, site: configuration.site)
    }

    /// Cards with the viewer's vote buttons.
    func cards(_ papers: [Paper]) async throws -> [PaperCard] {
        guard let viewer = Viewer.current else { return papers.map { PaperCard($0) } }
        let voted = try await store.votedPaperIDs(accountID: viewer.account.id, among: papers.map(\.id))
        return papers.map { PaperCard($0, viewer: viewer, voted: voted.contains($0.id)) }
    }

    // MARK: Rate limits

    enum Action: String {
        case signInMail = "signin-mail"
        case passwordAttempt = "password"
        case vote
        case comment
        case submit

        /// Per person: a signed-in account, or one client address asking about one target
        /// (an email address). A stranger who uses up their own allowance for someone's
        /// address has not touched that person's.
        var limit: RateLimit {
            switch self {
            case .signInMail: RateLimit(count: 5, per: .seconds(3600))
            case .passwordAttempt: RateLimit(count: 10, per: .seconds(900))
            case .vote: RateLimit(count: 60, per: .seconds(60))
            case .comment: RateLimit(count: 10, per: .seconds(600))
            case .submit: RateLimit(count: 20, per: .seconds(3600))
            }
        }

        /// Many people can share one address (a lab behind NAT): its limit is larger.
        var addressLimit: RateLimit {
            RateLimit(count: limit.count * 5, per: limit.period)
        }

        /// One target from all addresses together: keeps an inbox from being flooded and a
        /// password from being guessed from many addresses, high enough that it takes several
        /// addresses, each spending its own allowance, to reach it.
        var targetLimit: RateLimit {
            RateLimit(count: limit.count * 4, per: limit.period)
        }
    }

    /// Throws a 429 with `Retry-After` when the client's address, the signed-in `account`, the
    /// client's requests about `target`, or all requests about `target` are over the action's limit.
    /// Checked in that order and stopping at the first refusal, so a refused request spends
    /// nothing of the buckets after it.
    func limit(_ action: Action, client: String, account: Int64? = nil, target: String? = nil) throws {
        var buckets: [(key: String, limit: RateLimit)] = [("ip:\(client)", action.addressLimit)]
        if let account { buckets.append(("user:\(account)", action.limit)) }
        if let target {
            buckets.append(("\(target)|ip:\(client)", action.limit))
            buckets.append((target, action.targetLimit))
        }
        let now = now()
        for bucket in buckets {
            let decision = limiter.allow("\(action.rawValue)|\(bucket.key)", limit: bucket.limit, now: now)
            if case .limited(let retryAfter) = decision {
                let minutes = max(1, Int((retryAfter / 60).rounded(.up)))
                throw RequestProblem.tooMany(
                    "Too many attempts for now. Please wait \(minutes) minute\(minutes == 1 ? "" : "s") and try again.",
                    retryAfter: Int(retryAfter.rounded(.up)))
            }
        }
    }

    /// The client's address as rate limits count it: the connecting address, or through
    /// `--trusted-proxies` the one they forwarded for; an IPv6 client by its /64.
    func clientAddress(_ request: Request, context: some RequestContext) -> String {
        Self.clientAddress(request, context: context, proxies: configuration.trustedProxies)?.rateLimitKey ?? "unknown"
    }

    static func clientAddress(_ request: Request, context: some RequestContext, proxies: TrustedProxies) -> IPAddress? {
        guard let text = (context as? any RemoteAddressRequestContext)?.remoteAddress?.ipAddress, let peer = IPAddress(text) else { return nil }
        guard !proxies.isEmpty else { return peer }
        return proxies.client(
            peer: peer, forwarded: request.headers[values: HTTPField.Name("Forwarded")!],
            forwardedFor: request.headers[values: HTTPField.Name("X-Forwarded-For")!])
    }

    /// The viewer, or a redirect to sign in and come back to `next`.
    func requireViewer(next: String) throws -> Viewer {
        guard let viewer = Viewer.current else { throw SignInRequired(next: next) }
        return viewer
    }
}

/// Thrown by handlers that need an account; answered with a redirect to the sign-in page
/// (or a 401 for scripts asking for JSON).
struct SignInRequired: Error {
    let next: String
}

/// The application's request context: Hummingbird's basic one plus the peer's address, which
/// the rate limits key on.
public struct PaperboyRequestContext: RequestContext, RemoteAddressRequestContext {
    public var coreContext: CoreRequestContextStorage
    public let remoteAddress: SocketAddress?

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress
    }
}
