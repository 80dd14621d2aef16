import Hummingbird

/// `Authorization: Bearer TOKEN` on every route but the probes (`/healthz`, `/readyz`);
/// 401 with `WWW-Authenticate: Bearer` otherwise. The comparison takes the same time whatever
/// prefix of the token matches.
struct AuthMiddleware<Context: RequestContext>: RouterMiddleware {
    let token: [UInt8]
    static var openPaths: Set<String> { ["/healthz", "/readyz"] }

    init(token: String) {
        self.token = Array(token.utf8)
    }

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        if Self.openPaths.contains(request.uri.path) { return try await next(request, context) }
        guard let header = request.headers[.authorization] else {
            return unauthorized("missing 'Authorization: Bearer <token>' header")
        }
        let prefix = "Bearer "
        guard header.utf8.count > prefix.utf8.count, header.hasPrefix(prefix) || header.lowercased().hasPrefix("bearer ") else {
            return unauthorized("the Authorization header must be 'Bearer <token>'")
        }
        let presented = Array(header.utf8.dropFirst(prefix.utf8.count))
        guard Self.constantTimeEqual(presented, token) else { return unauthorized("invalid bearer token") }
        return try await next(request, context)
    }

    private func unauthorized(_ message: String) -> Response {
        JSONResponse.error(.unauthorized, message, headers: [.wwwAuthenticate: "Bearer realm=\"warden\""])
    }

    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var diff = UInt8(truncatingIfNeeded: a.count ^ b.count)
        for i in 0..<max(a.count, b.count) {
            let x = i < a.count ? a[i] : 0
            let y = i < b.count ? b[i] : 0
            diff |= x ^ y
        }
        return diff == 0
    }
}
