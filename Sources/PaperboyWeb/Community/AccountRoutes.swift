import Foundation
import Hummingbird
import Logging
import PaperboyCore
import PaperboyStore

/// Sign-in by emailed link or password, sign-out, profiles and settings.
struct AccountRoutes: Sendable {
    let community: CommunityContext

    var store: any PaperStore { community.store }
    var security: Security { community.security }

    func addRoutes(to router: Router<some RequestContext>) {
        router.get("/signin") { request, _ in try await self.signInPage(request) }
        router.post("/signin") { request, context in try await self.signIn(request, context: context) }
        router.get("/signin/confirm") { request, _ in try await self.confirmPage(request) }
        router.post("/signin/confirm") { request, context in try await self.confirm(request, context: context) }
        router.post("/signout") { request, context in try await self.signOut(request, context: context) }
        router.get("/u/:username") { request, context in try await self.profile(request, username: context.parameters.require("username")) }
        router.get("/settings") { request, _ in try await self.settingsPage(request, message: nil) }
        router.post("/settings/password") { request, context in try await self.setPassword(request, context: context) }
        router.post("/settings/delete-account") { request, context in try await self.deleteAccount(request, context: context) }
        addSettingsRoutes(to: router)
    }

    // MARK: Sign-in

    func signInPage(_ request: Request, problem: String? = nil, email: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        let query = QueryParameters(request)
        let next = SafeRedirect.path(try? query.string("next", maxLength: 300), otherwise: "/")
        let (token, cookie) = security.anonymousFormToken(request)
        let model = SignInPageModel(site: community.site, action: "/signin", csrf: token, next: next, problem: problem, email: email)
        return community.page("signin", model, status: status, cookies: [cookie].compactMap { $0 })
    }

