#if canImport(Darwin)
import Darwin
#elseif canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// A run of whole CSV rows read by ``CSVReader``: their bytes, and per row its physical line
/// number, its field boundaries and its issue, if any.
///
/// The batch owns its bytes, so it outlives the reader's next call and may be handed to another
/// task (it is immutable once built). No `String` is made per field unless ``string(_:_:)`` is
/// asked for.
///
/// Pointers returned by ``field(_:_:)`` and ``rowBytes(_:)`` point into the batch and are valid
/// only while the batch is alive: keep it alive (`withExtendedLifetime`) while using them.
///
/// ```swift
/// while let batch = try reader.nextBatch(maxRows: 8192) {
///     for row in 0..<batch.count {
///         if let issue = batch.issue(row) { reject(batch.lineNumber(row), issue.reasonCode); continue }
///         let id = batch.string(row, 0)
///     }
/// }
/// ```
public final class CSVBatch: @unchecked Sendable {
    /// Rows in the batch.
    public let count: Int
    /// File offset of the batch's first row.
    public let startOffset: Int64
    /// File offset just past the batch's last row: where the next batch starts. A checkpoint
    /// written after this batch's outputs resumes here, with ``nextLineNumber``.
    public let endOffset: Int64
    /// Physical line number of the row that follows the batch.
    public let nextLineNumber: Int

    /// Raw row bytes (line terminators included), then the unescaped text of quoted fields that
    /// contained `""`.
    private let bytes: UnsafeMutablePointer<UInt8>
    /// Row `r`'s fields are numbers `rowFields[r] ..< rowFields[r + 1]`.
    private let rowFields: UnsafeMutablePointer<UInt32>
    /// Field `f` is `bytes[bounds[2f] ..< bounds[2f + 1]]`.
    private let bounds: UnsafeMutablePointer<UInt32>
    /// Row `r`'s raw bytes, terminator excluded, are `bytes[rowBounds[2r] ..< rowBounds[2r + 1]]`.
    private let rowBounds: UnsafeMutablePointer<UInt32>
    private let lines: UnsafeMutablePointer<Int>
    /// `CSVRowIssue.rawValue`, 0 for none.
    private let issues: UnsafeMutablePointer<UInt8>
    /// The memory above, handed back to the reader's pool when the batch is freed.
    private let storage: CSVBatchStorage
    private let pool: CSVStoragePool

    init(builder b: consuming CSVBatchBuilder, startOffset: Int64, endOffset: Int64, nextLineNumber: Int,
         pool: CSVStoragePool) {
        // Append the unescaped quoted fields after the raw rows and point their fields there.
        let raw = UInt32(b.raw.count)
        b.raw.append(UnsafeBufferPointer(start: b.extra.base, count: b.extra.count))
        for k in 0..<b.escapedFields.count {
            let f = Int(b.escapedFields.base[k])
            b.bounds.base[2 * f] &+= raw
            b.bounds.base[2 * f + 1] &+= raw
        }
        b.rowFields.append(UInt32(b.bounds.count / 2))
        count = b.lines.count
        storage = CSVBatchStorage(raw: b.raw.take(), rowFields: b.rowFields.take(), bounds: b.bounds.take(),
                                  rowBounds: b.rowBounds.take(), lines: b.lines.take(), issues: b.issues.take())
        bytes = storage.raw.pointer.assumingMemoryBound(to: UInt8.self)
        rowFields = storage.rowFields.pointer.assumingMemoryBound(to: UInt32.self)
        bounds = storage.bounds.pointer.assumingMemoryBound(to: UInt32.self)
        rowBounds = storage.rowBounds.pointer.assumingMemoryBound(to: UInt32.self)
        lines = storage.lines.pointer.assumingMemoryBound(to: Int.self)
        issues = storage.issues.pointer.assumingMemoryBound(to: UInt8.self)
        self.pool = pool
        self.startOffset = startOffset
        self.endOffset = endOffset
        self.nextLineNumber = nextLineNumber
    }

    deinit { pool.give(storage) }

