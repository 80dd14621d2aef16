import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Synchronization
import Testing

/// `warden serve` as users run it: the real executable on a real port, stopped with SIGTERM.
@Suite struct ServeCommandTests {
    static var executable: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("warden")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return Fixture.root.appendingPathComponent(".build/debug/warden")
    }

    /// A running `warden serve`, its standard error collected as it comes.
    final class Output: Sendable {
        let text = Mutex("")
    }

    final class Running: @unchecked Sendable {  // Process is not Sendable; used from the test task only
        let process: Process
        let output = Output()
        var stderr: String { output.text.withLock { $0 } }

        init(_ args: [String]) throws {
            process = Process()
            process.executableURL = ServeCommandTests.executable
            process.arguments = ["serve"] + args
            let pipe = Pipe()
            process.standardError = pipe
            process.standardOutput = FileHandle.nullDevice
            let output = self.output
            pipe.fileHandleForReading.readabilityHandler = { h in
                let data = h.availableData
                output.text.withLock { $0 += String(decoding: data, as: UTF8.self) }
            }
            try process.run()
        }

        /// The port from the "listening" log line.
        func port() async -> Int? {
            _ = await Fixture.eventually(timeout: .seconds(30)) { stderr.contains("listening") || !process.isRunning }
            guard let line = stderr.split(separator: "\n").first(where: { $0.contains("listening") }),
                  let r = line.range(of: #"127\.0\.0\.1:(\d+)"#, options: .regularExpression) else { return nil }
            let text = line
            return Int(text[r].split(separator: ":").last ?? "")
        }

        func terminate() async -> Int32 {
            process.terminate()  // SIGTERM
            _ = await Fixture.eventually(timeout: .seconds(20)) { !process.isRunning }
            return process.isRunning ? -1 : process.terminationStatus
        }
    }

    static func request(_ port: Int, _ path: String, body: String? = nil, token: String? = nil) async throws -> (Int, String) {
        var r = URLRequest(url: URL(string: "http://127.0.0.1:\(port)\(path)")!)
        if let body {
            r.httpMethod = "POST"
            r.httpBody = Data(body.utf8)
        }
        if let token { r.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let (data, response) = try await URLSession.shared.data(for: r)
        return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
    }

    @Test func servesWithAuthAndKeepsWindowStateAcrossARestart() async throws {
        let dir = Fixture.tempDirectory()
        let pack = Fixture.writePack(in: dir)
        let tokenFile = dir.appendingPathComponent("token").path
        try "  tok-123\n".write(toFile: tokenFile, atomically: true, encoding: .utf8)
        let state = dir.appendingPathComponent("windows.db").path
        let args = ["--rules", "fraud=\(pack)", "--port", "0", "--token-file", tokenFile, "--window-state", state,
                    "--alerts-dir", dir.appendingPathComponent("alerts").path]

        let first = try Running(args)
        let port = try #require(await first.port(), "no listening line in: \(first.stderr)")
        #expect(try await Self.request(port, "/healthz").0 == 200)
        #expect(try await Self.request(port, "/v1/score", body: Fixture.tinyEvent("T1")).0 == 401)
        for i in 0..<3 {
            let (status, body) = try await Self.request(port, "/v1/score", body: Fixture.tinyEvent("T\(i)", account: "A\(i)"), token: "tok-123")
            #expect(status == 200)
            #expect(body.contains("\"pack\":\"fraud\""))
        }
        #expect(await first.terminate() == 0)
        let log = first.stderr
        #expect(log.contains("window state saved"))
        #expect(log.contains("pack loaded"))
        #expect(FileManager.default.fileExists(atPath: state))

        // Restarted on the same state file: the three accounts' windows are back. (JSON logs
        // this time: every line an object with ts, level and msg.)
        let second = try Running(args + ["--log-format", "json"])
        let port2 = try #require(await second.port())
        let (status, metrics) = try await Self.request(port2, "/metrics", token: "tok-123")
        #expect(status == 200)
        #expect(metrics.contains("warden_window_keys{pack=\"fraud\",window=\"txns_1h\"} 3\n"), "\(metrics)")
        #expect(await second.terminate() == 0)
        let lines = second.stderr.split(separator: "\n")
        #expect(lines.count >= 3)
        for line in lines {
            let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
            #expect(object?["msg"] is String && object?["level"] is String && object?["ts"] is String, "\(line)")
        }
        #expect(lines.contains { $0.contains(#""msg":"pack loaded""#) && $0.contains(#""pack":"fraud""#) })
    }

    @Test func aPackThatDoesNotCompileStopsStartupWithItsDiagnostics() async throws {
        let pack = Fixture.writePack("package broken\ninput t { x: int }\nrule R \"r\" when x > \"a\" score 1\n")
        let run = try Running(["--rules", pack, "--port", "0"])
        _ = await Fixture.eventually(timeout: .seconds(20)) { !run.process.isRunning }
        #expect(run.process.terminationStatus == 1)
        let err = run.stderr
        #expect(err.contains("pack 'tiny'"))
        #expect(err.contains("error[E"))
    }
}
