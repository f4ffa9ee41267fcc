import Foundation
import HTTPTypes
import Hummingbird
import Logging
import PaperboyCore

/// One log line per request, written when it is answered: its id (the logger's `hb.request.id`),
/// method, route (the pattern, not the path, so a search's words stay out of the log), status,
/// duration and the client's address (through `--trusted-proxies`, as the rate limits see it).
/// With `--log-format json` each becomes one JSON object on one line.
struct AccessLogMiddleware<Context: RequestContext>: RouterMiddleware {
    let proxies: TrustedProxies

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = DispatchTime.now().uptimeNanoseconds
        do {
            let response = try await next(request, context)
            log(request, context: context, status: response.status, started: started)
            return response
        } catch {
            log(request, context: context, status: (error as? any HTTPResponseError)?.status ?? .internalServerError, started: started)
            throw error
        }
    }

    private func log(_ request: Request, context: Context, status: HTTPResponse.Status, started: UInt64) {
        // At notice and above (benchmarks, quiet installs) the address is not even parsed.
        guard context.logger.logLevel <= .info else { return }
        let milliseconds = Double(DispatchTime.now().uptimeNanoseconds - started) / 1_000_000
        let client = CommunityContext.clientAddress(request, context: context, proxies: proxies)?.description ?? "unknown"
        context.logger.info("request", metadata: [
            "method": .string(request.method.rawValue),
            "route": .string(context.endpointPath ?? "(none)"),
            "status": .stringConvertible(status.code),
            "duration_ms": .string(String(format: "%.2f", milliseconds)),
            "client": .string(client),
        ])
    }
}
