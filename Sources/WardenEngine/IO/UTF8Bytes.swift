/// UTF-8 and JSON-escape primitives shared by the byte-level parsers (the JSON parser, the
/// record decoder, the CSV reader), so each rule of the encoding is written once.
public enum UTF8Bytes {
    /// The length of the valid multi-byte UTF-8 sequence whose lead byte is at `i`, or nil
    /// (Unicode Table 3-7: no overlong forms, no encoded surrogates, nothing above U+10FFFF).
    @inline(__always)
    public static func sequenceLength(_ p: UnsafePointer<UInt8>, at i: Int, end n: Int) -> Int? {
        let lead = p[i]
        let length: Int
        var lo: UInt8 = 0x80, hi: UInt8 = 0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; lo = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; hi = 0x9F
        case 0xF0: length = 4; lo = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; hi = 0x8F
        default: return nil
        }
        guard i &+ length <= n else { return nil }
        let second = p[i &+ 1]
        guard second >= lo && second <= hi else { return nil }
        var k = 2
        while k < length {
            guard p[i &+ k] & 0xC0 == 0x80 else { return nil }
            k &+= 1
        }
        return length
    }

    /// Whether `bytes` is valid UTF-8. ASCII runs are checked eight bytes at a time.
    public static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let p = bytes.baseAddress else { return true }
        let n = bytes.count
        var i = 0
        while i < n {
            if i &+ 8 <= n, UnsafeRawPointer(p + i).loadUnaligned(as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
                i &+= 8
                continue
            }
            if p[i] < 0x80 {
                i &+= 1
                continue
            }
            guard let length = sequenceLength(p, at: i, end: n) else { return false }
            i &+= length
        }
        return true
    }

    /// The value of four hex digits at `offset`, or nil.
    public static func hex4(_ b: UnsafeBufferPointer<UInt8>, at offset: Int) -> UInt16? {
        guard offset + 4 <= b.count else { return nil }
        var value: UInt16 = 0
        for k in offset..<offset + 4 {
            let c = b[k]
            let digit: UInt8
            switch c {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = c - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = c - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = c - UInt8(ascii: "A") + 10
            default: return nil
            }
            value = value << 4 | UInt16(digit)
        }
        return value
    }

    /// Why a `\u` escape is not valid.
    public enum EscapeError: Error {
        /// Not four hex digits; `at` is the offset of the offending escape's backslash.
        case invalid(at: Int)
        /// A high surrogate without its low half, or a low surrogate alone; `at` is the first escape.
        case loneSurrogate(at: Int)
    }

    /// Decodes `\uXXXX`, or a `\uD8xx\uDCxx` surrogate pair, whose backslash is at `i`.
    /// - Returns: the scalar and the number of bytes the escape(s) took (6 or 12).
    public static func unicodeEscape(_ b: UnsafeBufferPointer<UInt8>, at i: Int) throws(EscapeError) -> (UInt32, Int) {
        guard let unit = hex4(b, at: i + 2) else { throw .invalid(at: i) }
        switch unit {
        case 0xD800...0xDBFF:
            let j = i + 6
            guard j + 1 < b.count, b[j] == UInt8(ascii: "\\"), b[j + 1] == UInt8(ascii: "u") else {
                throw .loneSurrogate(at: i)
            }
            guard let low = hex4(b, at: j + 2) else { throw .invalid(at: j) }
            guard (0xDC00...0xDFFF).contains(low) else { throw .loneSurrogate(at: i) }
            return (0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00), 12)
        case 0xDC00...0xDFFF:
            throw .loneSurrogate(at: i)
        default:
            return (UInt32(unit), 6)
        }
    }

    /// Appends the UTF-8 encoding of `scalar` (a valid Unicode scalar value).
    @inline(__always)
    public static func encode(_ scalar: UInt32, _ append: (UInt8) -> Void) {
        switch scalar {
        case 0..<0x80:
            append(UInt8(scalar))
        case 0x80..<0x800:
            append(UInt8(0xC0 | scalar >> 6))
            append(UInt8(0x80 | scalar & 0x3F))
        case 0x800..<0x10000:
            append(UInt8(0xE0 | scalar >> 12))
            append(UInt8(0x80 | scalar >> 6 & 0x3F))
            append(UInt8(0x80 | scalar & 0x3F))
        default:
            append(UInt8(0xF0 | scalar >> 18))
            append(UInt8(0x80 | scalar >> 12 & 0x3F))
            append(UInt8(0x80 | scalar >> 6 & 0x3F))
            append(UInt8(0x80 | scalar & 0x3F))
        }
    }
}
