import WardenEngine
import WardenLang

/// How a sweep writes values into its CSV outputs and sort keys: straight into byte buffers,
/// one call per cell (the outputs of a 10 M-row sweep are tens of millions of cells).
enum OutputText {
    /// Appends `bytes` as one CSV field, quoted (RFC 4180) only when it holds `,` `"` CR or LF.
    static func appendField(_ bytes: UnsafeBufferPointer<UInt8>, to out: inout [UInt8]) {
        var needsQuotes = false
        for b in bytes where b == UInt8(ascii: ",") || b == UInt8(ascii: "\"") || b == 0x0A || b == 0x0D {
            needsQuotes = true
            break
        }
        guard needsQuotes else {
            out.append(contentsOf: bytes)
            return
        }
        out.append(UInt8(ascii: "\""))
        for b in bytes {
            if b == UInt8(ascii: "\"") { out.append(b) }
            out.append(b)
        }
        out.append(UInt8(ascii: "\""))
    }

    static func appendField(_ s: String, to out: inout [UInt8]) {
        // A native string lends its bytes in place (no copy, retain or release).
        if s.utf8.withContiguousStorageIfAvailable({ appendField($0, to: &out) }) != nil { return }
        var s = s
        s.withUTF8 { appendField($0, to: &out) }
    }

    /// How one output column is written: decided once per column from its type.
    struct Format: Sendable {
        enum Kind: Sendable { case int, string, date, enumeration, other }
        let kind: Kind
        let type: ValueType
        /// `@pii`: masked where the line is for people.
        let personal: Bool
        /// An enum column's members as CSV fields (ordinal = index).
        let members: [[UInt8]]

        init(type: ValueType, personal: Bool) {
            self.type = type
            self.personal = personal
            var members: [[UInt8]] = []
            switch type.unwrapped {
            case .int: kind = .int
            case .string: kind = .string
            case .date: kind = .date
            case .enumeration(let e):
                kind = .enumeration
                members = e.members.map { name in
                    var field: [UInt8] = []
                    OutputText.appendField(name, to: &field)
                    return field
                }
            default: kind = .other
            }
            self.members = members
        }
    }

    /// ``appendValue(_:_:zone:masked:to:)`` with the column's format worked out in advance:
    /// ints, strings, dates and enum members are written without making a `String`.
    @inline(__always)
    static func append(_ v: Value, _ format: Format, zone: Zone, masking: Bool, to out: inout [UInt8]) {
        let masked = masking && format.personal
        switch (format.kind, v) {
        case (_, .null): return
        case (.int, .int(let n)) where !masked: appendInt(n, to: &out)
        case (.string, .string(let s)) where !masked:
            appendField(s, to: &out)
        case (.date, .int(let days)) where !masked: Civil.appendDate(days: days, to: &out)
        case (.enumeration, .int(let o)) where !masked && o >= 0 && o < format.members.count:
            out.append(contentsOf: format.members[Int(o)])
        default: appendValue(v, format.type, zone: zone, masked: masked, to: &out)
        }
    }

    /// Appends a value as CSV text: strings as they are, `null` as an empty field, everything
    /// else as the language prints it (dates `YYYY-MM-DD`, timestamps `YYYY-MM-DD HH:MM:SS` in
    /// the pack's zone, decimals exact). `masked` applies ``Text/mask(_:)`` to the text (an
    /// `@pii` int column is masked like a string: `138****0001`).
    static func appendValue(_ v: Value, _ type: ValueType, zone: Zone, masked: Bool, to out: inout [UInt8]) {
        switch (type.unwrapped, v) {
        case (_, .null): return
        case (.int, .int(let n)):
            if masked { appendField(Text.mask(String(n)), to: &out) } else { appendInt(n, to: &out) }
        case (_, .string(let s)):
            appendField(masked ? Text.mask(s) : s, to: &out)
        default:
            let text = ValueText.plain(v, type, zone: zone)
            appendField(masked ? Text.mask(text) : text, to: &out)
        }
    }

    static func appendInt(_ n: Int64, to out: inout [UInt8]) {
        if n < 0 { out.append(UInt8(ascii: "-")) }
        var m = n.magnitude
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)  // 24 bytes of scratch, no allocation
        withUnsafeMutableBytes(of: &digits) { buf in
            var i = buf.count
            repeat {
                i -= 1
                buf[i] = UInt8(ascii: "0") + UInt8(m % 10)
                m /= 10
            } while m > 0
            out.append(contentsOf: buf[i...])
        }
    }

    /// Appends an order-preserving encoding of `v`: comparing two keys with `memcmp` orders
    /// their values as the language does (null first, numbers and times by value, strings by
    /// their UTF-8 bytes, enum members in declaration order).
    static func appendSortKey(_ v: Value, to out: inout [UInt8]) {
        switch v {
        case .null:
            out.append(0)
        case .bool(let b):
            out.append(1)
            out.append(b ? 1 : 0)
        case .int(let n):
            out.append(1)
            appendBigEndian(UInt64(bitPattern: n) ^ (1 << 63), to: &out)
        case .money(let m):
            out.append(1)
            appendBigEndian(UInt64(bitPattern: m.raw) ^ (1 << 63), to: &out)
        case .string(let s):
            out.append(1)
            // 0x00 inside the text becomes 00 FF; the terminator 00 00 sorts before any byte.
            for b in s.utf8 {
                out.append(b)
                if b == 0 { out.append(0xFF) }
            }
            out.append(0)
            out.append(0)
        case .list(let items):
            out.append(1)
            for item in items { appendSortKey(item, to: &out) }
            out.append(0)
        }
    }

    static func appendBigEndian(_ x: UInt64, to out: inout [UInt8]) {
        var be = x.bigEndian
        withUnsafeBytes(of: &be) { out.append(contentsOf: $0) }
    }
}
