import Foundation
import Testing
import WardenEngine
@testable import WardenSweep

// MARK: - Helpers

/// A row as the tests compare it: line, issue code ("" for none) and fields.
private struct Row: Equatable, CustomStringConvertible {
    var line: Int
    var issue: String
    var fields: [String]
    init(_ line: Int, _ fields: [String], _ issue: CSVRowIssue? = nil) {
        self.line = line
        self.fields = fields
        self.issue = issue?.reasonCode ?? ""
    }
    var description: String { "\(line)\(issue.isEmpty ? "" : " " + issue) \(fields)" }
}

private func tempFile(_ bytes: [UInt8]) throws -> String {
    let path = FileManager.default.temporaryDirectory
        .appendingPathComponent("warden-csv-\(UUID().uuidString).csv").path
    try Data(bytes).write(to: URL(fileURLWithPath: path))
    return path
}

private func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
    let path = try tempFile(bytes)
    defer { try? FileManager.default.removeItem(atPath: path) }
    return try body(path)
}

/// Reads every row, checking on the way that batches chain (offsets and line numbers).
private func readAll(_ reader: CSVReader, maxRows: Int) throws -> [Row] {
    var rows: [Row] = []
    var expectedStart = reader.offset
    while let batch = try reader.nextBatch(maxRows: maxRows) {
        #expect(batch.count >= 1 && batch.count <= maxRows)
        #expect(batch.startOffset == expectedStart)
        #expect(batch.endOffset == reader.offset)
        #expect(batch.nextLineNumber == reader.nextLineNumber)
        expectedStart = batch.endOffset
        for r in 0..<batch.count {
            rows.append(Row(batch.lineNumber(r), batch.strings(r), batch.issue(r)))
        }
    }
    #expect(try reader.nextBatch(maxRows: maxRows) == nil)
    return rows
}

private func open(_ path: String, chunk: Int, maxRowBytes: Int = CSVReader.maxRowBytes,
                  resume: (Int64, Int)? = nil) throws -> CSVReader {
    try CSVReader(path: path, resume: resume, chunkSize: chunk, maxRowBytes: maxRowBytes)
}

/// Chunk sizes that make rows (and the BOM, and `\r\n`, and `""`) straddle reads.
private let chunkSizes = [1, 2, 3, 5, 8, 64, 1 << 20]
private let batchSizes = [1, 2, 1000]

// MARK: - Format cases

private struct Case: CustomTestStringConvertible, Sendable {
    let name: String
    let input: [UInt8]
    let header: [String]
    let rows: [Row]
    init(_ name: String, _ input: String, header: [String], _ rows: [Row]) {
        self.init(name, Array(input.utf8), header: header, rows)
    }
    init(_ name: String, _ input: [UInt8], header: [String], _ rows: [Row]) {
        self.name = name
        self.input = input
        self.header = header
        self.rows = rows
    }
    var testDescription: String { name }
}

extension Row: @unchecked Sendable {}

