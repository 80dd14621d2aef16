import Foundation
import Testing
import WardenEngine
@testable import WardenSweep

/// The dormancy sweep on small committed files that pin every rule of the issue at its
/// boundaries: thresholds met and missed by a day, the balance cap and one cent over,
/// never-transacted accounts, logins that are not activity, each reject reason, the reject
/// order, and duplicates (first accepted copy wins; a rejected first copy does not count).
@Suite struct DormancySweepTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/dormancy")
    static let pack = root.appendingPathComponent("rules/dormancy.rules").path

    func tempDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-sweep-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func options(_ out: String, input: String = fixtures.appendingPathComponent("accounts.csv").path) -> SweepOptions {
        var o = SweepOptions(packPath: DormancySweepTests.pack, inputPath: input, outDirectory: out)
        o.campaign = "dormancy-test"
        o.ledgerPath = out + "/../" + (out as NSString).lastPathComponent + ".ledger.sqlite"
        return o
    }

    @Test func boundariesAndRejectsMatchTheSpecification() throws {
        let out = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let summary = try Sweep.run(options(out))
        let fixtures = DormancySweepTests.fixtures.path
        #expect(try read(out + "/dormancy_pending.csv") == read(fixtures + "/expected_pending.csv"))
        #expect(try read(out + "/dormancy_rejects.csv") == read(fixtures + "/expected_rejects.csv"))
        let c = summary.report.counts
        #expect(c.inputRows == 29)
        #expect(c.rejected == 13)
        #expect(c.accepted == 16)
        #expect(summary.report.reconciled)
        #expect(c.rejectedByReason == ["BAD_FIELD": 4, "BAD_DATE": 4, "BAD_COLUMN_COUNT": 2, "BAD_BALANCE": 1,
                                       "NEGATIVE_BALANCE": 1, "DUPLICATE_ACCOUNT_ID": 1])
        #expect(c.outputs["dormancy_pending"]?.rows == 9)
        #expect(c.outputs["dormancy_pending"]?.byReason == ["DORMANT_NO_TXN": 6, "DORMANT_NEVER_TXN": 3])
        let report = try read(out + "/report.md")
        #expect(report.contains("input 29 = accepted 16 + rejected 13"))
    }

    /// The notification list: complete phone numbers only in the sender's file, masked in the
    /// list people read; a second run of the same campaign notifies nobody.
    @Test func noticesGoThroughTheLedgerOnce() throws {
        let out = try tempDirectory(), again = try tempDirectory()
        var first = options(out)
        var second = options(again)
        second.ledgerPath = first.ledgerPath
        defer {
            for p in [out, again, first.ledgerPath!] { try? FileManager.default.removeItem(atPath: p) }
        }
        first.batchRows = 4
        let one = try Sweep.run(first)
        let notice = try read(out + "/dormancy_notice.csv"), send = try read(out + "/dormancy_notice.send.csv")
        #expect(send.contains("P_MET,13800000001,"))
        #expect(notice.contains("P_MET,138****0001,"))
        #expect(!notice.contains("13800000001"))
        #expect(one.report.counts.outputs["dormancy_notice"]?.rows == 9)
        let two = try Sweep.run(second)
        #expect(two.report.counts.outputs["dormancy_notice"]?.rows ?? 0 == 0)
        #expect(two.report.counts.outputs["dormancy_notice"]?.alreadyNotified == 9)
        #expect(try read(again + "/dormancy_notice.send.csv") == read(out + "/dormancy_notice.send.csv").split(separator: "\n")[0] + "\n")
        // The pending list itself does not depend on the ledger.
        #expect(try read(again + "/dormancy_pending.csv") == read(out + "/dormancy_pending.csv"))
    }

    /// Outputs do not depend on batch size, worker count or checkpoint frequency.
    @Test func outputsAreTheSameWhateverTheBatching() throws {
        let input = DormancySweepTests.root.appendingPathComponent("datasets/sample/accounts.csv").path
        var results: [[String]] = []
        for (rows, workers, interval) in [(16_384, 2, 2.0), (7, 1, 0.0), (100, 2, 0.0)] {
            let out = try tempDirectory()
            defer { try? FileManager.default.removeItem(atPath: out) }
            var o = options(out, input: input)
            defer { try? FileManager.default.removeItem(atPath: o.ledgerPath!) }
            o.batchRows = rows
            o.workers = workers
            o.checkpointInterval = interval
            let summary = try Sweep.run(o)
            #expect(summary.report.reconciled)
            results.append(try ["dormancy_pending.csv", "dormancy_rejects.csv", "dormancy_notice.send.csv"].map { try read(out + "/" + $0) })
        }
        #expect(results[0] == results[1])
        #expect(results[0] == results[2])
        #expect(results[0][1].contains("NEGATIVE_BALANCE"))
    }

    @Test func refusesToRestartOrResumeTheWrongSweep() throws {
        let out = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        var o = options(out)
        defer { try? FileManager.default.removeItem(atPath: o.ledgerPath!) }
        _ = try Sweep.run(o)
        // Resuming a finished sweep does nothing.
        o.resume = true
        #expect(try Sweep.run(o).alreadyComplete)
        // An unfinished sweep (a checkpoint mid-scan) must be resumed with the same parameters.
        var checkpoint = try Checkpoint.read(out + "/.sweep/checkpoint.json")
        checkpoint.phase = .scanning
        try checkpoint.write(out + "/.sweep/checkpoint.json")
        o.resume = false
        #expect(throws: SweepError.self) { try Sweep.run(o) }
        o.resume = true
        o.params = ["as_of": "2023-06-30"]
        #expect(throws: SweepError.self) { try Sweep.run(o) }
    }

    @Test func aHeaderWithoutADeclaredColumnIsASetupError() throws {
        let out = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: out) }
        let input = out + "/in.csv"
        try "account_id,kind\nA,personal\n".write(toFile: input, atomically: true, encoding: .utf8)
        var o = options(out + "/o", input: input)
        do {
            _ = try Sweep.run(o)
            Issue.record("expected an error")
        } catch let e as SweepError {
            #expect("\(e)".contains("lacks column(s) owner_id, opened_at, last_customer_txn_at"))
        }
        o.campaign = nil
        do {
            _ = try Sweep.run(o)
            Issue.record("expected an error")
        } catch let e as SweepError {
            #expect("\(e)".contains("give --campaign NAME and --ledger PATH"))
        }
    }
}
