// A strict RFC 8259 JSON parser over UTF-8 bytes, and a compact writer.
//
// Hand-written rather than Foundation's JSONSerialization / JSONDecoder because it sits on the
// `warden eval` and HTTP scoring hot path: one event per call, parsed straight from the bytes
// with no bridging, no `Any`, numbers kept as exact lexemes (money must never go through
// Double) and errors that carry a byte offset, line and column.

/// A JSON document.
///
/// Equality is structural and exact: numbers compare by lexeme (`1.0 != 1`), objects compare
/// member by member in order (`{"a":1,"b":2} != {"b":2,"a":1}`).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    /// The exact lexeme, e.g. "50000.00", "-1e3": callers convert exactly (money must never go through Double).
    case number(String)
    case string(String)
    case array([JSONValue])
    /// Members in document order; the parser guarantees keys are distinct.
    case object([(key: String, value: JSONValue)])

    /// The value of the first member named `key`; nil if there is none or this is not an object.
    ///
    /// - Complexity: O(n) in the number of members.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        for member in members where member.key == key { return member.value }
        return nil
    }

    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null): return true
        case (.bool(let a), .bool(let b)): return a == b
        case (.number(let a), .number(let b)): return a == b
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a == b
        case (.object(let a), .object(let b)):
            guard a.count == b.count else { return false }
            for (x, y) in zip(a, b) where x.key != y.key || x.value != y.value { return false }
            return true
        default: return false
        }
    }
}

/// Why a document is not valid JSON, and where.
///
/// The message never quotes document values (only object keys, in "duplicate key" errors), so it
/// is safe to log.
public struct JSONError: Error, Sendable, Equatable, CustomStringConvertible {
    /// E.g. "expected ',' or '}' after object member", "duplicate key \"amount\"", "invalid \\u escape".
    public let message: String
    /// Byte offset of the error in the input.
    public let offset: Int
    /// 1-based line, counting `\n`.
    public let line: Int
    /// 1-based column, in bytes.
    public let column: Int

    public init(message: String, offset: Int, line: Int, column: Int) {
        self.message = message
        self.offset = offset
        self.line = line
        self.column = column
    }

    /// `line:column: message`, e.g. `1:12: duplicate key "amount"`.
    public var description: String { "\(line):\(column): \(message)" }
}

/// Parses JSON text.
///
/// ```swift
/// let event = try JSONParser.parse(#"{"amount": "50000.00", "country": "CN"}"#)
/// event["country"]   // .string("CN")
/// ```
public enum JSONParser {
    /// Parses exactly one JSON value, with optional surrounding whitespace. Rejects duplicate object keys, trailing commas, leading zeros, NaN, invalid UTF-8, unescaped control characters, lone surrogates in \u escapes (surrogate pairs combine).
    ///
    /// Nesting is limited to ``Limits/maxJSONDepth`` arrays and objects. A byte-order mark is
    /// rejected. The input length is not limited here: line readers enforce ``Limits/maxJSONLineBytes``.
    ///
    /// - Throws: ``JSONError`` for the first error in the input.
    /// - Complexity: O(n) in the input size (objects with more than 16 members check duplicate keys with a hash set).
    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONError) -> JSONValue {
        var parser = Parser(bytes)
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.i != bytes.count {
            throw parser.error("trailing characters after JSON value", at: parser.i)
        }
        return value
    }

    /// Parses the UTF-8 form of `text`; see ``parse(_:)-(UnsafeBufferPointer<UInt8>)``.
    public static func parse(_ text: String) throws(JSONError) -> JSONValue {
        var text = text
        // withUTF8's closure is not typed-throws, so carry the result out.
        let result: Result<JSONValue, JSONError> = text.withUTF8 { bytes in
            do throws(JSONError) { return .success(try parse(bytes)) } catch { return .failure(error) }
        }
        return try result.get()
    }
}

// MARK: - Parser

private extension UInt8 {
    static let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\"), slash = UInt8(ascii: "/")
    static let comma = UInt8(ascii: ","), colon = UInt8(ascii: ":")
    static let openBrace = UInt8(ascii: "{"), closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "["), closeBracket = UInt8(ascii: "]")
    static let minus = UInt8(ascii: "-"), plus = UInt8(ascii: "+"), dot = UInt8(ascii: ".")
    static let zero = UInt8(ascii: "0"), nine = UInt8(ascii: "9")

    var isDigit: Bool { self &- .zero < 10 }
}

