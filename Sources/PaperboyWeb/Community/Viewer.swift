import Foundation
import HTTPTypes
import Hummingbird
import PaperboyCore
import PaperboyStore

/// The signed-in person behind the current request, if any. Set by `SessionMiddleware` for the
/// duration of the request, so page models and handlers read it without it being threaded
/// through every call.
struct Viewer: Sendable {
    let account: Account
    let sessionHash: Data
    /// The token this person's forms carry.
    let csrfToken: String

    @TaskLocal static var current: Viewer?

    var canCurate: Bool { account.role.canCurate }
}

/// Resolves the `pb_session` cookie to an account once per request.
struct SessionMiddleware<Context: RequestContext>: RouterMiddleware {
    let store: any PaperStore
    let security: Security
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let token = Security.cookie(Security.sessionCookie, in: request) else {
            return try await next(request, context)
        }
        let hash = security.hash(token)
        guard let account = try await store.sessionAccount(hash: hash, now: now()) else {
            // An expired or signed-out session: drop the cookie so pages are cacheable again,
            // unless this very response signs in (it sets a new one, which must not be deleted).
            var response = try await next(request, context)
            let setsSession = response.headers[values: .setCookie].contains { $0.hasPrefix(Security.sessionCookie + "=") }
            if !setsSession {
                response.headers.append(HTTPField(name: .setCookie, value: security.expiredCookieHeader(name: Security.sessionCookie)))
            }
            return response
        }
        let viewer = Viewer(account: account, sessionHash: hash, csrfToken: security.csrfToken(binding: hash.base64URLEncoded))
        return try await Viewer.$current.withValue(viewer) {
            var response = try await next(request, context)
            // Pages for one person must not be kept by shared caches.
            response.headers[.cacheControl] = "private, no-store"
            return response
        }
    }
}
