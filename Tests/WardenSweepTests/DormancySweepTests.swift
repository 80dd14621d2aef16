import CSQLite
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

    /// `--outputs` writes only the chosen outputs, each identical to a full run's; leaving out
    /// the notify output needs no campaign or ledger; the report names what was left out; an
    /// unknown name, or none, is a setup error.
    @Test func onlyTheChosenOutputsAreWritten() throws {
        let full = try tempDirectory(), only = try tempDirectory()
        let fullOptions = options(full)
        defer {
            for p in [full, only, fullOptions.ledgerPath!] { try? FileManager.default.removeItem(atPath: p) }
        }
        _ = try Sweep.run(fullOptions)
        var o = SweepOptions(packPath: DormancySweepTests.pack, inputPath: fullOptions.inputPath, outDirectory: only)
        o.outputs = ["dormancy_pending"]
        let summary = try Sweep.run(o)
        let written = try FileManager.default.contentsOfDirectory(atPath: only).filter { !$0.hasPrefix(".") }.sorted()
        #expect(written == ["dormancy_pending.csv", "dormancy_rejects.csv", "report.json", "report.md"])
        for file in ["dormancy_pending.csv", "dormancy_rejects.csv"] {
            #expect(try read(only + "/" + file) == read(full + "/" + file))
        }
        #expect(summary.report.outputsLeftOut == ["dormancy_notice"])
        #expect(summary.report.counts.outputs.keys.sorted() == ["dormancy_pending"])
        #expect(summary.report.reconciled)
        #expect(try read(only + "/report.md").contains("| Outputs left out (`--outputs`) | `dormancy_notice` |"))

        o.outputs = ["dormancy_pendng"]
        #expect {
            try Sweep.run(o)
        } throws: { error in
            "\(error)".contains("declares no output 'dormancy_pendng' (its outputs: dormancy_pending, dormancy_notice)")
        }
        o.outputs = []
        #expect(throws: SweepError.self) { try Sweep.run(o) }
    }

    /// Choosing only the notify output: the ledger records its subjects and its files are a
    /// full run's; the pending list is not written, and one left by an earlier full run in the
    /// same directory is removed. Resuming with another choice of outputs is refused.
    @Test func theNotifyOutputAloneGoesThroughTheLedger() throws {
        let full = try tempDirectory(), only = try tempDirectory()
        let fullOptions = options(full)
        var o = options(only)
        defer {
            for p in [full, only, fullOptions.ledgerPath!, o.ledgerPath!] { try? FileManager.default.removeItem(atPath: p) }
        }
        _ = try Sweep.run(fullOptions)
        _ = try Sweep.run(options(only))  // a full run first: its pending list must go
        try? FileManager.default.removeItem(atPath: o.ledgerPath!)
        o.outputs = ["dormancy_notice"]
        let summary = try Sweep.run(o)
        let written = try FileManager.default.contentsOfDirectory(atPath: only).filter { !$0.hasPrefix(".") }.sorted()
        #expect(written == ["dormancy_notice.csv", "dormancy_notice.send.csv", "dormancy_rejects.csv", "report.json", "report.md"])
        for file in ["dormancy_notice.csv", "dormancy_notice.send.csv", "dormancy_rejects.csv"] {
            #expect(try read(only + "/" + file) == read(full + "/" + file))
        }
        #expect(summary.report.counts.outputs["dormancy_notice"]?.rows == 9)
        #expect(try NotificationLedger(path: o.ledgerPath!).reach(campaign: "dormancy-test").notified == 9)

        var checkpoint = try Checkpoint.read(only + "/.sweep/checkpoint.json")
        checkpoint.phase = .scanning
        try checkpoint.write(only + "/.sweep/checkpoint.json")
        o.resume = true
        o.outputs = nil
        #expect {
            try Sweep.run(o)
        } throws: { error in
            guard case SweepError.checkpointMismatch(let message) = error else { return false }
            return message.contains("--outputs")
        }
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

