/// Turns pack text into tokens, working on UTF-8 bytes (not `Character`s: measured 2–4.5×
/// faster in swift-parsing's benchmarks, and spans are byte offsets anyway).
public struct Lexer {
    let bytes: [UInt8]
    var pos = 0
    public private(set) var diagnostics = DiagnosticBag()
    public private(set) var comments: [Comment] = []
    var lastSignificant: Token.Kind = .eof
    var sawCodeOnLine = false

    public init(source: Source) {
        self.bytes = source.bytes
    }

    /// Lexes the whole source; the last token is `.eof`.
    public mutating func tokenize() -> [Token] {
        var tokens: [Token] = []
        if bytes.count > LanguageLimits.maxSourceBytes {
            diagnostics.error(.unexpectedCharacter, "pack is larger than \(LanguageLimits.maxSourceBytes) bytes",
                              at: Span(0, 0))
            return [Token(.eof, Span(0, 0))]
        }
        while true {
            let t = next()
            tokens.append(t)
            if case .eof = t.kind { break }
            lastSignificant = t.kind
        }
        return tokens
    }

    func peek(_ offset: Int = 0) -> UInt8 {
        pos + offset < bytes.count ? bytes[pos + offset] : 0
    }

    mutating func skipTrivia() {
        while pos < bytes.count {
            let b = bytes[pos]
            if b == UInt8(ascii: "\n") {
                sawCodeOnLine = false
                pos += 1
            } else if b == UInt8(ascii: " ") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\r") {
                pos += 1
            } else if b == UInt8(ascii: "#") {
                let start = pos
                while pos < bytes.count && bytes[pos] != UInt8(ascii: "\n") { pos += 1 }
                var end = pos
                if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
                let text = String(decoding: bytes[start..<end], as: UTF8.self)
                comments.append(Comment(text: text, span: Span(start, end), trailing: sawCodeOnLine))
            } else if b == 0xEF && peek(1) == 0xBB && peek(2) == 0xBF && pos == 0 {
                pos += 3  // byte-order mark
            } else {
                return
            }
        }
    }

    mutating func next() -> Token {
        skipTrivia()
        guard pos < bytes.count else { return Token(.eof, Span(bytes.count, bytes.count)) }
        sawCodeOnLine = true
        let start = pos
        let b = bytes[pos]
        if isIdentStart(b) { return identifier(start) }
        if isDigit(b) { return number(start) }
        if b == UInt8(ascii: "\"") { return string(start) }
        if b == UInt8(ascii: "/"), case .keyword(.matches) = lastSignificant { return regex(start) }
        pos += 1
        func sym(_ s: Symbol, _ length: Int = 1) -> Token {
            pos = start + length
            return Token(.symbol(s), Span(start, start + length))
        }
        switch b {
        case UInt8(ascii: "("): return sym(.lParen)
        case UInt8(ascii: ")"): return sym(.rParen)
        case UInt8(ascii: "{"): return sym(.lBrace)
        case UInt8(ascii: "}"): return sym(.rBrace)
        case UInt8(ascii: "["): return sym(.lBracket)
        case UInt8(ascii: "]"): return sym(.rBracket)
        case UInt8(ascii: ","): return sym(.comma)
        case UInt8(ascii: ":"): return sym(.colon)
        case UInt8(ascii: "@"): return sym(.at)
        case UInt8(ascii: "+"): return sym(.plus)
        case UInt8(ascii: "-"): return sym(.minus)
        case UInt8(ascii: "*"): return sym(.star)
        case UInt8(ascii: "/"): return sym(.slash)
        case UInt8(ascii: "%"): return sym(.percent)
        case UInt8(ascii: "."): return peek() == UInt8(ascii: ".") ? sym(.dotDot, 2) : sym(.dot)
        case UInt8(ascii: "?"): return peek() == UInt8(ascii: "?") ? sym(.questionQuestion, 2) : sym(.question)
        case UInt8(ascii: "="): return peek() == UInt8(ascii: "=") ? sym(.eqEq, 2) : sym(.eq)
        case UInt8(ascii: "!") where peek() == UInt8(ascii: "="): return sym(.bangEq, 2)
        case UInt8(ascii: "<"): return peek() == UInt8(ascii: "=") ? sym(.ltEq, 2) : sym(.lt)
        case UInt8(ascii: ">"): return peek() == UInt8(ascii: "=") ? sym(.gtEq, 2) : sym(.gt)
        default:
            // One error for a run of the same stray character (`&&`) or of non-ASCII text
            // (a Chinese identifier), not one per byte.
            if b >= 0x80 {
                while pos < bytes.count && bytes[pos] >= 0x80 && !isFullWidthQuote(at: pos) { pos += 1 }
            } else {
                while pos < bytes.count && bytes[pos] == b && (b == UInt8(ascii: "&") || b == UInt8(ascii: "|")) { pos += 1 }
            }
            let text = String(decoding: bytes[start..<pos], as: UTF8.self)
            var help: String? = nil
            switch text {
            case "&", "&&": help = "write 'and' for logical and"
            case "|", "||": help = "write 'or' for logical or"
            case "!": help = "write 'not' for logical negation"
            case "'": help = "strings use double quotes"
            case "“", "”", "＂": help = "strings use ASCII double quotes (\")"
            default:
                if b >= 0x80 {
                    help = "names are ASCII letters, digits and '_'; put Chinese text in strings or a rule's description"
                }
            }
            diagnostics.error(.unexpectedCharacter, "unexpected character '\(text)'", at: Span(start, pos), help: help)
            return Token(.invalid, Span(start, pos))
        }
    }

    /// “ ” ＂ start a separate error (with their own help), so a run of text stops before them.
    func isFullWidthQuote(at i: Int) -> Bool {
        let quotes: [[UInt8]] = [Array("“".utf8), Array("”".utf8), Array("＂".utf8)]
        return quotes.contains { q in i + q.count <= bytes.count && Array(bytes[i..<i + q.count]) == q }
    }

    func isIdentStart(_ b: UInt8) -> Bool {
        (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
            || b == UInt8(ascii: "_")
    }

    func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    mutating func identifier(_ start: Int) -> Token {
        while pos < bytes.count && (isIdentStart(bytes[pos]) || isDigit(bytes[pos])) { pos += 1 }
        let text = String(decoding: bytes[start..<pos], as: UTF8.self)
        if let k = Keyword(rawValue: text) { return Token(.keyword(k), Span(start, pos)) }
        return Token(.identifier(text), Span(start, pos))
    }

    mutating func digits() -> (value: String, count: Int) {
        var text = ""
        var count = 0
        while pos < bytes.count && (isDigit(bytes[pos]) || (bytes[pos] == UInt8(ascii: "_") && count > 0)) {
            if bytes[pos] != UInt8(ascii: "_") {
                text.unicodeScalars.append(Unicode.Scalar(bytes[pos]))
                count += 1
            }
            pos += 1
        }
        return (text, count)
    }

    mutating func number(_ start: Int) -> Token {
        // A date literal: exactly DDDD-DD-DD, not followed by a digit.
        if pos + 10 <= bytes.count, (0..<10).allSatisfy({ i in
            i == 4 || i == 7 ? bytes[pos + i] == UInt8(ascii: "-") : isDigit(bytes[pos + i])
        }), pos + 10 == bytes.count || !isDigit(bytes[pos + 10]) && !isIdentStart(bytes[pos + 10]) {
            let text = String(decoding: bytes[pos..<pos + 10], as: UTF8.self)
            pos += 10
            let y = Int(text.prefix(4))!, m = Int(text.dropFirst(5).prefix(2))!, d = Int(text.suffix(2))!
            guard CalendarRules.isValidDate(year: y, month: m, day: d) else {
                diagnostics.error(.invalidDate, "'\(text)' is not a calendar date", at: Span(start, pos))
                return Token(.invalid, Span(start, pos))
            }
            return Token(.date(year: y, month: m, day: d), Span(start, pos))
        }
        let (whole, _) = digits()
        var fraction: String? = nil
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            pos += 1
            fraction = digits().value
        }
        // A trailing identifier: a duration unit, or garbage such as `12ab`.
        if pos < bytes.count && isIdentStart(bytes[pos]) {
            let unitStart = pos
            while pos < bytes.count && (isIdentStart(bytes[pos]) || isDigit(bytes[pos])) { pos += 1 }
            let unit = String(decoding: bytes[unitStart..<pos], as: UTF8.self)
            let multiplier: Int64? = ["s": 1, "m": 60, "h": 3600, "d": 86400][unit]
            guard fraction == nil, let multiplier else {
                let code: DiagnosticCode = fraction == nil && unit.count == 1 ? .invalidDuration : .invalidNumber
                diagnostics.error(code, code == .invalidDuration ? "unknown duration unit '\(unit)'"
                                                                 : "invalid number literal",
                                  at: Span(start, pos),
                                  help: code == .invalidDuration ? "use s, m, h or d (e.g. 24h)" : nil)
                return Token(.invalid, Span(start, pos))
            }
            guard let n = Int64(whole), case (let secs, false) = n.multipliedReportingOverflow(by: multiplier) else {
                diagnostics.error(.integerOutOfRange, "duration is too large", at: Span(start, pos))
                return Token(.invalid, Span(start, pos))
            }
            return Token(.duration(seconds: secs), Span(start, pos))
        }
        if peek() == UInt8(ascii: "."), isDigit(peek(1)) {
            while pos < bytes.count && (isDigit(bytes[pos]) || bytes[pos] == UInt8(ascii: ".")) { pos += 1 }
            diagnostics.error(.invalidNumber, "invalid number literal", at: Span(start, pos))
            return Token(.invalid, Span(start, pos))
        }
        if let fraction {
            guard fraction.count <= 4 else {
                diagnostics.error(.decimalPrecision, "decimal literal has more than 4 fractional digits",
                                  at: Span(start, pos), help: "decimals are exact to 4 places (1/10000)")
                return Token(.invalid, Span(start, pos))
            }
            let padded = fraction + String(repeating: "0", count: 4 - fraction.count)
            guard let w = Int64(whole), case (let scaled, false) = w.multipliedReportingOverflow(by: 10_000),
                  case (let raw, false) = scaled.addingReportingOverflow(Int64(padded)!) else {
                diagnostics.error(.decimalPrecision, "decimal literal is out of range", at: Span(start, pos))
                return Token(.invalid, Span(start, pos))
            }
            return Token(.decimal(raw), Span(start, pos))
        }
        guard let n = Int64(whole) else {
            diagnostics.error(.integerOutOfRange, "integer literal does not fit in 64 bits", at: Span(start, pos))
            return Token(.invalid, Span(start, pos))
        }
        return Token(.int(n), Span(start, pos))
    }

    mutating func string(_ start: Int) -> Token {
        pos += 1
        var out: [UInt8] = []
        var valid = true
        while true {
            guard pos < bytes.count, bytes[pos] != UInt8(ascii: "\n") else {
                diagnostics.error(.unterminatedString, "unterminated string literal", at: Span(start, pos),
                                  help: "close the string with '\"' on the same line")
                return Token(.invalid, Span(start, pos))
            }
            let b = bytes[pos]
            if b == UInt8(ascii: "\"") { pos += 1; break }
            if b == UInt8(ascii: "\\") {
                let escStart = pos
                pos += 1
                let e = peek()
                pos += 1
                switch e {
                case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
                case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
                case UInt8(ascii: "n"): out.append(UInt8(ascii: "\n"))
                case UInt8(ascii: "t"): out.append(UInt8(ascii: "\t"))
                case UInt8(ascii: "r"): out.append(UInt8(ascii: "\r"))
                case UInt8(ascii: "u") where peek() == UInt8(ascii: "{"):
                    pos += 1
                    var hex = ""
                    while pos < bytes.count, bytes[pos] != UInt8(ascii: "}"), hex.count <= 8,
                          bytes[pos] != UInt8(ascii: "\"") {
                        hex.unicodeScalars.append(Unicode.Scalar(bytes[pos]))
                        pos += 1
                    }
                    if peek() == UInt8(ascii: "}") { pos += 1 }
                    if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) {
                        out.append(contentsOf: Array(String(Character(scalar)).utf8))
                    } else {
                        diagnostics.error(.invalidEscape, "invalid unicode escape", at: Span(escStart, pos),
                                          help: "write \\u{4E2D} with 1–8 hex digits")
                        valid = false
                    }
                default:
                    while pos < bytes.count && bytes[pos] & 0xC0 == 0x80 { pos += 1 }
                    diagnostics.error(.invalidEscape, "invalid escape sequence in string", at: Span(escStart, pos),
                                      help: "valid escapes are \\\" \\\\ \\n \\t \\r \\u{…}")
                    valid = false
                }
                continue
            }
            out.append(b)
            pos += 1
        }
        let text = String(decoding: out, as: UTF8.self)
        return Token(valid ? .string(text) : .invalid, Span(start, pos))
    }

    mutating func regex(_ start: Int) -> Token {
        pos += 1
        var out: [UInt8] = []
        while true {
            guard pos < bytes.count, bytes[pos] != UInt8(ascii: "\n") else {
                diagnostics.error(.unterminatedRegex, "unterminated regex literal", at: Span(start, pos),
                                  help: "close the pattern with '/'; write \\/ for a slash inside it")
                return Token(.invalid, Span(start, pos))
            }
            let b = bytes[pos]
            if b == UInt8(ascii: "/") { pos += 1; break }
            if b == UInt8(ascii: "\\") && peek(1) == UInt8(ascii: "/") {
                out.append(UInt8(ascii: "/"))
                pos += 2
                continue
            }
            out.append(b)
            pos += 1
        }
        return Token(.regex(String(decoding: out, as: UTF8.self)), Span(start, pos))
    }
}

/// Calendar facts the front end needs to validate date literals (the engine has the full
/// calendar arithmetic).
public enum CalendarRules {
    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        guard (1...9999).contains(year), (1...12).contains(month), day >= 1 else { return false }
        let lengths = [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31]
        return day <= lengths[month - 1]
    }
}
