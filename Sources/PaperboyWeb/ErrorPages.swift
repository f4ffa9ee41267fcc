import Foundation
import PaperboyStore
import Hummingbird
import Logging
import PaperboyCore
import PaperboySearch

/// Turns every failure into a page a person can read, or a JSON error for API clients.
/// Unexpected errors are logged with the request id and shown as a plain 500, never with internals.
struct ErrorPageMiddleware<Context: RequestContext>: RouterMiddleware {
    let resources: SiteResources
    let siteName: String
    let now: @Sendable () -> Date

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let required as SignInRequired {
            if (request.headers[.accept] ?? "").hasPrefix("application/json") {
                return try respond(request, status: .unauthorized, message: "Sign in first.")
            }
            return Responses.redirect(to: Links.signIn(next: required.next))
        } catch let problem as RequestProblem {
            var response = try respond(request, status: problem.status, message: problem.message)
            if let retryAfter = problem.retryAfter { response.headers[.retryAfter] = String(retryAfter) }
            return response
        } catch StoreError.unavailable(let reason), SearchError.unavailable(let reason) {
            // Fail fast while the database is away; the pool reconnects by itself when it is back.
            context.logger.warning("database unavailable: \(reason)")
            var response = try respond(request, status: .serviceUnavailable, message: "The database is not answering right now. Please try again in a few seconds.")
            response.headers[.retryAfter] = "5"
            return response
        } catch let error as HTTPError {
            let message = error.body ?? (error.status == .notFound ? "There is no page at this address." : error.status.reasonPhrase)
            return try respond(request, status: error.status, message: message)
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(error)", "path": "\(request.uri.path)"])
            return try respond(request, status: .internalServerError, message: "Something went wrong on our side. Please try again.")
        }
    }

    func respond(_ request: Request, status: HTTPResponse.Status, message: String) throws -> Response {
        if request.uri.path.hasPrefix("/api/") || (request.headers[.accept] ?? "").hasPrefix("application/json") {
            return try Responses.json(HubAPI.ErrorBody(error: message), status: status).response()
        }
        let heading = switch status {
        case .notFound: "Page not found"
        case .badRequest: "That is not quite right"
        case .forbidden: "Not allowed"
        case .unauthorized: "Please sign in"
        case .tooManyRequests: "Slow down a little"
        case .conflict: "Already done"
        case .serviceUnavailable: "Back in a moment"
        default: "Something went wrong"
        }
        let model = ErrorPageModel(site: SiteChrome(name: siteName, today: Day(containing: now())), heading: heading, message: message)
        return Responses.html(resources.render(model, template: "error"), status: status).response()
    }
}

/// Answers 503 when the database goes away before a handler runs (the session lookup, which
/// happens outside `ErrorPageMiddleware` so that error pages know who is signed in).
struct StoreUnavailableMiddleware<Context: RequestContext>: RouterMiddleware {
    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch StoreError.unavailable(let reason) {
            context.logger.warning("database unavailable: \(reason)")
            let message = "The database is not answering right now. Please try again in a few seconds."
            var response = (request.headers[.accept] ?? "").hasPrefix("application/json")
                ? try Responses.json(HubAPI.ErrorBody(error: message), status: .serviceUnavailable).response()
                : Response(status: .serviceUnavailable, headers: [.contentType: "text/plain; charset=utf-8"], body: .init(byteBuffer: ByteBuffer(string: message + "\n")))
            response.headers[.retryAfter] = "5"
            return response
        }
    }
}
