import Foundation
import Hummingbird

enum Responses {
    static func html(_ html: String, status: HTTPResponse.Status = .ok) -> Response {
        text(html, contentType: "text/html; charset=utf-8", status: status)
    }

    static func text(_ text: String, contentType: String, status: HTTPResponse.Status = .ok, cache: String? = nil) -> Response {
        var headers: HTTPFields = [.contentType: contentType]
        if let cache { headers[.cacheControl] = cache }
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    static func json(_ value: some Encodable, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let data = try encoder.encode(value)
        return Response(
            status: status,
            headers: [.contentType: "application/json; charset=utf-8"],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }
}

/// A client mistake in a query or path, shown as a 400 (or 404) with a message that says how to fix it.
struct RequestProblem: Error {
    let status: HTTPResponse.Status
    let message: String

    static func badRequest(_ message: String) -> RequestProblem { RequestProblem(status: .badRequest, message: message) }
    static func notFound(_ message: String) -> RequestProblem { RequestProblem(status: .notFound, message: message) }
}
