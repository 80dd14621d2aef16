import Hummingbird
import Logging

/// The benchmark's yardstick: Hummingbird answering `POST /v1/score` with the body it was sent,
/// with nothing else in the way. `tools/bench-http` runs it beside the real server, so the
/// ratio score/echo shows what Warden adds to the framework's own cost.
public enum EchoServer {
    public static func run(host: String, port: Int, maxBodyBytes: Int, logger: Logger) async throws {
        let router = Router()
        router.post("/v1/score") { request, _ -> Response in
            let body = try await request.body.collect(upTo: maxBodyBytes)
            return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: body))
        }
        var appLogger = logger
        appLogger.logLevel = max(logger.logLevel, .notice)
        let app = Application(router: router, configuration: .init(address: .hostname(host, port: port), serverName: "warden-echo"),
                              onServerRunning: { channel in
                                  logger.notice("warden serve --echo: listening", metadata: ["address": "\(channel.localAddress?.description ?? "")"])
                              },
                              logger: appLogger)
        try await app.runService()
    }
}
