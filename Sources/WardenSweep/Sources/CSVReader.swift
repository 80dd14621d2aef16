// A streaming CSV reader over UTF-8 bytes, for the sweeps.
//
// Hand-written, not Foundation or a CSV package, because it is the sweep hot path: every input
// row passes through it before anything else happens, so it reads the file in fixed chunks
// (memory stays flat whatever the file size), finds separators eight bytes at a time, makes no
// `String` and no allocation per row, and hands out rows in batches whose fields are byte
// ranges. It never throws for bad data — a malformed row comes back flagged with its line
// number so the sweep can reject it and go on — and it can resume at a checkpointed offset.
//
// The row scanner is in `CSVReader+Scanning.swift`; batches are `CSVBatch`.
#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Reads a CSV file (RFC 4180) row by row, in batches, with flat memory.
///
/// ## The format accepted
/// - Fields separated by `,`; a field may be quoted with `"`, a quote inside written `""`;
///   quoted fields may contain commas and line ends.
/// - Lines end with `\n` or `\r\n`; the last line need not end at all. A blank line is a row
///   with one empty field (a 10-column sweep rejects it for its column count).
/// - A UTF-8 byte order mark at the start of the file is skipped.
/// - The first row is the header, line 1.
///
/// ## Rows that are not well-formed
/// Never an error: the row is returned with an ``CSVRowIssue`` and its line number, and reading
/// goes on (see ``CSVRowIssue`` for what such a row's fields hold and where reading resumes).
/// A wrong number of fields is not an issue at this level: see ``CSVBatch/fieldCount(_:)``.
/// Only I/O failures throw (``CSVReaderError``).
///
/// ## Line numbers and resuming
/// Each row carries the 1-based physical line it starts on; a quoted field spanning lines
/// makes the following rows' numbers larger accordingly. ``offset`` and ``nextLineNumber``
/// say where the next unread row starts; ``CSVBatch/endOffset`` and
/// ``CSVBatch/nextLineNumber`` say the same as of the end of one batch, which is what a
/// checkpoint stores when batches are evaluated while the reader has moved on. Reopen with
/// ``init(path:resumeAt:lineNumber:)`` to continue from there.
///
/// ```swift
/// let reader = try CSVReader(path: "accounts.csv")
/// let id = reader.columnIndex("account_id")!
/// while let batch = try reader.nextBatch(maxRows: 8192) {
///     for row in 0..<batch.count where batch.issue(row) == nil && batch.fieldCount(row) > id {
///         print(batch.lineNumber(row), batch.string(row, id))
///     }
/// }
/// ```
///
/// A reader is used from one task at a time; the batches it returns are `Sendable`.
public final class CSVReader {
    /// Longest row accepted, line terminator excluded; a longer one is flagged `.rowTooLong`.
    public static let maxRowBytes = 1 << 20
    /// Bytes asked of each `read(2)`.
    static let defaultChunkSize = 1 << 20
    /// A batch stops taking rows once it holds this many bytes (keeps `CSVBatch`'s 32-bit offsets safe).
    static let maxBatchBytes = 1 << 28
    /// Readable bytes kept after the data: the `\n` sentinel and room for an 8-byte load from it.
    static let padding = 16

    /// The file read.
    public let path: String
    /// The header row's fields (empty for an empty file).
    public private(set) var header: [String] = []
    /// Physical line number of the next unread row.
    public internal(set) var nextLineNumber: Int = 1
    /// File offset of the next unread row.
    public var offset: Int64 { bufferFileOffset + Int64(pos) }

    let fd: Int32
    let chunkSize: Int
    /// `maxRowBytes`, smaller in tests.
    let rowLimit: Int
    /// `buf[0 ..< dataEnd]` is file bytes from `bufferFileOffset`; `buf[dataEnd]` is `\n`.
    let buf: UnsafeMutablePointer<UInt8>
    let capacity: Int
    var dataEnd = 0
    var bufferFileOffset: Int64 = 0
    /// Start of the next row to scan.
    var pos = 0
    /// Start of the scanned rows not yet copied into the batch being built.
    var pendingStart = 0
    var eof = false
    /// Bytes of the previous batch, to size the next one's storage.
    var lastBatchBytes = 0
    /// Memory of freed batches, reused by the next ones.
    let pool = CSVStoragePool()

