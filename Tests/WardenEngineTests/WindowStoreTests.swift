import Foundation
import Testing
import WardenEngine
import WardenLang

/// Velocity windows: the edges of `(t − D, t]`, the current event counting, expiry, events out
/// of order and late, the key cap, exact sums, distinct values, and state across a reload and a
/// restart.
@Suite struct WindowStoreTests {
    static let text = """
        package v
        input txn {
          txn_id:     string @key
          account_id: string
          amount:     decimal
          device_id:  string?
          created_at: timestamp
        }
        window txns_1h = count() by account_id over 1h
        window amount_24h = sum(amount) by account_id over 24h
        window devices_1d = distinct(device_id) by account_id over 1d
        rule SEEN "every event" when txns_1h >= 1 score 1
        """

    static func pack(_ text: String = text) throws -> CompiledPack {
        try CompiledPack.compile(source: Source(path: "v.rules", text: text), windows: true) { _ in "" }
    }

    struct Events {
        let pack: CompiledPack
        let store: WindowStore

        init(options: WindowStore.Options = WindowStore.Options(), text: String = WindowStoreTests.text,
             previous: WindowStore? = nil) throws {
            pack = try WindowStoreTests.pack(text)
            store = WindowStore(program: pack.program, options: options, previous: previous)
        }

        /// Observes one event; returns (count 1h, sum 24h, distinct devices 1d, late).
        @discardableResult
        func add(_ account: String, _ time: String, amount: String = "1.00", device: String? = "D1") throws
            -> (count: Int64, sum: String, devices: Int64, late: Bool)
        {
            let json = #"{"txn_id": "T", "account_id": "\#(account)", "amount": "\#(amount)", "#
                + #""device_id": \#(device.map { "\"\($0)\"" } ?? "null"), "created_at": "\#(time)"}"#
            let o = store.observe(try pack.decodeRecord(json: json))
            guard case .int(let c) = o.values[0], case .money(let s) = o.values[1], case .int(let d) = o.values[2] else {
                Issue.record("unexpected window values \(o.values)")
                return (0, "", 0, o.late)
            }
            return (c, s.description, d, o.late)
        }
    }

    @Test func theWindowIsOpenAtItsStartAndClosedAtTheEvent() throws {
        let e = try Events()
        #expect(try e.add("A", "2024-03-01 10:00:00").count == 1)      // the event itself counts
        #expect(try e.add("A", "2024-03-01 10:59:59").count == 2)      // 59:59 after: inside
        #expect(try e.add("A", "2024-03-01 11:00:00").count == 2)      // exactly 1h after 10:00: 10:00 is out
        #expect(try e.add("A", "2024-03-01 11:00:00").count == 3)      // same second: both count
        #expect(try e.add("B", "2024-03-01 11:00:00").count == 1)      // keys are separate
    }

    @Test func sumsAreExactAndDistinctIgnoresNulls() throws {
        let e = try Events()
        try e.add("A", "2024-03-01 00:00:01", amount: "0.10", device: "D1")
        try e.add("A", "2024-03-01 08:00:00", amount: "0.20", device: nil)
        let third = try e.add("A", "2024-03-01 23:00:00", amount: "0.30", device: "D2")
        #expect(third.sum == "0.60")                                   // never 0.6000000000000001
        #expect(third.devices == 2)
        let next = try e.add("A", "2024-03-02 00:00:01", amount: "1.00", device: "D1")
        #expect(next.sum == "1.50")                                    // 00:00:01 the day before left
        #expect(next.devices == 2)
    }

    /// A busy key: its expired events are compacted away, and sums stay exact across that.
    @Test func sumsStayExactAfterOldEventsAreCompacted() throws {
        let e = try Events()
        let start = Date(timeIntervalSince1970: 1_709_258_400)  // 2024-03-01 10:00:00 Beijing
        let format = DateFormatter()
        format.dateFormat = "yyyy-MM-dd HH:mm:ss"
        format.timeZone = TimeZone(identifier: "Asia/Shanghai")
        // One event every 2 hours for 10 days: 24h holds 12 events, each of 1.00.
        for i in 0..<120 {
            let r = try e.add("A", format.string(from: start.addingTimeInterval(Double(i) * 7_200)), amount: "1.00")
            #expect(r.sum == "\(min(i + 1, 12)).00", "event \(i)")
        }
    }

    /// Two identical windows in one pack share one state, observed once per event; a window
    /// whose field type changed does not inherit the old state.
    @Test func identicalWindowsShareStateAndChangedTypesStartAfresh() throws {
        let twice = WindowStoreTests.text.replacingOccurrences(
            of: "window amount_24h", with: "window also_1h = count() by account_id over 1h\nwindow amount_24h")
        let e = try Events(text: twice)
        let json = #"{"txn_id": "T", "account_id": "A", "amount": "1.00", "device_id": null, "created_at": "2024-03-01 10:00:00"}"#
        _ = e.store.observe(try e.pack.decodeRecord(json: json))
        let second = e.store.observe(try e.pack.decodeRecord(json: json))
        #expect(second.values[0] == .int(2) && second.values[1] == .int(2))
        let asInt = WindowStoreTests.text.replacingOccurrences(of: "amount:     decimal", with: "amount:     int")
        let reloaded = try Events(text: asInt, previous: e.store)
        let r = reloaded.store.observe(try reloaded.pack.decodeRecord(json: json.replacingOccurrences(of: "\"1.00\"", with: "5")))
        #expect(r.values[0] == .int(3))                                // count: same identity, state kept
        #expect(r.values[1] == .int(5))                                // sum(int): a new window
    }

