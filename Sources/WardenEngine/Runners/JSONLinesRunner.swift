import Foundation
import WardenLang

/// Evaluates JSON Lines: one record per line in, one decision per line out, in order.
/// A line that is not a valid record yields an error object for that line and the run goes on.
/// A pack with velocity windows runs them over the file in line order, from empty state (each
/// accepted record is an event; see ``WindowStore``).
public struct JSONLinesRunner {
    public let pack: CompiledPack
    public let explain: Bool
    public private(set) var lines = 0
    public private(set) var decisions = 0
    public private(set) var rejected = 0
    /// Decisions by action, for records no `reject … when` rejected.
    public private(set) var actionCounts: [String: Int] = [:]
    /// Decisions rejected by a `reject … when`, by reject code.
    public private(set) var rejectCounts: [String: Int] = [:]
    let evaluator: Evaluator
    let windows: WindowStore?

    public init(pack: CompiledPack, explain: Bool) {
        self.pack = pack
        self.explain = explain
        self.evaluator = pack.makeEvaluator()
        windows = pack.program.windows.isEmpty ? nil : WindowStore(program: pack.program)
    }

    /// Processes one input line (without its newline) and appends the output line (with its
    /// newline) to `out`. Blank lines are skipped; a line longer than `Limits.maxJSONLineBytes`
    /// is rejected without being parsed.
    public mutating func process(line: Substring, into out: inout JSONWriter) {
        var text = String(line)
        text.withUTF8 { process(utf8: $0, into: &out) }
    }

    /// ``process(line:into:)`` on the UTF-8 bytes of the line, straight from the read buffer.
    public mutating func process(utf8 line: UnsafeBufferPointer<UInt8>, into out: inout JSONWriter) {
        lines += 1
        if line.allSatisfy({ $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\t") || $0 == UInt8(ascii: "\r") }) { return }
        do throws(RecordError) {
            guard line.count <= Limits.maxJSONLineBytes else {
                throw RecordError(field: nil, reason: "line is longer than \(Limits.maxJSONLineBytes) bytes")
            }
            let record = try pack.decodeRecord(utf8: line)
            var windowValues: [Value] = []
            if let windows, evaluator.firstRejection(record) == nil { windowValues = windows.observe(record).values }
            let d = evaluator.evaluate(record, windows: windowValues, explain: explain)
            decisions += 1
            if let code = pack.rejectCode(d) {
                rejectCounts[code, default: 0] += 1
            } else {
                actionCounts[pack.actionName(d), default: 0] += 1
            }
            pack.writeDecision(d, record: record, line: lines, into: &out)
        } catch {
            rejected += 1
            out.writeRaw("{\"line\":\(lines),\"error\":{")
            if let f = error.field {
                out.writeRaw("\"field\":")
                out.writeString(f)
                out.writeRaw(",")
            }
            out.writeRaw("\"reason\":")
            out.writeString(error.reason)
            out.writeRaw("}}")
        }
        out.writeRaw("\n")
    }

    /// Streams `input` to `output` in chunks; memory stays flat whatever the input size.
    public mutating func run(input: FileHandle, output: FileHandle) throws {
        var pending: [UInt8] = []
        var out = JSONWriter()
        out.bytes.reserveCapacity(1 << 16)
        func flush() {
            if !out.bytes.isEmpty {
                output.write(Data(out.bytes))
                out.bytes.removeAll(keepingCapacity: true)
            }
        }
        while true {
            let chunk = input.readData(ofLength: 1 << 16)
            if chunk.isEmpty { break }
            pending.append(contentsOf: chunk)
            var start = 0
            pending.withUnsafeBufferPointer { buffer in
                while let nl = buffer[start...].firstIndex(of: UInt8(ascii: "\n")) {
                    process(utf8: UnsafeBufferPointer(rebasing: buffer[start..<nl]), into: &out)
                    start = nl + 1
                    if out.bytes.count > 1 << 16 { flush() }
                }
            }
            pending.removeFirst(start)
        }
        if !pending.isEmpty { pending.withUnsafeBufferPointer { process(utf8: $0, into: &out) } }
        flush()
    }
}
