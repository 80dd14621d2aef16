import Foundation
import Testing
import WardenEngine
import WardenLang
@testable import WardenSweep

/// The sweep's byte-level formats: how cells decode, how values are written, and the sorted
/// run files, each against the slower general form it replaces.
@Suite struct SweepFormatsTests {
    func tempDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-formats-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    static let status = ValueType.enumeration(EnumType(members: ["open", "opened", "closed"]))

    /// A cell form decodes every cell as `decodeCell` documents it, for every type with a cell
    /// form: empty cells by optionality, strict forms, enum near-misses.
    @Test("cell forms", arguments: [
        (ValueType.string, "", Result<Value, ValueText.CellFailure>.success(.string(""))),
        (.optional(.string), "", .success(.null)),
        (.int, "", .failure(.missing)),
        (.optional(.int), "", .success(.null)),
        (.int, "-42", .success(.int(-42))),
        (.int, "4x", .failure(.invalid)),
        (.int, "99999999999999999999", .failure(.invalid)),
        (.bool, "1", .success(.bool(true))),
        (.bool, "true", .failure(.invalid)),
        (.decimal, "12.50", .success(.money(Money(raw: 125_000)))),
        (.date, "2022-12-31", .success(.int(19_357))),
        (.date, "2022-02-30", .failure(.invalid)),
        (.timestamp, "1970-01-01 08:00:00", .success(.int(0))),
        (.timestamp, "1970-01-01T08:00:00", .failure(.invalid)),
        (.duration, "1h30m", .success(.int(5_400))),
        (status, "opened", .success(.int(1))),
        (status, "open", .success(.int(0))),
        (status, "ope", .failure(.invalid)),
        (status, "Open", .failure(.invalid)),
        (.optional(status), "", .success(.null)),
        (.list(.int), "1", .failure(.invalid)),
    ])
    func cellForms(_ type: ValueType, _ cell: String, _ expected: Result<Value, ValueText.CellFailure>) {
        var cell = cell
        cell.withUTF8 { bytes in
            #expect(ValueText.CellForm(type).decode(bytes, zone: .shanghai) == expected)
            #expect(ValueText.decodeCell(bytes, as: type, zone: .shanghai) == expected)
        }
    }

    /// The per-column fast paths write what the general `appendValue` writes, masked or not.
    @Test func outputFastPathsMatchTheGeneralForm() {
        let cases: [(Value, ValueType)] = [
            (.int(-7), .int), (.int(13_800_000_001), .int), (.string("a,\"b\""), .string), (.string("13800000001"), .string),
            (.int(19_357), .date), (.int(-800_000), .date), (.int(4_000_000), .date), (.int(2), Self.status),
            (.int(9), Self.status), (.null, .optional(.int)), (.money(Money(raw: 125_000)), .decimal),
        ]
        for (value, type) in cases {
            for personal in [false, true] {
                for masking in [false, true] {
                    var fast: [UInt8] = [], general: [UInt8] = []
                    OutputText.append(value, OutputText.Format(type: type, personal: personal), zone: .shanghai,
                                      masking: masking, to: &fast)
                    OutputText.appendValue(value, type, zone: .shanghai, masked: masking && personal, to: &general)
                    #expect(fast == general, "\(value) \(type) personal=\(personal) masking=\(masking)")
                }
            }
        }
        // An @pii int column is masked in the list people read.
        var masked: [UInt8] = []
        OutputText.append(.int(13_800_000_001), OutputText.Format(type: .int, personal: true), zone: .shanghai,
                          masking: true, to: &masked)
        #expect(String(decoding: masked, as: UTF8.self) == "138****0001")
    }

    /// Sorted outputs: entries far larger than a run reader's buffer merge intact; a run file
    /// cut inside an entry, or at an entry boundary, fails the merge instead of losing rows.
    @Test func runFilesMergeLargeEntriesAndRefuseDamagedOnes() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        func output() -> SortedOutput {
            SortedOutput(name: "o", directory: dir, header: "k,v", hasSendFile: false, runs: [], rowCount: 0)
        }
        func add(_ o: SortedOutput, _ key: String, _ line: String) throws {
            var key = key, line = line
            try key.withUTF8 { k in
                try line.withUTF8 { l in try o.add(key: k, line: l, send: UnsafeBufferPointer(start: nil, count: 0)) }
            }
        }
        let big = String(repeating: "x", count: 300 << 10)
        let o = output()
        try add(o, "b", "b,\(big)\n")
        try add(o, "a", "a,1\n")
        try o.spill()
        try add(o, "c", "c,\(big)\n")
        try add(o, "a2", "a2,2\n")
        #expect(try o.merge(into: dir + "/o.csv", sendPath: nil) == 4)
        let merged = try String(contentsOfFile: dir + "/o.csv", encoding: .utf8)
        #expect(merged == "k,v\na,1\na2,2\nb,\(big)\nc,\(big)\n")

