import Foundation
import Testing
import WardenSweep

/// The ledger at the dormancy sweep's scale, skipped unless `WARDEN_LEDGER_BENCH` is set:
///
///     WARDEN_LEDGER_BENCH=1 swift test -c release --filter NotificationLedgerBench
///
/// `WARDEN_LEDGER_BENCH_ROWS` overrides the 4.3M rows (e.g. `200000` for a quick look);
/// `WARDEN_LEDGER_BENCH_FRESH_ONLY=1` stops after the first campaign's fresh recording. Each
/// phase checks its answers (every fresh item `true`, every item of another run `false`, the
/// reach count), so a fast wrong ledger fails. Rates count `recordBatch` time only; building
/// the items is outside the clock.
///
/// The baseline, schema version 1 measured with this benchmark on the same 2-core VM (its
/// other core often busy) before version 2 replaced it: fresh 0.28–0.44M rows/s at 4.3M,
/// 2.1 µs of CPU per row, 922.5 MiB; replay 0.40–0.44M/s; rerun 0.52–0.58M/s; second campaign
/// 0.28–0.44M/s; random order 70–98k/s, 175.9 MiB. Version 2 on the same runs: fresh
/// 1.10–1.18M/s, 0.7 µs, 415.7 MiB; replay 0.70–0.71M/s; rerun 0.72–0.76M/s; second campaign
/// 1.07–1.11M/s; random order 46–64k/s, 152.9 MiB.
@Suite(.serialized, .enabled(if: ProcessInfo.processInfo.environment["WARDEN_LEDGER_BENCH"] != nil))
struct NotificationLedgerBench {
    static let rows = ProcessInfo.processInfo.environment["WARDEN_LEDGER_BENCH_ROWS"].flatMap { Int($0) } ?? 4_300_000
    static let batchSize = 7_000
    static let t0 = Date(timeIntervalSince1970: 1_700_000_000)

    /// The dormancy sweep's shape: ascending `A%09d` subjects (10M accounts, 4.3M of them
    /// notified), one channel, one reason, a payload of about 60 bytes.
    static func batch(_ range: Range<Int>, order: (Int) -> Int = { $0 }) -> [NotificationLedger.Item] {
        range.map { i in
            let n = order(i)
            let account = 100_000_000 + n * 7 / 3
            let subject = "A" + String(account)
            return NotificationLedger.Item(
                subject: subject, channel: "dormancy_notice",
                payload: "\(subject),personal,\(365 + n % 1_000),\(n % 10_000),2021-\(10 + n % 3)-0\(1 + n % 9),DORMANT_NO_TXN,CNY",
                reasons: ["DORMANT_NO_TXN"])
        }
    }

