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
    /// these, and more runs cost the merge little (one 128 KiB read buffer each).
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
            try SortedOutput.writeHead(to: writer, Int(e.keyCount), Int(e.lineCount), Int(e.sendCount))
            let total = Int(e.keyCount) + Int(e.lineCount) + Int(e.sendCount)
            try arena.withUnsafeBytes { try writer.write(UnsafeRawBufferPointer(rebasing: $0[e.start..<(e.start + total)])) }
        }
        try writer.close(sync: true)
        runs.append(file)
        entries.removeAll(keepingCapacity: true)
        arena.removeAll(keepingCapacity: arena.capacity <= SortedOutput.memoryBudget * 5 / 4)
    }

    /// Writes a run entry's head: the key, line and send lengths (`RunReader.advance` reads it).
    static func writeHead(to writer: FileSink, _ key: Int, _ line: Int, _ send: Int) throws {
        var head = (UInt32(key).littleEndian, UInt32(line).littleEndian, UInt32(send).littleEndian)
        try withUnsafeBytes(of: &head) { try writer.write($0) }
    }

    /// Runs merged at once at most. Each open run costs a descriptor and a 128 KiB buffer: a
    /// sweep of 100M rows spills about 750 runs per output, past the usual limit of 1,024 open
    /// files and the memory budget, so beyond this some runs are first merged into longer ones.
    static let defaultFanIn = 64

    /// Merges every run into `path` (and `sendPath`), each written to a temporary file, fsynced
    /// and renamed into place. Returns the number of rows.
    ///
    /// With more than `fanIn` runs, the first ones are merged into an intermediate run
    /// (`NAME.mN.run`, in no checkpoint: a merge resumed after a crash starts again from the
    /// checkpointed runs, and the sweep deletes them), as few as bring the count down to
    /// `fanIn`, in groups of at most `fanIn`: 69 runs merge 6 of them once; 750 runs write most
    /// rows twice instead of once.
    @discardableResult
    func merge(into path: String, sendPath: String?, fanIn: Int = SortedOutput.defaultFanIn) throws -> Int {
        try spill()
        let fanIn = max(2, fanIn)
        var level = runs
        var made = 0
        while level.count > fanIn {
            let group = Array(level.prefix(min(fanIn, level.count - fanIn + 1)))
            let file = "\(name).m\(made).run"
            made += 1
            let writer = try FileSink(path: directory + "/" + file, truncate: true)
            _ = try mergeRuns(group) { r in
                try SortedOutput.writeHead(to: writer, r.key.count, r.line.count, r.send.count)
                try writer.write(r.key)
                try writer.write(r.line)
                try writer.write(r.send)
            }
            try writer.close(sync: false)  // rebuilt from the checkpointed runs if lost
            for f in group where !runs.contains(f) { SweepFiles.remove(directory + "/" + f) }
            level = Array(level.dropFirst(group.count)) + [file]
        }
        let out = try FileSink(path: path + ".tmp", truncate: true)
        let send = try sendPath.map { try FileSink(path: $0 + ".tmp", truncate: true) }
        var headerLine = Array(header.utf8)
        headerLine.append(0x0A)
        try headerLine.withUnsafeBytes { try out.write($0) }
        try headerLine.withUnsafeBytes { b in try send?.write(b) }
        let rows = try mergeRuns(level) { r in
            try out.write(r.line)
            if let send { try send.write(r.send) }
        }
        // Every row added since the sweep started is in a run: a run file cut short at an
        // entry boundary (a lost write) would otherwise merge silently.
        guard rows == rowCount else {
            throw SweepError.io("output '\(name)': its run files hold \(rows) rows, \(rowCount) were added; remove '\(directory)' and rerun the sweep")
        }
        try out.close(sync: true)
        try send?.close(sync: true)
        try SweepFiles.rename(path + ".tmp", to: path)
        if let sendPath { try SweepFiles.rename(sendPath + ".tmp", to: sendPath) }
        for file in level where !runs.contains(file) { SweepFiles.remove(directory + "/" + file) }
        return rows
    }

    /// Hands the entries of `files` to `emit` in key order (a binary heap of readers); returns
    /// how many there were.
    private func mergeRuns(_ files: [String], _ emit: (RunReader) throws -> Void) throws -> Int {
        let readers = try files.map { try RunReader(path: directory + "/" + $0) }
        var heap: [Int] = []
        for (i, r) in readers.enumerated() where try r.advance() { heap.append(i) }
        func less(_ a: Int, _ b: Int) -> Bool { readers[a].precedes(readers[b]) }
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
            try emit(readers[top])
            rows += 1
            if try readers[top].advance() {
                siftDown(0)
            } else {
                heap[0] = heap[heap.count - 1]
                heap.removeLast()
                if !heap.isEmpty { siftDown(0) }
            }
        }
        return rows
    }
}