    /// Opens `path` and reads its header.
    /// - Throws: ``CSVReaderError`` if the file cannot be opened or read.
    public convenience init(path: String) throws {
        try self.init(path: path, resume: nil, chunkSize: Self.defaultChunkSize, maxRowBytes: Self.maxRowBytes)
    }

    /// Opens `path`, reads its header, then continues at `offset`, a value of ``offset`` (or
    /// ``CSVBatch/endOffset``) saved by an earlier reader of the same file, whose next row is
    /// on line `lineNumber`.
    public convenience init(path: String, resumeAt offset: Int64, lineNumber: Int) throws {
        try self.init(path: path, resume: (offset, lineNumber), chunkSize: Self.defaultChunkSize, maxRowBytes: Self.maxRowBytes)
    }

    /// The designated initializer; tests pass tiny `chunkSize` and `maxRowBytes` so rows
    /// straddle chunks and hit the limit.
    init(path: String, resume: (offset: Int64, line: Int)?, chunkSize: Int, maxRowBytes: Int) throws {
        precondition(chunkSize > 0 && maxRowBytes > 0)
        self.path = path
        self.chunkSize = chunkSize
        self.rowLimit = maxRowBytes
        capacity = maxRowBytes + 1 + chunkSize + Self.padding
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw CSVReaderError(path: path, operation: "open", code: errno) }
        self.fd = fd
        buf = .allocate(capacity: capacity)
        buf.initialize(repeating: 0, count: capacity)
        buf[0] = CSVByte.newline

        // A byte order mark is skipped only at the very start of the file.
        while dataEnd < 3 && !eof { try refill() }
        if dataEnd >= 3 && buf[0] == 0xEF && buf[1] == 0xBB && buf[2] == 0xBF { pos = 3 }
        if let batch = try nextBatch(maxRows: 1) { header = batch.strings(0) }
        lastBatchBytes = 0