        for cut in [5, 12 + 1 + 3, 12 + 1 + 4 + 2] {  // inside the header, inside the body, after an entry
            let damaged = output()
            try add(damaged, "a", "a,1\n")
            try add(damaged, "b", "b,2\n")
            try damaged.spill()
            let run = dir + "/" + damaged.runs[0]
            let size = try #require(SweepFiles.fileSize(run))
            #expect(truncate(run, off_t(cut == 12 + 1 + 4 + 2 ? Int(size) - (12 + 1 + 4) : cut)) == 0)
            #expect(throws: SweepError.self) { try damaged.merge(into: dir + "/damaged.csv", sendPath: nil) }
        }
    }

    /// More runs than the fan-in are merged in passes through intermediate runs: the file is
    /// the one a single merge writes, send file included, and no intermediate run is left.
    @Test func manyRunsMergeInPasses() throws {
        func build(_ dir: String) throws -> SortedOutput {
            let o = SortedOutput(name: "o", directory: dir, header: "k,v", hasSendFile: true, runs: [], rowCount: 0)
            var generator = SystemRandomNumberGenerator()
            for run in 0..<11 {
                for i in 0..<(run * 7 % 13 + 1) {
                    let k = "K\(Int.random(in: 0..<50, using: &generator))"
                    var key = Array(k.utf8), line = Array("\(k),\(run)-\(i)\n".utf8), send = Array("\(k),\(run)-\(i),full\n".utf8)
                    key += [0, UInt8(run), UInt8(i)]  // unique keys, as the sweep's tie-breakers make them
                    try key.withUnsafeBufferPointer { k in
                        try line.withUnsafeBufferPointer { l in try send.withUnsafeBufferPointer { try o.add(key: k, line: l, send: $0) } }
                    }
                }
                try o.spill()
            }
            return o
        }
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let o = try build(dir)
        #expect(o.runs.count == 11)
        let runs = Set(o.runs)
        // Both merges read the same runs: the single-pass one first, into other files.
        let direct = try o.merge(into: dir + "/direct.csv", sendPath: dir + "/direct.send.csv", fanIn: 64)
        let passes = try o.merge(into: dir + "/passes.csv", sendPath: dir + "/passes.send.csv", fanIn: 3)
        #expect(direct == passes && direct == o.rowCount)
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/passes.csv")) == Data(contentsOf: URL(fileURLWithPath: dir + "/direct.csv")))
        #expect(try Data(contentsOf: URL(fileURLWithPath: dir + "/passes.send.csv"))
            == Data(contentsOf: URL(fileURLWithPath: dir + "/direct.send.csv")))
        let left = Set(try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".run") })
        #expect(left == runs)
    }

    /// Only a proper subset of the outputs changes a sweep's fingerprint: no `--outputs`, all
    /// of them in any order, and the same subset in any order resume each other.
    @Test func outputsChangeTheFingerprintOnlyAsASubset() throws {
        let pack = try CompiledPack.load(path: DormancySweepTests.pack)
        func fingerprint(_ outputs: [String]?) throws -> String {
            var o = SweepOptions(packPath: DormancySweepTests.pack,
                                 inputPath: DormancySweepTests.fixtures.appendingPathComponent("accounts.csv").path, outDirectory: "/tmp/x")
            o.outputs = outputs
            return try Sweep.fingerprint(pack: pack, options: o)
        }
        let all = try fingerprint(nil)
        #expect(try fingerprint(["dormancy_pending", "dormancy_notice"]) == all)
        #expect(try fingerprint(["dormancy_notice", "dormancy_pending"]) == all)
        let pending = try fingerprint(["dormancy_pending"])
        #expect(pending != all)
        #expect(try fingerprint(["dormancy_pending", "dormancy_pending"]) == pending)
        #expect(try fingerprint(["dormancy_notice"]) != pending)
    }
}