private let cases: [Case] = [
    Case("plain", "a,b\n1,2\n3,4\n", header: ["a", "b"], [Row(2, ["1", "2"]), Row(3, ["3", "4"])]),
    Case("no final line end", "a,b\n1,2", header: ["a", "b"], [Row(2, ["1", "2"])]),
    Case("embedded comma", "a,b\n\"x,y\",z\n", header: ["a", "b"], [Row(2, ["x,y", "z"])]),
    Case("escaped quotes", "a,b\n\"he said \"\"hi\"\"\",\"\"\"\"\n", header: ["a", "b"],
         [Row(2, ["he said \"hi\"", "\""])]),
    Case("empty quoted", "a,b\n\"\",x\n", header: ["a", "b"], [Row(2, ["", "x"])]),
    Case("line ends in a quoted field", "a,b\n\"l1\nl2\",x\n3,4\n\"p\n\nq\"\n5,6", header: ["a", "b"],
         [Row(2, ["l1\nl2", "x"]), Row(4, ["3", "4"]), Row(5, ["p\n\nq"]), Row(8, ["5", "6"])]),
    Case("quoted header", "\"a,1\",\"b\"\"\"\nx,y\n", header: ["a,1", "b\""], [Row(2, ["x", "y"])]),
    Case("CRLF", "a,b\r\n1,2\r\n\"q\",\"r\"\r\n,\r\n", header: ["a", "b"],
         [Row(2, ["1", "2"]), Row(3, ["q", "r"]), Row(4, ["", ""])]),
    Case("CRLF inside a quoted field is data", "a\r\n\"x\r\ny\"\r\nz\r\n", header: ["a"],
         [Row(2, ["x\r\ny"]), Row(4, ["z"])]),
    Case("CR at the end of the file", "a\r\n1\r", header: ["a"], [Row(2, ["1"])]),
    Case("lone CR is data", "a\nx\ry,z\n", header: ["a"], [Row(2, ["x\ry", "z"])]),
    Case("BOM", "\u{FEFF}a,b\n1,2\n", header: ["a", "b"], [Row(2, ["1", "2"])]),
    Case("BOM only", "\u{FEFF}", header: [], []),
    Case("BOM not at the start is data", "a\n\u{FEFF}x\n", header: ["a"], [Row(2, ["\u{FEFF}x"])]),
    Case("empty file", "", header: [], []),
    Case("header only", "a,b\n", header: ["a", "b"], []),
    Case("empty fields", "a,b,c\n,,\n,x,\n", header: ["a", "b", "c"], [Row(2, ["", "", ""]), Row(3, ["", "x", ""])]),
    Case("blank line is one empty field", "a\n1\n\n2\n", header: ["a"], [Row(2, ["1"]), Row(3, [""]), Row(4, ["2"])]),
    Case("wrong column counts", "a,b\n1\n1,2,3\n", header: ["a", "b"], [Row(2, ["1"]), Row(3, ["1", "2", "3"])]),
    Case("quote inside an unquoted field", "a,b\nx\"y,2\n3,4\n", header: ["a", "b"],
         [Row(2, ["x\"y", "2"], .malformedQuotes), Row(3, ["3", "4"])]),
    Case("garbage after a closing quote", "a,b\n\"x\"y,2\n3,4\n", header: ["a", "b"],
         [Row(2, ["\"x\"y", "2"], .malformedQuotes), Row(3, ["3", "4"])]),
    Case("space after a closing quote", "a,b\n1,\"x\" \n3,4\n", header: ["a", "b"],
         [Row(2, ["1", "\"x\" "], .malformedQuotes), Row(3, ["3", "4"])]),
    Case("unterminated quote at the end of the file", "a,b\n1,2\n\"open,3\nmore\n", header: ["a", "b"],
         [Row(2, ["1", "2"]), Row(3, ["\"open", "3"], .malformedQuotes), Row(4, ["more"])]),
    Case("unterminated quote without a line end", "a\n\"x", header: ["a"], [Row(2, ["\"x"], .malformedQuotes)]),
    Case("malformed after a multi-line quoted field", "a\n\"l1\nl2\"x\n3\n", header: ["a"],
         [Row(2, ["\"l1"], .malformedQuotes), Row(3, ["l2\"x"], .malformedQuotes), Row(4, ["3"])]),
    Case("malformed with CRLF", "a\r\nx\"y\r\nz\r\n", header: ["a"], [Row(2, ["x\"y"], .malformedQuotes), Row(3, ["z"])]),
    Case("UTF-8 text", "名称,状态\n东蓝（广州）,\"吊销,未注销\"\n", header: ["名称", "状态"],
         [Row(2, ["东蓝（广州）", "吊销,未注销"])]),
    Case("invalid UTF-8", [UInt8]("a,b\n".utf8) + [0xFF] + Array(",x\n\u{E9},y\n".utf8) + [0xED, 0xA0, 0x80]
            + Array(",\"q".utf8) + [0xC3] + Array("\"\nok,1\n".utf8),
         header: ["a", "b"],
         [Row(2, ["\u{FFFD}", "x"], .invalidUTF8), Row(3, ["é", "y"]),
          Row(4, ["\u{FFFD}\u{FFFD}\u{FFFD}", "q\u{FFFD}"], .invalidUTF8), Row(5, ["ok", "1"])]),
]

