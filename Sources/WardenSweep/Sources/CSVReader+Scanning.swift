// The row scanner: the inner loop of every sweep.
//
// It works on the reader's buffer, which always ends with a `\n` sentinel at `dataEnd` and has
// readable padding after it, so the loops look for separators eight bytes at a time with no
// bounds check and stop at the sentinel at the latest. A row not complete in the buffer is
// rolled back and scanned again after a refill (a row straddles a chunk boundary once per
// chunk, so the rescan costs about one row per MiB).

import WardenEngine

extension CSVReader {
    enum ScanResult {
        /// The batch has its rows (or its bytes).
        case full
        /// The row at `pos` does not end in the buffer.
        case needMore
        /// The row at `pos` is longer than `rowLimit`.
        case tooLong
        /// No row is left.
        case end
    }

    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highs: UInt64 = 0x8080_8080_8080_8080
    private static let commas = ones &* UInt64(CSVByte.comma)
    private static let quotes = ones &* UInt64(CSVByte.quote)
    private static let newlines = ones &* UInt64(CSVByte.newline)

    /// High bit set in the bytes of `x` that are zero. Bytes above the first zero byte may be
    /// flagged falsely (borrow), so only the lowest flag is meaningful.
    @inline(__always)
    private static func zeroBytes(_ x: UInt64) -> UInt64 { (x &- ones) & ~x & highs }

    /// Index of the first `,`, `"` or `\n` at or after `start` (the sentinel bounds it). ORs
    /// every word it loads into `seen`, so that a row whose words never had a high bit is
    /// known to be ASCII without a second pass.
    @inline(__always)
    private static func scanUnquoted(_ buf: UnsafeMutablePointer<UInt8>, _ start: Int, _ seen: inout UInt64) -> Int {
        var p = start
        while true {
            let w = UInt64(littleEndian: UnsafeRawPointer(buf + p).loadUnaligned(as: UInt64.self))
            seen |= w
            let m = zeroBytes(w ^ commas) | zeroBytes(w ^ quotes) | zeroBytes(w ^ newlines)
            if m != 0 { return p &+ (m.trailingZeroBitCount &>> 3) }
            p &+= 8
        }
    }

    /// Index of the first `"` or `\n` at or after `start`.
    @inline(__always)
    private static func scanQuoted(_ buf: UnsafeMutablePointer<UInt8>, _ start: Int, _ seen: inout UInt64) -> Int {
        var p = start
        while true {
            let w = UInt64(littleEndian: UnsafeRawPointer(buf + p).loadUnaligned(as: UInt64.self))
            seen |= w
            let m = zeroBytes(w ^ quotes) | zeroBytes(w ^ newlines)
            if m != 0 { return p &+ (m.trailingZeroBitCount &>> 3) }
            p &+= 8
        }
    }