    /// Many threads observing the same and different keys: no event lost or counted twice.
    @Test func concurrentObservationsAreAllCounted() throws {
        let e = try Events()
        let threads = 4, perThread = 2_000
        let records = try (0..<threads).map { t in
            try (0..<perThread).map { i in
                try e.pack.decodeRecord(json: #"{"txn_id": "T", "account_id": "K\#(i % 10)", "amount": "1.00", "device_id": "D\#(t)", "created_at": "2024-03-01 10:00:00"}"#)
            }
        }
        DispatchQueue.concurrentPerform(iterations: threads) { t in
            for r in records[t] { _ = e.store.observe(r) }
        }
        let last = try e.add("K0", "2024-03-01 10:00:00", device: "D0")
        #expect(last.count == Int64(threads * perThread / 10 + 1))
        #expect(last.sum == "\(threads * perThread / 10 + 1).00")
        #expect(last.devices == Int64(threads))
    }

    @Test func outOfOrderWithinTheToleranceAndLateBeyondIt() throws {
        var options = WindowStore.Options()
        options.lateTolerance = 600
        let e = try Events(options: options)
        try e.add("A", "2024-03-01 10:30:00")
        // Five minutes behind: stored in time order; its own window does not see the later event.
        let early = try e.add("A", "2024-03-01 10:25:00")
        #expect(early.count == 1 && !early.late)
        #expect(try e.add("A", "2024-03-01 10:31:00").count == 3)
        // Twenty minutes behind the newest: late, computed but not stored.
        let late = try e.add("A", "2024-03-01 10:11:00")
        #expect(late.late && late.count == 1)
        #expect(try e.add("A", "2024-03-01 10:32:00").count == 4)      // the late one was not kept
    }

    @Test func stateExpiresAndTheKeyCapEvictsTheLeastRecent() throws {
        var options = WindowStore.Options()
        options.stripes = 1
        options.lateTolerance = 0
        let text = WindowStoreTests.text.replacingOccurrences(of: "over 1h", with: "over 1h max_keys 100")
        let e = try Events(options: options, text: text)
        for i in 0..<150 { try e.add("K\(i)", "2024-03-01 10:00:\(String(format: "%02d", i % 60))") }
        #expect(e.store.keyCounts[0] <= 100)
        #expect(e.store.evictions[0] > 0)
        #expect(try e.add("K149", "2024-03-01 10:01:00").count == 2)   // a recent key survived
        // Two days later every key's events have expired; the next sweep removes them.
        for i in 0..<10 { try e.add("N\(i % 5)", "2024-03-03 10:00:00") }
        #expect(e.store.keyCounts[0] == 5)
        for i in 0..<10 { try e.add("N\(i % 5)", "2024-03-07 10:00:00") }
        #expect(e.store.keyCounts[1] == 5 && e.store.keyCounts[2] == 5)
    }

    @Test func stateSurvivesAReloadAndARestart() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-win-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let e = try Events()
        try e.add("A", "2024-03-01 10:00:00", amount: "5.00")
        try e.add("A", "2024-03-01 10:10:00", amount: "7.00", device: "D2")
        // A reloaded pack with the same windows shares the state; a changed window starts empty.
        let changed = WindowStoreTests.text.replacingOccurrences(of: "over 1h", with: "over 2h")
        let reloaded = try Events(text: changed, previous: e.store)
        let r = try reloaded.add("A", "2024-03-01 10:20:00", amount: "1.00")
        #expect(r.count == 1 && r.sum == "13.00" && r.devices == 2)
        // Saved to SQLite and restored into a new store: as if never stopped. (The 10:20 event
        // went to the shared sum and distinct windows, and to the reloaded pack's own 2h count.)
        let file = try WindowSnapshotFile(path: dir.appendingPathComponent("windows.sqlite").path)
        #expect(try file.save(e.store.snapshot(), pack: "v") == 2 + 3 + 3)
        let restarted = try Events()
        #expect(restarted.store.restore(try file.load(pack: "v")) == 8)
        let after = try restarted.add("A", "2024-03-01 10:30:00", amount: "2.00")
        #expect(after.count == 3 && after.sum == "15.00" && after.devices == 2)
        #expect(try file.load(pack: "other").isEmpty)
    }

    @Test func aPackWithWindowsNeedsThemSupplied() throws {
        #expect(throws: PackError.self) {
            _ = try CompiledPack.compile(source: Source(path: "v.rules", text: WindowStoreTests.text)) { _ in "" }
        }
    }
}