@Test(arguments: cases)
private func formatCase(_ c: Case) throws {
    try withFile(c.input) { path in
        for chunk in chunkSizes {
            for maxRows in batchSizes {
                let reader = try open(path, chunk: chunk)
                #expect(reader.header == c.header, "chunk \(chunk)")
                let rows = try readAll(reader, maxRows: maxRows)
                #expect(rows == c.rows, "chunk \(chunk), maxRows \(maxRows)")
                #expect(reader.offset == Int64(c.input.count))
            }
        }
    }
}

@Test func fieldBytesAndColumnIndex() throws {
    try withFile(Array("id,\"na,me\"\nA1,\"x\"\"y\"\nA2,\n".utf8)) { path in
        let reader = try CSVReader(path: path)
        #expect(reader.columnIndex("na,me") == 1)
        #expect(reader.columnIndex("id") == 0)
        #expect(reader.columnIndex("ID") == nil)
        let batch = try #require(try reader.nextBatch(maxRows: 10))
        #expect(batch.count == 2)
        #expect(batch.fieldCount(0) == 2)
        #expect(Array(batch.field(0, 0)) == Array("A1".utf8))
        #expect(Array(batch.field(0, 1)) == Array("x\"y".utf8))
        #expect(Array(batch.rowBytes(0)) == Array("A1,\"x\"\"y\"".utf8))
        #expect(batch.field(1, 1).count == 0)
        #expect(batch.issue(1) == nil)
    }
}

// MARK: - Long rows

private struct LongCase: CustomTestStringConvertible, Sendable {
    let name: String
    let input: String
    let rows: [Row]
    var testDescription: String { name }
}

/// With `maxRowBytes` 10.
private let longCases: [LongCase] = [
    LongCase(name: "exactly at the limit", input: "a\n0123456789\n1\n", rows: [Row(2, ["0123456789"]), Row(3, ["1"])]),
    LongCase(name: "CRLF does not count", input: "a\r\n0123456789\r\n1\r\n", rows: [Row(2, ["0123456789"]), Row(3, ["1"])]),
    LongCase(name: "one over", input: "a\n01234567890\n1\n", rows: [Row(2, [], .rowTooLong), Row(3, ["1"])]),
    LongCase(name: "much longer", input: "a\nx,\(String(repeating: "y", count: 100))\n1\n",
             rows: [Row(2, [], .rowTooLong), Row(3, ["1"])]),
    LongCase(name: "last line, no line end", input: "a\n1\n\(String(repeating: "y", count: 50))",
             rows: [Row(2, ["1"]), Row(3, [], .rowTooLong)]),
    LongCase(name: "quoted field over several lines", input: "a\n\"ab\ncdefgh\nij\",k\n1\n",
             rows: [Row(2, ["\"ab"], .rowTooLong), Row(3, ["cdefgh"]), Row(4, ["ij\"", "k"], .malformedQuotes), Row(5, ["1"])]),
    LongCase(name: "malformed quoting seen past the limit", input: "a\n\"ab\ncdefghijkl\"x\n1\n",
             rows: [Row(2, ["\"ab"], .rowTooLong), Row(3, [], .rowTooLong), Row(4, ["1"])]),
    LongCase(name: "malformed early in a long line", input: "a\nx\"yyyyyyyyyyyy\n1\n",
             rows: [Row(2, [], .rowTooLong), Row(3, ["1"])]),
    LongCase(name: "malformed within the limit", input: "a\nx\"yyyyyyy\r\n1\n",
             rows: [Row(2, ["x\"yyyyyyy"], .malformedQuotes), Row(3, ["1"])]),
    LongCase(name: "unterminated at the end, within the limit", input: "a\n\"x\nyyy",
             rows: [Row(2, ["\"x"], .malformedQuotes), Row(3, ["yyy"])]),
    LongCase(name: "runaway quote", input: "a\n1,\"x\n2\n3\n4\n5\n6\n",
             rows: [Row(2, ["1", "\"x"], .rowTooLong), Row(3, ["2"]), Row(4, ["3"]), Row(5, ["4"]), Row(6, ["5"]), Row(7, ["6"])]),
]

