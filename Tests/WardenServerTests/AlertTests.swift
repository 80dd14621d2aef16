import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenEngine
@testable import WardenServer

/// Alerts: written to rotating files, delivered to a webhook exactly once or dead-lettered,
/// never slowing scoring, personal data masked.
@Suite struct AlertTests {
    /// The webhook is down (not listening, then answering 500) for the first part of a stream of
    /// alerting decisions and comes back. Every alert reaches it exactly once or sits in the
    /// dead-letter file, and scoring requests complete fast while it is down.
    @Test func webhookOutageLosesNothingAndDuplicatesNothing() async throws {
        let dir = Fixture.tempDirectory()
        let pack = Fixture.writePack()
        let port = Fixture.unusedPort()
        let receiver = WebhookReceiver(port: port)
        let server = try Fixture.server([.init(argument: pack)]) {
            $0.alertsDirectory = dir.path
            $0.webhook = URL(string: "http://127.0.0.1:\(port)/hook")
            $0.webhookDelivery.attempts = 5
            $0.webhookDelivery.initialBackoff = .milliseconds(100)
            $0.webhookDelivery.maxBackoff = .milliseconds(800)
            $0.webhookDelivery.maxBatch = 10
            $0.webhookDelivery.requestTimeout = .seconds(2)
        }
        let (sentKeys, slowest) = try await server.makeApplication().test(.router) { client in
            var sentKeys: [String] = []
            var slowest: Duration = .zero
            func send(_ n: Int, phase: String) async throws -> Duration {
                var worst: Duration = .zero
                for i in 0..<n {
                    let key = "\(phase)-\(i)"
                    let start = ContinuousClock.now
                    let r = try await client.post("/v1/score", Fixture.tinyEvent(key, amount: "5000.00", account: "A\(i % 7)"))
                    worst = max(worst, ContinuousClock.now - start)
                    #expect(r.status == .ok)
                    #expect(Fixture.object(r.body)["action"] as? String == "review")
                    sentKeys.append(key)
                }
                return worst
            }
            // 1. Nothing listens on the port: connection refused. One batch's five attempts take
            // 100+200+400+800 ms; scoring must not wait for any of it (were it to, one request
            // would take 1.5 s and these 40 a minute).
            let phase1Start = ContinuousClock.now
            slowest = max(slowest, try await send(40, phase: "down"))
            let phase1 = ContinuousClock.now - phase1Start
            #expect(phase1 < .seconds(5), "40 scoring requests took \(phase1) while the webhook was down")
            try await Task.sleep(for: .milliseconds(2_000))  // the first batch exhausts its attempts

            // 2. Listening but answering 500.
            receiver.state.withLock { $0.failing = true }
            try await receiver.start()
            slowest = max(slowest, try await send(40, phase: "failing"))
            try await Task.sleep(for: .milliseconds(600))

            // 3. Back: answers 200.
            receiver.state.withLock { $0.failing = false }
            slowest = max(slowest, try await send(40, phase: "up"))

            let settled = await Fixture.eventually(timeout: .seconds(30)) {
                let delivered = receiver.state.withLock { $0.accepted.count }
                let dead = Fixture.jsonLines(dir.appendingPathComponent("dead-letter.jsonl")).count
                return delivered + dead >= sentKeys.count
            }
            #expect(settled)
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains("warden_alerts_raised_total 120\n"))
            #expect(metrics.contains("warden_alerts_written_total{sink=\"file\"} 120\n"))
            #expect(!metrics.contains("warden_alert_retries_total 0\n"))
            return (sentKeys, slowest)
        }
        await receiver.stop()
        #expect(slowest < .seconds(1), "slowest scoring request during the outage: \(slowest)")

