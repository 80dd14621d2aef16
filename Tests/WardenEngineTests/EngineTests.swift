import Foundation
import Testing
import WardenEngine
import WardenLang

/// The embeddable engine: many threads scoring while the pack is reloaded many times, broken
/// packs rejected while the old one serves, the error policy, shadow rules, windows through
/// reloads, and rejected records not counting as events.
@Suite struct EngineTests {
    static func pack(version: String, score: Int, extra: String = "") -> String {
        """
        package p
        version "\(version)"
        input txn {
          txn_id:     string @key
          account_id: string
          amount:     decimal
          phone:      string? @pii
          created_at: timestamp
        }
        window txns_1h = count() by account_id over 1h
        reject BAD_AMOUNT on amount
        reject NEGATIVE when amount < 0
        rule VERSION "every event, scored by version" when amount >= 0 score \(score)
        rule SHADOWED "a candidate rule" when amount >= 0 score 1000 action block tags "alert" shadow
        rule BURST "third in an hour" when txns_1h >= 3 score 1
        rule PHONE "phone on file" when phone is not null and phone != "" score 0
        \(extra)
        decide
          block  when action(block) or score >= 500
          review when score >= 100
          allow
        """
    }

    final class Dir: @unchecked Sendable {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-engine-\(UUID().uuidString)")
        init() throws { try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true) }
        deinit { try? FileManager.default.removeItem(at: url) }
        func write(_ text: String, _ name: String = "p.rules") throws -> String {
            let path = url.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            return path
        }
    }

    static func event(_ i: Int, amount: String = "10.00") -> [UInt8] {
        Array(#"{"txn_id": "T\#(i)", "account_id": "A\#(i % 7)", "amount": "\#(amount)", "phone": "13800138000", "created_at": "2024-03-01 10:00:00"}"#.utf8)
    }

    @Test func decisionsNeverMixTwoPacksWhileReloading() throws {
        let dir = try Dir()
        let path = try dir.write(Self.pack(version: "1", score: 1))
        let engine = try Engine()
        try engine.load(name: "p", path: path)
        let failures = Counter(), scored = Counter()
        let stop = Flag()
        let threads = 4
        let group = DispatchGroup()
        for t in 0..<threads {
            group.enter()
            Thread.detachNewThread {
                defer { group.leave() }
                var i = t
                while !stop.isSet {
                    guard case .success(let s) = engine.score(pack: "p", json: Self.event(i)) else { failures.add(); continue }
                    // Version v scores v (rule VERSION) plus at most 1 (BURST): never another version's.
                    let v = Int64(s.info.version ?? "") ?? -1
                    if s.decision.score != v && s.decision.score != v + 1 { failures.add() }
                    if s.decision.hits.contains(where: { s.pack.program.rules[$0.rule].id == "SHADOWED" }) == false { failures.add() }
                    scored.add()
                    i += threads
                }
            }
        }
        // Reload only once every thread is scoring, so the reloads race real evaluations.
        let warmUp = Date().addingTimeInterval(10)
        while scored.value < 200 && Date() < warmUp { Thread.sleep(forTimeInterval: 0.005) }
        #expect(scored.value >= 200)
        var versions = 1
        for round in 0..<60 {
            if round % 10 == 9 {
                // A broken pack is rejected with its diagnostics; the previous version serves on.
                _ = try dir.write("package p\nrule BROKEN \"x\" when nope > 1 score 1\n")
                #expect(throws: PackError.self) { try engine.reload(name: "p") }
                #expect(engine.loaded.first?.version == String(versions))
            } else {
                versions += 1
                _ = try dir.write(Self.pack(version: String(versions), score: versions))
                let info = try engine.reload(name: "p")
                #expect(info.version == String(versions) && info.generation == versions)
            }
            Thread.sleep(forTimeInterval: 0.002)
        }
        // On a loaded machine the threads may start late: let them score before stopping.
        let deadline = Date().addingTimeInterval(10)
        while scored.value < 500 && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        stop.set()
        group.wait()
        #expect(failures.value == 0)
        #expect(scored.value > 100)
        #expect(engine.reloadCounts["p"]?.failed == 6)
    }

    @Test func errorPolicyShadowRulesAndAlerts() throws {
        let dir = try Dir()
        // 9,000,000 × 10^11 overflows the decimal range: the rule fails and does not hit.
        let failing = #"rule OVERFLOW "fails on big amounts" when amount * 100000000000.00 > 0 score 5"#
        let open = try dir.write(Self.pack(version: "1", score: 1, extra: failing), "open.rules")
        let closed = try dir.write(Self.pack(version: "1", score: 1, extra: failing).replacingOccurrences(
            of: "version \"1\"", with: "version \"1\"\non_error review"), "closed.rules")
        let engine = try Engine()
        try engine.load(name: "open", path: open)
        try engine.load(name: "closed", path: closed)
        let big = Self.event(1, amount: "9000000.00")
        guard case .success(let o) = engine.score(pack: "open", json: big),
              case .success(let c) = engine.score(pack: "closed", json: big) else {
            Issue.record("scoring failed")
            return
        }
        #expect(o.flagged && o.action == "allow")                      // fail open: flagged, allowed
        #expect(c.flagged && c.action == "review")                     // fail closed
        #expect(o.decision.errors.first?.error.code == .decimalOverflow)
        // The shadow rule hit (score 1000, action block) and changed nothing.
        #expect(o.decision.hits.contains { $0.shadow } && o.decision.score == 1)
        #expect(o.alerts)                                              // flagged, and an "alert" rule hit
        let json = o.json(masked: true)
        #expect(json.hasPrefix(#"{"pack":"open","version":"1","pack_hash":"#) && json.contains(#""flagged":true"#))
        // Explanations show personal data masked.
        guard case .success(let explained) = engine.score(pack: "open", json: Self.event(2), explain: true) else {
            Issue.record("scoring failed")
            return
        }
        #expect(explained.json(masked: true).contains(#""phone":"138****8000""#))
        #expect(!explained.json(masked: true).contains("13800138000"))
        #expect(engine.score(pack: "nope", json: big).failureValue == .unknownPack("nope"))
        if case .failure(.invalidRecord(let e)) = engine.score(pack: "open", json: Array(#"{"txn_id": "T"}"#.utf8)) {
            #expect(e.field != nil)
        } else {
            Issue.record("a record without its fields must be refused")
        }
    }

    @Test func rejectedRecordsAreNotEventsAndWindowsSurviveReloads() throws {
        let dir = try Dir()
        let path = try dir.write(Self.pack(version: "1", score: 1))
        let engine = try Engine()
        try engine.load(name: "p", path: path)
        func count(_ amount: String) -> Int64? {
            let json = Array(#"{"txn_id": "T", "account_id": "A", "amount": "\#(amount)", "created_at": "2024-03-01 10:00:00"}"#.utf8)
            guard case .success(let s) = engine.score(pack: "p", json: json), s.decision.reject == nil,
                  case .int(let n) = s.windows.first else { return nil }
            return n
        }
        #expect(count("1.00") == 1)
        #expect(count("-1.00") == nil)                                // rejected: not counted
        #expect(count("1.00") == 2)
        _ = try dir.write(Self.pack(version: "2", score: 2))
        try engine.reload(name: "p")
        #expect(count("1.00") == 3)                                    // same window: state kept
        #expect(engine.windowKeys["p"]?["txns_1h"] == 1)
    }
}

final class Counter: @unchecked Sendable {
    private let lock = NSLock()
    private var n = 0
    func add() { lock.lock(); n += 1; lock.unlock() }
    var value: Int { lock.lock(); defer { lock.unlock() }; return n }
}

final class Flag: @unchecked Sendable {
    private let lock = NSLock()
    private var on = false
    func set() { lock.lock(); on = true; lock.unlock() }
    var isSet: Bool { lock.lock(); defer { lock.unlock() }; return on }
}

extension Result {
    var failureValue: Failure? {
        if case .failure(let e) = self { return e }
        return nil
    }
}
