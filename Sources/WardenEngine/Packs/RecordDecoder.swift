// A single-pass JSON → `Record` decoder specialised to one pack's input.
//
// Hand-written, over UTF-8 bytes, because it is the hot path of `warden eval` and the HTTP
// scorer: one event per call, decoded straight into the record's slots with no `JSONValue`
// tree, no `String` per member name and none per scalar value (only string fields allocate,
// and short ones not even then). Member names are matched to slots by their bytes through a
// table built once per pack (`RecordLayout`); values are decoded by the field's declared type.
//
// It must agree exactly with the general path (`JSONParser.parse` + `decodeRecord(_: JSONValue)`),
// and `RecordDecoderTests` checks that it does, line by line and on mutants. To get there:
//
// - Every byte is validated as strictly as `JSONParser` does, with the same messages at the same
//   offsets, including values of members the input does not declare (a validating skip that
//   also rejects duplicate keys in nested objects).
// - The general path parses the whole document before it looks at any value, so a syntax error
//   anywhere beats a type error earlier in the line. Here the first type error is kept aside
//   (`pending`) and thrown only once the rest of the line has parsed.
// - Names and enum members compare by bytes; a name or value with non-ASCII bytes that matches
//   nothing by bytes is looked up again as a `String`, since `String` equality is canonical
//   equivalence (U+212A KELVIN SIGN equals "K").
import WardenLang

/// What `CompiledPack` precomputes to decode records from bytes: the input's member names in an
/// open-addressing hash table, and each field's type reduced to a `Kind`.
///
/// A class so that a decoder holds one reference rather than retaining each table per record.
final class RecordLayout: Sendable {
    /// A field's declared type, flattened for the decoder's switch (no payloads, so reading a
    /// plan costs no reference counting).
    enum Kind: UInt8, Sendable {
        case int, decimal, bool, string, date, timestamp, duration, enumeration, list
        /// A type no JSON value decodes to (the checker does not allow it in an input).
        case other

        init(_ type: ValueType) {
            switch type.unwrapped {
            case .int: self = .int
            case .decimal: self = .decimal
            case .bool: self = .bool
            case .string: self = .string
            case .date: self = .date
            case .timestamp: self = .timestamp
            case .duration: self = .duration
            case .enumeration: self = .enumeration
            case .list: self = .list
            default: self = .other
            }
        }
    }

    /// How to decode one field.
    struct Plan: Sendable {
        let kind: Kind
        let optional: Bool
        /// For an enum field, its members are `members` number `firstMember ..< firstMember + memberCount`.
        let firstMember: Int32
        let memberCount: Int32
    }

    /// The input's fields in slot order, the pack's zone and the name → slot map.
    let fields: [Program.Field]
    let zone: Zone
    let fieldSlots: [String: Int]
    let plans: [Plan]
    /// Enum members, UTF-8, end to end: member `m` is `members[memberStarts[m]..<memberStarts[m + 1]]`.
    let members: [UInt8]
    let memberStarts: [Int]
    /// Field names, UTF-8, end to end: slot `s` is `names[nameStarts[s]..<nameStarts[s + 1]]`.
    let names: [UInt8]
    let nameStarts: [Int]
    /// `slot + 1` per bucket, 0 for an empty bucket; a power of two at least twice the field count.
    let buckets: [Int32]

