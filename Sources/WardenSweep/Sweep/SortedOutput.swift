import Foundation

/// One output of a sweep, sorted by its declared columns with flat memory: rows are buffered,
/// spilled as sorted run files (at a memory budget and at every checkpoint), and k-way merged
/// into the final CSV at the end.
///
/// Each row carries a sort key built by ``OutputText/appendSortKey(_:to:)`` over the sort
/// columns, then its input line number and its position among that line's rows, so the order
/// is total: the final file is the same however the rows were split into runs — which is what
/// makes a resumed sweep's outputs byte-identical to an uninterrupted one's. An output with no
/// `sort by` is sorted by line number alone, i.e. kept in input order.
///
/// A row has its text for `NAME.csv` and, when the output has `@pii` columns, the complete
/// text for `NAME.send.csv` (the file that feeds a sender).
///
/// Used by one thread at a time (the coordinator; for a notify output, the ledger stage between
/// drains; at the end, one merge thread), which is why the unchecked `Sendable` is sound.
final class SortedOutput: @unchecked Sendable {
    let name: String
    let directory: String
    let header: String
    let hasSendFile: Bool
    /// Complete run files, oldest first (file names inside `directory`).
    private(set) var runs: [String]
    private var nextRun: Int

    private struct Entry {
        var start: Int
        var keyCount: UInt32
        var lineCount: UInt32
        var sendCount: UInt32
    }
    private var arena: [UInt8] = []
    private var entries: [Entry] = []
    /// Rows added since the sweep started (runs included).
    private(set) var rowCount: Int

    /// Bytes buffered before a spill. Small on purpose: a 10 M-row sweep keeps two or three of
    /// these, and more runs cost the merge little (one 64 KiB read buffer each).
    static let memoryBudget = 8 << 20

    init(name: String, directory: String, header: String, hasSendFile: Bool, runs: [String], rowCount: Int) {
        self.name = name
        self.directory = directory
        self.header = header
        self.hasSendFile = hasSendFile
        self.runs = runs
        self.rowCount = rowCount
        nextRun = (runs.compactMap { SortedOutput.runNumber($0) }.max() ?? -1) + 1
    }

    static func runNumber(_ file: String) -> Int? {
        let parts = file.split(separator: ".")
        guard parts.count >= 3, parts.last == "run" else { return nil }
        return Int(parts[parts.count - 2])
    }

    /// Adds one row. `key` is its complete sort key (tie-breakers included).
    func add(key: UnsafeBufferPointer<UInt8>, line: UnsafeBufferPointer<UInt8>, send: UnsafeBufferPointer<UInt8>) throws {
        entries.append(Entry(start: arena.count, keyCount: UInt32(key.count), lineCount: UInt32(line.count),
                             sendCount: UInt32(send.count)))
        arena.append(contentsOf: key)
        arena.append(contentsOf: line)
        arena.append(contentsOf: send)
        rowCount += 1
        if arena.count >= SortedOutput.memoryBudget { try spill() }
    }

    /// Sorts the buffered rows and writes them as a run file (fsynced). No-op when empty.
    func spill() throws {
        guard !entries.isEmpty else { return }
        let file = "\(name).\(String(format: "%06d", nextRun)).run"
        nextRun += 1
        arena.withUnsafeBufferPointer { a in
            let base = a.baseAddress!
            entries.sort { x, y in
                let c = memcmp(base + x.start, base + y.start, Int(min(x.keyCount, y.keyCount)))
                return c != 0 ? c < 0 : x.keyCount < y.keyCount
            }
        }
        let writer = try FileSink(path: directory + "/" + file, truncate: true)
        for e in entries {
            var head = (e.keyCount.littleEndian, e.lineCount.littleEndian, e.sendCount.littleEndian)
            try withUnsafeBytes(of: &head) { try writer.write($0) }
            let total = Int(e.keyCount) + Int(e.lineCount) + Int(e.sendCount)
            try arena.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[e.start..<(e.start + total)])) }
        }
        try writer.close(sync: true)
        runs.append(file)
        entries.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: arena.capacity <= SortedOutput.memoryBudget * 5 / 4)
    }

    /// Merges every run into `path` (and `sendPath`), each written to a temporary file, fsynced
    /// and renamed into place. Returns the number of rows.
    @discardableResult
    func merge(into path: String, sendPath: String?) throws -> Int {
        try spill()
        let readers = try runs.map { try RunReader(path: directory + "/" + $0) }
        let out = try FileSink(path: path + ".tmp", truncate: true)
        let send = try sendPath.map { try FileSink(path: $0 + ".tmp", truncate: true) }
        var headerLine = Array(header.utf8)
        headerLine.append(0x0A)
        try headerLine.withUnsafeBytes { try out.write($0) }
        try headerLine.withUnsafeBytes { b in try send?.write(b) }
        // A binary heap of readers ordered by their current key.
        var heap: [Int] = []
        for (i, r) in readers.enumerated() where try r.advance() { heap.append(i) }
        func less(_ a: Int, _ b: Int) -> Bool { readers[a].key.lexicographicallyPrecedes(readers[b].key) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var m = i
                if l < heap.count && less(heap[l], heap[m]) { m = l }
                if r < heap.count && less(heap[r], heap[m]) { m = r }
                if m == i { return }
                heap.swapAt(i, m)
                i = m
            }
        }
        for i in stride(from: heap.count / 2 - 1, through: 0, by: -1) { siftDown(i) }
        var rows = 0
        while let top = heap.first {
            let r = readers[top]
            try r.line.withUnsafeBytes { try out.write($0) }
            try r.send.withUnsafeBytes { b in try send?.write(b) }
            rows += 1
            if try r.advance() {
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
        try out.close(sync: true)
        try send?.close(sync: true)
        try SweepFiles.rename(path + ".tmp", to: path)
        if let sendPath { try SweepFiles.rename(sendPath + ".tmp", to: sendPath) }
        return rows
    }
}

/// Reads a run file entry by entry.
final class RunReader {
    private let source: FileSource
    private(set) var key: [UInt8] = []
    private(set) var line: [UInt8] = []
    private(set) var send: [UInt8] = []

    init(path: String) throws { source = try FileSource(path: path, bufferSize: 64 << 10) }

    /// Loads the next entry; `false` at the end of the file.
    func advance() throws -> Bool {
        var head: (UInt32, UInt32, UInt32) = (0, 0, 0)
        let got = try withUnsafeMutableBytes(of: &head) { try source.read(into: $0) }
        if got == 0 { return false }
        guard got == 12 else { throw SweepError.io("run file '\(source.path)' is truncated") }
        key = try source.read(Int(UInt32(littleEndian: head.0)))
        line = try source.read(Int(UInt32(littleEndian: head.1)))
        send = try source.read(Int(UInt32(littleEndian: head.2)))
        return true
    }
}
