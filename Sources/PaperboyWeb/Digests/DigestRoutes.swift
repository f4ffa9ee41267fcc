import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import PaperboyMail
import PaperboyStore

/// Subscribing (form on every page and `POST /api/subscriptions`), double opt-in, preferences,
/// one-click unsubscribe (RFC 8058) and the web view of a digest. Links in mail carry the
/// subscriber's random token signed with the server secret: they need no sign-in and no cookie.
struct DigestRoutes: Sendable {
    let community: CommunityContext
    let transport: any MailTransport
    let from: MailAddress
    let composer: DigestComposer?

    var store: any PaperStore { community.store }
    var security: Security { community.security }

    func addRoutes(to router: Router<some RequestContext>) {
        router.post("/subscribe") { request, context in try await self.subscribeForm(request, context: context) }
        router.post("/api/subscriptions") { request, context in try await self.subscribeAPI(request, context: context) }
        router.get("/subscriptions/confirm") { request, _ in try await self.confirmPage(request) }
        router.post("/subscriptions/confirm") { request, _ in try await self.confirm(request) }
        router.get("/unsubscribe") { request, _ in try await self.preferences(request) }
        router.post("/unsubscribe") { request, context in try await self.unsubscribe(request, context: context) }
        router.post("/preferences") { request, context in try await self.updatePreferences(request, context: context) }
        router.get("/digest") { request, _ in try await self.webView(request) }
    }

    // MARK: Subscribing

    func subscribeForm(_ request: Request, context: some RequestContext) async throws -> Response {
        // No form token: the form sits on cached pages. A forged post can only send a
        // confirmation mail, which does nothing until its link is used.
        try Security.requireSameOrigin(request, site: community.configuration.site)
        let fields = try await request.formFields()
        let email = try fields.string("email", maxLength: 300) ?? ""
        let frequency = try fields.string("frequency", maxLength: 10) ?? "daily"
        let topics = try fields.string("topics", maxLength: 3_000) ?? ""
        try await subscribe(request, context: context, email: email, frequency: frequency, topics: { try DigestTopics.parse(topics) })
        return community.message(heading: "Check your inbox", text: "If that address is yours, a mail with a confirmation link is on its way. Nothing is sent until you confirm.")
    }

    struct SubscriptionBody: Decodable {
        let email: String
        let frequency: String?
        let topics: [String]?
    }

    struct SubscriptionAnswer: Encodable {
        let status: String
        let message: String
    }

    func subscribeAPI(_ request: Request, context: some RequestContext) async throws -> Response {
        guard (request.headers[.contentType] ?? "").hasPrefix("application/json") else {
            throw RequestProblem(status: .unsupportedMediaType, message: "Send JSON: {\"email\": …, \"frequency\": \"daily\"|\"weekly\", \"topics\": […]}.")
        }
        let buffer = try await request.collectBody(atMost: 16 * 1024, describing: "The subscription")
        let body: SubscriptionBody
        do {
            body = try JSONDecoder().decode(SubscriptionBody.self, from: Data(buffer.readableBytesView))
        } catch {
            throw RequestProblem.badRequest("The body is not valid JSON with an \"email\" string.")
        }
        try await subscribe(request, context: context, email: body.email, frequency: body.frequency ?? "daily", topics: { try DigestTopics.validate(body.topics ?? []) })
        return try Responses.json(SubscriptionAnswer(status: "confirmation_sent", message: "Confirm with the link mailed to the address."), status: .accepted).response()
    }

    func subscribe(_ request: Request, context: some RequestContext, email typed: String, frequency typedFrequency: String, topics: () throws -> [String]) async throws {
        let email: String
        let topicList: [String]
        do {
            email = try EmailAddress.normalize(typed)
            topicList = try topics()
        } catch let error as AccountInputError {
            throw RequestProblem.badRequest("\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).")
        }
        guard let frequency = DigestFrequency(rawValue: typedFrequency) else {
            throw RequestProblem.badRequest("frequency is daily or weekly.")
        }
        try community.limit(.signInMail, client: community.clientAddress(request, context: context), target: "subscribe:\(email)")
        let subscriber = try await store.subscribe(email: email, frequency: frequency, topics: topicList, token: security.newToken(), now: community.now())
        guard subscriber.status == .pending else { return }
        let link = community.configuration.baseURL + "/subscriptions/confirm?s=" + security.signed(subscriber.token, purpose: "subscriber")
        let text = """
            Hello,

            Someone (hopefully you) asked for \(frequency == .daily ? "daily" : "weekly") trending papers from \(community.configuration.siteName) at this address.
            Confirm with this link:

            \(link)

            If it was not you, ignore this mail and nothing more will come.
            """
        do {
            try await transport.send(MailMessage(from: from, to: try MailAddress(email), subject: "Confirm your \(community.configuration.siteName) digest", text: text))
        } catch {
            community.logger.error("confirmation mail failed", metadata: ["error": "\(error)"])
            throw RequestProblem(status: .serviceUnavailable, message: "We could not send the confirmation mail just now. Please try again in a minute.")
        }
    }