        let delivered = receiver.state.withLock { $0.accepted }
        let dead = Fixture.jsonLines(dir.appendingPathComponent("dead-letter.jsonl"))
        let deadKeys = dead.compactMap { (($0["alert"] as? [String: Any])?["decision"] as? [String: Any])?["key"] as? String }
        let deliveredKeys = delivered.map(\.key)
        // Exactly once or dead-lettered: the two together are the sent keys, each once.
        #expect((deliveredKeys + deadKeys).sorted() == sentKeys.sorted())
        #expect(Set(delivered.map(\.alertID)).count == delivered.count)
        #expect(!deadKeys.isEmpty, "the outage should have dead-lettered the first batch")
        #expect(!deliveredKeys.isEmpty)
        #expect(deliveredKeys.contains { $0.hasPrefix("up-") })
        #expect(dead.allSatisfy { ($0["reason"] as? String) == "webhook" && ($0["attempts"] as? Int ?? 0) >= 1 })
        // The alerts file has every alert, each once, whatever the webhook did.
        let fileKeys = Fixture.alertFileLines(dir).compactMap { ($0["decision"] as? [String: Any])?["key"] as? String }
        #expect(fileKeys.sorted() == sentKeys.sorted())
    }

    /// A full queue never drops an alert and never blocks: it goes to the dead-letter file.
    @Test func aFullQueueDeadLettersInsteadOfDropping() async throws {
        let dir = Fixture.tempDirectory()
        let pack = Fixture.writePack()
        let port = Fixture.unusedPort()
        let server = try Fixture.server([.init(argument: pack)]) {
            $0.alertsDirectory = dir.path
            $0.webhook = URL(string: "http://127.0.0.1:\(port)/hook")
            $0.alertQueueCapacity = 2
            $0.webhookDelivery.attempts = 3
            $0.webhookDelivery.initialBackoff = .milliseconds(300)
        }
        let keys = try await server.makeApplication().test(.router) { client in
            var keys: [String] = []
            for i in 0..<30 {
                let key = "Q\(i)"
                #expect(try await client.post("/v1/score", Fixture.tinyEvent(key, amount: "1500")).status == .ok)
                keys.append(key)
            }
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains("warden_alerts_dead_lettered_total{reason=\"queue_full\"}"))
            return keys
        }
        // After the graceful shutdown every alert is in the dead-letter file exactly once (the
        // webhook never listened): queue_full while scoring, webhook or shutdown for the queued.
        let dead = Fixture.jsonLines(dir.appendingPathComponent("dead-letter.jsonl"))
        let deadKeys = dead.compactMap { (($0["alert"] as? [String: Any])?["decision"] as? [String: Any])?["key"] as? String }
        #expect(deadKeys.sorted() == keys.sorted())
        let reasons = Set(dead.compactMap { $0["reason"] as? String })
        #expect(reasons.contains("queue_full"))
        #expect(reasons.isSubset(of: ["queue_full", "webhook", "shutdown"]))
        for line in dead {
            let alert = line["alert"] as? [String: Any] ?? [:]
            #expect(UUID(uuidString: alert["alert_id"] as? String ?? "") != nil)
        }
    }

    /// The alert file: one JSON object per line with a UUID, an ISO time and the decision with
    /// personal data masked; rotated by size.
    @Test func alertFilesMaskPersonalDataAndRotate() async throws {
        let dir = Fixture.tempDirectory()
        let pack = Fixture.writePack()
        let server = try Fixture.server([.init(argument: pack)]) {
            $0.alertsDirectory = dir.path
            $0.alertFileMaxBytes = 1  // every write after the first starts a new file
        }
        try await server.makeApplication().test(.router) { client in
            let r = try await client.post("/v1/score?explain=true", Fixture.tinyEvent("P1", phone: "13812345678"))
            #expect(r.status == .ok)
            #expect(Fixture.object(r.body)["action"] as? String == "review")
            #expect(await Fixture.eventually { Fixture.alertFileLines(dir).count == 1 })
            #expect(try await client.post("/v1/score", Fixture.tinyEvent("P2", amount: "1000")).status == .ok)
            #expect(await Fixture.eventually { Fixture.alertFileLines(dir).count == 2 })
            #expect(try await client.post("/v1/score", Fixture.tinyEvent("P3")).status == .ok)  // allow: no alert
            #expect(try await client.post("/v1/score", Fixture.tinyEvent("P4", divisor: 0)).status == .ok)  // flagged
            #expect(await Fixture.eventually { Fixture.alertFileLines(dir).count == 3 })
        }
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasPrefix("alerts-") }.sorted()
        #expect(files.count == 3)
        for f in files {
            #expect(f.range(of: #"^alerts-\d{8}-\d{6}(-\d+)?\.jsonl$"#, options: .regularExpression) != nil, "\(f)")
        }
        let lines = Fixture.alertFileLines(dir)
        #expect(lines.compactMap { ($0["decision"] as? [String: Any])?["key"] as? String }.sorted() == ["P1", "P2", "P4"])
        for line in lines {
            #expect(UUID(uuidString: line["alert_id"] as? String ?? "") != nil)
            #expect((line["at"] as? String ?? "").range(of: #"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$"#, options: .regularExpression) != nil)
        }
        let all = files.map { (try? String(contentsOfFile: dir.appendingPathComponent($0).path, encoding: .utf8)) ?? "" }.joined()
        #expect(!all.contains("13812345678"))
        #expect(all.contains("138****5678"))
    }

    @Test func alertFilesRotateWhenTheDayChanges() throws {
        let dir = Fixture.tempDirectory()
        let sink = AlertFileSink(directory: dir.path, maxBytes: 1 << 20)
        let a = RenderedAlert(id: UUID(), json: #"{"n":1}"#)
        try sink.write([a], now: Date(timeIntervalSince1970: 1_709_251_200))  // 2024-03-01T00:00:00Z
        try sink.write([a], now: Date(timeIntervalSince1970: 1_709_251_300))
        try sink.write([a], now: Date(timeIntervalSince1970: 1_709_337_600))  // 2024-03-02
        let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).sorted()
        #expect(files == ["alerts-20240301-000000.jsonl", "alerts-20240302-000000.jsonl"])
        #expect(Fixture.jsonLines(dir.appendingPathComponent(files[0])).count == 2)
    }
}
