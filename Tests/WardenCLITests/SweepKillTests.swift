import Foundation
import Testing

/// Kills real `warden sweep` processes with SIGKILL — at chosen points (the fault hook) and at
/// random moments — resumes them with `--resume`, and requires every output to be
/// byte-identical to an uninterrupted run's: nothing lost, nothing written twice, nobody
/// notified twice.
@Suite(.serialized) struct SweepKillTests {
    static let outputs = ["dormancy_pending.csv", "dormancy_rejects.csv", "dormancy_notice.csv", "dormancy_notice.send.csv"]

    struct Exit {
        let status: Int32
        let killed: Bool
        let stderr: String
    }

    /// Runs `warden sweep` on `input` into `out` (ledger next to it).
    static func sweep(_ input: URL, _ out: URL, resume: Bool = false, fault: String? = nil, killAfter: Double? = nil) throws -> Exit {
        try run(["sweep", "--rules", CLITests.root.appendingPathComponent("rules/dormancy.rules").path,
                 "--input", input.path, "--out", out.path, "--campaign", "kill-test",
                 "--ledger", out.path + ".ledger.sqlite", "--batch-rows", "1000", "--checkpoint-interval", "0"]
                + (resume ? ["--resume"] : []), fault: fault, killAfter: killAfter)
    }

    /// Runs `warden ARGUMENTS` with the fault hook set to `fault`; `killAfter` sends SIGKILL after
    /// that many seconds if the process still runs.
    static func run(_ arguments: [String], fault: String?, killAfter: Double? = nil) throws -> Exit {
        let p = Process()
        p.executableURL = CLITests.executable
        p.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        env["WARDEN_SWEEP_FAULT"] = fault
        p.environment = env
        let err = Pipe()
        p.standardError = err
        p.standardOutput = FileHandle.nullDevice
        try p.run()
        if let killAfter {
            Thread.sleep(forTimeInterval: killAfter)
            if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        }
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Exit(status: p.terminationStatus, killed: p.terminationReason == .uncaughtSignal,
                    stderr: String(decoding: e, as: UTF8.self))
    }

    static func contents(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in outputs { out[name] = try Data(contentsOf: dir.appendingPathComponent(name)) }
        return out
    }

    /// 60,000 generated accounts with the generator's defects (bad dates, duplicates, …).
    static let input: URL = {
        let dir = try! DatagenTests.generate(["--only", "accounts", "--accounts", "60000"])
        return dir.appendingPathComponent("accounts.csv")
    }()

    static let reference: [String: Data] = {
        let out = try! CLITests.temporaryDirectory().appendingPathComponent("reference")
        let r = try! sweep(input, out)
        precondition(r.status == 0, r.stderr)
        return try! contents(out)
    }()

