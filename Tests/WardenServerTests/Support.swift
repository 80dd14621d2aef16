import Foundation
import Hummingbird
import HummingbirdTesting
import Logging
import Synchronization
import Testing
import WardenEngine
@testable import WardenServer

/// Shared fixtures: the repository's packs and sample events, a tiny pack written to a temp dir,
/// a quiet logger, JSON helpers.
enum Fixture {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let paymentsPack = root.appendingPathComponent("rules/payments.rules").path
    /// The first events of datasets/sample/transactions.jsonl, one JSON object each.
    static let sampleEvents: [String] = {
        let text = (try? String(contentsOf: root.appendingPathComponent("datasets/sample/transactions.jsonl"), encoding: .utf8)) ?? ""
        return text.split(separator: "\n").prefix(200).map(String.init)
    }()

    /// A pack whose decisions are easy to steer: `amount >= 1000` reviews (an alert),
    /// `divisor == 0` fails a rule (flagged, fails closed to review), a phone starting with 138
    /// reviews too and its explanation reads the `@pii` phone; a velocity window counts events.
    static let tinyPackText = """
        package tiny
        version "0.1.0"
        on_error review

        input txn {
          txn_id:     string @key
          account_id: string
          amount:     money
          divisor:    int
          phone:      string? @pii
          created_at: timestamp
        }

        window txns_1h = count() by account_id over 1h

        rule BIG "Amount of 1,000 or more"
          when amount >= 1000.00
          score 50

        rule RATIO "Fails to evaluate when divisor is 0"
          when 100 / divisor > 1000
          score 10

        rule PHONE_138 "Phone on the 138 segment"
          when phone is not null and phone matches /^138/
          score 50

        rule BUSY "Ten or more events in an hour"
          when txns_1h >= 10
          score 5

        decide
          review when score >= 50
          allow
        """

    static func tinyEvent(_ id: String, amount: String = "10.00", divisor: Int = 1, phone: String? = nil,
                          account: String = "A1") -> String {
        let p = phone.map { "\"\($0)\"" } ?? "null"
        return #"{"txn_id":"\#(id)","account_id":"\#(account)","amount":"\#(amount)","divisor":\#(divisor),"phone":\#(p),"created_at":"2024-03-01 10:00:00"}"#
    }

    /// A fresh directory under the system temp dir.
    static func tempDirectory() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-server-tests-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// Writes the tiny pack (or `text`) to a temp dir and returns its path.
    static func writePack(_ text: String = tinyPackText, name: String = "tiny", in dir: URL = tempDirectory()) -> String {
        let path = dir.appendingPathComponent("\(name).rules").path
        _ = FileManager.default.createFile(atPath: path, contents: Data(text.utf8))
        return path
    }

    static let quietLogger = Logger(label: "warden-test") { _ in SwiftLogNoOpLogHandler() }

    static func server(_ packs: [ServerConfiguration.PackSource], _ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws -> ScoringServer {
        var config = ServerConfiguration(packs: packs)
        adjust(&config)
        return try ScoringServer(configuration: config, logger: quietLogger)
    }

    static func json(_ buffer: ByteBuffer) -> Any? {
        try? JSONSerialization.jsonObject(with: Data(buffer.readableBytesView), options: [.fragmentsAllowed])
    }

    static func object(_ buffer: ByteBuffer) -> [String: Any] {
        json(buffer) as? [String: Any] ?? [:]
    }

    /// The decision a fresh engine gives for `event` on `pack`: what the service must answer.
    static func expectedDecision(pack path: String, name: String, event: String, explain: Bool = false) throws -> String {
        let engine = try Engine()
        try engine.load(name: name, path: path)
        return try engine.score(pack: name, json: Array(event.utf8), explain: explain).get().json()
    }

    /// Lines of every `alerts-*.jsonl` in `dir`, parsed.
    static func alertFileLines(_ dir: URL) -> [[String: Any]] {
        let names = ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasPrefix("alerts-") && $0.hasSuffix(".jsonl") }.sorted()
        return names.flatMap { jsonLines(dir.appendingPathComponent($0)) }
    }

