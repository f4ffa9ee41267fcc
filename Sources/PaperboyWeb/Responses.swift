import Foundation
import HTTPTypes
import Hummingbird
import NIOCore

/// A finished response body with its type: what handlers return and what the page cache keeps.
struct Page: ResponseGenerator, Sendable {
    var status: HTTPResponse.Status = .ok
    var contentType: String
    var body: ByteBuffer
    var cacheControl: String?
    /// Validators and the gzip body, made once when the page cache keeps the page (else per request).
    var representations: PageRepresentations?

    func response(from request: Request, context: some RequestContext) -> Response { response(to: request) }

    func response() -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let cacheControl { headers[.cacheControl] = cacheControl }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }
}

enum Responses {
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Page {
        text(html, contentType: "text/html; charset=utf-8", status: status)
    }

    /// A page written as bytes (`SiteChrome.document`), sent as they are.
    static func html(bytes: [UInt8], status: HTTPResponse.Status = .ok) -> Page {
        Page(status: status, contentType: "text/html; charset=utf-8", body: ByteBuffer(bytes: bytes))
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok, cache: String? = nil) -> Page {
        Page(status: status, contentType: contentType, body: ByteBuffer(string: text), cacheControl: cache)
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Page {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Page(status: status, contentType: "application/json; charset=utf-8", body: ByteBuffer(bytes: data))
    }
}

/// A client mistake in a query or path, shown as a 400 (or 404) with a message that says how to fix it.
struct RequestProblem: Error {
    let status: HTTPResponse.Status
    let message: String
    /// Seconds for the `Retry-After` header (429 and 503 answers).
    var retryAfter: Int? = nil

    static func badRequest(_ message: String) -> RequestProblem { RequestProblem(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> RequestProblem { RequestProblem(status: .notFound, message: message) }
    static func forbidden(_ message: String) -> RequestProblem { RequestProblem(status: .forbidden, message: message) }
    static func tooMany(_ message: String, retryAfter: Int) -> RequestProblem {
        RequestProblem(status: .tooManyRequests, message: message, retryAfter: max(1, retryAfter))
    }
}

extension Responses {
    /// 303 See Other: after a form post, the browser fetches `location` with GET.
    static func redirect(to location: String, cookies: [String] = []) -> Response {
        var headers: HTTPFields = [.location: location]
        for cookie in cookies { headers.append(HTTPField(name: .setCookie, value: cookie)) }
        return Response(status: .seeOther, headers: headers)
    }
}

extension Request {
    /// The whole body, at most `limit` bytes: 413 past that, 400 for a body that cannot be read
    /// (a malformed chunked encoding, a connection cut mid-body). Never a 500.
    func collectBody(atMost limit: Int, describing what: String) async throws -> ByteBuffer {
        do {
            return try await body.collect(upTo: limit)
        } catch is NIOTooManyBytesError {
            throw RequestProblem(status: .contentTooLarge, message: "\(what) is too large (at most \(limit / 1024) KB).")
        } catch let error as HTTPError where error.status == .contentTooLarge {
            throw RequestProblem(status: .contentTooLarge, message: "\(what) is too large (at most \(limit / 1024) KB).")
        } catch is CancellationError {
            throw CancellationError()
        } catch {
            throw RequestProblem.badRequest("\(what) could not be read: the request body is malformed.")
        }
    }
}
