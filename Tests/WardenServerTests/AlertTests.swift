import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenEngine
@testable import WardenServer

/// Alerts: written to rotating files, delivered to a webhook exactly once or dead-lettered,
/// never slowing scoring, personal data masked.
@Suite struct AlertTests {
    /// The webhook is down for the first part of a stream of alerting decisions (not
    /// listening, then holding a POST unanswered, then answering 500) and comes back. Every alert
    /// reaches it exactly once or sits in the dead-letter file, and scoring requests complete
    /// while a webhook POST hangs: the scoring path never waits for delivery. The checks are
    /// about order, not time, so they hold on a loaded machine.
    @Test func webhookOutageLosesNothingAndDuplicatesNothing() async throws {
        let dir = Fixture.tempDirectory()
        let pack = Fixture.writePack()
        let port = Fixture.unusedPort()
        let receiver = WebhookReceiver(port: port, mode: .hanging)
        let server = try Fixture.server([.init(argument: pack)]) {
            $0.alertsDirectory = dir.path
            $0.webhook = URL(string: "http://127.0.0.1:\(port)/hook")
            $0.webhookDelivery.attempts = 5
            $0.webhookDelivery.initialBackoff = .milliseconds(100)
            $0.webhookDelivery.maxBackoff = .milliseconds(400)
            $0.webhookDelivery.maxBatch = 10
            $0.webhookDelivery.requestTimeout = .seconds(60)  // the hanging POST outlasts the scoring below
        }
        let deadLetter = dir.appendingPathComponent("dead-letter.jsonl")
        let sentKeys = try await server.makeApplication().test(.router) { client in
            var sentKeys: [String] = []
            func send(_ n: Int, phase: String) async throws {
                for i in 0..<n {
                    let key = "\(phase)-\(i)"
                    let r = try await client.post("/v1/score", Fixture.tinyEvent(key, amount: "5000.00", account: "A\(i % 7)"))
                    #expect(r.status == .ok)
                    #expect(Fixture.object(r.body)["action"] as? String == "review")
                    sentKeys.append(key)
                }
            }
            func metric(_ line: String) async throws -> Int {
                let text = try await client.get("/metrics").text
                return text.split(separator: "\n").first { $0.hasPrefix(line + " ") }.flatMap { Int($0.split(separator: " ").last ?? "") } ?? 0
            }
            // 1. Nothing listens: connection refused, retried.
            try await send(20, phase: "refused")
            #expect(await Fixture.eventually { (try? await metric("warden_alert_retries_total")) ?? 0 > 0 })

            // 2. Listening, but the POST hangs: 40 scoring requests complete while it does.
            try await receiver.start()
            // If the refused batch ran out of attempts before the receiver started, the queue is
            // empty: probe with more alerts until a POST arrives and hangs.
            var probes = 0
            while receiver.hanging == 0, probes < 60 {
                try await Task.sleep(for: .milliseconds(500))
                if receiver.hanging > 0 { break }
                try await send(1, phase: "probe\(probes)")
                probes += 1
            }
            #expect(receiver.hanging > 0)
            // Delivery outcomes so far. Attempts are sequential, so while the hanging POST is
            // outstanding none of these moves; had scoring waited for delivery, the 40 requests
            // would have returned only after that POST timed out, as a counted retry.
            func outcomes() async throws -> [Int] {
                [try await metric("warden_alert_retries_total"),
                 try await metric("warden_alerts_written_total{sink=\"webhook\"}"),
                 try await metric("warden_alerts_dead_lettered_total{reason=\"webhook\"}")]
            }
            let before = try await outcomes()
            try await send(40, phase: "hanging")
            #expect(try await outcomes() == before, "scoring finished only after the hanging webhook POST ended")
            #expect(receiver.hanging > 0)
            #expect(receiver.state.withLock { $0.accepted.isEmpty })

            // 3. Answering 500 until some batch has exhausted its attempts.
            receiver.release(accepting: false)
            try await send(20, phase: "failing")
            #expect(await Fixture.eventually { !Fixture.jsonLines(deadLetter).isEmpty })

            // 4. Back: 200.
            receiver.release(accepting: true)
            try await send(20, phase: "up")
            let settled = await Fixture.eventually(timeout: .seconds(60)) {
                receiver.state.withLock { $0.accepted.count } + Fixture.jsonLines(deadLetter).count >= sentKeys.count
            }
            #expect(settled)
            #expect(try await metric("warden_alerts_raised_total") == sentKeys.count)
            #expect(try await metric("warden_alerts_written_total{sink=\"file\"}") == sentKeys.count)
            return sentKeys
        }
        await receiver.stop()

        let delivered = receiver.state.withLock { $0.accepted }
        let dead = Fixture.jsonLines(deadLetter)
        let deadKeys = dead.compactMap { (($0["alert"] as? [String: Any])?["decision"] as? [String: Any])?["key"] as? String }
        let deliveredKeys = delivered.map(\.key)
        // Exactly once or dead-lettered: the two together are the sent keys, each once.
        #expect(deliveredKeys.count + deadKeys.count == sentKeys.count)
        #expect((deliveredKeys + deadKeys).sorted() == sentKeys.sorted())
        #expect(Set(delivered.map(\.alertID)).count == delivered.count)
        #expect(!deadKeys.isEmpty)
        #expect(deliveredKeys.contains { $0.hasPrefix("up-") })
        #expect(dead.allSatisfy { ($0["reason"] as? String) == "webhook" && ($0["attempts"] as? Int ?? 0) == 5 })
        #expect(receiver.state.withLock { $0.refusedPosts } > 0)
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
