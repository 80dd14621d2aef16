import Hummingbird
import Logging

/// Outermost middleware: turns every error a route or the router throws into a JSON error body
/// with the right status (404 for an unknown route, 413 for a body over its limit, 500 for the
/// unexpected, which is logged), then counts the request by route and status and times it.
struct RequestMetricsMiddleware<Context: RequestContext>: RouterMiddleware {
    let metrics: ServerMetrics
    let logger: Logger

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as any HTTPResponseError {
            let message: String
            switch error.status {
            case .notFound: message = "no route \(request.method) \(request.uri.path)"
            case .contentTooLarge: message = "the body is larger than this route accepts"
            case .methodNotAllowed: message = "\(request.method) is not allowed on \(request.uri.path)"
            default: message = error.status.reasonPhrase
            }
            response = JSONResponse.error(error.status, message, headers: (error as? HTTPError)?.headers ?? [:])
        } catch {
            logger.error("request failed", metadata: ["route": "\(request.uri.path)", "error": "\(Redact.numbers(in: String(describing: error)))"])
            response = JSONResponse.error(.internalServerError, "internal error")
        }
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        metrics.request(route: context.endpointPath ?? "unmatched", status: response.status.code, seconds: seconds)
        return response
    }
}
