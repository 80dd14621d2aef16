/// A rule pack's text, with a line table built once so spans (byte offsets) render as
/// `line:column` only when a diagnostic is shown.
public struct Source: Sendable {
    /// The path shown in diagnostics (as the user gave it).
    public let path: String
    /// The pack text as UTF-8 bytes. Spans index into this.
    public let bytes: [UInt8]
    /// Byte offset where each line starts; `lineStarts[0] == 0`.
    public let lineStarts: [Int]

    public init(path: String, text: String) {
        self.path = path
        self.bytes = Array(text.utf8)
        var starts = [0]
        for (i, b) in bytes.enumerated() where b == UInt8(ascii: "\n") { starts.append(i + 1) }
        self.lineStarts = starts
    }

    /// 1-based line and column of a byte offset. Columns count Unicode scalars, so a CJK
    /// character is one column, as editors number them.
    public func location(of offset: Int) -> (line: Int, column: Int) {
        let offset = min(max(0, offset), bytes.count)
        var lo = 0, hi = lineStarts.count - 1
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if lineStarts[mid] <= offset { lo = mid } else { hi = mid - 1 }
        }
        var column = 1
        var i = lineStarts[lo]
        while i < offset {
            if bytes[i] & 0xC0 != 0x80 { column += 1 }
            i += 1
        }
        return (lo + 1, column)
    }

    /// The text of a 1-based line, without its line end.
    public func lineText(_ line: Int) -> String {
        guard line >= 1 && line <= lineStarts.count else { return "" }
        let start = lineStarts[line - 1]
        var end = line < lineStarts.count ? lineStarts[line] - 1 : bytes.count
        if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
        return String(decoding: bytes[start..<max(start, end)], as: UTF8.self)
    }

    /// The source text a span covers.
    public func text(_ span: Span) -> String {
        let s = min(Int(span.start), bytes.count), e = min(Int(span.end), bytes.count)
        return String(decoding: bytes[s..<max(s, e)], as: UTF8.self)
    }
}

/// A half-open byte range `[start, end)` in one `Source`.
public struct Span: Sendable, Hashable, Comparable {
    public var start: UInt32
    public var end: UInt32

    public init(_ start: Int, _ end: Int) {
        self.start = UInt32(start)
        self.end = UInt32(end)
    }

    public static let empty = Span(0, 0)

    /// The smallest span covering both.
    public func to(_ other: Span) -> Span {
        Span(Int(min(start, other.start)), Int(max(end, other.end)))
    }

    public static func < (a: Span, b: Span) -> Bool {
        (a.start, a.end) < (b.start, b.end)
    }
}