    static func jsonLines(_ file: URL) -> [[String: Any]] {
        let text = (try? String(contentsOf: file, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
    }

    /// A TCP port on 127.0.0.1 nothing listens on (bound, read, closed).
    static func unusedPort() -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var addr = sockaddr_in()
        addr.sin_family = sa_family_t(AF_INET)
        addr.sin_port = 0
        addr.sin_addr.s_addr = inet_addr("127.0.0.1")
        var len = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, len) } }
        _ = withUnsafeMutablePointer(to: &addr) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &len) } }
        return Int(UInt16(bigEndian: addr.sin_port))
    }

    /// Polls `condition` every 20 ms until it holds or `timeout` passes.
    static func eventually(timeout: Duration = .seconds(20), _ condition: () async -> Bool) async -> Bool {
        let end = ContinuousClock.now + timeout
        while ContinuousClock.now < end {
            if await condition() { return true }
            try? await Task.sleep(for: .milliseconds(20))
        }
        return await condition()
    }
}

extension TestClientProtocol {
    func post(_ uri: String, _ body: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .post, headers: headers, body: ByteBuffer(string: body))
    }

    func get(_ uri: String, headers: HTTPFields = [:]) async throws -> TestResponse {
        try await execute(uri: uri, method: .get, headers: headers)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }
}

/// A webhook receiver on a local port: a second Hummingbird app that records each alert it
/// accepts. It answers 200 (`.ok`), 500 taking nothing (`.failing`), or holds each POST
/// unanswered (`.hanging`) until ``release(accepting:)``.
final class WebhookReceiver: Sendable {
    enum Mode { case ok, failing, hanging }
    struct State {
        var mode = Mode.ok
        var accepted: [(alertID: String, key: String)] = []
        var refusedPosts = 0
        var hung: [CheckedContinuation<Bool, Never>] = []
    }
    let state = Mutex(State())
    let port: Int
    private let task = Mutex<Task<Void, any Error>?>(nil)

    init(port: Int, mode: Mode = .ok) {
        self.port = port
        state.withLock { $0.mode = mode }
    }

    /// Starts listening; returns once the server is accepting connections.
    func start() async throws {
        let router = Router()
        router.post("/hook") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 16 << 20)
            return await self.handle(body)
        }
        let (started, continuation) = AsyncStream<Void>.makeStream()
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: port)),
                              onServerRunning: { _ in continuation.yield() }, logger: Fixture.quietLogger)
        task.withLock { $0 = Task { try await app.run() } }
        for await _ in started { break }
    }

    func stop() async {
        release(accepting: false)
        let t = task.withLock { $0 }
        t?.cancel()
        _ = try? await t?.value
    }

    /// POSTs being held unanswered now.
    var hanging: Int { state.withLock { $0.hung.count } }

    /// Answers the held POSTs (200 and recorded, or 500) and switches to `.ok` or `.failing`.
    func release(accepting: Bool) {
        let held = state.withLock { s in
            s.mode = accepting ? .ok : .failing
            defer { s.hung = [] }
            return s.hung
        }
        for c in held { c.resume(returning: accepting) }
    }

    private func handle(_ body: ByteBuffer) async -> Response {
        let accept = await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            let answer: Bool? = state.withLock { s in
                switch s.mode {
                case .ok: return true
                case .failing: return false
                case .hanging:
                    s.hung.append(c)
                    return nil
                }
            }
            if let answer { c.resume(returning: answer) }
        }
        guard accept else {
            state.withLock { $0.refusedPosts += 1 }
            return Response(status: .internalServerError)
        }
        let alerts = (Fixture.json(body) as? [[String: Any]]) ?? []
        let parsed = alerts.map { a in
            (alertID: a["alert_id"] as? String ?? "", key: (a["decision"] as? [String: Any])?["key"] as? String ?? "")
        }
        state.withLock { $0.accepted += parsed }
        return Response(status: .ok)
    }
}
