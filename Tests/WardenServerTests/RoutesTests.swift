import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import WardenEngine
@testable import WardenServer

/// Every route and every status the service answers, through the real router and middleware.
@Suite struct RoutesTests {
    static let payments = ServerConfiguration.PackSource(argument: Fixture.paymentsPack)

    @Test func scoreReturnsTheEnginesDecision() async throws {
        let server = try Fixture.server([Self.payments])
        let events = Array(Fixture.sampleEvents.prefix(30))
        try await server.makeApplication().test(.router) { client in
            var actions: Set<String> = []
            for event in events {
                let r = try await client.post("/v1/score", event)
                #expect(r.status == .ok)
                #expect(r.headers[.contentType] == "application/json")
                #expect(r.text == (try Fixture.expectedDecision(pack: Fixture.paymentsPack, name: "payments", event: event)))
                actions.insert(Fixture.object(r.body)["action"] as? String ?? "")
            }
            #expect(actions.count >= 2, "the sample should give more than one action: \(actions)")
            // Named explicitly, with explanations.
            let r = try await client.post("/v1/score?pack=payments&explain=true", events[3])
            #expect(r.status == .ok)
            #expect(r.text == (try Fixture.expectedDecision(pack: Fixture.paymentsPack, name: "payments", event: events[3], explain: true)))
            #expect(r.text.contains("\"values\""))
        }
    }