        if let resume {
            guard lseek(fd, off_t(resume.offset), SEEK_SET) >= 0 else {
                throw CSVReaderError(path: path, operation: "lseek", code: errno)
            }
            bufferFileOffset = resume.offset
            dataEnd = 0
            pos = 0
            pendingStart = 0
            eof = false
            buf[0] = CSVByte.newline
            nextLineNumber = resume.line
        }
    }

    deinit {
        close(fd)
        buf.deallocate()
    }

    /// The index of the header field named `name` (exact bytes), or `nil`.
    public func columnIndex(_ name: String) -> Int? { header.firstIndex(of: name) }

    /// Reads up to `maxRows` whole rows (fewer at the end of the file, or once a batch holds
    /// 256 MiB); `nil` when no row is left. A row is never split between batches.
    /// - Throws: ``CSVReaderError`` on a read failure.
    /// - Complexity: O(bytes read); one allocation per batch, none per row.
    public func nextBatch(maxRows: Int) throws -> CSVBatch? {
        precondition(maxRows > 0, "maxRows must be positive")
        var b = CSVBatchBuilder(expectedRows: min(maxRows, 1 << 16), expectedBytes: lastBatchBytes, reusing: pool.take())
        let startOffset = offset
        pendingStart = pos
        scan: while true {
            switch scanRows(&b, maxRows: maxRows) {
            case .full:
                break scan
            case .needMore:
                // Undecided after `rowLimit + 2` bytes: even less a `\r`, longer than the limit.
                if dataEnd - pos > rowLimit + 1 {
                    try takeLongRow(&b)
                } else {
                    flush(&b)
                    try refill()
                }
            case .tooLong:
                try takeLongRow(&b)
            case .end:
                break scan
            }
        }
        flush(&b)
        guard b.rowCount > 0 else { return nil }
        lastBatchBytes = b.rawCount
        return CSVBatch(builder: b, startOffset: startOffset, endOffset: offset, nextLineNumber: nextLineNumber, pool: pool)
    }

    /// Copies the scanned rows `buf[pendingStart ..< pos]` into the batch.
    func flush(_ b: inout CSVBatchBuilder) {
        b.raw.append(UnsafeBufferPointer(start: buf + pendingStart, count: pos - pendingStart))
        pendingStart = pos
    }

    /// Moves `buf[pos ..< dataEnd]` (a partial row) to the front and reads a chunk after it.
    /// Call `flush` first.
    func refill() throws {
        precondition(pendingStart == pos)
        let keep = dataEnd - pos
        if pos > 0 {
            if keep > 0 { buf.update(from: buf + pos, count: keep) }
            bufferFileOffset += Int64(pos)
            pos = 0
            pendingStart = 0
        }
        dataEnd = keep
        let want = min(chunkSize, capacity - Self.padding - keep)
        var n: Int
        repeat { n = read(fd, buf + keep, want) } while n < 0 && errno == EINTR
        guard n >= 0 else { throw CSVReaderError(path: path, operation: "read", code: errno) }
        if n == 0 { eof = true }
        dataEnd = keep + n
        buf[dataEnd] = CSVByte.newline
    }

    /// Takes the row at `pos`, longer than `rowLimit`, as a `.rowTooLong` row: its first line
    /// when that fits (split at commas, as `CSVRowIssue` says), else no fields and no bytes,
    /// reading on to the end of that line. Reading resumes on the next physical line.
    func takeLongRow(_ b: inout CSVBatchBuilder) throws {
        let rowStart = pos
        let searchEnd = min(dataEnd, rowStart + rowLimit + 2)  // room for `\r\n` after a full line
        var newline = firstNewline(from: rowStart, to: searchEnd)
        if let nl = newline {
            var end = nl
            if end > rowStart && buf[end - 1] == CSVByte.carriageReturn { end -= 1 }
            if end - rowStart <= rowLimit {
                addFirstLine(&b, rowStart: rowStart, newline: nl, line: nextLineNumber, issue: .rowTooLong)
                pos = nl + 1
                nextLineNumber += 1
                return
            }
        }
        // The first line alone is too long: the row keeps no bytes; skip to its end.
        flush(&b)
        let mark = b.mark
        b.finishRow(fieldsFrom: mark.fields, start: b.rawCount, end: b.rawCount, line: nextLineNumber,
                    issue: CSVRowIssue.rowTooLong.rawValue)
        var from = searchEnd
        while true {
            if newline == nil { newline = firstNewline(from: from, to: dataEnd) }
            if let nl = newline {
                pos = nl + 1
                nextLineNumber += 1
                break
            }
            pos = dataEnd
            pendingStart = pos
            if eof { break }
            try refill()
            from = 0
        }
        pendingStart = pos
    }

    /// The first `\n` in `buf[from ..< to]`.
    func firstNewline(from: Int, to: Int) -> Int? {
        guard to > from, let p = memchr(buf + from, Int32(CSVByte.newline), to - from) else { return nil }
        return p.assumingMemoryBound(to: UInt8.self) - buf
    }

    /// Records the physical line `buf[rowStart ..< newline]` as a flagged row whose fields are
    /// the line split at every comma, quotes left as they are.
    func addFirstLine(_ b: inout CSVBatchBuilder, rowStart: Int, newline: Int, line: Int, issue: CSVRowIssue) {
        let base = b.rawCount - pendingStart
        var end = newline
        if end > rowStart && buf[end - 1] == CSVByte.carriageReturn { end -= 1 }
        let mark = b.mark
        var fieldStart = rowStart
        var p = rowStart
        while p < end {
            if buf[p] == CSVByte.comma {
                b.addField(base + fieldStart, base + p)
                fieldStart = p + 1
            }
            p += 1
        }
        b.addField(base + fieldStart, base + end)
        b.finishRow(fieldsFrom: mark.fields, start: base + rowStart, end: base + end, line: line, issue: issue.rawValue)
    }
}