    func signIn(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let next = SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: "/")
        let typed = try form.string("email", maxLength: 300) ?? ""
        let email: String
        do {
            email = try EmailAddress.normalize(typed)
        } catch {
            return try await signInPage(request, problem: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).", email: String(typed.prefix(254)), status: .badRequest)
        }
        let ip = community.clientAddress(request, context: context)
        if let password = try form.string("password", maxLength: 200), !password.isEmpty {
            try community.limit(.passwordAttempt, client: ip, target: "email:\(email)")
            let account = try await store.account(email: email)
            guard security.verifyPassword(password, hash: account?.passwordHash), let account else {
                return try await signInPage(request, problem: "That email address and password do not match. Leave the password empty to get a sign-in link instead.", email: email, status: .unauthorized)
            }
            return try await startSession(for: account, next: next)
        }
        try community.limit(.signInMail, client: ip, target: "email:\(email)")
        let token = security.newToken()
        let expiry = community.now().addingTimeInterval(Security.signInLinkLifetime)
        try await store.saveSignInToken(hash: security.hash(token), email: email, expiresAt: expiry)
        // The reader lands where they asked to sign in from, not on the home page.
        let link = community.configuration.baseURL + Links.signInConfirm(token: token, next: next)
        do {
            try await community.mailer.sendSignInLink(
                to: email, link: link, siteName: community.configuration.siteName,
                expiresInMinutes: Int(Security.signInLinkLifetime / 60))
        } catch {
            community.logger.error("sign-in mail failed", metadata: ["error": "\(error)"])
            throw RequestProblem(status: .serviceUnavailable, message: "We could not send the sign-in mail just now. Please try again in a minute.")
        }
        // The same answer whether or not the address has an account: nobody learns who is registered.
        return community.message(
            heading: "Check your inbox",
            text: "If \(email) is yours, a sign-in link is on its way. It works once, for the next 15 minutes.")
    }

    func confirmPage(_ request: Request) async throws -> Response {
        let query = QueryParameters(request)
        guard let token = try query.string("token", maxLength: 100), let email = try await store.signInTokenIsValid(hash: security.hash(token), now: community.now()) else {
            return community.message(
                heading: "This sign-in link has expired", text: "Links work once and for 15 minutes. Ask for a new one.",
                link: (Links.signIn(), "Sign in"), status: .gone)
        }
        let isNew = try await store.account(email: email) == nil
        let next = SafeRedirect.path(try? query.string("next", maxLength: 300), otherwise: "/")
        let (csrf, cookie) = security.anonymousFormToken(request)
        // A button, not an automatic sign-in: mail scanners open links, and must not use them up.
        let model = SignInConfirmPageModel(
            site: community.site, action: Links.signInConfirmAction(), csrf: csrf, token: token, email: email, isNew: isNew, next: next)
        return community.page("signin-confirm", model, cookies: [cookie].compactMap { $0 })
    }

    func confirm(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        let token = try form.string("token", maxLength: 100) ?? ""
        let hash = security.hash(token)
        guard let email = try await store.signInTokenIsValid(hash: hash, now: community.now()) else {
            return community.message(
                heading: "This sign-in link has expired", text: "Links work once and for 15 minutes. Ask for a new one.",
                link: (Links.signIn(), "Sign in"), status: .gone)
        }
        var account = try await store.account(email: email)
        var username: String?
        if account == nil {
            // Check the name before using up the link, so a taken name can be corrected.
            let typed = try form.string("username", maxLength: 100) ?? ""
            do {
                username = try Username.validate(typed)
            } catch {
                throw RequestProblem.badRequest("Choose another username: \(error.description). Go back to try again.")
            }
            if let username, try await store.account(username: username) != nil {
                throw RequestProblem(status: .conflict, message: "The username \(username) is taken. Go back and choose another.")
            }
        }
        guard try await store.consumeSignInToken(hash: hash, now: community.now()) != nil else {
            return community.message(heading: "This sign-in link was just used", text: "Ask for a new one.", link: (Links.signIn(), "Sign in"), status: .gone)
        }
        if account == nil, let username {
            do {
                account = try await store.createAccount(username: username, email: email, role: .member, passwordHash: nil, now: community.now())
            } catch let error as CommunityError {
                throw RequestProblem(status: .conflict, message: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).")
            }
        }
        guard let account else { throw RequestProblem.badRequest("No account for this link.") }
        return try await startSession(for: account, next: SafeRedirect.path(try form.string("next", maxLength: 300), otherwise: "/"))
    }

    func startSession(for account: Account, next: String) async throws -> Response {
        let token = security.newToken()
        let now = community.now()
        try await store.createSession(hash: security.hash(token), accountID: account.id, now: now, expiresAt: now.addingTimeInterval(Security.sessionLifetime))
        community.logger.info("signed in", metadata: ["user": "\(account.username)"])
        return Responses.redirect(to: next, cookies: [security.cookieHeader(name: Security.sessionCookie, value: token, maxAge: Security.sessionLifetime)])
    }

    func signOut(_ request: Request, context: some RequestContext) async throws -> Response {
        _ = try await community.readForm(request, context: context)
        if let viewer = Viewer.current { try await store.deleteSession(hash: viewer.sessionHash) }
        return Responses.redirect(to: "/", cookies: [security.expiredCookieHeader(name: Security.sessionCookie)])
    }

    // MARK: Profiles and settings

    func profile(_ request: Request, username: String) async throws -> Response {
        guard username.utf8.count <= 32, let account = try await store.account(username: username) else {
            throw RequestProblem.notFound("There is nobody called \"\(username.prefix(32))\" here.")
        }
        let submissions = try await store.submissions(username: account.username, limit: 100)
        let upvoted = try await store.upvotedPapers(username: account.username, limit: 100)
        let comments = try await store.comments(accountID: account.id, includeHidden: false, limit: 50)
        var model = ProfilePageModel(
            site: community.site, username: account.username, role: account.role == .member ? nil : account.role.rawValue,
            joined: Day(containing: account.createdAt).iso,
            submissions: try await community.cards(submissions), upvoted: try await community.cards(upvoted),
            comments: comments.map(ProfileComment.init))
        model.claimed = try await community.cards(try await store.claimedPapers(username: account.username, limit: 200))
        return community.page("profile", model)
    }

    func settingsPage(_ request: Request, message: String?, problem: String? = nil, status: HTTPResponse.Status = .ok) async throws -> Response {
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        let done = try? QueryParameters(request).string("done", maxLength: 30).flatMap(Done.init(rawValue:))
        let model = SettingsPageModel(
            site: community.site, email: viewer.account.email, username: viewer.account.username,
            hasPassword: viewer.account.passwordHash != nil, action: Links.settingsPassword(),
            deleteAction: Links.deleteAccount(), csrf: viewer.csrfToken, message: message ?? (problem == nil ? done?.message : nil), problem: problem)
        return community.page("settings", model, status: status)
    }

    /// A stolen session cookie must not become a permanent password: changing or removing a
    /// password needs the current one, and setting a first password needs a sign-in (by link)
    /// within the last `freshSignIn`.
    static let freshSignIn: TimeInterval = 15 * 60

    func setPassword(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        if viewer.account.passwordHash != nil {
            try community.limit(.passwordAttempt, client: community.clientAddress(request, context: context), account: viewer.account.id)
            let current = try form.string("current", maxLength: 200) ?? ""
            guard !current.isEmpty, security.verifyPassword(current, hash: viewer.account.passwordHash) else {
                return try await settingsPage(request, message: nil, problem: "Your current password is not right, so nothing was changed.", status: .forbidden)
            }
        } else {
            let started = try await store.sessionStartedAt(hash: viewer.sessionHash)
            guard let started, community.now().timeIntervalSince(started) <= Self.freshSignIn else {
                return try await settingsPage(request, message: nil, problem: "To set a password, sign out and sign in again by emailed link first: it proves the address is yours. Then set it within 15 minutes.", status: .forbidden)
            }
        }
        if try form.flag("remove") {
            try await store.setPasswordHash(nil, accountID: viewer.account.id)
            return Responses.redirect(to: Links.settings(done: Done.passwordRemoved.rawValue))
        }
        let password = try form.string("password", maxLength: 400) ?? ""
        do {
            try Security.validatePassword(password)
        } catch {
            return try await settingsPage(request, message: nil, problem: "\(error.description.prefix(1).uppercased())\(error.description.dropFirst()).", status: .badRequest)
        }
        try await store.setPasswordHash(security.hashPassword(password), accountID: viewer.account.id)
        return Responses.redirect(to: Links.settings(done: Done.password.rawValue))
    }

    /// Deletes the account and everything that is the reader's: library, tags, negatives, follows,
    /// models, tokens, votes, comments, sessions. Typing the username guards against a slip; the
    /// current password (or, without one, a sign-in by link in the last 15 minutes) against a
    /// stolen session cookie, as for changing a password.
    func deleteAccount(_ request: Request, context: some RequestContext) async throws -> Response {
        let form = try await community.readForm(request, context: context)
        guard let viewer = Viewer.current else { return Responses.redirect(to: Links.signIn(next: Links.settings())) }
        let typed = (try form.string("confirm", maxLength: 100) ?? "").trimmingCharacters(in: .whitespaces)
        guard typed.caseInsensitiveCompare(viewer.account.username) == .orderedSame else {
            return try await settingsPage(request, message: nil, problem: "Type your username, \(viewer.account.username), to delete your account. Nothing was deleted.", status: .badRequest)
        }
        if viewer.account.passwordHash != nil {
            try community.limit(.passwordAttempt, client: community.clientAddress(request, context: context), account: viewer.account.id)
            let current = try form.string("current", maxLength: 200) ?? ""
            guard !current.isEmpty, security.verifyPassword(current, hash: viewer.account.passwordHash) else {
                return try await settingsPage(request, message: nil, problem: "Your current password is not right, so nothing was deleted.", status: .forbidden)
            }
        } else {
            let started = try await store.sessionStartedAt(hash: viewer.sessionHash)
            guard let started, community.now().timeIntervalSince(started) <= Self.freshSignIn else {
                return try await settingsPage(request, message: nil, problem: "To delete your account, sign out and sign in again by emailed link first: it proves the address is yours. Then delete it within 15 minutes.", status: .forbidden)
            }
        }
        _ = try await store.deleteAccount(id: viewer.account.id)
        community.logger.notice("account deleted", metadata: ["user": "\(viewer.account.username)"])
        let model = MessagePageModel(
            site: SiteChrome(name: community.configuration.siteName, today: Day(containing: community.now()), signedOut: true),
            heading: "Your account is deleted",
            text: "Your library, tags, For-you models, follows, tokens, votes and comments are gone. Email digests you subscribed to are separate: each one has an unsubscribe link.",
            link: NavigationLink(label: "Back to the papers", url: Links.home()))
        return community.page("message", model, cookies: [security.expiredCookieHeader(name: Security.sessionCookie)])
    }
}