    /// CPU time of the calling thread (user and system), in seconds: what recording costs a
    /// sweep whose other threads keep the cores busy. SQLite does its work on the caller's thread.
    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18
    }

    static func fileSize(_ path: String) -> Int {
        [path, path + "-wal"].reduce(0) {
            $0 + ((try? FileManager.default.attributesOfItem(atPath: $1)[.size] as? Int) ?? 0)
        }
    }

    static func mb(_ bytes: Int) -> String { String(format: "%.1f MiB", Double(bytes) / 1_048_576) }

    /// Records `rows` items of `campaign` under `runID`, checking every answer is `expected`;
    /// prints the rate at each mark and returns the overall rate.
    @discardableResult
    static func phase(
        _ name: String, _ ledger: NotificationLedger, campaign: String, runID: String, expected: Bool,
        marks: [Int] = [], batchSize: Int = batchSize, order: (Int) -> Int = { $0 }
    ) throws -> Double {
        let clock = ContinuousClock()
        var spent = Duration.zero
        var sinceMark = Duration.zero
        var cpu = 0.0
        var lastMark = 0
        var start = 0
        var wrong = 0
        while start < rows {
            let items = batch(start..<min(start + batchSize, rows), order: order)
            var answers: [Bool] = []
            let cpu0 = threadCPUSeconds()
            let d = try clock.measure {
                answers = try ledger.recordBatch(items, campaign: campaign, runID: runID, now: t0)
            }
            cpu += threadCPUSeconds() - cpu0
            spent += d
            sinceMark += d
            wrong += answers.count { $0 != expected }
            let end = start + items.count
            if let mark = marks.first(where: { $0 > start && $0 <= end }) ?? (end == rows ? end : nil) {
                let rate = Double(end) / seconds(spent)
                let recent = Double(end - lastMark) / seconds(sinceMark)
                print(
                    "NotificationLedgerBench \(name): \(mark) rows, \(Int(rate)) rows/s overall,",
                    "\(Int(recent)) rows/s since \(lastMark), CPU \(String(format: "%.2f", cpu * 1e6 / Double(end))) µs/row,",
                    "file \(mb(fileSize(ledger.path)))")
                lastMark = end
                sinceMark = .zero
            }
            start = end
        }
        #expect(wrong == 0, "\(name): \(wrong) answers were not \(expected)")
        return Double(rows) / seconds(spent)
    }

    @Test func dormancySweepScale() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ledger.sqlite").path
        let run1 = "8f14e45f-ceea-467f-a9f0-5b1c2d3e4f50", run2 = "c9f0f895-fb98-4b91-8f5e-0a1b2c3d4e5f"

        do {
            let ledger = try NotificationLedger(path: path)
            try Self.phase("fresh", ledger, campaign: "dormancy-2022", runID: run1, expected: true,
                      marks: [1_000_000, 2_000_000, Self.rows])
        }
        print("NotificationLedgerBench: file after close \(Self.mb(Self.fileSize(path))) for \(Self.rows) rows")
        if ProcessInfo.processInfo.environment["WARDEN_LEDGER_BENCH_FRESH_ONLY"] != nil { return }
        let ledger = try NotificationLedger(path: path)
        let replay = try Self.phase("replay (same run id)", ledger, campaign: "dormancy-2022", runID: run1, expected: true)
        let rerun = try Self.phase("rerun (new run id)", ledger, campaign: "dormancy-2022", runID: run2, expected: false)
        let second = try Self.phase("second campaign", ledger, campaign: "dormancy-2023", runID: run2, expected: true,
                               marks: [1_000_000, 2_000_000, Self.rows])
        var reach = Reach(campaign: "", notified: 0, reached: 0, confirmed: 0, bounced: 0, failed: 0)
        let reachTime = try ContinuousClock().measure { reach = try ledger.reach(campaign: "dormancy-2022") }
        #expect(reach.notified == Self.rows)
        #expect(try ledger.reach(campaign: "dormancy-2023").notified == Self.rows)
        print("NotificationLedgerBench: reach over \(Self.rows) notifications in \(reachTime)")
        print(
            "NotificationLedgerBench summary: replay \(Int(replay)) rows/s, rerun \(Int(rerun)) rows/s,",
            "second campaign \(Int(second)) rows/s, file \(Self.mb(Self.fileSize(path)))")
    }

    /// Subjects in a scrambled order (a bijection of 0..<rows), 1M in batches of 10k: the case
    /// where every insert lands on a random page of the key's B-tree.
    @Test func randomOrder() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-ledger-bench-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("ledger.sqlite").path
        let n = min(Self.rows, 1_000_000)
        let ledger = try NotificationLedger(path: path)
        // 7919 is prime and does not divide 1M (or most n), so i -> i * 7919 mod n is a bijection.
        let clock = ContinuousClock()
        var spent = Duration.zero
        var wrong = 0
        for start in stride(from: 0, to: n, by: 10_000) {
            let items = Self.batch(start..<min(start + 10_000, n), order: { $0 * 7_919 % n })
            var answers: [Bool] = []
            spent += try clock.measure {
                answers = try ledger.recordBatch(items, campaign: "c", runID: "r", now: Self.t0)
            }
            wrong += answers.count { !$0 }
        }
        #expect(wrong == 0)
        print(
            "NotificationLedgerBench random order: \(n) rows in batches of 10k,",
            "\(Int(Double(n) / Self.seconds(spent))) rows/s, file \(Self.mb(Self.fileSize(path)))")
    }
}