@Test(arguments: longCases)
private func longRows(_ c: LongCase) throws {
    try withFile(Array(c.input.utf8)) { path in
        for chunk in chunkSizes {
            for maxRows in batchSizes {
                let reader = try open(path, chunk: chunk, maxRowBytes: 10)
                #expect(try readAll(reader, maxRows: maxRows) == c.rows, "chunk \(chunk), maxRows \(maxRows)")
            }
        }
    }
}

// MARK: - Resume

@Test(arguments: [8, 1 << 20])
private func resumeGivesTheRemainingRows(chunk: Int) throws {
    let input = "\u{FEFF}id,v\n1,a\n2,\"b\nb\"\n3,\"c,\"\"c\"\"\"\n4,x\"y\n\n5,e\r\n6,f"
    try withFile(Array(input.utf8)) { path in
        let all = try readAll(try open(path, chunk: chunk), maxRows: 1000)
        #expect(all.count == 7)
        for split in 0...all.count {
            // Read `split` rows one batch at a time, then resume from the reader's position,
            // and again from the last batch's end (what a checkpoint stores).
            let first = try open(path, chunk: chunk)
            var head: [Row] = []
            var last: (Int64, Int) = (first.offset, first.nextLineNumber)
            for _ in 0..<split {
                let b = try #require(try first.nextBatch(maxRows: 1))
                head.append(Row(b.lineNumber(0), b.strings(0), b.issue(0)))
                last = (b.endOffset, b.nextLineNumber)
            }
            #expect(last == (first.offset, first.nextLineNumber))
            let rest = try open(path, chunk: chunk, resume: last)
            #expect(rest.header == ["id", "v"])
            #expect(head + (try readAll(rest, maxRows: 2)) == all, "split \(split)")
        }
    }
}

@Test func resumeThroughThePublicInitializer() throws {
    let path = samplePath("accounts.csv")
    let all = try readAll(try CSVReader(path: path), maxRows: 4096)
    let first = try CSVReader(path: path)
    _ = try first.nextBatch(maxRows: 1234)
    let rest = try CSVReader(path: path, resumeAt: first.offset, lineNumber: first.nextLineNumber)
    #expect(try readAll(rest, maxRows: 500) == Array(all.dropFirst(1234)))
}

// MARK: - Committed samples against a reference parser

private func samplePath(_ name: String) -> String {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("datasets/sample/\(name)").path
}

/// RFC 4180 for well-formed input, one byte at a time over the whole file: the yardstick.
private func referenceParse(_ bytes: [UInt8]) -> (header: [String], rows: [Row]) {
    var b = bytes[...]
    if b.starts(with: [0xEF, 0xBB, 0xBF]) { b = b.dropFirst(3) }
    var rows: [Row] = []
    var fields: [String] = []
    var field: [UInt8] = []
    var line = 1
    var rowLine = 1
    var inQuotes = false
    var i = b.startIndex
    func endField() {
        fields.append(String(decoding: field, as: UTF8.self))
        field = []
    }
    while i < b.endIndex {
        let c = b[i]
        if inQuotes {
            if c == UInt8(ascii: "\"") {
                if i + 1 < b.endIndex && b[i + 1] == UInt8(ascii: "\"") {
                    field.append(c)
                    i += 1
                } else {
                    inQuotes = false
                }
            } else {
                if c == UInt8(ascii: "\n") { line += 1 }
                field.append(c)
            }
        } else if c == UInt8(ascii: "\"") {
            inQuotes = true
        } else if c == UInt8(ascii: ",") {
            endField()
        } else if c == UInt8(ascii: "\n") {
            if field.last == UInt8(ascii: "\r") { field.removeLast() }
            endField()
            rows.append(Row(rowLine, fields))
            fields = []
            line += 1
            rowLine = line
        } else {
            field.append(c)
        }
        i += 1
    }
    if !field.isEmpty || !fields.isEmpty {
        endField()
        rows.append(Row(rowLine, fields))
    }
    let header = rows.first?.fields ?? []
    return (header, Array(rows.dropFirst()))
}