/// Reads a run file entry by entry, straight from its read buffer: the current entry's key,
/// line and send text are views into that buffer, valid until the next ``advance()``. The merge
/// touches every output row once through here, so nothing is allocated or copied per row.
final class RunReader {
    let path: String
    private let fd: Int32
    private var buffer: UnsafeMutableRawBufferPointer
    /// The buffered bytes are `buffer[start..<end]`; the current entry starts before `start`.
    private var start = 0
    private var end = 0
    private var atEOF = false
    private(set) var key = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var line = UnsafeRawBufferPointer(start: nil, count: 0)
    private(set) var send = UnsafeRawBufferPointer(start: nil, count: 0)

    static let bufferSize = 128 << 10

    /// The file's size: an entry claiming more is corrupt, not a reason to allocate that much.
    private let fileSize: Int

    init(path: String) throws {
        self.path = path
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SweepError.io("cannot open '\(path)': \(SweepFiles.lastError)") }
        var st = stat()
        guard fstat(fd, &st) == 0 else {
            Glibc.close(fd)
            throw SweepError.io("cannot stat '\(path)': \(SweepFiles.lastError)")
        }
        fileSize = Int(st.st_size)
        buffer = .allocate(byteCount: RunReader.bufferSize, alignment: 16)
    }

    deinit {
        buffer.deallocate()
        Glibc.close(fd)
    }

    /// Whether the current entry's key sorts before `other`'s (keys are compared as bytes).
    @inline(__always)
    func precedes(_ other: RunReader) -> Bool {
        let n = min(key.count, other.key.count)
        let c = n == 0 ? 0 : memcmp(key.baseAddress!, other.key.baseAddress!, n)
        return c != 0 ? c < 0 : key.count < other.key.count
    }

    /// Loads the next entry; `false` at the end of the file.
    func advance() throws -> Bool {
        guard try fill(12) else {
            if end > start { throw SweepError.io("run file '\(path)' is truncated") }
            return false
        }
        let raw = UnsafeRawPointer(buffer.baseAddress! + start)
        let k = Int(UInt32(littleEndian: raw.loadUnaligned(as: UInt32.self)))
        let l = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 4, as: UInt32.self)))
        let s = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)))
        guard 12 + k + l + s <= fileSize, try fill(12 + k + l + s) else {
            throw SweepError.io("run file '\(path)' is truncated or corrupt (an entry of \(12 + k + l + s) bytes)")
        }
        let base = UnsafeRawPointer(buffer.baseAddress! + start + 12)
        key = UnsafeRawBufferPointer(start: base, count: k)
        line = UnsafeRawBufferPointer(start: base + k, count: l)
        send = UnsafeRawBufferPointer(start: base + k + l, count: s)
        start += 12 + k + l + s
        return true
    }

    /// Makes at least `count` bytes available from `start` (moving the rest to the front and
    /// reading, growing the buffer for an entry larger than it); `false` if the file ends first.
    private func fill(_ count: Int) throws -> Bool {
        while end - start < count {
            if atEOF { return false }
            if start > 0 {
                let rest = end - start
                if rest > 0 { buffer.baseAddress!.copyMemory(from: buffer.baseAddress! + start, byteCount: rest) }
                (start, end) = (0, rest)
            }
            if count > buffer.count {
                let bigger = UnsafeMutableRawBufferPointer.allocate(byteCount: max(count, buffer.count * 2), alignment: 16)
                bigger.baseAddress!.copyMemory(from: buffer.baseAddress!, byteCount: end)
                buffer.deallocate()
                buffer = bigger
            }
            let n = Foundation.read(fd, buffer.baseAddress! + end, buffer.count - end)
            guard n >= 0 else { throw SweepError.io("cannot read '\(path)': \(SweepFiles.lastError)") }
            if n == 0 { atEOF = true } else { end += n }
        }
        return true
    }
}