/// Members beyond which duplicate keys are found with a hash set instead of a linear scan.
private let duplicateKeySetThreshold = 48

private struct Parser {
    let b: UnsafeBufferPointer<UInt8>
    let n: Int
    var i = 0
    var depth = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        b = bytes
        n = bytes.count
    }

    /// Builds the error, computing line and column from the input (only on the error path).
    func error(_ message: String, at offset: Int) -> JSONError {
        var line = 1, lineStart = 0
        for k in 0..<min(offset, n) where b[k] == UInt8(ascii: "\n") {
            line += 1
            lineStart = k + 1
        }
        return JSONError(message: message, offset: offset, line: line, column: offset - lineStart + 1)
    }

    /// After a container's element: `,` (another follows: true) or the closing bracket (the
    /// container ends: false). Anything else, or a trailing comma, is an error.
    mutating func afterElement(closing: UInt8) throws(JSONError) -> Bool {
        let (container, element, close) = closing == .closeBracket ? ("array", "element", "]") : ("object", "member", "}")
        skipWhitespace()
        guard i < n else { throw error("unexpected end of input", at: i) }
        switch b[i] {
        case .comma:
            let comma = i
            i += 1
            skipWhitespace()
            if i < n && b[i] == closing { throw error("trailing comma in \(container)", at: comma) }
            return true
        case closing:
            i += 1
            depth -= 1
            return false
        default:
            throw error("expected ',' or '\(close)' after \(container) \(element)", at: i)
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

    mutating func parseValue() throws(JSONError) -> JSONValue {
        guard i < n else { throw error("unexpected end of input", at: i) }
        switch b[i] {
        case .openBrace: return try parseObject()
        case .openBracket: return try parseArray()
        case .quote: return .string(try parseString())
        case UInt8(ascii: "t"): try parseLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try parseLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try parseLiteral("null"); return .null
        case .minus, .zero ... .nine: return try parseNumber()
        default: throw error("expected a JSON value", at: i)
        }
    }

    mutating func parseLiteral(_ word: StaticString) throws(JSONError) {
        let start = i
        let count = word.utf8CodeUnitCount
        for k in 0..<count {
            guard i + k < n else { throw error("unexpected end of input", at: i + k) }
            guard b[i + k] == word.utf8Start[k] else {
                throw error("invalid literal, expected '\(word)'", at: start)
            }
        }
        i += count
    }

    mutating func enter() throws(JSONError) {
        depth += 1
        if depth > Limits.maxJSONDepth { throw error("nesting deeper than \(Limits.maxJSONDepth)", at: i) }
        i += 1
        skipWhitespace()
    }

    mutating func parseArray() throws(JSONError) -> JSONValue {
        try enter()
        var elements: [JSONValue] = []
        if i < n && b[i] == .closeBracket {
            i += 1; depth -= 1
            return .array(elements)
        }
        while true {
            elements.append(try parseValue())
            guard try afterElement(closing: .closeBracket) else {
                return .array(elements)
            }
        }
    }

    mutating func parseObject() throws(JSONError) -> JSONValue {
        try enter()
        var members: [(key: String, value: JSONValue)] = []
        var keySet: Set<String>? = nil
        if i < n && b[i] == .closeBrace {
            i += 1; depth -= 1
            return .object(members)
        }
        while true {
            guard i < n else { throw error("unexpected end of input", at: i) }
            guard b[i] == .quote else { throw error("expected string key in object", at: i) }
            let keyOffset = i
            let key = try parseString()
            if isDuplicate(key, in: members, set: &keySet) {
                throw error("duplicate key \(quotedForMessage(key))", at: keyOffset)
            }
            skipWhitespace()
            guard i < n else { throw error("unexpected end of input", at: i) }
            guard b[i] == .colon else { throw error("expected ':' after object key", at: i) }
            i += 1
            skipWhitespace()
            members.append((key: key, value: try parseValue()))
            guard try afterElement(closing: .closeBrace) else {
                return .object(members)
            }
        }
    }

    /// Linear scan for small objects (the common case: events have a dozen fields), a set beyond.
    func isDuplicate(_ key: String, in members: [(key: String, value: JSONValue)], set: inout Set<String>?) -> Bool {
        if set == nil && members.count < duplicateKeySetThreshold {
            for member in members where member.key == key { return true }
            return false
        }
        if set == nil { set = Set(members.lazy.map(\.key)) }
        return !set!.insert(key).inserted
    }

    /// A key for an error message: JSON-escaped and cut to 64 bytes so a hostile key cannot flood logs.
    func quotedForMessage(_ key: String) -> String {
        var writer = JSONWriter()
        let utf8 = key.utf8
        if utf8.count <= 64 {
            writer.writeString(key)
        } else {
            var end = utf8.index(utf8.startIndex, offsetBy: 64)
            while end > utf8.startIndex && UTF8.isContinuation(utf8[end]) { end = utf8.index(before: end) }
            writer.writeString(String(key[..<end]) + "…")
        }
        return writer.string
    }

    // MARK: Strings

    /// Parses a string starting at the opening quote; leaves `i` after the closing quote.
    mutating func parseString() throws(JSONError) -> String {
        let open = i
        i += 1
        let contentStart = i
        // Fast path: no escapes, so the string is a slice of the input.
        while i < n {
            let c = b[i]
            if c == .quote {
                let s = String(decoding: UnsafeBufferPointer(rebasing: b[contentStart..<i]), as: UTF8.self)
                i += 1
                return s
            }
            if c == .backslash { break }
            if c < 0x20 { throw error("unescaped control character in string", at: i) }
            if c < 0x80 { i += 1 } else { try skipUTF8Sequence() }
        }
        guard i < n else { throw error("unterminated string", at: open) }

        // Slow path: copy into the scratch buffer, decoding escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[contentStart..<i]))
        while i < n {
            let c = b[i]
            if c == .quote {
                i += 1
                return String(decoding: scratch, as: UTF8.self)
            } else if c == .backslash {
                try parseEscape()
            } else if c < 0x20 {
                throw error("unescaped control character in string", at: i)
            } else if c < 0x80 {
                scratch.append(c)
                i += 1
            } else {
                let start = i
                try skipUTF8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: b[start..<i]))
            }
        }
        throw error("unterminated string", at: open)
    }

    /// Decodes the escape at `i` (a backslash) into `scratch`.
    mutating func parseEscape() throws(JSONError) {
        guard i + 1 < n else { throw error("unexpected end of input", at: i + 1) }
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
            try parseUnicodeEscape()
            return
        default:
            throw error("invalid escape sequence", at: i)
        }
        scratch.append(decoded)
        i += 2
    }

    /// Decodes `\uXXXX`, or a `\uD8xx\uDCxx` surrogate pair, at `i` into `scratch` as UTF-8.
    mutating func parseUnicodeEscape() throws(JSONError) {
        do throws(UTF8Bytes.EscapeError) {
            let (scalar, length) = try UTF8Bytes.unicodeEscape(b, at: i)
            i += length
            UTF8Bytes.encode(scalar) { scratch.append($0) }
        } catch {
            switch error {
            case .invalid(let at): throw self.error("invalid \\u escape", at: at)
            case .loneSurrogate(let at): throw self.error("lone surrogate in \\u escape", at: at)
            }
        }
    }

    /// Validates the multi-byte UTF-8 sequence whose lead byte is at `i` and moves past it.
    ///
    /// Strict (Unicode Table 3-7): no overlong forms, no encoded surrogates, nothing above U+10FFFF.
    mutating func skipUTF8Sequence() throws(JSONError) {
        guard let length = UTF8Bytes.sequenceLength(b.baseAddress!, at: i, end: n) else {
            throw error("invalid UTF-8", at: i)
        }
        i += length
    }

    // MARK: Numbers

    /// `-? (0 | [1-9][0-9]*) (\.[0-9]+)? ([eE][+-]?[0-9]+)?`, kept as its lexeme.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = i
        if b[i] == .minus { i += 1 }
        guard i < n, b[i].isDigit else { throw error("expected digit after '-'", at: i) }
        if b[i] == .zero {
            i += 1
            if i < n && b[i].isDigit { throw error("leading zeros are not allowed", at: i - 1) }
        } else {
            while i < n && b[i].isDigit { i += 1 }
        }
        if i < n && b[i] == .dot {
            i += 1
            guard i < n, b[i].isDigit else { throw error("expected digit after '.'", at: i) }
            while i < n && b[i].isDigit { i += 1 }
        }
        if i < n && (b[i] == UInt8(ascii: "e") || b[i] == UInt8(ascii: "E")) {
            i += 1
            if i < n && (b[i] == .plus || b[i] == .minus) { i += 1 }
            guard i < n, b[i].isDigit else { throw error("expected digit in exponent", at: i) }
            while i < n && b[i].isDigit { i += 1 }
        }
        return .number(String(decoding: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self))
    }
}