    /// Scans rows from `pos` into `b` until it has `maxRows` rows, or a row needs attention.
    ///
    /// Field bounds are recorded as offsets in the batch's storage: buffer index `i` will be
    /// stored at `base + i` once `flush` copies it. Every byte of a row is either in a word
    /// the scan loops loaded (and ORed into `seen`) or a separator known to be ASCII, so
    /// `seen` without high bits proves the row is ASCII and needs no UTF-8 check.
    func scanRows(_ b: inout CSVBatchBuilder, maxRows: Int) -> ScanResult {
        let buf = self.buf
        let dataEnd = self.dataEnd
        let eof = self.eof
        let rowLimit = self.rowLimit
        let base = b.rawCount &- pendingStart
        var rowStart = pos
        var line = nextLineNumber
        defer {
            pos = rowStart
            nextLineNumber = line
        }
        rows: while b.rowCount < maxRows && base &+ rowStart < Self.maxBatchBytes {
            if rowStart == dataEnd { return eof ? .end : .needMore }
            let mark = b.mark
            var p = rowStart
            var newlines = 0
            var seen: UInt64 = 0
            let end: Int
            /// Where malformed quoting was seen (the row's end, for a quote still open there).
            var detected: Int
            fields: while true {
                if buf[p] != CSVByte.quote {
                    let fieldStart = p
                    p = Self.scanUnquoted(buf, p, &seen)
                    let c = buf[p]
                    if c == CSVByte.comma {
                        b.addField(base &+ fieldStart, base &+ p)
                        p &+= 1
                        continue fields
                    }
                    if c == CSVByte.newline {
                        if p == dataEnd && !eof {
                            b.rollBack(to: mark)
                            return .needMore
                        }
                        var fieldEnd = p
                        if fieldEnd > fieldStart && buf[fieldEnd &- 1] == CSVByte.carriageReturn { fieldEnd &-= 1 }
                        b.addField(base &+ fieldStart, base &+ fieldEnd)
                        end = fieldEnd
                        break fields
                    }
                    detected = p  // a quote inside an unquoted field
                } else {
                    // A quoted field: find the closing quote, counting the line ends inside.
                    let contentStart = p &+ 1
                    var q = contentStart
                    var escaped = false
                    var open = true
                    while true {
                        q = Self.scanQuoted(buf, q, &seen)
                        if buf[q] == CSVByte.newline {
                            if q == dataEnd {
                                if !eof {
                                    b.rollBack(to: mark)
                                    return .needMore
                                }
                                break  // still open at the end of the file: `detected` is `dataEnd`
                            }
                            newlines &+= 1
                            q &+= 1
                            continue
                        }
                        if q &+ 1 < dataEnd && buf[q &+ 1] == CSVByte.quote {
                            escaped = true
                            q &+= 2
                            continue
                        }
                        if q &+ 1 == dataEnd && !eof {
                            b.rollBack(to: mark)
                            return .needMore
                        }
                        open = false
                        break
                    }
                    detected = q
                    if !open {
                        if escaped {
                            let (s, e) = b.appendUnescaped(buf + contentStart, count: q &- contentStart)
                            b.escapedFields.append(UInt32(b.bounds.count / 2))
                            b.addField(Int(s), Int(e))
                        } else {
                            b.addField(base &+ contentStart, base &+ q)
                        }
                        p = q &+ 1
                        var c = buf[p]
                        if c == CSVByte.comma {
                            p &+= 1
                            continue fields
                        }
                        let fieldEnd = p
                        detected = p
                        if c == CSVByte.carriageReturn {
                            if p &+ 1 == dataEnd && !eof {
                                b.rollBack(to: mark)
                                return .needMore
                            }
                            if buf[p &+ 1] == CSVByte.newline {  // the sentinel at the end of the file counts
                                p &+= 1
                                c = CSVByte.newline
                            }
                            detected = p &+ 1
                        }
                        if c == CSVByte.newline {
                            end = fieldEnd
                            break fields
                        }
                        // Bytes between the closing quote and the next separator.
                    }
                }
                // Malformed quoting: the row becomes its first physical line. It is too long
                // when that line is, or when the problem was seen more than `rowLimit` bytes
                // in (so the verdict does not depend on where chunks happen to end).
                b.rollBack(to: mark)
                let nl = firstNewline(from: rowStart, to: dataEnd &+ 1)!  // the sentinel at the latest
                if nl == dataEnd && !eof { return .needMore }
                var lineEnd = nl
                if lineEnd > rowStart && buf[lineEnd &- 1] == CSVByte.carriageReturn { lineEnd &-= 1 }
                if lineEnd &- rowStart > rowLimit || detected &- rowStart > rowLimit { return .tooLong }
                addFirstLine(&b, rowStart: rowStart, newline: nl, line: line, issue: .malformedQuotes)
                if nl == dataEnd {
                    rowStart = nl
                } else {
                    rowStart = nl &+ 1
                    line &+= 1
                }
                continue rows
            }
            if end &- rowStart > rowLimit {
                b.rollBack(to: mark)
                return .tooLong
            }
            var issue: UInt8 = 0
            if seen & Self.highs != 0 && !UTF8Bytes.isValid(UnsafeBufferPointer(start: buf + rowStart, count: end &- rowStart)) {
                issue = CSVRowIssue.invalidUTF8.rawValue
            }
            b.finishRow(fieldsFrom: mark.fields, start: base &+ rowStart, end: base &+ end, line: line, issue: issue)
            // `p` is at the row's `\n`, or at `dataEnd` for a last line without one.
            if p == dataEnd {
                rowStart = p
                line &+= newlines
            } else {
                rowStart = p &+ 1
                line &+= newlines &+ 1
            }
        }
        return .full
    }
}
