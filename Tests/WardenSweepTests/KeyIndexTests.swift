import Foundation
import Testing
import WardenEngine
@testable import WardenSweep

@Suite struct KeyIndexTests {
    func tempPath() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("warden-keys-\(UUID().uuidString).log").path
    }

    func insert(_ index: KeyIndex, _ key: String) throws -> Bool {
        var key = key
        return try key.withUTF8 { try index.insert($0) }
    }

    @Test func reportsOnlyRepeatsAsDuplicates() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try KeyIndex(logPath: path, expectedKeys: 10, resumeLength: nil)
        #expect(try insert(index, "A1"))
        #expect(try insert(index, "A2"))
        #expect(try !insert(index, "A1"))
        #expect(try insert(index, ""))
        #expect(try !insert(index, ""))
        // Same bytes only: a prefix, a longer key and a different case are different keys.
        #expect(try insert(index, "A"))
        #expect(try insert(index, "A10"))
        #expect(try insert(index, "a1"))
        #expect(index.count == 6)
    }

    /// Starting tiny forces many doublings (each re-reads every key); keys read back from the
    /// log file (after a checkpoint) and from the unwritten tail must both compare exactly.
    @Test func growsAndStaysExact() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let index = try KeyIndex(logPath: path, expectedKeys: 1, resumeLength: nil)
        for i in 0..<50_000 {
            #expect(try insert(index, "K\(i)"))
            if i == 20_000 { _ = try index.checkpoint() }
        }
        for i in stride(from: 0, to: 50_000, by: 7) { #expect(try !insert(index, "K\(i)")) }
        #expect(try insert(index, "K50000"))
        #expect(index.count == 50_001)
    }

    /// A resumed sweep re-reads the rows after its checkpoint: keys accepted after it must be
    /// forgotten (or those rows would be rejected as duplicates of themselves), keys before it kept.
    @Test func resumeKeepsExactlyTheCheckpointedKeys() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let length: Int64
        do {
            let index = try KeyIndex(logPath: path, expectedKeys: 100, resumeLength: nil)
            for i in 0..<1_000 { #expect(try insert(index, "before-\(i)")) }
            length = try index.checkpoint()
            for i in 0..<500 { #expect(try insert(index, "after-\(i)")) }
            _ = try index.checkpoint()  // written to the file, but past the recorded length
        }
        let resumed = try KeyIndex(logPath: path, expectedKeys: 100, resumeLength: length)
        #expect(resumed.count == 1_000)
        for i in 0..<1_000 { #expect(try !insert(resumed, "before-\(i)")) }
        for i in 0..<500 { #expect(try insert(resumed, "after-\(i)")) }
    }

    @Test func aFreshRunForgetsAnOldLog() throws {
        let path = tempPath()
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let index = try KeyIndex(logPath: path, expectedKeys: 10, resumeLength: nil)
            #expect(try insert(index, "X"))
            _ = try index.checkpoint()
        }
        let fresh = try KeyIndex(logPath: path, expectedKeys: 10, resumeLength: nil)
        #expect(try insert(fresh, "X"))
    }
}

@Suite struct SortedOutputTests {
    func tempDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-sorted-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func add(_ output: SortedOutput, key: String, line: Int, text: String, send: String = "") throws {
        var k: [UInt8] = []
        OutputText.appendSortKey(.string(key), to: &k)
        OutputText.appendBigEndian(UInt64(line), to: &k)
        let l = Array((text + "\n").utf8), s = send.isEmpty ? [] : Array((send + "\n").utf8)
        try k.withUnsafeBufferPointer { kb in
            try l.withUnsafeBufferPointer { lb in try s.withUnsafeBufferPointer { try output.add(key: kb, line: lb, send: $0) } }
        }
    }

    /// However the rows are split into runs, the merged file is sorted by key, then line.
    @Test func mergesRunsIntoOneSortedFile() throws {
        let dir = try tempDirectory()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let output = SortedOutput(name: "out", directory: dir, header: "id,line", hasSendFile: true, runs: [], rowCount: 0)
        var expected: [(String, Int)] = []
        var generator = SystemRandomNumberGenerator()
        for line in 2..<3_000 {
            let id = "ID\(Int.random(in: 0..<800, using: &generator))"
            expected.append((id, line))
            try add(output, key: id, line: line, text: "\(id),\(line)", send: "\(id),\(line),full")
            if line % 700 == 0 { try output.spill() }
        }
        #expect(output.runs.count == 4)
        let rows = try output.merge(into: dir + "/out.csv", sendPath: dir + "/out.send.csv")
        #expect(rows == expected.count)
        expected.sort { ($0.0.utf8.lexicographicallyPrecedes($1.0.utf8)) || ($0.0 == $1.0 && $0.1 < $1.1) }
        let text = try String(contentsOfFile: dir + "/out.csv", encoding: .utf8)
        #expect(text == "id,line\n" + expected.map { "\($0.0),\($0.1)\n" }.joined())
        let send = try String(contentsOfFile: dir + "/out.send.csv", encoding: .utf8)
        #expect(send == "id,line\n" + expected.map { "\($0.0),\($0.1),full\n" }.joined())
    }

    @Test func sortKeysOrderValuesAsTheLanguageDoes() {
        func key(_ v: WardenEngine.Value) -> [UInt8] {
            var k: [UInt8] = []
            OutputText.appendSortKey(v, to: &k)
            return k
        }
        let ints: [Int64] = [.min, -10, -1, 0, 1, 9, 10, .max]
        for (a, b) in zip(ints, ints.dropFirst()) { #expect(key(.int(a)).lexicographicallyPrecedes(key(.int(b)))) }
        #expect(key(.null).lexicographicallyPrecedes(key(.int(.min))))
        let strings = ["", "A", "A\u{0}", "A\u{0}B", "AB", "B", "张"]
        for (a, b) in zip(strings, strings.dropFirst()) { #expect(key(.string(a)).lexicographicallyPrecedes(key(.string(b)))) }
    }
}