// MARK: - Writer

/// Appends compact JSON to a byte buffer. Strings escaped per RFC 8259 (", \\, control chars as \n \t \r \b \f or \u00XX; non-ASCII written as UTF-8, not escaped).
///
/// The writer does not check structure: callers emit separators with ``writeRaw(_:)`` when
/// writing piecemeal, or hand a whole ``JSONValue`` to ``write(_:)``.
///
/// ```swift
/// var out = JSONWriter()
/// out.write(.object([(key: "decision", value: .string("review"))]))
/// out.string   // {"decision":"review"}
/// ```
public struct JSONWriter {
    /// The output so far, UTF-8.
    public var bytes: [UInt8]

    public init() {
        bytes = []
    }

    /// Appends `s` as a quoted, escaped JSON string.
    ///
    /// - Complexity: O(n); runs of bytes needing no escape are copied in bulk.
    public mutating func writeString(_ s: String) {
        bytes.append(.quote)
        var s = s
        s.withUTF8 { utf8 in
            var runStart = 0
            for k in 0..<utf8.count {
                let c = utf8[k]
                guard c < 0x20 || c == .quote || c == .backslash else { continue }
                if runStart < k { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<k])) }
                runStart = k + 1
                bytes.append(.backslash)
                switch c {
                case .quote: bytes.append(.quote)
                case .backslash: bytes.append(.backslash)
                case 0x0A: bytes.append(UInt8(ascii: "n"))
                case 0x09: bytes.append(UInt8(ascii: "t"))
                case 0x0D: bytes.append(UInt8(ascii: "r"))
                case 0x08: bytes.append(UInt8(ascii: "b"))
                case 0x0C: bytes.append(UInt8(ascii: "f"))
                default:
                    let low = c & 0xF  // c < 0x20, so the high nibble is 0 or 1
                    bytes.append(UInt8(ascii: "u")); bytes.append(.zero); bytes.append(.zero)
                    bytes.append(.zero + (c >> 4))
                    bytes.append(low < 10 ? .zero + low : UInt8(ascii: "a") + low - 10)
                }
            }
            if runStart < utf8.count { bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart...])) }
        }
        bytes.append(.quote)
    }

    /// Appends `s` unchanged, e.g. a number lexeme, or literal true/false/null, or a separator.
    public mutating func writeRaw(_ s: String) {
        bytes.append(contentsOf: s.utf8)
    }

    /// Appends `value` as compact JSON (no whitespace), object members in their order.
    ///
    /// A ``JSONValue/number(_:)`` is written as its lexeme, unchecked.
    public mutating func write(_ value: JSONValue) {
        switch value {
        case .null: writeRaw("null")
        case .bool(let b): writeRaw(b ? "true" : "false")
        case .number(let lexeme): writeRaw(lexeme)
        case .string(let s): writeString(s)
        case .array(let elements):
            bytes.append(.openBracket)
            for (k, element) in elements.enumerated() {
                if k > 0 { bytes.append(.comma) }
                write(element)
            }
            bytes.append(.closeBracket)
        case .object(let members):
            bytes.append(.openBrace)
            for (k, member) in members.enumerated() {
                if k > 0 { bytes.append(.comma) }
                writeString(member.key)
                bytes.append(.colon)
                write(member.value)
            }
            bytes.append(.closeBrace)
        }
    }

    /// The output as a `String`.
    public var string: String { String(decoding: bytes, as: UTF8.self) }
}