@Test(arguments: ["accounts.csv", "registry.csv"])
private func samplesAgreeWithTheReferenceParser(name: String) throws {
    let path = samplePath(name)
    let bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let expected = referenceParse(bytes)
    #expect(expected.rows.count > 1000)
    for (chunk, maxRows) in [(1 << 20, 1000), (4097, 777), (61, 1)] {
        let reader = try open(path, chunk: chunk)
        #expect(reader.header == expected.header)
        #expect(try readAll(reader, maxRows: maxRows) == expected.rows, "chunk \(chunk)")
    }
}

// MARK: - UTF-8 validation

private let utf8Cases: [([UInt8], Bool)] = [
    ([], true), (Array("plain ascii text, longer than eight".utf8), true),
    ([0xC3, 0xA9], true), ([0xE4, 0xB8, 0x9C], true), ([0xF0, 0x9F, 0x98, 0x80], true),
    ([0xEF, 0xBF, 0xBF], true), ([0xF4, 0x8F, 0xBF, 0xBF], true),
    ([0x80], false), ([0xBF], false), ([0xC0, 0x80], false), ([0xC1, 0xBF], false),
    ([0xE0, 0x80, 0x80], false), ([0xE0, 0x9F, 0xBF], false), ([0xED, 0xA0, 0x80], false),
    ([0xF0, 0x80, 0x80, 0x80], false), ([0xF4, 0x90, 0x80, 0x80], false), ([0xF5, 0x80, 0x80, 0x80], false),
    ([0xFF], false), ([0xC3], false), ([0xE4, 0xB8], false), ([0xE4, 0x41, 0x9C], false),
    (Array("12345678".utf8) + [0xC3], false),
]

@Test func utf8Validation() {
    for (bytes, valid) in utf8Cases {
        #expect(bytes.withUnsafeBufferPointer { UTF8Bytes.isValid($0) } == valid, "\(bytes)")
    }
    // Agrees with the standard library on random bytes biased towards UTF-8 lead bytes.
    var rng = SplitMix(seed: 42)
    let alphabet: [UInt8] = [0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC2, 0xDF, 0xE0, 0xE1, 0xED, 0xEF, 0xF0, 0xF4, 0xF5, 0xFF]
    for _ in 0..<20_000 {
        let n = Int(rng.next() % 12)
        let bytes = (0..<n).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }
        let expected = String(validating: bytes, as: UTF8.self) != nil
        #expect(bytes.withUnsafeBufferPointer { UTF8Bytes.isValid($0) } == expected, "\(bytes)")
    }
}

private struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

// MARK: - Batch memory

/// Batches reuse the memory of freed batches: ones still held must keep their rows.
@Test func heldBatchesKeepTheirRows() throws {
    let path = samplePath("registry.csv")
    let expected = try readAll(try CSVReader(path: path), maxRows: 100_000)
    let reader = try open(path, chunk: 1000)
    var held: [CSVBatch] = []
    var dropped: [Row] = []
    var n = 0
    while let batch = try reader.nextBatch(maxRows: 97) {
        n += 1
        if n % 3 == 0 {
            held.append(batch)
        } else {
            for r in 0..<batch.count { dropped.append(Row(batch.lineNumber(r), batch.strings(r), batch.issue(r))) }
        }
    }
    let heldRows = held.flatMap { b in (0..<b.count).map { Row(b.lineNumber($0), b.strings($0), b.issue($0)) } }
    #expect((heldRows + dropped).sorted { $0.line < $1.line } == expected)
}
