import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import WardenEngine

/// The HTTP scoring service: an ``Engine`` with its packs loaded, behind a Hummingbird 2 router,
/// with metrics, bounded concurrency, alerts and window-state saving.
///
/// ```swift
/// var config = ServerConfiguration(packs: [.init(argument: "rules/payments.rules")])
/// config.token = "s3cret"
/// let server = try ScoringServer(configuration: config, logger: Logger(label: "warden"))
/// try await server.run()   // until SIGTERM / SIGINT, then a graceful shutdown
/// ```
///
/// Routes are in `ScoringServer+Routes.swift`; `Documentation/Service.md` is the user's view.
public final class ScoringServer: Sendable {
    public let configuration: ServerConfiguration
    public let engine: Engine
    let metrics = ServerMetrics()
    let limiter: InFlightLimiter
    let alerts: AlertPipeline?
    let logger: Logger
    /// The served names, sorted; fixed at startup.
    let packNames: [String]

    /// What stops the server from starting: a pack that does not compile (with its rendered
    /// diagnostics), an unusable window-state file or alerts directory, a bad option.
    public struct StartupError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Loads every pack (all must compile) and opens the window-state file and alert files.
    public init(configuration: ServerConfiguration, logger: Logger) throws(StartupError) {
        self.configuration = configuration
        self.logger = logger
        limiter = InFlightLimiter(limit: configuration.maxInFlight)
        guard !configuration.packs.isEmpty else { throw StartupError(description: "no pack given: use --rules PACK") }
        if configuration.webhook != nil, configuration.alertsDirectory == nil {
            throw StartupError(description: "--webhook needs --alerts-dir: alerts the webhook cannot take go to DIR/dead-letter.jsonl")
        }
        let names = configuration.packs.map(\.name)
        if let dup = names.first(where: { n in names.filter { $0 == n }.count > 1 }) {
            throw StartupError(description: "two packs are named '\(dup)': name them with --rules NAME=PATH")
        }
        var options = Engine.Options()
        options.windowSnapshotPath = configuration.windowStatePath
        do {
            engine = try Engine(options: options)
        } catch {
            throw StartupError(description: "cannot open the window state file \(configuration.windowStatePath ?? ""): \(error)")
        }
        for pack in configuration.packs {
            do throws(PackError) {
                let info = try engine.load(name: pack.name, path: pack.path)
                logger.info("pack loaded", metadata: Self.metadata(info))
            } catch {
                throw StartupError(description: "pack '\(pack.name)' (\(pack.path)) does not load:\n\(error.rendered)")
            }
        }
        packNames = engine.loaded.map(\.name)
        for failure in engine.windowRestoreFailures {
            // The pack serves with empty windows: loud, but not a reason to refuse payments.
            logger.error("window state not restored", metadata: ["reason": "\(failure)"])
        }
        if let dir = configuration.alertsDirectory {
            do {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
                alerts = try AlertPipeline(directory: dir, webhook: configuration.webhook, configuration: configuration,
                                           metrics: metrics, logger: logger)
            } catch {
                throw StartupError(description: "cannot use the alerts directory \(dir): \(error)")
            }
        } else {
            alerts = nil
        }
    }

    /// The Hummingbird application: the router plus the background services (alert writer,
    /// window-state saver), which shut down after the server has stopped taking requests.
    /// Build and run one application per server: the alert writer is its queue's only consumer.
    public func makeApplication() -> some ApplicationProtocol {
        var services: [any Service] = []
        if configuration.windowStatePath != nil {
            services.append(WindowStateSaver(engine: engine, interval: configuration.windowSaveInterval, logger: logger))
        }
        if let alerts { services.append(alerts) }
        var appLogger = logger
        appLogger.logLevel = max(logger.logLevel, .notice)  // Hummingbird's own per-connection chatter
        let host = configuration.host, port = configuration.port
        let logger = self.logger
        let packs = engine.loaded.map { "\($0.name)@\($0.contentHash)" }.joined(separator: ",")
        let auth = configuration.token != nil
        let alertsTo = [configuration.alertsDirectory, configuration.webhook?.absoluteString].compactMap { $0 }.joined(separator: " + ")
        return Application(
            router: buildRouter(),
            server: .http1(configuration: .init(idleTimeout: .nanoseconds(Int64(configuration.idleTimeout.components.seconds) * 1_000_000_000))),
            configuration: .init(address: .hostname(host, port: port), serverName: "warden"),
            services: services,
            onServerRunning: { channel in
                logger.notice("warden serve: listening",
                              metadata: ["address": "\(channel.localAddress?.description ?? "\(host):\(port)")",
                                         "packs": "\(packs)", "auth": "\(auth ? "bearer" : "off")",
                                         "alerts": "\(alertsTo.isEmpty ? "off" : Redact.numbers(in: alertsTo))"])
            },
            logger: appLogger)
    }

    /// Serves until SIGTERM or SIGINT, then shuts down gracefully: stops accepting, finishes
    /// requests in flight, drains the alert queue, saves window state.
    public func run() async throws {
        if configuration.token == nil {
            logger.warning("no --token-file: every route is open to anyone who can reach the server", metadata: ["host": "\(configuration.host)"])
        }
        try await makeApplication().runService()
    }

    static func metadata(_ info: Engine.PackInfo) -> Logger.Metadata {
        ["pack": "\(info.name)", "package": "\(info.package)", "version": "\(info.version ?? "-")",
         "hash": "\(info.contentHash)", "rules": "\(info.rules)", "generation": "\(info.generation)",
         "path": "\(info.path)"]
    }
}