    /// The 1-based physical line on which row `row` starts (the header is line 1).
    public func lineNumber(_ row: Int) -> Int {
        precondition(row >= 0 && row < count, "row out of range")
        return lines[row]
    }

    /// Why row `row` is not well-formed, or `nil` when it is.
    public func issue(_ row: Int) -> CSVRowIssue? {
        precondition(row >= 0 && row < count, "row out of range")
        let i = issues[row]
        return i == 0 ? nil : CSVRowIssue(rawValue: i)
    }

    /// How many fields row `row` has (a wrong count is not an error here: the sweep decides).
    /// A blank line is one empty field.
    public func fieldCount(_ row: Int) -> Int {
        precondition(row >= 0 && row < count, "row out of range")
        return Int(rowFields[row &+ 1] &- rowFields[row])
    }

    /// The bytes of field `column` of row `row`, quotes removed and `""` unescaped.
    /// - Precondition: `column < fieldCount(row)`.
    /// - Complexity: O(1), no allocation.
    public func field(_ row: Int, _ column: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(row >= 0 && row < count, "row out of range")
        let first = Int(rowFields[row])
        precondition(column >= 0 && column < Int(rowFields[row &+ 1]) &- first, "column out of range")
        let f = 2 &* (first &+ column)
        let s = Int(bounds[f])
        return UnsafeBufferPointer(start: bytes + s, count: Int(bounds[f &+ 1]) &- s)
    }

    /// Field `column` of row `row` as a `String` (invalid UTF-8 is replaced by U+FFFD).
    public func string(_ row: Int, _ column: Int) -> String {
        String(decoding: field(row, column), as: UTF8.self)
    }

    /// Row `row`'s bytes as they are in the file, line terminator excluded (for a row flagged
    /// ``CSVRowIssue/malformedQuotes`` or ``CSVRowIssue/rowTooLong``, its first line; empty when
    /// that line was too long).
    public func rowBytes(_ row: Int) -> UnsafeBufferPointer<UInt8> {
        precondition(row >= 0 && row < count, "row out of range")
        let s = Int(rowBounds[2 &* row])
        return UnsafeBufferPointer(start: bytes + s, count: Int(rowBounds[2 &* row &+ 1]) &- s)
    }

    /// All of row `row`'s fields as strings (convenience for tests and error paths).
    public func strings(_ row: Int) -> [String] {
        (0..<fieldCount(row)).map { string(row, $0) }
    }
}

/// A `malloc`ed array of trivial values that grows by doubling; no uniqueness or exclusivity
/// checks on `append` (the reason it exists: `Array.append` cost ~8% of the scan).
struct GrowableBuffer<Element: BitwiseCopyable>: ~Copyable {
    private(set) var base: UnsafeMutablePointer<Element>
    private(set) var count = 0
    private var capacity: Int

    init(capacity: Int) {
        self.init(reusing: nil, capacity: capacity)
    }

    /// A buffer in `block` (a previous batch's memory) when it is large enough.
    init(reusing block: RawBlock?, capacity: Int) {
        let wanted = max(capacity, 16)
        if let block, block.bytes >= wanted * MemoryLayout<Element>.stride {
            self.capacity = block.bytes / MemoryLayout<Element>.stride
            base = block.pointer.bindMemory(to: Element.self, capacity: self.capacity)
        } else {
            free(block?.pointer)
            self.capacity = wanted
            base = malloc(wanted * MemoryLayout<Element>.stride)!.bindMemory(to: Element.self, capacity: wanted)
        }
    }

    deinit { free(base) }

    @inline(__always)
    mutating func append(_ x: Element) {
        if count == capacity { grow(to: count + 1) }
        base[count] = x
        count &+= 1
    }

    mutating func append(_ xs: UnsafeBufferPointer<Element>) {
        guard xs.count > 0 else { return }
        if count + xs.count > capacity { grow(to: count + xs.count) }
        (base + count).update(from: xs.baseAddress!, count: xs.count)
        count += xs.count
    }

