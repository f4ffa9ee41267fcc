import Crypto
import Foundation
import Hummingbird
import PaperboyCore
import PaperboyStore

/// Settings beyond the password: a new username, a new email address (confirmed by a link sent
/// to it), and a copy of everything the site keeps about the reader, as JSON.
extension AccountRoutes {
    /// What a redirect back to Settings says was done. Only these fixed texts are shown, so the
    /// query parameter cannot put words on the page.
    enum Done: String {
        case password, passwordRemoved = "password-removed", username, emailSent = "email-sent", email

        var message: String {
            switch self {
            case .password: "Your password is saved. You can sign in with it, or still by emailed link."
            case .passwordRemoved: "Your password is removed. You sign in by emailed link."
            case .username: "Your username is changed. Your profile, comments and submissions show the new name."
            case .emailSent: "A confirmation link is on its way to the new address. Your address changes when you open it."
            case .email: "Your email address is changed. Sign in with the new one from now on."
            }
        }
    }

    /// Links to confirm a new address work this long.
    static let emailChangeLifetime: TimeInterval = 24 * 3600

    func addSettingsRoutes(to router: Router<some RequestContext>) {
        router.post(RouterPath(Links.settingsUsername())) { request, context in try await self.changeUsername(request, context: context) }
        router.post(RouterPath(Links.settingsEmail())) { request, context in try await self.requestEmailChange(request, context: context) }
        router.get(RouterPath(Links.confirmEmailAction())) { request, _ in try await self.confirmEmailPage(request) }
        router.post(RouterPath(Links.confirmEmailAction())) { request, context in try await self.confirmEmailChange(request, context: context) }
        router.get(RouterPath(Links.exportAccount())) { request, _ in try await self.exportAccount(request) }
    }

    func changeUsername(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        let typed = try form.string("username", maxLength: 100) ?? ""
        let username: String
        do {
            username = try Username.validate(typed)
        } catch {
            return try await settingsPage(request, message: nil, problem: "Choose another username: \(error.description).", status: .badRequest)
        }
        do {
            try await store.renameAccount(id: viewer.account.id, to: username)
        } catch CommunityError.usernameTaken {
            return try await settingsPage(request, message: nil, problem: "The username \(username) is taken. Choose another.", status: .conflict)
        }
        community.logger.notice("username changed", metadata: ["from": "\(viewer.account.username)", "to": "\(username)"])
        return Responses.redirect(to: Links.settings(done: Done.username.rawValue))
    }

    /// Sends a link to the new address. The link names the account, the old and the new address
    /// and an expiry, signed with the site's key: it stops working once the address has changed,
    /// so it can be used once, and nobody can make one for another account.
    func requestEmailChange(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        let typed = try form.string("email", maxLength: 300) ?? ""
        let email: String
        do {
            email = try EmailAddress.normalize(typed)
        } catch {
            return try await settingsPage(request, message: nil, problem: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).", status: .badRequest)
        }
        guard email != viewer.account.email else {
            return try await settingsPage(request, message: nil, problem: "That is already your address.", status: .badRequest)
        }
        try community.limit(.signInMail, client: community.clientAddress(request, context: context), target: "email:\(email)")
        // Said the same way whether or not another account has the address: the confirmation
        // page refuses it then, so nobody learns here who is registered.
        let expiry = Int(community.now().addingTimeInterval(Self.emailChangeLifetime).timeIntervalSince1970)
        let payload = [String(viewer.account.id), Self.fingerprint(viewer.account.email), Data(email.utf8).base64URLEncoded, String(expiry)]
            .joined(separator: "~")
        let token = security.signed(payload, purpose: "email-change")
        do {
            try await community.mailer.sendEmailChangeLink(
                to: email, link: community.configuration.baseURL + Links.confirmEmail(token: token),
                siteName: community.configuration.siteName, username: viewer.account.username,
                expiresInHours: Int(Self.emailChangeLifetime / 3600))
        } catch {
            community.logger.error("email change mail failed", metadata: ["error": "\(error)"])
            throw RequestProblem(status: .serviceUnavailable, message: "We could not send the confirmation mail just now. Your address is unchanged; please try again in a minute.")
        }
        return Responses.redirect(to: Links.settings(done: Done.emailSent.rawValue))
    }

    struct EmailChange {
        let accountID: Int64
        let newEmail: String
    }

    /// Names the old address in the link without spelling it out.
    static func fingerprint(_ email: String) -> String {
        String(Data(SHA256.hash(data: Data(email.utf8))).prefix(12).base64URLEncoded)
    }

    func emailChange(token: String?) async throws -> EmailChange? {
        guard let payload = security.verified(token, purpose: "email-change") else { return nil }
        let parts = payload.split(separator: "~", omittingEmptySubsequences: false)
        guard parts.count == 4, let id = Int64(parts[0]), let expiry = TimeInterval(parts[3]),
              expiry > community.now().timeIntervalSince1970,
              let new = Data(base64URLEncoded: String(parts[2])).map({ String(decoding: $0, as: UTF8.self) }),
              let account = try await store.account(id: id), Self.fingerprint(account.email) == parts[1]
        else { return nil }
        return EmailChange(accountID: id, newEmail: new)
    }

    static let emailLinkExpired = (heading: "This confirmation link no longer works",
                                   text: "It has expired, was used already, or the address was changed since. Ask for a new one in Settings.")

