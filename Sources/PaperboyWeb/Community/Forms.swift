import Foundation
import Hummingbird
import PaperboyCore

/// A posted form that passed the same-origin and CSRF checks.
struct PostedForm {
    let fields: QueryParameters

    /// Forms here are small; a comment is the largest field (10,000 characters).
    static let maximumBytes = 64 * 1024

    func string(_ name: String, maxLength: Int = 200) throws -> String? { try fields.string(name, maxLength: maxLength) }

    /// A text field that must be present and non-blank.
    func required(_ name: String, label: String, maxLength: Int) throws -> String {
        guard let value = try fields.string(name, maxLength: maxLength)?.trimmingCharacters(in: .whitespacesAndNewlines), !value.isEmpty else {
            throw RequestProblem.badRequest("\(label) is empty.")
        }
        return value
    }

    func flag(_ name: String) throws -> Bool {
        switch try fields.string(name, maxLength: 5) {
        case "1", "on", "true", "yes": true
        default: false
        }
    }
}

extension Security {
    /// Refuses a post sent from another site (`isSameOrigin`), saying so.
    static func requireSameOrigin(_ request: Request, site: SiteAddress) throws {
        guard isSameOrigin(request, site: site) else {
            throw RequestProblem.forbidden("This form was sent from another site, so it was ignored.")
        }
    }

    /// Reads a form post, refusing cross-site posts, oversized or non-UTF-8 bodies and a
    /// missing or wrong CSRF token, each with a message that says what to do.
    func readForm(_ request: Request, context: some RequestContext, site: SiteAddress) async throws -> PostedForm {
        try Security.requireSameOrigin(request, site: site)
        let form = PostedForm(fields: try await request.formFields())
        let binding: String
        if let viewer = Viewer.current {
            binding = viewer.sessionHash.base64URLEncoded
        } else if let cookie = Security.cookie(Security.csrfCookie, in: request) {
            binding = cookie
        } else {
            throw RequestProblem.forbidden("Your browser did not send this site's form cookie. Reload the page (with cookies on) and try again.")
        }
        guard csrfTokenIsValid(try form.string("csrf", maxLength: 100), binding: binding) else {
            throw RequestProblem.forbidden("This form has expired. Reload the page and try again.")
        }
        return form
    }

    /// The CSRF token for an anonymous form, and the cookie to set when the browser has none yet.
    func anonymousFormToken(_ request: Request) -> (token: String, setCookie: String?) {
        if let cookie = Security.cookie(Security.csrfCookie, in: request) {
            return (csrfToken(binding: cookie), nil)
        }
        let cookie = newToken()
        return (csrfToken(binding: cookie), cookieHeader(name: Security.csrfCookie, value: cookie, maxAge: 86_400))
    }
}

extension Request {
    /// The fields of an `application/x-www-form-urlencoded` body of at most 64 KB, or a clear
    /// 400 or 413. The origin and CSRF checks are the caller's (`readForm` makes both).
    func formFields() async throws -> QueryParameters {
        guard (headers[.contentType] ?? "").hasPrefix("application/x-www-form-urlencoded") else {
            throw RequestProblem.badRequest("Send the form as application/x-www-form-urlencoded.")
        }
        let buffer = try await collectBody(atMost: PostedForm.maximumBytes, describing: "That form")
        guard let text = String(validating: buffer.readableBytesView, as: UTF8.self) else {
            throw RequestProblem.badRequest("The form is not valid UTF-8.")
        }
        return QueryParameters(encoded: text)
    }
}