    @inline(never)
    private mutating func grow(to needed: Int) {
        capacity = max(capacity * 2, needed)
        base = realloc(base, capacity * MemoryLayout<Element>.stride)!.assumingMemoryBound(to: Element.self)
    }

    /// Drops the last elements so that `count` elements remain.
    @inline(__always)
    mutating func truncate(to count: Int) { self.count = count }

    /// Hands the storage over (the caller frees it).
    consuming func take() -> RawBlock {
        let block = RawBlock(pointer: UnsafeMutableRawPointer(base), bytes: capacity * MemoryLayout<Element>.stride)
        discard self
        return block
    }
}

/// The batch under construction. The reader appends fields as it parses a row and rolls them
/// back (`rollBack`) when the row turns out to be incomplete in the buffer.
struct CSVBatchBuilder: ~Copyable {
    var raw: GrowableBuffer<UInt8>
    /// The unescaped text of quoted fields with `""`, appended after the raw bytes at the end.
    var extra = GrowableBuffer<UInt8>(capacity: 256)
    /// Fields whose bounds are in `extra`.
    var escapedFields = GrowableBuffer<UInt32>(capacity: 16)
    var rowFields: GrowableBuffer<UInt32>
    var bounds: GrowableBuffer<UInt32>
    var rowBounds: GrowableBuffer<UInt32>
    var lines: GrowableBuffer<Int>
    var issues: GrowableBuffer<UInt8>

    /// Sized for `expectedRows` rows and `expectedBytes` bytes, in `reusing` when given.
    init(expectedRows: Int, expectedBytes: Int, reusing s: CSVBatchStorage?) {
        raw = GrowableBuffer(reusing: s?.raw, capacity: max(expectedBytes, 4096))
        rowFields = GrowableBuffer(reusing: s?.rowFields, capacity: expectedRows + 1)
        bounds = GrowableBuffer(reusing: s?.bounds, capacity: expectedRows * 24)
        rowBounds = GrowableBuffer(reusing: s?.rowBounds, capacity: expectedRows * 2)
        lines = GrowableBuffer(reusing: s?.lines, capacity: expectedRows)
        issues = GrowableBuffer(reusing: s?.issues, capacity: expectedRows)
    }

    var rowCount: Int { lines.count }
    var rawCount: Int { raw.count }

    /// Appends the unescaped content of a quoted field (`""` → `"`) and returns its bounds in
    /// the extra area.
    mutating func appendUnescaped(_ p: UnsafePointer<UInt8>, count n: Int) -> (UInt32, UInt32) {
        let start = extra.count
        var i = 0
        while i < n {
            let c = p[i]
            extra.append(c)
            i += c == CSVByte.quote ? 2 : 1
        }
        return (UInt32(start), UInt32(extra.count))
    }

    @inline(__always)
    mutating func addField(_ start: Int, _ end: Int) {
        bounds.append(UInt32(truncatingIfNeeded: start))
        bounds.append(UInt32(truncatingIfNeeded: end))
    }

    typealias Mark = (fields: Int, extra: Int, escaped: Int)

    /// Field and extra-area counts, to roll back a row that was not complete.
    var mark: Mark { (bounds.count, extra.count, escapedFields.count) }

    mutating func rollBack(to m: Mark) {
        bounds.truncate(to: m.fields)
        extra.truncate(to: m.extra)
        escapedFields.truncate(to: m.escaped)
    }

    /// Records a row whose fields were added since `mark`.
    @inline(__always)
    mutating func finishRow(fieldsFrom m: Int, start: Int, end: Int, line: Int, issue: UInt8) {
        rowFields.append(UInt32(truncatingIfNeeded: m / 2))
        rowBounds.append(UInt32(truncatingIfNeeded: start))
        rowBounds.append(UInt32(truncatingIfNeeded: end))
        lines.append(line)
        issues.append(issue)
    }
}

/// The bytes CSV cares about.
enum CSVByte {
    static let comma: UInt8 = 0x2C
    static let quote: UInt8 = 0x22
    static let newline: UInt8 = 0x0A
    static let carriageReturn: UInt8 = 0x0D
}
