import Foundation

/// Everything `warden serve` is told on its command line, as data: the server is built from one
/// of these, so tests build the same server the executable runs.
public struct ServerConfiguration: Sendable {
    /// A pack to load at startup: the name it is served under and its file.
    public struct PackSource: Sendable, Equatable {
        public var name: String
        public var path: String

        public init(name: String, path: String) {
            self.name = name
            self.path = path
        }

        /// Parses a `--rules` value: `NAME=PATH`, or `PATH`, whose name is the file's base name
        /// (`rules/payments.rules` → `payments`).
        public init(argument: String) {
            if let eq = argument.firstIndex(of: "="), eq != argument.startIndex,
               argument[..<eq].allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) {
                name = String(argument[..<eq])
                path = String(argument[argument.index(after: eq)...])
            } else {
                path = argument
                name = URL(fileURLWithPath: argument).deletingPathExtension().lastPathComponent
            }
        }
    }

    public var packs: [PackSource]
    public var host: String = "127.0.0.1"
    public var port: Int = 8080
    /// The bearer token every route but `/healthz` and `/readyz` requires; nil: no auth.
    public var token: String? = nil
    /// Where alerts (`alerts-*.jsonl`) and the dead-letter file go; nil: alerts are not written.
    public var alertsDirectory: String? = nil
    /// Where alerts are POSTed (needs ``alertsDirectory`` for the dead-letter file).
    public var webhook: URL? = nil
    public var webhookDelivery = WebhookDelivery()
    /// SQLite file window state is restored from at startup and saved to every
    /// ``windowSaveInterval`` and at shutdown.
    public var windowStatePath: String? = nil
    public var windowSaveInterval: Duration = .seconds(30)
    /// Largest body `POST /v1/score` accepts (413 beyond).
    public var maxBodyBytes: Int = 64 * 1024
    /// Largest body `POST /v1/score/batch` accepts (413 beyond).
    public var maxBatchBytes: Int = 8 * 1024 * 1024
    /// Most events one `POST /v1/score/batch` may carry (413 beyond): bounds the response too,
    /// which for tiny invalid elements could otherwise be many times the request.
    public var maxBatchEvents: Int = 10_000
    /// From the moment the handler sees the request to the moment scoring starts: a request
    /// whose body arrived later gets 504 and is not scored.
    public var deadline: Duration = .milliseconds(50)
    /// Scoring requests (single and batch) handled at once; one more gets 503 at once.
    public var maxInFlight: Int = 256
    /// Alerts waiting for the background writer; one more goes straight to the dead-letter file.
    public var alertQueueCapacity: Int = 10_000
    /// Rotate the alerts file when it reaches this size, or when the UTC day changes.
    public var alertFileMaxBytes: Int = 64 * 1024 * 1024
    /// Close a connection that has read nothing for this long: idle keep-alive connections, and
    /// clients stalled in the middle of a body (which frees their in-flight slot).
    public var idleTimeout: Duration = .seconds(60)

    public init(packs: [PackSource]) {
        self.packs = packs
    }

    /// How alerts are delivered to the webhook.
    public struct WebhookDelivery: Sendable {
        /// Attempts per batch before its alerts go to the dead-letter file.
        public var attempts: Int = 6
        /// Wait before the second attempt; doubled before each further one (capped).
        public var initialBackoff: Duration = .milliseconds(200)
        public var maxBackoff: Duration = .seconds(10)
        /// One POST carries at most this many alerts (a JSON array).
        public var maxBatch: Int = 100
        /// Time limit of one POST.
        public var requestTimeout: Duration = .seconds(5)

        public init() {}
    }
}
