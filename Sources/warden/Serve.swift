import ArgumentParser
import Foundation
import Logging
import WardenServer

/// `warden serve`: the HTTP scoring service (Documentation/Service.md).
struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve real-time scoring over HTTP: POST /v1/score, /v1/score/batch, GET /v1/rules, /metrics.")

    @Option(name: .customLong("rules"),
            help: "A pack to serve, as PATH (named after the file: rules/payments.rules → payments) or NAME=PATH. Repeatable.")
    var packs: [String] = []

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port).")
    var port = 8080

    @Option(help: "File holding the bearer token every route but /healthz and /readyz requires (trimmed). Without it, no auth.")
    var tokenFile: String?

    @Option(help: "Directory for alert files (alerts-YYYYMMDD-HHMMSS.jsonl) and dead-letter.jsonl. Without it, no alerts are written.")
    var alertsDir: String?

    @Option(help: "URL alerts are POSTed to (JSON arrays), with retries; needs --alerts-dir.")
    var webhook: String?

    @Option(help: "SQLite file velocity-window state is restored from and saved to (every 30 s and at shutdown).")
    var windowState: String?

    @Option(help: "Largest body POST /v1/score accepts (413 beyond).")
    var maxBodyBytes = 64 * 1024

    @Option(help: "Largest body POST /v1/score/batch accepts (413 beyond).")
    var maxBatchBytes = 8 * 1024 * 1024

    @Option(help: "Most events one POST /v1/score/batch may carry (413 beyond).")
    var maxBatchEvents = 10_000

    @Option(help: "Milliseconds from receiving a request to starting to score it; 504 beyond, and the event is not scored.")
    var deadlineMs = 50

    @Option(help: "Scoring requests handled at once; more get 503 with Retry-After at once (no queue).")
    var maxInFlight = 256

    @Option(help: "Log format: text or json (one object per line), on standard error.")
    var logFormat = "text"

    @Option(help: "Log level: trace, debug, info, notice, warning, error, critical.")
    var logLevel = "info"

    @Flag(help: .hidden)
    var echo = false

    func validate() throws {
        if packs.isEmpty && !echo { throw ValidationError("give at least one pack: --rules PATH or --rules NAME=PATH") }
        guard (0...65535).contains(port) else { throw ValidationError("--port must be 0-65535") }
        guard maxBodyBytes > 0, maxBatchBytes > 0, maxBatchEvents > 0 else { throw ValidationError("body and batch limits must be positive") }
        guard deadlineMs > 0 else { throw ValidationError("--deadline-ms must be at least 1") }
        guard maxInFlight >= 0 else { throw ValidationError("--max-in-flight must be 0 or more") }
        guard ["text", "json"].contains(logFormat) else { throw ValidationError("--log-format is text or json") }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level '\(logLevel)'") }
        if let webhook {
            guard let url = URL(string: webhook), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
                throw ValidationError("--webhook must be an http:// or https:// URL")
            }
        }
    }

    func run() async throws {
        let level = Logger.Level(rawValue: logLevel) ?? .info
        let json = logFormat == "json"
        LoggingSystem.bootstrap { label in
            var handler: any LogHandler = json ? JSONLogHandler(label: label) : StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
        let logger = Logger(label: "warden")

        if echo {
            try await EchoServer.run(host: host, port: port, maxBodyBytes: maxBodyBytes, logger: logger)
            return
        }
        var config = ServerConfiguration(packs: packs.map(ServerConfiguration.PackSource.init(argument:)))
        config.host = host
        config.port = port
        if let tokenFile {
            guard let text = try? String(contentsOfFile: tokenFile, encoding: .utf8) else {
                throw ValidationError("cannot read --token-file \(tokenFile)")
            }
            let token = text.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !token.isEmpty else { throw ValidationError("--token-file \(tokenFile) is empty") }
            config.token = token
        }
        config.alertsDirectory = alertsDir
        config.webhook = webhook.flatMap(URL.init(string:))
        config.windowStatePath = windowState
        config.maxBodyBytes = maxBodyBytes
        config.maxBatchBytes = maxBatchBytes
        config.maxBatchEvents = maxBatchEvents
        config.deadline = .milliseconds(deadlineMs)
        config.maxInFlight = maxInFlight

        let server: ScoringServer
        do {
            server = try ScoringServer(configuration: config, logger: logger)
        } catch {
            FileHandle.standardError.write(Data("warden serve: \(error.description)\n".utf8))
            throw failure
        }
        try await server.run()
    }
}