    init(fields: [Program.Field], zone: Zone, fieldSlots: [String: Int]) {
        self.fields = fields
        self.zone = zone
        self.fieldSlots = fieldSlots
        var plans: [Plan] = [], members: [UInt8] = [], memberStarts = [0]
        for f in fields {
            var first = 0, count = 0
            if case .enumeration(let e) = f.type.unwrapped {
                first = memberStarts.count - 1
                count = e.members.count
                for m in e.members {
                    members.append(contentsOf: m.utf8)
                    memberStarts.append(members.count)
                }
            }
            plans.append(Plan(kind: Kind(f.type), optional: f.type.isOptional, firstMember: Int32(first),
                              memberCount: Int32(count)))
        }
        self.plans = plans
        self.members = members
        self.memberStarts = memberStarts
        var names: [UInt8] = [], starts = [0]
        for f in fields {
            names.append(contentsOf: f.name.utf8)
            starts.append(names.count)
        }
        var size = 8
        while size < 2 * fields.count { size *= 2 }
        var buckets = [Int32](repeating: 0, count: size)
        for slot in fields.indices {
            let name = names[starts[slot]..<starts[slot + 1]]
            var k = Int(name.withUnsafeBufferPointer { RecordLayout.hash($0) }) & (size - 1)
            // A repeated name keeps its first slot, as `fieldSlots` does.
            var duplicate = false
            while buckets[k] != 0 {
                let other = Int(buckets[k]) - 1
                if names[starts[other]..<starts[other + 1]].elementsEqual(name) { duplicate = true; break }
                k = (k + 1) & (size - 1)
            }
            if !duplicate { buckets[k] = Int32(slot + 1) }
        }
        self.names = names
        self.nameStarts = starts
        self.buckets = buckets
    }

    /// FNV-1a, 32 bits.
    @inline(__always)
    static func hash(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for c in bytes { h = (h ^ UInt32(c)) &* 0x0100_0193 }
        return h
    }

    /// Whether slot `slot`'s name is exactly `key`.
    @inline(__always)
    func name(_ slot: Int, equals key: UnsafeBufferPointer<UInt8>) -> Bool {
        let start = nameStarts[slot], end = nameStarts[slot + 1]
        guard end - start == key.count else { return false }
        return names.withUnsafeBufferPointer { all in
            guard let a = all.baseAddress, let b = key.baseAddress else { return true }
            return RecordLayout.sameBytes(a + start, b, count: key.count)
        }
    }

    /// The ordinal of `value` among the members of the enum field planned by `plan`, by bytes, or nil.
    @inline(__always)
    func member(of plan: Plan, equalTo value: UnsafeBufferPointer<UInt8>) -> Int? {
        members.withUnsafeBufferPointer { all in
            for k in 0..<Int(plan.memberCount) {
                let start = memberStarts[Int(plan.firstMember) + k], end = memberStarts[Int(plan.firstMember) + k + 1]
                if end - start == value.count,
                   let a = all.baseAddress, let b = value.baseAddress, RecordLayout.sameBytes(a + start, b, count: end - start) {
                    return k
                }
            }
            return nil
        }
    }

    /// Whether `count` bytes at `a` and `b` are equal, eight at a time.
    @inline(__always)
    static func sameBytes(_ a: UnsafePointer<UInt8>, _ b: UnsafePointer<UInt8>, count: Int) -> Bool {
        var k = 0
        while k &+ 8 <= count {
            if UnsafeRawPointer(a + k).loadUnaligned(as: UInt64.self) != UnsafeRawPointer(b + k).loadUnaligned(as: UInt64.self) {
                return false
            }
            k &+= 8
        }
        while k < count {
            if a[k] != b[k] { return false }
            k &+= 1
        }
        return true
    }

    /// The slot named by exactly these bytes, or -1.
    func slot(named key: UnsafeBufferPointer<UInt8>) -> Int {
        let mask = buckets.count - 1
        var k = Int(RecordLayout.hash(key)) & mask
        while true {
            let entry = Int(buckets[k])
            if entry == 0 { return -1 }
            if name(entry - 1, equals: key) { return entry - 1 }
            k = (k + 1) & mask
        }
    }
}

extension CompiledPack {
    /// Decodes one JSON object, given as UTF-8 bytes, into a record of this pack's input.
    ///
    /// Accepts and rejects exactly what `decodeRecord(_:)` does after `JSONParser.parse`, with the
    /// same errors: strict RFC 8259 (duplicate keys, invalid UTF-8, nesting deeper than
    /// ``Limits/maxJSONDepth`` are errors, also inside members the input does not declare), then
    /// the field rules of ``decodeRecord(json:)``. Single pass, no intermediate tree.
    ///
    /// - Complexity: O(n) in the input size.
    public func decodeRecord(utf8 bytes: UnsafeBufferPointer<UInt8>) throws(RecordError) -> Record {
        var decoder = RecordDecoder(bytes, layout: recordLayout)
        defer { decoder.release() }
        return try decoder.record()
    }
}