    @Test func malformedJSONAndWrongFieldTypesAre400NamingTheField() async throws {
        let server = try Fixture.server([Self.payments])
        try await server.makeApplication().test(.router) { client in
            let malformed = try await client.post("/v1/score", #"{"txn_id": "T1", "amount": "#)
            #expect(malformed.status == .badRequest)
            #expect((Fixture.object(malformed.body)["error"] as? String ?? "").hasPrefix("invalid JSON"))

            let event = Fixture.sampleEvents[0].replacingOccurrences(of: #""amount": "32.12""#, with: #""amount": true"#)
            #expect(event != Fixture.sampleEvents[0])
            let wrong = try await client.post("/v1/score", event)
            #expect(wrong.status == .badRequest)
            let body = Fixture.object(wrong.body)
            #expect(body["field"] as? String == "amount")
            #expect(body["error"] as? String == "field 'amount': must be a decimal (string or number)")

            let missing = try await client.post("/v1/score", #"{"txn_id": "T1"}"#)
            #expect(missing.status == .badRequest)
            #expect(Fixture.object(missing.body)["field"] as? String == "account_id")

            let notObject = try await client.post("/v1/score", "[1,2]")
            #expect(notObject.status == .badRequest)

            let badExplain = try await client.post("/v1/score?explain=maybe", Fixture.sampleEvents[0])
            #expect(badExplain.status == .badRequest)
        }
    }

    @Test func unknownPackIs404AndSeveralPacksNeedAName() async throws {
        let server = try Fixture.server([.init(name: "a", path: Fixture.paymentsPack), .init(name: "b", path: Fixture.paymentsPack)])
        try await server.makeApplication().test(.router) { client in
            let unknown = try await client.post("/v1/score?pack=nope", Fixture.sampleEvents[0])
            #expect(unknown.status == .notFound)
            #expect(Fixture.object(unknown.body)["error"] as? String == "no pack named 'nope' is loaded")
            #expect(Fixture.object(unknown.body)["packs"] as? [String] == ["a", "b"])

            let unnamed = try await client.post("/v1/score", Fixture.sampleEvents[0])
            #expect(unnamed.status == .badRequest)
            #expect(Fixture.object(unnamed.body)["packs"] as? [String] == ["a", "b"])
            #expect((Fixture.object(unnamed.body)["error"] as? String ?? "").contains("?pack=NAME"))

            let named = try await client.post("/v1/score?pack=b", Fixture.sampleEvents[0])
            #expect(named.status == .ok)
            #expect(Fixture.object(named.body)["pack"] as? String == "b")

            let batchUnknown = try await client.post("/v1/score/batch?pack=nope", "[]")
            #expect(batchUnknown.status == .notFound)
            let noRoute = try await client.get("/v1/nothing")
            #expect(noRoute.status == .notFound)
            #expect(Fixture.object(noRoute.body)["error"] as? String == "no route GET /v1/nothing")
        }
    }

    @Test func bearerTokenGuardsEverythingButTheProbes() async throws {
        let server = try Fixture.server([Self.payments]) { $0.token = "s3cret-token" }
        try await server.makeApplication().test(.router) { client in
            let none = try await client.post("/v1/score", Fixture.sampleEvents[0])
            #expect(none.status == .unauthorized)
            #expect(none.headers[.wwwAuthenticate]?.hasPrefix("Bearer") == true)
            let wrong = try await client.post("/v1/score", Fixture.sampleEvents[0], headers: [.authorization: "Bearer s3cret-tokeN"])
            #expect(wrong.status == .unauthorized)
            let prefix = try await client.post("/v1/score", Fixture.sampleEvents[0], headers: [.authorization: "Bearer s3cret"])
            #expect(prefix.status == .unauthorized)
            let basic = try await client.get("/v1/rules", headers: [.authorization: "Basic czNjcmV0LXRva2Vu"])
            #expect(basic.status == .unauthorized)
            for uri in ["/v1/rules", "/metrics"] {
                #expect(try await client.get(uri).status == .unauthorized)
                #expect(try await client.get(uri, headers: [.authorization: "Bearer s3cret-token"]).status == .ok)
            }
            #expect(try await client.post("/v1/rules/reload", "").status == .unauthorized)
            let ok = try await client.post("/v1/score", Fixture.sampleEvents[0], headers: [.authorization: "Bearer s3cret-token"])
            #expect(ok.status == .ok)
            #expect(try await client.get("/healthz").status == .ok)
            #expect(try await client.get("/readyz").status == .ok)
        }
    }

    @Test func bodiesOverTheLimitAre413() async throws {
        let server = try Fixture.server([Self.payments]) {
            $0.maxBodyBytes = 200
            $0.maxBatchBytes = 1_000
            $0.maxBatchEvents = 10
        }
        try await server.makeApplication().test(.router) { client in
            #expect(Fixture.sampleEvents[0].utf8.count > 200)
            let single = try await client.post("/v1/score", Fixture.sampleEvents[0])
            #expect(single.status == .contentTooLarge)
            #expect((Fixture.object(single.body)["error"] as? String ?? "").contains("at most 200"))
            let batch = try await client.post("/v1/score/batch", "[" + Fixture.sampleEvents.prefix(3).joined(separator: ",") + "]")
            #expect(batch.status == .contentTooLarge)
            let small = try await client.post("/v1/score/batch", "[]")
            #expect(small.status == .ok)
            #expect(small.text == "[]")
            let many = try await client.post("/v1/score/batch", "[" + Array(repeating: "{}", count: 11).joined(separator: ",") + "]")
            #expect(many.status == .contentTooLarge)
            #expect(Fixture.object(many.body)["error"] as? String == "the batch has 11 events; at most 10 are accepted")
            let ten = try await client.post("/v1/score/batch", "[" + Array(repeating: "{}", count: 10).joined(separator: ",") + "]")
            #expect(ten.status == .ok)
            #expect((Fixture.json(ten.body) as? [[String: Any]])?.count == 10)
        }
    }

    @Test func brokenReloadIs422AndTheOldPackKeepsServing() async throws {
        let dir = Fixture.tempDirectory()
        let path = Fixture.writePack(in: dir)
        let server = try Fixture.server([.init(argument: path)])
        try await server.makeApplication().test(.router) { client in
            let before = try await client.post("/v1/score", Fixture.tinyEvent("T1", amount: "5000.00"))
            #expect(before.status == .ok)
            let hash = Fixture.object(before.body)["pack_hash"] as? String
            #expect(Fixture.object(before.body)["action"] as? String == "review")

            // Break the file: a type error the checker reports with a code and a caret.
            try Fixture.tinyPackText.replacingOccurrences(of: "when amount >= 1000.00", with: "when amount >= \"lots\"")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let reload = try await client.post("/v1/rules/reload", "")
            #expect(reload.status == .unprocessableContent)
            let body = Fixture.object(reload.body)
            let failed = body["failed"] as? [[String: Any]] ?? []
            #expect(failed.count == 1)
            let diagnostics = failed.first?["diagnostics"] as? String ?? ""
            #expect(diagnostics.contains("error[E"), "rendered diagnostics: \(diagnostics)")
            #expect(diagnostics.contains("tiny.rules:"))
            #expect((failed.first?["serving"] as? [String: Any])?["contentHash"] as? String == hash)
            #expect((body["error"] as? String ?? "").contains("previous version keeps serving"))
            let one = try await client.post("/v1/rules/reload?pack=tiny", "")
            #expect(one.status == .unprocessableContent)

            // Still serving the old version.
            let during = try await client.post("/v1/score", Fixture.tinyEvent("T2", amount: "5000.00"))
            #expect(during.status == .ok)
            #expect(Fixture.object(during.body)["pack_hash"] as? String == hash)
            let rules = Fixture.object(try await client.get("/v1/rules").body)["packs"] as? [[String: Any]] ?? []
            #expect(rules.first?["generation"] as? Int == 1)

            // Fixed: the new version serves (a higher threshold: 5000 no longer reviews).
            try Fixture.tinyPackText.replacingOccurrences(of: "when amount >= 1000.00", with: "when amount >= 9000.00")
                .write(toFile: path, atomically: true, encoding: .utf8)
            let fixed = try await client.post("/v1/rules/reload?pack=tiny", "")
            #expect(fixed.status == .ok)
            #expect(((Fixture.object(fixed.body)["reloaded"] as? [[String: Any]])?.first?["generation"] as? Int) == 2)
            let after = try await client.post("/v1/score", Fixture.tinyEvent("T3", amount: "5000.00"))
            #expect(Fixture.object(after.body)["pack_hash"] as? String != hash)
            #expect(Fixture.object(after.body)["action"] as? String == "allow")
            let unknown = try await client.post("/v1/rules/reload?pack=nope", "")
            #expect(unknown.status == .notFound)

            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains("warden_pack_reloads_total{pack=\"tiny\",result=\"ok\"} 2\n"))
            #expect(metrics.contains("warden_pack_reloads_total{pack=\"tiny\",result=\"failed\"} 2\n"))
        }
    }

    @Test func overloadIs503WithRetryAfterAndNeverQueues() async throws {
        let zero = try Fixture.server([Self.payments]) { $0.maxInFlight = 0 }
        try await zero.makeApplication().test(.router) { client in
            for uri in ["/v1/score", "/v1/score/batch"] {
                let r = try await client.post(uri, Fixture.sampleEvents[0])
                #expect(r.status == .serviceUnavailable)
                #expect(r.headers[.retryAfter] == "1")
            }
            #expect(try await client.get("/healthz").status == .ok)  // probes are not scoring
        }
        // One slot, held by "another request": the next is refused at once, then served once
        // the slot is free again.
        let one = try Fixture.server([Self.payments]) { $0.maxInFlight = 1 }
        try await one.makeApplication().test(.router) { client in
            #expect(one.limiter.tryAcquire())
            let refused = try await client.post("/v1/score", Fixture.sampleEvents[0])
            #expect(refused.status == .serviceUnavailable)
            #expect(!one.limiter.tryAcquire())
            one.limiter.release()
            #expect(try await client.post("/v1/score", Fixture.sampleEvents[0]).status == .ok)
            #expect(one.limiter.current == 0)
            let metrics = try await client.get("/metrics").text
            #expect(metrics.contains("warden_http_requests_total{route=\"/v1/score\",status=\"503\"} 1\n"))
        }
    }

    @Test func aPassedDeadlineIs504AndTheEventIsNotScored() async throws {
        let path = Fixture.writePack()
        let server = try Fixture.server([.init(argument: path)]) { $0.deadline = .nanoseconds(1) }
        try await server.makeApplication().test(.router) { client in
            let r = try await client.post("/v1/score", Fixture.tinyEvent("T1"))
            #expect(r.status == .gatewayTimeout)
            #expect((Fixture.object(r.body)["error"] as? String ?? "").contains("not scored"))
            let b = try await client.post("/v1/score/batch", "[" + Fixture.tinyEvent("T2") + "]")
            #expect(b.status == .gatewayTimeout)
        }
        // Not scored: the velocity window never saw it.
        #expect(server.engine.windowKeys["tiny"]?["txns_1h"] == 0)
    }

    @Test func batchScoresInOrderWithErrorsAtTheirIndex() async throws {
        let server = try Fixture.server([Self.payments])
        let events = Array(Fixture.sampleEvents.prefix(100))
        var withBad = events
        withBad[7] = withBad[7].replacingOccurrences(of: #""kyc_level": "#, with: #""kyc_level": "x", "ignored": "#)
        withBad[42] = #"{"txn_id": 5}"#
        let body = "[\n" + withBad.joined(separator: ",\n") + "\n]"
        try await server.makeApplication().test(.router) { client in
            let r = try await client.post("/v1/score/batch", body)
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "application/json")
            let items = Fixture.json(r.body) as? [[String: Any]] ?? []
            #expect(items.count == 100)
            #expect(items[7]["index"] as? Int == 7)
            #expect(items[7]["field"] as? String == "kyc_level")
            #expect(items[7]["error"] as? String == "field 'kyc_level': must be an integer")
            #expect(items[42]["index"] as? Int == 42)
            #expect(items[42]["field"] as? String == "txn_id")
            // Every other element is exactly the engine's decision for that event.
            let engine = try Engine()
            try engine.load(name: "payments", path: Fixture.paymentsPack)
            let text = r.text
            let expected = try events.enumerated().filter { $0.offset != 7 && $0.offset != 42 }.map {
                try engine.score(pack: "payments", json: Array($0.element.utf8)).get().json()
            }
            for e in expected { #expect(text.contains(e)) }
            for (i, item) in items.enumerated() where i != 7 && i != 42 {
                #expect(item["key"] as? String == (try JSONSerialization.jsonObject(with: Data(events[i].utf8)) as? [String: Any])?["txn_id"] as? String)
            }

            let notArray = try await client.post("/v1/score/batch", Fixture.sampleEvents[0])
            #expect(notArray.status == .badRequest)
            #expect((Fixture.object(notArray.body)["error"] as? String ?? "").contains("must be a JSON array"))
            let unterminated = try await client.post("/v1/score/batch", "[" + Fixture.sampleEvents[0] + ", {\"a\": \"b]")
            #expect(unterminated.status == .badRequest)
            let trailing = try await client.post("/v1/score/batch", "[] []")
            #expect(trailing.status == .badRequest)
        }
    }

    @Test func rulesListsTheLoadedPacks() async throws {
        let tiny = Fixture.writePack()
        let server = try Fixture.server([Self.payments, .init(argument: tiny)])
        try await server.makeApplication().test(.router) { client in
            let r = try await client.get("/v1/rules")
            #expect(r.status == .ok)
            let packs = Fixture.object(r.body)["packs"] as? [[String: Any]] ?? []
            #expect(packs.map { $0["name"] as? String } == ["payments", "tiny"])
            let p = packs[0]
            #expect(p["package"] as? String == "payments")
            #expect(p["version"] as? String == "1.0.0")
            #expect(p["rules"] as? Int == server.engine.pack("payments")?.program.rules.count)
            #expect(p["generation"] as? Int == 1)
            #expect((p["contentHash"] as? String)?.isEmpty == false)
            #expect((p["loadedAt"] as? Double ?? 0) > 1_700_000_000)
            #expect(packs[1]["windows"] as? [String] == ["txns_1h"])
        }
    }

    @Test func probes() async throws {
        let server = try Fixture.server([Self.payments])
        try await server.makeApplication().test(.router) { client in
            let h = try await client.get("/healthz")
            #expect(h.status == .ok)
            #expect(Fixture.object(h.body)["status"] as? String == "ok")
            let r = try await client.get("/readyz")
            #expect(r.status == .ok)
            #expect(Fixture.object(r.body)["packs"] as? [String] == ["payments"])
        }
    }

    @Test func metricsCountRequestsDecisionsHitsAndErrors() async throws {
        let path = Fixture.writePack()
        let server = try Fixture.server([.init(argument: path)])
        try await server.makeApplication().test(.router) { client in
            _ = try await client.post("/v1/score", Fixture.tinyEvent("T1", amount: "5000.00"))       // BIG → review
            _ = try await client.post("/v1/score", Fixture.tinyEvent("T2"))                          // allow
            let flagged = try await client.post("/v1/score", Fixture.tinyEvent("T3", divisor: 0))   // RATIO fails
            #expect(Fixture.object(flagged.body)["flagged"] as? Bool == true)
            #expect(Fixture.object(flagged.body)["action"] as? String == "review")  // on_error review: fails closed
            _ = try await client.post("/v1/score", "{")                                             // 400
            _ = try await client.post("/v1/score/batch", "[" + [Fixture.tinyEvent("T4", amount: "2000"), Fixture.tinyEvent("T5")].joined(separator: ",") + "]")
            let m = try await client.get("/metrics")
            #expect(m.status == .ok)
            #expect(m.headers[.contentType]?.hasPrefix("text/plain; version=0.0.4") == true)
            let text = m.text
            for line in [
                "warden_http_requests_total{route=\"/v1/score\",status=\"200\"} 3",
                "warden_http_requests_total{route=\"/v1/score\",status=\"400\"} 1",
                "warden_http_requests_total{route=\"/v1/score/batch\",status=\"200\"} 1",
                "warden_http_request_duration_seconds_count{route=\"/v1/score\"} 4",
                "warden_http_request_duration_seconds_bucket{route=\"/v1/score\",le=\"+Inf\"} 4",
                "warden_decisions_total{pack=\"tiny\",action=\"review\"} 3",
                "warden_decisions_total{pack=\"tiny\",action=\"allow\"} 2",
                "warden_rule_hits_total{pack=\"tiny\",rule=\"BIG\"} 2",
                "warden_evaluation_errors_total{pack=\"tiny\"} 1",
                "warden_invalid_events_total{pack=\"tiny\"} 1",
                "warden_pack_reloads_total{pack=\"tiny\",result=\"ok\"} 1",
                "warden_pack_reloads_total{pack=\"tiny\",result=\"failed\"} 0",
                "warden_window_keys{pack=\"tiny\",window=\"txns_1h\"} 1",
                "warden_alerts_raised_total 3",
                "warden_http_in_flight_requests 0",
                "# TYPE warden_http_request_duration_seconds histogram",
            ] {
                #expect(text.contains(line + "\n"), "missing: \(line)")
            }
            // Histogram buckets are cumulative and end at the count.
            let buckets = text.split(separator: "\n").filter { $0.hasPrefix("warden_http_request_duration_seconds_bucket{route=\"/v1/score\"") }
                .compactMap { Int($0.split(separator: " ").last ?? "") }
            #expect(buckets.count == ServerMetrics.latencyBuckets.count + 1)
            #expect(buckets == buckets.sorted())
            #expect(buckets.last == 4)
        }
    }
}
