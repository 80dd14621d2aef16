import WardenLang

/// A runtime value. The checker has already fixed every expression's type, so one case
/// serves several types: `.int` carries ints, dates (days since 1970-01-01), timestamps
/// (epoch seconds), durations (seconds) and enum ordinals.
///
/// 17 bytes of payload, stride 24 (checked by a test): no existentials, no boxing of scalars.
public enum Value: Sendable, Hashable {
    case null
    case bool(Bool)
    case int(Int64)
    case money(Money)
    case string(String)
    case list([Value])

    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

/// A runtime error inside evaluation, with a stable code. The rule and field are attached
/// by the evaluator; record values never appear in the message.
public struct EvalError: Error, Sendable, Hashable {
    public enum Code: String, Sendable, Hashable {
        /// An int operation overflowed 64 bits.
        case integerOverflow = "R0101"
        /// Division or remainder by zero.
        case divisionByZero = "R0102"
        /// A decimal result outside the decimal range.
        case decimalOverflow = "R0103"
        /// A regex search stopped at its match limit.
        case regexLimit = "R0105"
        /// PCRE2 reported an error while matching.
        case regexError = "R0106"
        /// A date outside years 1–9999.
        case dateOutOfRange = "R0107"
        /// `translate(list, map)` met an element the map has no entry for.
        case missingMapEntry = "R0108"
        /// A lookup asked for a key its table was not loaded with (the sweep loads only the
        /// keys its input asks for; see `LookupTable`).
        case lookupKeyNotLoaded = "R0109"
        /// A value of an unexpected kind reached an operation (a compiler bug, never user error).
        case internalError = "R0199"
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }
}

/// Converting values to and from their text forms, given their type.
public enum ValueText {
    /// The canonical text of a value: `7`, `20.50`, `"abc"`, `2022-12-31`,
    /// `2024-03-01 02:10:00` (in `zone`), `5400s`, `wechat`, `[1, 2]`, `null`.
    public static func canonical(_ v: Value, _ type: ValueType, zone: Zone) -> String {
        if case .null = v { return "null" }
        switch (type.unwrapped, v) {
        case (.date, .int(let d)): return Civil.formatDate(days: d)
        case (.timestamp, .int(let t)): return Civil.formatTimestamp(epochSeconds: t, zone: zone)
        case (.duration, .int(let s)): return "\(s)s"
        case (.enumeration(let e), .int(let o)): return o >= 0 && Int(o) < e.members.count ? e.members[Int(o)] : "\(o)"
        case (.list(let element), .list(let items)):
            return "[" + items.map { canonical($0, element, zone: zone) }.joined(separator: ", ") + "]"
        case (_, .string(let s)): return DiagnosticRenderer.quote(s)
        case (_, .int(let n)): return String(n)
        case (_, .money(let m)): return m.description
        case (_, .bool(let b)): return b ? "true" : "false"
        case (_, .list(let items)): return "[" + items.map { canonical($0, .error, zone: zone) }.joined(separator: ", ") + "]"
        default: return "null"
        }
    }

    /// Writes a value as JSON: numbers for ints, strings for money (exact), dates, timestamps,
    /// durations (`"5400s"`) and enum members.
    public static func writeJSON(_ v: Value, _ type: ValueType, zone: Zone, into w: inout JSONWriter) {
        switch (type.unwrapped, v) {
        case (_, .null): w.writeRaw("null")
        case (.list(let element), .list(let items)):
            w.writeRaw("[")
            for (i, item) in items.enumerated() {
                if i > 0 { w.writeRaw(",") }
                writeJSON(item, element, zone: zone, into: &w)
            }
            w.writeRaw("]")
        case (.int, .int(let n)): w.writeRaw(String(n))
        case (_, .bool(let b)): w.writeRaw(b ? "true" : "false")
        case (_, .string(let s)): w.writeString(s)
        case (_, .money(let m)): w.writeString(m.description)
        default:
            let text = canonical(v, type, zone: zone)
            w.writeString(text)
        }
    }

    /// Plain text for CSV-like outputs: like `canonical` but strings unquoted.
    public static func plain(_ v: Value, _ type: ValueType, zone: Zone) -> String {
        if case .string(let s) = v { return s }
        if case .null = v { return "" }
        return canonical(v, type, zone: zone)
    }

    /// Parses text (a `--param` value, a test's `param` line) as a value of `type`.
    public static func parse(_ text: String, as type: ValueType, zone: Zone) -> Value? {
        switch type.unwrapped {
        case .int: return Int64(text).map { .int($0) }
        case .decimal: return Money(parsing: text).map { .money($0) }
        case .bool: return text == "true" ? .bool(true) : text == "false" ? .bool(false) : nil
        case .string: return .string(text)
        case .date: return Civil.parseDate(Substring(text).utf8).map { .int($0) }
        case .timestamp: return Civil.parseTimestamp(Substring(text).utf8, zone: zone).map { .int($0) }
        case .duration: return parseDuration(text).map { .int($0) }
        case .enumeration(let e): return e.ordinal(of: text).map { .int(Int64($0)) }
        case .list(let element):
            let parts = text.split(separator: ",", omittingEmptySubsequences: true)
            var items: [Value] = []
            for p in parts {
                guard let v = parse(String(p).trimmingSpaces, as: element, zone: zone) else { return nil }
                items.append(v)
            }
            return .list(items)
        default: return nil
        }
    }

    /// `90s`, `30m`, `24h`, `7d`, `1h30m`, or a bare number of seconds.
    public static func parseDuration(_ text: String) -> Int64? {
        var text = text
        return text.withUTF8 { parseDuration(utf8: $0) }
    }

    /// ``parseDuration(_:)`` on UTF-8 bytes.
    public static func parseDuration(utf8 s: UnsafeBufferPointer<UInt8>) -> Int64? {
        if let n = parseInt64(utf8: s) { return n }
        var total: Int64 = 0
        var number: Int64? = nil
        for c in s {
            let d = c &- UInt8(ascii: "0")
            if d < 10 {
                let (m, o1) = (number ?? 0).multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                if o1 || o2 { return nil }
                number = a
                continue
            }
            let unit: Int64
            switch c {
            case UInt8(ascii: "s"): unit = 1
            case UInt8(ascii: "m"): unit = 60
            case UInt8(ascii: "h"): unit = 3600
            case UInt8(ascii: "d"): unit = 86400
            default: return nil
            }
            guard let n = number else { return nil }
            let (p, o1) = n.multipliedReportingOverflow(by: unit)
            let (t, o2) = total.addingReportingOverflow(p)
            if o1 || o2 { return nil }
            total = t
            number = nil
        }
        return number == nil && !s.isEmpty ? total : nil
    }

    /// `Int64(String)` on UTF-8 bytes: an optional sign, then one or more ASCII digits, in range.
    public static func parseInt64(utf8 s: UnsafeBufferPointer<UInt8>) -> Int64? {
        var k = 0
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            k = 1
        }
        guard k < s.count else { return nil }
        var v: Int64 = 0
        while k < s.count {
            let d = s[k] &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            let (m, o1) = v.multipliedReportingOverflow(by: 10)
            // Accumulate toward the sign so Int64.min parses.
            let (a, o2) = negative ? m.subtractingReportingOverflow(Int64(d)) : m.addingReportingOverflow(Int64(d))
            if o1 || o2 { return nil }
            v = a
            k += 1
        }
        return v
    }
}

extension String {
    var trimmingSpaces: String {
        var s = Substring(self)
        while s.first == " " { s.removeFirst() }
        while s.last == " " { s.removeLast() }
        return String(s)
    }
}