    // `spilled:1` dies after the ledger committed the first batch but before the first real
    // checkpoint: the resumed run must get those subjects back under its own run id.
    @Test(arguments: ["started:1", "spilled:1", "checkpoint:1", "checkpoint:7", "spilled:3", "merged:1", "reported:1"])
    func killedAtAPointThenResumed(fault: String) throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        let first = try Self.sweep(Self.input, out, fault: fault)
        #expect(first.killed, "the fault \(fault) should have killed the sweep: \(first.stderr)")
        // Without --resume the unfinished sweep is refused, not silently restarted.
        let refused = try Self.sweep(Self.input, out)
        #expect(refused.status == 1 && refused.stderr.contains("--resume"))
        let resumed = try Self.sweep(Self.input, out, resume: true)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.contents(out) == Self.reference)
        let report = try String(contentsOf: out.appendingPathComponent("report.md"), encoding: .utf8)
        #expect(report.contains("resumed 1 time"))
    }

    /// The same accounts in a shuffled order: every run file then spans the whole key range
    /// and the merge interleaves them all (the generated file is nearly sorted, so its runs
    /// barely overlap), and other copies of the duplicate ids come first.
    static let shuffled: URL = {
        let text = try! String(contentsOf: input, encoding: .utf8)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        if lines.last == "" { lines.removeLast() }
        let header = lines.removeFirst()
        var state: UInt64 = 0x5EED
        for i in stride(from: lines.count - 1, to: 0, by: -1) {  // Fisher–Yates with SplitMix64
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            lines.swapAt(i, Int((z ^ (z >> 31)) % UInt64(i + 1)))
        }
        let url = try! CLITests.temporaryDirectory().appendingPathComponent("shuffled.csv")
        try! ([header] + lines).joined(separator: "\n").appending("\n").write(to: url, atomically: true, encoding: .utf8)
        return url
    }()

    static let shuffledReference: [String: Data] = {
        let out = try! CLITests.temporaryDirectory().appendingPathComponent("reference")
        let r = try! sweep(shuffled, out)
        precondition(r.status == 0, r.stderr)
        return try! contents(out)
    }()

    @Test(arguments: ["checkpoint:2", "spilled:6", "checkpoint:30", "merged:1"])
    func shuffledKilledAtAPointThenResumed(fault: String) throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        let first = try Self.sweep(Self.shuffled, out, fault: fault)
        #expect(first.killed, "the fault \(fault) should have killed the sweep: \(first.stderr)")
        let resumed = try Self.sweep(Self.shuffled, out, resume: true)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.contents(out) == Self.shuffledReference)
        // Merged from runs that all overlap, the pending list is still sorted by account_id.
        let pending = String(decoding: try #require(Self.shuffledReference["dormancy_pending.csv"]), as: UTF8.self)
        let ids = pending.split(separator: "\n").dropFirst().map { $0.prefix { $0 != "," } }
        #expect(ids.count > 1_000 && zip(ids, ids.dropFirst()).allSatisfy { $0.0 < $0.1 })
    }

    /// Small batches, a checkpoint after each: 150 run files per output, merged in passes
    /// through intermediate runs. Killed after the first output's merge, the resumed sweep
    /// still writes the reference's files.
    @Test func manyRunsMergedInPassesThenResumed() throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        func sweep(resume: Bool, fault: String?) throws -> Exit {
            try Self.run(["sweep", "--rules", CLITests.root.appendingPathComponent("rules/dormancy.rules").path,
                          "--input", Self.input.path, "--out", out.path, "--campaign", "kill-test",
                          "--ledger", out.path + ".ledger.sqlite", "--batch-rows", "400", "--checkpoint-interval", "0"]
                         + (resume ? ["--resume"] : []), fault: fault)
        }
        let first = try sweep(resume: false, fault: "merged:1")
        #expect(first.killed, "the fault should have killed the sweep: \(first.stderr)")
        let checkpoint = try String(contentsOf: out.appendingPathComponent(".sweep/checkpoint.json"), encoding: .utf8)
        #expect(checkpoint.components(separatedBy: "dormancy_pending.").count > 100, "expected over 100 runs")
        let resumed = try sweep(resume: true, fault: nil)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.contents(out) == Self.reference)
    }

    /// `--outputs dormancy_pending` killed and resumed: the pending list and rejects are the
    /// full run's, byte for byte, and no notice list is written.
    @Test func onlyChosenOutputsKilledThenResumed() throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        func sweep(resume: Bool, fault: String?) throws -> Exit {
            try Self.run(["sweep", "--rules", CLITests.root.appendingPathComponent("rules/dormancy.rules").path,
                          "--input", Self.input.path, "--out", out.path, "--outputs", "dormancy_pending",
                          "--batch-rows", "1000", "--checkpoint-interval", "0"] + (resume ? ["--resume"] : []), fault: fault)
        }
        let first = try sweep(resume: false, fault: "checkpoint:5")
        #expect(first.killed, "the fault should have killed the sweep: \(first.stderr)")
        let resumed = try sweep(resume: true, fault: nil)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        for name in ["dormancy_pending.csv", "dormancy_rejects.csv"] {
            #expect(try Data(contentsOf: out.appendingPathComponent(name)) == Self.reference[name])
        }
        #expect(!FileManager.default.fileExists(atPath: out.appendingPathComponent("dormancy_notice.csv").path))
    }

    @Test func killedAtRandomMomentsThenResumed() throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        var kills = 0
        var resume = false
        for attempt in 0..<40 {
            let delay = Double.random(in: 0.05...0.6)
            let r = try Self.sweep(Self.input, out, resume: resume, killAfter: attempt < 30 ? delay : nil)
            if r.killed {
                kills += 1
                resume = true
                continue
            }
            #expect(r.status == 0, "\(r.stderr)")
            break
        }
        #expect(kills >= 1)
        #expect(try Self.contents(out) == Self.reference)
    }
}

/// The registration check killed and resumed: the registry is loaded again on resume (the same
/// rows: loading is deterministic) and every output, the registry's set-aside rows included,
/// is byte-identical to an uninterrupted run's.
@Suite(.serialized) struct RegistrationKillTests {
    static let outputs = ["registration_verdicts.csv", "deregistration_list.csv", "merchant_notifications.csv",
                          "merchant_notifications.send.csv", "registration_rejects.csv", "lookup_registry_rejects.csv"]

    static let data: URL = try! DatagenTests.generate(["--only", "merchants", "--only", "registry",
                                                      "--merchants", "20000", "--registry", "200000"])

    static func sweep(_ out: URL, resume: Bool = false, fault: String? = nil) throws -> SweepKillTests.Exit {
        try SweepKillTests.run(["sweep", "--rules", CLITests.root.appendingPathComponent("rules/registration.rules").path,
                                "--input", data.appendingPathComponent("merchants.csv").path,
                                "--lookup", "registry=" + data.appendingPathComponent("registry.csv").path,
                                "--out", out.path, "--campaign", "kill-test", "--ledger", out.path + ".ledger.sqlite",
                                "--batch-rows", "500", "--checkpoint-interval", "0"] + (resume ? ["--resume"] : []),
                               fault: fault)
    }

    static func contents(_ dir: URL) throws -> [String: Data] {
        var out: [String: Data] = [:]
        for name in outputs { out[name] = try Data(contentsOf: dir.appendingPathComponent(name)) }
        return out
    }

    static let reference: [String: Data] = {
        let out = try! CLITests.temporaryDirectory().appendingPathComponent("reference")
        let r = try! sweep(out)
        precondition(r.status == 0, r.stderr)
        return try! contents(out)
    }()

    @Test(arguments: ["started:1", "checkpoint:5", "spilled:2", "merged:2"])
    func killedAtAPointThenResumed(fault: String) throws {
        let out = try CLITests.temporaryDirectory().appendingPathComponent("out")
        let first = try Self.sweep(out, fault: fault)
        #expect(first.killed, "the fault \(fault) should have killed the sweep: \(first.stderr)")
        let resumed = try Self.sweep(out, resume: true)
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(try Self.contents(out) == Self.reference)
        let reference = Self.reference["registration_verdicts.csv"].map { String(decoding: $0, as: UTF8.self) } ?? ""
        #expect(reference.split(separator: "\n").count > 19_000)
    }
}
