/// A lexical token: its kind, its span, and for literals the decoded value.
public struct Token: Sendable, Hashable {
    public enum Kind: Sendable, Hashable {
        case identifier(String)
        case keyword(Keyword)
        case int(Int64)
        /// A decimal literal as raw fixed-point units (value × 10⁴).
        case decimal(Int64)
        case string(String)
        case date(year: Int, month: Int, day: Int)
        case duration(seconds: Int64)
        case regex(String)
        case symbol(Symbol)
        case eof
        /// A token the lexer could not make sense of; already reported.
        case invalid
    }

    public var kind: Kind
    public var span: Span

    public init(_ kind: Kind, _ span: Span) {
        self.kind = kind
        self.span = span
    }
}

public enum Keyword: String, Sendable, Hashable, CaseIterable {
    case package, version, zone, on_error, input, param, const, list, lookup, window, `let`, rule, when, score,
         action, emit, tags, severity, shadow, decide, output, reject, and, or, not, `in`, matches, `is`, null, `true`, `false`
}

public enum Symbol: String, Sendable, Hashable {
    case lParen = "(", rParen = ")", lBrace = "{", rBrace = "}", lBracket = "[", rBracket = "]"
    case comma = ",", colon = ":", dot = ".", dotDot = "..", question = "?", questionQuestion = "??", at = "@"
    case plus = "+", minus = "-", star = "*", slash = "/", percent = "%"
    case eq = "=", eqEq = "==", bangEq = "!=", lt = "<", ltEq = "<=", gt = ">", gtEq = ">="
}

extension Token.Kind: CustomStringConvertible {
    /// How the token is named in "expected X, found Y" messages.
    public var description: String {
        switch self {
        case .identifier(let s): return "identifier '\(s)'"
        case .keyword(let k): return "'\(k.rawValue)'"
        case .int, .decimal: return "a number"
        case .string: return "a string"
        case .date: return "a date"
        case .duration: return "a duration"
        case .regex: return "a regex"
        case .symbol(let s): return "'\(s.rawValue)'"
        case .eof: return "end of file"
        case .invalid: return "an invalid token"
        }
    }
}

/// A `#` comment kept for the formatter.
public struct Comment: Sendable, Hashable {
    public var text: String
    public var span: Span
    /// True when code precedes the comment on its line.
    public var trailing: Bool
}
