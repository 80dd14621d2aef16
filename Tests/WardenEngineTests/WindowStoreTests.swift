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