    // MARK: Signed links

    func subscriberFromLink(_ request: Request) async throws -> Subscriber {
        let query = QueryParameters(request)
        guard let token = security.verified(try query.string("s", maxLength: 200), purpose: "subscriber"),
              let subscriber = try await store.subscriber(token: token) else {
            throw RequestProblem.notFound("This link is not valid. Use the newest link from your mail.")
        }
        return subscriber
    }

    /// The mailed link opens a page with a button; only the button's post confirms. Mail
    /// scanners (Outlook's Safe Links, Mimecast and the like) open every link in a mail they
    /// deliver, so a confirmation on opening would subscribe any address someone typed in.
    func confirmPage(_ request: Request) async throws -> Response {
        let subscriber = try await subscriberFromLink(request)
        if subscriber.status == .active {
            return try await preferencesPage(subscriber.token, notice: "You are already subscribed.")
        }
        let model = SubscriptionConfirmPageModel(
            site: community.site, email: subscriber.email,
            frequency: subscriber.frequency == .daily ? "daily, on weekdays" : "weekly, on Mondays",
            action: "/subscriptions/confirm?s=\(security.signed(subscriber.token, purpose: "subscriber"))")
        return community.page("subscription-confirm", model)
    }

    func confirm(_ request: Request) async throws -> Response {
        try Security.requireSameOrigin(request, site: community.configuration.site)
        let subscriber = try await subscriberFromLink(request)
        _ = try await store.confirmSubscription(token: subscriber.token, now: community.now())
        return try await preferencesPage(subscriber.token, notice: "You are subscribed. The first digest comes with the next \(subscriber.frequency == .daily ? "weekday" : "Monday") morning.")
    }

    func preferences(_ request: Request) async throws -> Response {
        let subscriber = try await subscriberFromLink(request)
        return try await preferencesPage(subscriber.token, notice: nil)
    }

    func preferencesPage(_ token: String, notice: String?, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let subscriber = try await store.subscriber(token: token) else { throw RequestProblem.notFound("This subscription is gone.") }
        let signed = security.signed(token, purpose: "subscriber")
        let model = PreferencesPageModel(
            site: community.site, email: subscriber.email, notice: notice,
            active: subscriber.status == .active, status: subscriber.status.rawValue,
            daily: subscriber.frequency == .daily, weekly: subscriber.frequency == .weekly,
            topics: subscriber.topics.joined(separator: "\n"),
            preferencesAction: "/preferences?s=\(signed)", unsubscribeAction: "/unsubscribe?s=\(signed)")
        return community.page("preferences", model, status: status)
    }

    /// One click from the mail client (RFC 8058: a POST with `List-Unsubscribe=One-Click`), or
    /// the button on the preferences page. Either way, the signed link is the authority.
    func unsubscribe(_ request: Request, context: some RequestContext) async throws -> Response {
        let subscriber = try await subscriberFromLink(request)
        _ = try await store.unsubscribe(token: subscriber.token, now: community.now())
        community.logger.info("unsubscribed", metadata: ["subscriber": "\(subscriber.id)"])
        return community.message(heading: "Unsubscribed", text: "\(subscriber.email) gets no more digests. Changed your mind? Subscribe again from any page.")
    }

    func updatePreferences(_ request: Request, context: some RequestContext) async throws -> Response {
        try Security.requireSameOrigin(request, site: community.configuration.site)
        let subscriber = try await subscriberFromLink(request)
        let fields = try await request.formFields()
        guard let frequency = DigestFrequency(rawValue: try fields.string("frequency", maxLength: 10) ?? "") else {
            throw RequestProblem.badRequest("frequency is daily or weekly.")
        }
        let topics: [String]
        do {
            topics = try DigestTopics.parse(try fields.string("topics", maxLength: 3_000) ?? "")
        } catch let error as AccountInputError {
            return try await preferencesPage(subscriber.token, notice: "Not saved: \(error.description).", status: .badRequest)
        }
        _ = try await store.updatePreferences(token: subscriber.token, frequency: frequency, topics: topics)
        return try await preferencesPage(subscriber.token, notice: "Saved.")
    }

    func webView(_ request: Request) async throws -> Response {
        let subscriber = try await subscriberFromLink(request)
        guard let composer else { throw RequestProblem.notFound("Digests are not set up on this server.") }
        guard let period = DigestPeriod(try QueryParameters(request).string("period", maxLength: 12) ?? "") else {
            throw RequestProblem.badRequest("period is a day (2026-11-23) or an ISO week (2026-W47).")
        }
        var response = Responses.html(try await composer.webView(for: subscriber, period: period)).response()
        // The digest is the mail's HTML, styled inline because mail clients drop style sheets. The
        // site's policy forbids inline styles, so this page alone allows them: it still runs no
        // script, and every text in it is escaped by the template.
        response.headers[.contentSecurityPolicy] = SecurityHeadersMiddleware<BasicRequestContext>.digestPolicy
        return response
    }
}