/// A member name or string value just scanned: a span of the input or, when it had escapes, of
/// the decoder's scratch buffer (valid until the next string is scanned).
private typealias Token = UnsafeBufferPointer<UInt8>

/// An object member name seen while skipping, for duplicate detection: a span of `keyBytes`.
private struct SeenKey {
    let start: Int
    let count: Int
    let hash: UInt32
    let ascii: Bool
}

/// Members of one object checked for duplicates by a linear scan; beyond, a `Set<String>`
/// (the same rule as `JSONParser`).
private let duplicateKeySetThreshold = 48

private extension UInt8 {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")

    var isDigit: Bool { self &- .zero < 10 }
}

private struct RecordDecoder {
    let b: UnsafeBufferPointer<UInt8>
    let n: Int
    let layout: RecordLayout
    var i = 0
    var depth = 0
    /// The first field error in document order, thrown once the whole line is known to be JSON.
    var pending: RecordError? = nil
    /// Decoded text of the last string with escapes; owned, freed by `release()`. Raw memory
    /// rather than an array so tokens are plain buffers and no closure captures the decoder.
    var scratch: UnsafeMutablePointer<UInt8>? = nil
    var scratchCount = 0
    var scratchCapacity = 0
    /// Names of members not declared by the input, per open object (a stack), for duplicate detection.
    var keyBytes: [UInt8] = []
    var keys: [SeenKey] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>, layout: RecordLayout) {
        b = bytes
        n = bytes.count
        self.layout = layout
    }

    func release() {
        scratch?.deallocate()
    }

    // MARK: Errors

    /// A syntax error, worded as `decodeRecord(json:)` words `JSONParser`'s (column computed here,
    /// only on the error path).
    func syntax(_ message: String, at offset: Int) -> RecordError {
        var lineStart = 0
        for k in 0..<min(offset, n) where b[k] == UInt8(ascii: "\n") { lineStart = k + 1 }
        return RecordError(field: nil, reason: "invalid JSON at column \(offset - lineStart + 1): \(message)")
    }

    /// Keeps the first field error; decoding goes on so that a later syntax error wins.
    mutating func fail(_ slot: Int, _ reason: String) {
        if pending == nil { pending = RecordError(field: layout.fields[slot].name, reason: reason) }
    }

    // MARK: The record

    mutating func record() throws(RecordError) -> Record {
        skipWhitespace()
        guard i < n, b[i] == .openBrace else {
            try skipValue()
            try expectEnd()
            throw RecordError(field: nil, reason: "a record must be a JSON object")
        }
        var values = [Value](repeating: .null, count: layout.fields.count)
        var seen = SlotSet(count: layout.fields.count)
        try enter()
        if i < n && b[i] == .closeBrace {
            i += 1; depth -= 1
        } else {
            var predicted = 0
            var keySet: Set<String>? = nil
            members: while true {
                guard i < n else { throw syntax("unexpected end of input", at: i) }
                guard b[i] == .quote else { throw syntax("expected string key in object", at: i) }
                let keyOffset = i
                let key = try scanString()
                let slot = fieldSlot(named: key, predicted: predicted)
                if slot >= 0 {
                    if seen.contains(slot) { throw duplicate(key, at: keyOffset) }
                    seen.insert(slot)
                    predicted = slot + 1
                } else {
                    try noteKey(key, at: keyOffset, base: 0, set: &keySet)
                }
                skipWhitespace()
                guard i < n else { throw syntax("unexpected end of input", at: i) }
                guard b[i] == .colon else { throw syntax("expected ':' after object key", at: i) }
                i += 1
                skipWhitespace()
                if slot >= 0 {
                    let plan = layout.plans[slot]
                    values[slot] = try value(plan, slot: slot, nested: nil)
                } else {
                    try skipValue()
                }
                guard try afterElement(closing: .closeBrace) else {
                    break members
                }
            }
        }
        try expectEnd()
        if let pending { throw pending }
        for slot in 0..<layout.fields.count where !layout.plans[slot].optional && values[slot].isNull {
            throw RecordError(field: layout.fields[slot].name, reason: seen.contains(slot) ? "must not be null" : "is missing")
        }
        return Record(values: values)
    }

    mutating func expectEnd() throws(RecordError) {
        skipWhitespace()
        if i != n { throw syntax("trailing characters after JSON value", at: i) }
    }

    /// The slot of a member name: the predicted one (inputs usually list fields in declaration
    /// order), else by hash; a non-ASCII name that matches no bytes is tried as a `String`.
    func fieldSlot(named key: UnsafeBufferPointer<UInt8>, predicted: Int) -> Int {
        if predicted < layout.fields.count && layout.name(predicted, equals: key) { return predicted }
        let slot = layout.slot(named: key)
        if slot >= 0 || isASCII(key) { return slot }
        return layout.fieldSlots[String(decoding: key, as: UTF8.self)] ?? -1
    }

    // MARK: Values by declared type

    /// Decodes the value at `i` as `plan` says; a value of the wrong type is validated, skipped
    /// and recorded as the pending error (returning `.null`). `nested` is the element type when
    /// decoding inside a list (the plan is then made from it); nil for the field itself.
    mutating func value(_ plan: RecordLayout.Plan, slot: Int, nested: ValueType?) throws(RecordError) -> Value {
        guard i < n else { throw syntax("unexpected end of input", at: i) }
        let c = b[i]
        if c == UInt8(ascii: "n") {
            try literal("null")
            if !plan.optional { fail(slot, "must not be null") }
            return .null
        }
        let isNumber = c == .minus || c.isDigit
        switch plan.kind {
        case .int:
            if isNumber {
                let (start, end) = try number()
                if let v = ValueText.parseInt64(utf8: UnsafeBufferPointer(rebasing: b[start..<end])) { return .int(v) }
            } else {
                try skipValue()
            }
            fail(slot, "must be an integer")
        case .decimal:
            let money: Money?
            if isNumber {
                let (start, end) = try number()
                money = Money(utf8: UnsafeBufferPointer(rebasing: b[start..<end]))
            } else if c == .quote {
                let s = try scanString()
                money = Money(utf8: s)
            } else {
                try skipValue()
                fail(slot, "must be a decimal (string or number)")
                return .null
            }
            if let money { return .money(money) }
            fail(slot, "must be a decimal with at most 4 fractional digits")
        case .bool:
            if c == UInt8(ascii: "t") {
                try literal("true")
                return .bool(true)
            }
            if c == UInt8(ascii: "f") {
                try literal("false")
                return .bool(false)
            }
            try skipValue()
            fail(slot, "must be true or false")
        case .string:
            if c == .quote {
                let s = try scanString()
                return .string(RecordDecoder.string(s))
            }
            try skipValue()
            fail(slot, "must be a string")
        case .date:
            if c == .quote {
                let s = try scanString()
                if s.count == 10, let d = Civil.dateField(s) { return .int(d) }
            } else {
                try skipValue()
            }
            fail(slot, "must be a date YYYY-MM-DD")
        case .timestamp:
            if c == .quote {
                let s = try scanString()
                if let t = Civil.parseTimestamp(utf8: s, zone: layout.zone) { return .int(t) }
            } else {
                try skipValue()
            }
            fail(slot, "must be a timestamp YYYY-MM-DD HH:MM:SS")
        case .duration:
            if isNumber {
                let (start, end) = try number()
                if let v = ValueText.parseInt64(utf8: UnsafeBufferPointer(rebasing: b[start..<end])) { return .int(v) }
                fail(slot, "must be a duration in whole seconds")
            } else if c == .quote {
                let s = try scanString()
                if let v = ValueText.parseDuration(utf8: s) { return .int(v) }
                fail(slot, "must be a duration such as 90s or 1h")
            } else {
                try skipValue()
                fail(slot, "must be a duration")
            }
        case .enumeration:
            if c == .quote {
                let s = try scanString()
                if nested == nil, let o = layout.member(of: plan, equalTo: s) { return .int(Int64(o)) }
                // A non-ASCII value may still be canonically equivalent to a member; enums in lists too.
                if nested != nil || !isASCII(s), case .enumeration(let e) = type(slot, nested).unwrapped,
                   let o = RecordDecoder.ordinal(in: e, of: s) {
                    return .int(Int64(o))
                }
            } else {
                try skipValue()
            }
            if case .enumeration(let e) = type(slot, nested).unwrapped {
                fail(slot, "must be one of \(e.members.joined(separator: ", "))")
            }
        case .list:
            guard c == .openBracket, case .list(let element) = type(slot, nested).unwrapped else {
                try skipValue()
                fail(slot, "must be an array")
                return .null
            }
            return try list(of: element, slot: slot)
        case .other:
            try skipValue()
            fail(slot, "must be a '\(type(slot, nested))'")
        }
        return .null
    }

    /// The declared type being decoded: the list element's, or the field's.
    func type(_ slot: Int, _ nested: ValueType?) -> ValueType { nested ?? layout.fields[slot].type }

    /// An array whose elements decode as `element` (errors name the list's field).
    mutating func list(of element: ValueType, slot: Int) throws(RecordError) -> Value {
        try enter()
        var items: [Value] = []
        if i < n && b[i] == .closeBracket {
            i += 1; depth -= 1
            return .list(items)
        }
        let plan = RecordLayout.Plan(kind: RecordLayout.Kind(element), optional: element.isOptional, firstMember: 0,
                                     memberCount: 0)
        while true {
            items.append(try value(plan, slot: slot, nested: element))
            guard try afterElement(closing: .closeBracket) else {
                return .list(items)
            }
        }
    }

    // MARK: Skipping (validating) what the input does not declare

    mutating func skipValue() throws(RecordError) {
        guard i < n else { throw syntax("unexpected end of input", at: i) }
        switch b[i] {
        case .openBrace: try skipObject()
        case .openBracket: try skipArray()
        case .quote: _ = try scanString()
        case UInt8(ascii: "t"): try literal("true")
        case UInt8(ascii: "f"): try literal("false")
        case UInt8(ascii: "n"): try literal("null")
        case .minus, .zero ... .nine: _ = try number()
        default: throw syntax("expected a JSON value", at: i)
        }
    }

    mutating func skipArray() throws(RecordError) {
        try enter()
        if i < n && b[i] == .closeBracket {
            i += 1; depth -= 1
            return
        }
        while true {
            try skipValue()
            guard try afterElement(closing: .closeBracket) else {
                return
            }
        }
    }

    mutating func skipObject() throws(RecordError) {
        try enter()
        if i < n && b[i] == .closeBrace {
            i += 1; depth -= 1
            return
        }
        let base = keys.count, bytesBase = keyBytes.count
        var keySet: Set<String>? = nil
        while true {
            guard i < n else { throw syntax("unexpected end of input", at: i) }
            guard b[i] == .quote else { throw syntax("expected string key in object", at: i) }
            let keyOffset = i
            let key = try scanString()
            try noteKey(key, at: keyOffset, base: base, set: &keySet)
            skipWhitespace()
            guard i < n else { throw syntax("unexpected end of input", at: i) }
            guard b[i] == .colon else { throw syntax("expected ':' after object key", at: i) }
            i += 1
            skipWhitespace()
            try skipValue()
            guard try afterElement(closing: .closeBrace) else {
                keys.removeSubrange(base...)
                keyBytes.removeSubrange(bytesBase...)
                return
            }
        }
    }

    /// Records a member name of the object whose names start at `keys[base]`; throws if the
    /// object already has it. Names compare as `String`s do (bytes when both are ASCII).
    mutating func noteKey(_ key: Token, at offset: Int, base: Int, set: inout Set<String>?) throws(RecordError) {
        let hash = RecordLayout.hash(key), ascii = isASCII(key)
        if set == nil && keys.count - base < duplicateKeySetThreshold {
            let (seen, seenBytes) = (keys, keyBytes)
            let isDuplicate = seenBytes.withUnsafeBufferPointer { all in
                for e in seen[base...] {
                    let other = UnsafeBufferPointer(rebasing: all[e.start..<e.start + e.count])
                    if ascii && e.ascii {
                        if e.hash == hash && e.count == key.count && other.elementsEqual(key) { return true }
                    } else if String(decoding: other, as: UTF8.self) == String(decoding: key, as: UTF8.self) {
                        return true
                    }
                }
                return false
            }
            if isDuplicate { throw duplicate(key, at: offset) }
            keys.append(SeenKey(start: keyBytes.count, count: key.count, hash: hash, ascii: ascii))
            keyBytes.append(contentsOf: key)
            return
        }
        if set == nil {
            let (seen, seenBytes) = (keys, keyBytes)
            set = seenBytes.withUnsafeBufferPointer { all in
                Set(seen[base...].map { String(decoding: UnsafeBufferPointer(rebasing: all[$0.start..<$0.start + $0.count]), as: UTF8.self) })
            }
        }
        if !set!.insert(String(decoding: key, as: UTF8.self)).inserted {
            throw duplicate(key, at: offset)
        }
    }

    /// `duplicate key "NAME"`, the name JSON-escaped and cut to 64 bytes (as `JSONParser` words it).
    func duplicate(_ key: Token, at offset: Int) -> RecordError {
        let name = String(decoding: key, as: UTF8.self)
        var writer = JSONWriter()
        let utf8 = name.utf8
        if utf8.count <= 64 {
            writer.writeString(name)
        } else {
            var end = utf8.index(utf8.startIndex, offsetBy: 64)
            while end > utf8.startIndex && UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
            writer.writeString(String(name[..<end]) + "…")
        }
        return syntax("duplicate key \(writer.string)", at: offset)
    }

    // MARK: Lexical

    @inline(__always)
    /// After a container's element: `,` (another follows: true) or the closing bracket (the
    /// container ends: false). Anything else, or a trailing comma, is an error.
    mutating func afterElement(closing: UInt8) throws(RecordError) -> Bool {
        let (container, element, close) = closing == .closeBracket ? ("array", "element", "]") : ("object", "member", "}")
        skipWhitespace()
        guard i < n else { throw syntax("unexpected end of input", at: i) }
        switch b[i] {
        case .comma:
            let comma = i
            i += 1
            skipWhitespace()
            if i < n && b[i] == closing { throw syntax("trailing comma in \(container)", at: comma) }
            return true
        case closing:
            i += 1
            depth -= 1
            return false
        default:
            throw syntax("expected ',' or '\(close)' after \(container) \(element)", at: i)
        }
    }

    mutating func skipWhitespace() {
        while i < n {
            switch b[i] {
            case 0x20, 0x0A, 0x0D, 0x09: i += 1
            default: return
            }
        }
    }

    mutating func enter() throws(RecordError) {
        depth += 1
        if depth > Limits.maxJSONDepth { throw syntax("nesting deeper than \(Limits.maxJSONDepth)", at: i) }
        i += 1
        skipWhitespace()
    }

    mutating func literal(_ word: StaticString) throws(RecordError) {
        let start = i
        let count = word.utf8CodeUnitCount
        for k in 0..<count {
            guard i + k < n else { throw syntax("unexpected end of input", at: i + k) }
            guard b[i + k] == word.utf8Start[k] else { throw syntax("invalid literal, expected '\(word)'", at: start) }
        }
        i += count
    }

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`; returns its span.
    mutating func number() throws(RecordError) -> (start: Int, end: Int) {
        let start = i
        if b[i] == .minus { i += 1 }
        guard i < n, b[i].isDigit else { throw syntax("expected digit after '-'", at: i) }
        if b[i] == .zero {
            i += 1
            if i < n && b[i].isDigit { throw syntax("leading zeros are not allowed", at: i - 1) }
        } else {
            while i < n && b[i].isDigit { i += 1 }
        }
        if i < n && b[i] == .dot {
            i += 1
            guard i < n, b[i].isDigit else { throw syntax("expected digit after '.'", at: i) }
            while i < n && b[i].isDigit { i += 1 }
        }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (b[i] == .plus || b[i] == .minus) { i += 1 }
            guard i < n, b[i].isDigit else { throw syntax("expected digit in exponent", at: i) }
            while i < n && b[i].isDigit { i += 1 }
        }
        return (start, i)
    }

    /// Scans the string whose opening quote is at `i`, validating UTF-8 and escapes; leaves `i`
    /// after the closing quote. Text with escapes is decoded into `scratch`.
    mutating func scanString() throws(RecordError) -> Token {
        let open = i
        i += 1
        let contentStart = i
        while i < n {
            // Eight bytes at a time up to the first that needs a look (quote, backslash, control, non-ASCII).
            if i &+ 8 <= n {
                let special = RecordDecoder.special(UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self))
                if special == 0 {
                    i &+= 8
                    continue
                }
                i &+= special.trailingZeroBitCount >> 3
            }
            let c = b[i]
            if c == .quote {
                i += 1
                return UnsafeBufferPointer(rebasing: b[contentStart..<i - 1])
            }
            if c == .backslash { break }
            if c < 0x20 { throw syntax("unescaped control character in string", at: i) }
            if c < 0x80 { i += 1 } else { try skipUTF8Sequence() }
        }
        guard i < n else { throw syntax("unterminated string", at: open) }

        scratchCount = 0
        appendScratch(UnsafeBufferPointer(rebasing: b[contentStart..<i]))
        while i < n {
            let c = b[i]
            if c == .quote {
                i += 1
                return UnsafeBufferPointer(start: scratch, count: scratchCount)
            } else if c == .backslash {
                try escape()
            } else if c < 0x20 {
                throw syntax("unescaped control character in string", at: i)
            } else if c < 0x80 {
                appendScratch(c)
                i += 1
            } else {
                let start = i
                try skipUTF8Sequence()
                appendScratch(UnsafeBufferPointer(rebasing: b[start..<i]))
            }
        }
        throw syntax("unterminated string", at: open)
    }

    /// The high bit of each of the eight bytes of `x` (little-endian) that is a quote, a backslash,
    /// below 0x20 or above 0x7F; zero when there is none (SWAR: a byte that is zero after XOR, or
    /// below a bound, borrows into its high bit). A borrow can also flag bytes above a flagged
    /// one, never below, so the lowest flag is exact.
    @inline(__always)
    static func special(_ x: UInt64) -> UInt64 {
        let ones: UInt64 = 0x0101_0101_0101_0101, high: UInt64 = 0x8080_8080_8080_8080
        let q = x ^ (ones &* UInt64(UInt8.quote)), s = x ^ (ones &* UInt64(UInt8.backslash))
        return (((q &- ones) & ~q) | ((s &- ones) & ~s) | ((x &- ones &* 0x20) & ~x) | x) & high
    }

    mutating func reserveScratch(_ extra: Int) {
        guard scratchCount + extra > scratchCapacity else { return }
        let capacity = max(64, 2 * scratchCapacity, scratchCount + extra)
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        if let scratch {
            grown.update(from: scratch, count: scratchCount)
            scratch.deallocate()
        }
        scratch = grown
        scratchCapacity = capacity
    }

    @inline(__always)
    mutating func appendScratch(_ c: UInt8) {
        reserveScratch(1)
        scratch![scratchCount] = c
        scratchCount += 1
    }

    mutating func appendScratch(_ bytes: UnsafeBufferPointer<UInt8>) {
        guard let base = bytes.baseAddress, !bytes.isEmpty else { return }
        reserveScratch(bytes.count)
        (scratch! + scratchCount).update(from: base, count: bytes.count)
        scratchCount += bytes.count
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`.
    mutating func escape() throws(RecordError) {
        guard i + 1 < n else { throw syntax("unexpected end of input", at: i + 1) }
        let decoded: UInt8
        switch b[i + 1] {
        case .quote: decoded = .quote
        case .backslash: decoded = .backslash
        case .slash: decoded = .slash
        case UInt8(ascii: "b"): decoded = 0x08
        case UInt8(ascii: "f"): decoded = 0x0C
        case UInt8(ascii: "n"): decoded = 0x0A
        case UInt8(ascii: "r"): decoded = 0x0D
        case UInt8(ascii: "t"): decoded = 0x09
        case UInt8(ascii: "u"):
            try unicodeEscape()
            return
        default:
            throw syntax("invalid escape sequence", at: i)
        }
        appendScratch(decoded)
        i += 2
    }

    /// Decodes `\uXXXX`, or a `\uD8xx\uDCxx` surrogate pair, at `i` into `scratch` as UTF-8.
    mutating func unicodeEscape() throws(RecordError) {
        do throws(UTF8Bytes.EscapeError) {
            let (scalar, length) = try UTF8Bytes.unicodeEscape(b, at: i)
            i += length
            UTF8Bytes.encode(scalar) { appendScratch($0) }
        } catch {
            switch error {
            case .invalid(let at): throw syntax("invalid \\u escape", at: at)
            case .loneSurrogate(let at): throw syntax("lone surrogate in \\u escape", at: at)
            }
        }
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte is at `i` and moves past it.
    mutating func skipUTF8Sequence() throws(RecordError) {
        guard let length = UTF8Bytes.sequenceLength(b.baseAddress!, at: i, end: n) else {
            throw syntax("invalid UTF-8", at: i)
        }
        i += length
    }

    // MARK: Conversions from bytes (money, ints, durations and timestamps use the shared byte parsers)

    /// The text of validated UTF-8 bytes. Through `String(unsafeUninitializedCapacity:…)`, which
    /// builds short strings in place (no allocation up to 15 bytes) for less than `String(decoding:)`.
    @inline(__always)
    static func string(_ s: UnsafeBufferPointer<UInt8>) -> String {
        guard let base = s.baseAddress, !s.isEmpty else { return "" }
        return String(unsafeUninitializedCapacity: s.count) { out in
            out.baseAddress!.update(from: base, count: s.count)
            return s.count
        }
    }

    /// `EnumType.ordinal(of:)`. Members are identifiers (ASCII), so bytes decide unless the value
    /// has non-ASCII bytes, which could still be canonically equivalent to a member.
    static func ordinal(in e: EnumType, of s: UnsafeBufferPointer<UInt8>) -> Int? {
        for (k, member) in e.members.enumerated() where member.utf8.count == s.count && member.utf8.elementsEqual(s) {
            return k
        }
        return isASCII(s) ? nil : e.ordinal(of: String(decoding: s, as: UTF8.self))
    }
}

@inline(__always)
private func isASCII(_ s: UnsafeBufferPointer<UInt8>) -> Bool {
    var any: UInt8 = 0
    for c in s { any |= c }
    return any < 0x80
}

/// Which slots a record has seen: a bit per slot, inline for the first 64.
private struct SlotSet {
    var small: UInt64 = 0
    var large: [Bool]

    init(count: Int) {
        large = count > 64 ? [Bool](repeating: false, count: count) : []
    }

    @inline(__always)
    func contains(_ slot: Int) -> Bool {
        slot < 64 ? small & (1 << UInt64(slot)) != 0 : large[slot]
    }

    @inline(__always)
    mutating func insert(_ slot: Int) {
        if slot < 64 { small |= 1 << UInt64(slot) } else { large[slot] = true }
    }
}