    /// A button, not a change on opening: mail scanners open links.
    func confirmEmailPage(_ request: Request) async throws -> Response {
        let token = try QueryParameters(request).string("token", maxLength: 1_000)
        guard let change = try await emailChange(token: token), let token else {
            return community.message(heading: Self.emailLinkExpired.heading, text: Self.emailLinkExpired.text, link: (Links.settings(), "Settings"), status: .gone)
        }
        let (csrf, cookie) = security.anonymousFormToken(request)
        // The sign-in confirmation's model: the same fields, shown by the confirm-email template.
        let model = SignInConfirmPageModel(
            site: community.site, action: Links.confirmEmailAction(), csrf: csrf, token: token, email: change.newEmail, isNew: false, next: Links.settings())
        return community.page("confirm-email", model, cookies: [cookie].compactMap { $0 })
    }

    func confirmEmailChange(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let change = try await emailChange(token: try form.string("token", maxLength: 1_000)) else {
            return community.message(heading: Self.emailLinkExpired.heading, text: Self.emailLinkExpired.text, link: (Links.settings(), "Settings"), status: .gone)
        }
        do {
            try await store.setEmail(change.newEmail, accountID: change.accountID)
        } catch CommunityError.emailTaken {
            return community.message(
                heading: "That address belongs to another account",
                text: "Nothing was changed. Sign in with \(change.newEmail) to use that account, or pick another address.",
                link: (Links.settings(), "Settings"), status: .conflict)
        }
        community.logger.notice("email changed", metadata: ["account": "\(change.accountID)"])
        if Viewer.current?.account.id == change.accountID {
            return Responses.redirect(to: Links.settings(done: Done.email.rawValue))
        }
        return community.message(heading: "Your email address is changed", text: "Sign in with \(change.newEmail) from now on.", link: (Links.signIn(), "Sign in"))
    }

    // MARK: Export

    struct Export: Encodable {
        struct AccountPart: Encodable {
            let username: String
            let email: String
            let role: String
            let createdAt: String
            let hasPassword: Bool
        }
        struct PaperReference: Encodable {
            let id: String
            let title: String
        }
        struct CommentPart: Encodable {
            let id: Int64
            let paperId: String
            let paperTitle: String
            let body: String
            let createdAt: String
            let editedAt: String?
            let hiddenByCurator: Bool
        }
        struct SavedPaper: Encodable {
            let id: String
            let title: String
            let tags: [String]
            let savedAt: String
        }
        struct FollowPart: Encodable {
            let kind: String
            let value: String
        }
        struct TokenPart: Encodable {
            let name: String
            let createdAt: String
        }
        let exportedAt: String
        let site: String
        let account: AccountPart
        let upvotes: [PaperReference]
        let submissions: [PaperReference]
        let comments: [CommentPart]
        let library: [SavedPaper]
        let publicTags: [String]
        let follows: [FollowPart]
        let interestParagraph: String?
        let apiTokens: [TokenPart]
    }

    /// Everything the site keeps that is the reader's, as one JSON file (GDPR's right of access).
    /// Secrets stay out: no password hash, no token values.
    func exportAccount(_ request: Request) async throws -> Response {
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        let account = viewer.account
        let formatter = ISO8601DateFormatter()
        let limit = 1_000_000
        let upvoted = try await store.upvotedPapers(username: account.username, limit: limit)
        let submitted = try await store.submissions(username: account.username, limit: limit)
        let comments = try await store.comments(accountID: account.id, includeHidden: true, limit: limit)
        let library = try await store.library(accountID: account.id, tag: nil)
        let tags = try await store.libraryTags(accountID: account.id)
        let export = Export(
            exportedAt: formatter.string(from: community.now()),
            site: community.configuration.baseURL,
            account: .init(username: account.username, email: account.email, role: account.role.rawValue,
                           createdAt: formatter.string(from: account.createdAt), hasPassword: account.passwordHash != nil),
            upvotes: upvoted.map { .init(id: $0.id, title: $0.title) },
            submissions: submitted.map { .init(id: $0.id, title: $0.title) },
            comments: comments.map {
                .init(id: $0.comment.id, paperId: $0.comment.paperID, paperTitle: $0.paperTitle, body: $0.comment.body,
                      createdAt: formatter.string(from: $0.comment.createdAt), editedAt: $0.comment.editedAt.map(formatter.string(from:)),
                      hiddenByCurator: $0.comment.hidden)
            },
            library: library.map { .init(id: $0.paper.id, title: $0.paper.title, tags: $0.tags, savedAt: formatter.string(from: $0.savedAt)) },
            publicTags: tags.filter(\.isPublic).map(\.name),
            follows: try await store.follows(accountID: account.id).map { .init(kind: $0.kind.rawValue, value: $0.value) },
            interestParagraph: try await store.interestParagraph(accountID: account.id),
            apiTokens: try await store.apiTokens(accountID: account.id).map { .init(name: $0.name, createdAt: formatter.string(from: $0.createdAt)) })
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        var response = Responses.text(String(decoding: try encoder.encode(export), as: UTF8.self), contentType: "application/json; charset=utf-8").response()
        response.headers[.contentDisposition] = "attachment; filename=\"\(account.username)-paperboy-export.json\""
        response.headers[.cacheControl] = "private, no-store"
        return response
    }
}