/// `--input sqlite:PATH?table=T` reads a table as a CSV export of it would be read.
@Suite struct SQLiteSourceTests {
    @Test func aTableSweepsLikeItsCSV() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-sqlite-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let csv = DormancySweepTests.root.appendingPathComponent("datasets/sample/accounts.csv").path
        // The sample's rows with 10 fields, rowid = CSV line, balance_cents with INTEGER affinity
        // (a stored 1599 reads back as the text 1599), empty cells as NULL.
        let db = try SQLiteConnection(path: dir + "/accounts.sqlite")
        try db.execute("""
            CREATE TABLE accounts (account_id TEXT, kind TEXT, owner_id TEXT, opened_at TEXT, last_customer_txn_at TEXT,
              last_login_at TEXT, balance_cents INTEGER, frozen TEXT, open_dispute TEXT, phone TEXT)
            """)
        let insert = try db.prepare("INSERT INTO accounts(rowid, account_id, kind, owner_id, opened_at, last_customer_txn_at, last_login_at, balance_cents, frozen, open_dispute, phone) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)")
        let reader = try CSVReader(path: csv)
        var skippedLines: Set<Int> = []
        try db.transaction {
            while let batch = try reader.nextBatch(maxRows: 1000) {
                for row in 0..<batch.count {
                    guard batch.issue(row) == nil, batch.fieldCount(row) == 10 else {
                        skippedLines.insert(batch.lineNumber(row))
                        continue
                    }
                    try insert.bind(1, Int64(batch.lineNumber(row)))
                    for c in 0..<10 {
                        let text = batch.string(row, c)
                        if text.isEmpty { sqlite3_bind_null(insert.handle, Int32(c + 2)) } else { try insert.bind(Int32(c + 2), text) }
                    }
                    try insert.run()
                }
            }
        }
        #expect(!skippedLines.isEmpty)
        var fromCSV = SweepOptions(packPath: DormancySweepTests.pack, inputPath: csv, outDirectory: dir + "/csv")
        var fromTable = SweepOptions(packPath: DormancySweepTests.pack, inputPath: "sqlite:\(dir)/accounts.sqlite?table=accounts",
                                     outDirectory: dir + "/table")
        fromCSV.campaign = "a"
        fromCSV.ledgerPath = dir + "/csv.ledger"
        fromTable.campaign = "a"
        fromTable.ledgerPath = dir + "/table.ledger"
        fromTable.batchRows = 300
        let a = try Sweep.run(fromCSV), b = try Sweep.run(fromTable)
        #expect(b.report.reconciled)
        #expect(b.report.counts.inputRows == a.report.counts.inputRows - skippedLines.count)
        for file in ["dormancy_pending.csv", "dormancy_notice.send.csv"] {
            #expect(try String(contentsOfFile: dir + "/table/" + file, encoding: .utf8)
                    == String(contentsOfFile: dir + "/csv/" + file, encoding: .utf8))
        }
        let csvRejects = try String(contentsOfFile: dir + "/csv/dormancy_rejects.csv", encoding: .utf8).split(separator: "\n")
            .filter { !skippedLines.contains(Int($0.split(separator: ",").first ?? "") ?? -1) }
        let tableRejects = try String(contentsOfFile: dir + "/table/dormancy_rejects.csv", encoding: .utf8).split(separator: "\n")
        #expect(tableRejects == csvRejects)
        #expect(tableRejects.contains { $0.hasSuffix(",NEGATIVE_BALANCE") })
    }
}

@Suite struct ShardTests {
    /// The shards of a sweep split its rows (each row in exactly one shard, rejects included)
    /// and together give the unsharded outputs.
    @Test func shardsPartitionTheRun() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-shards-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let input = DormancySweepTests.root.appendingPathComponent("datasets/sample/accounts.csv").path
        func run(_ name: String, _ shard: (Int, Int)?) throws -> (SweepReport, [String], [String]) {
            var o = SweepOptions(packPath: DormancySweepTests.pack, inputPath: input, outDirectory: dir + "/" + name)
            o.campaign = "s"
            o.ledgerPath = dir + "/" + name + ".ledger"
            o.shard = shard
            let report = try Sweep.run(o).report
            func lines(_ f: String) throws -> [String] {
                try String(contentsOfFile: dir + "/" + name + "/" + f, encoding: .utf8).split(separator: "\n").dropFirst().map(String.init)
            }
            return (report, try lines("dormancy_pending.csv"), try lines("dormancy_rejects.csv"))
        }
        let all = try run("all", nil)
        let parts = try (0..<3).map { try run("s\($0)", ($0, 3)) }
        #expect(parts.allSatisfy { $0.0.reconciled })
        #expect(parts.map { $0.0.counts.inputRows - $0.0.counts.otherShard }.reduce(0, +) == all.0.counts.inputRows)
        #expect(parts.map(\.0.counts.accepted).reduce(0, +) == all.0.counts.accepted)
        #expect(parts.flatMap(\.1).sorted() == all.1.sorted())
        #expect(parts.flatMap(\.2).sorted() == all.2.sorted())
        #expect(parts.allSatisfy { !$0.1.isEmpty })
    }
}
