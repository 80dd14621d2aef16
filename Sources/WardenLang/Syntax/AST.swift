/// Index of an expression in `PackSyntax.exprs`. The checker and compiler keep side tables
/// keyed by it, so the AST stays a cheap value type.
public typealias ExprID = Int32

public enum UnaryOp: String, Sendable, Hashable {
    case negate = "-", not = "not"
}

public enum BinaryOp: String, Sendable, Hashable {
    case or, and
    case eq = "==", ne = "!=", lt = "<", le = "<=", gt = ">", ge = ">="
    case `in`, notIn = "not in", matches
    case coalesce = "??"
    case add = "+", sub = "-", mul = "*", div = "/", mod = "%"

    /// Binding power: larger binds tighter.
    public var precedence: Int {
        switch self {
        case .or: return 1
        case .and: return 2
        case .eq, .ne, .lt, .le, .gt, .ge, .in, .notIn, .matches: return 4
        case .coalesce: return 5
        case .add, .sub: return 7
        case .mul, .div, .mod: return 8
        }
    }

    public var isComparison: Bool { precedence == 4 }
}

/// Precedence levels not carried by a `BinaryOp`.
public enum Precedence {
    public static let not = 3
    public static let isNull = 4
    public static let range = 6
    public static let unaryMinus = 9
    public static let postfix = 10
}

public indirect enum ExprKind: Sendable, Hashable {
    case int(Int64)
    /// Raw fixed-point units (value × 10⁴).
    case decimal(Int64)
    case string(String)
    case bool(Bool)
    case date(year: Int, month: Int, day: Int)
    case duration(seconds: Int64)
    case regex(String)
    case name(String)
    case member(base: ExprID, name: String)
    case index(base: ExprID, key: ExprID)
    case call(name: String, args: [ExprID])
    case unary(UnaryOp, ExprID)
    case binary(BinaryOp, ExprID, ExprID)
    case isNull(ExprID, negated: Bool)
    case range(ExprID, ExprID)
    case list([ExprID])
    /// `VALUE when CONDITION`: a list element present only when the condition holds (only
    /// directly inside a list literal).
    case guarded(value: ExprID, condition: ExprID)
    case map([MapEntry])
    /// `score` inside `decide`: the total score.
    case totalScore
    /// `action(NAME)` inside `decide`.
    case requestedAction(String)
    /// A placeholder where parsing failed; already reported.
    case error
}

public struct MapEntry: Sendable, Hashable {
    public var key: ExprID
    public var value: ExprID
}

public struct Expr: Sendable, Hashable {
    public var kind: ExprKind
    public var span: Span
}

/// A name with where it was written.
public struct Ident: Sendable, Hashable {
    public var name: String
    public var span: Span
}

/// A type as written.
public indirect enum TypeSyntax: Sendable, Hashable {
    case named(Ident)
    case enumeration([Ident], Span)
    case optional(TypeSyntax, Span)
    case generic(Ident, [TypeSyntax], Span)

    public var span: Span {
        switch self {
        case .named(let i): return i.span
        case .enumeration(_, let s), .optional(_, let s), .generic(_, _, let s): return s
        }
    }
}

public struct FieldDecl: Sendable, Hashable {
    public var name: Ident
    public var type: TypeSyntax
    public var isKey: Bool
    /// `@pii`: personal data (ID numbers, phones, names), masked wherever Warden shows it.
    public var isPersonal: Bool = false
}

public struct InputDecl: Sendable, Hashable {
    public var name: Ident
    public var fields: [FieldDecl]
}

public struct ParamDecl: Sendable, Hashable {
    public var name: Ident
    public var type: TypeSyntax
    public var value: ExprID
}

public struct ConstDecl: Sendable, Hashable {
    public var name: Ident
    public var type: TypeSyntax?
    public var value: ExprID
}

public struct ListDecl: Sendable, Hashable {
    public var name: Ident
    public var path: String
    public var pathSpan: Span
}

public struct LookupDecl: Sendable, Hashable {
    public var name: Ident
    public var path: String
    public var pathSpan: Span
    public var key: Ident
    /// `latest by FIELD`: of several rows with one key, the one with the greatest FIELD wins
    /// (a later row wins a tie); without it, the last row wins.
    public var latestBy: Ident?
    public var fields: [FieldDecl]
}

public enum WindowAggregate: String, Sendable, Hashable {
    case count, sum, distinct
}

public struct WindowDecl: Sendable, Hashable {
    public var name: Ident
    public var aggregate: WindowAggregate
    public var aggregateSpan: Span
    public var field: Ident?
    public var by: Ident
    public var over: Int64
    public var overSpan: Span
    /// `max_keys N`: at most N keys keep state (the least recently seen are evicted first).
    public var maxKeys: Int64? = nil
}

public struct LetDecl: Sendable, Hashable {
    public var name: Ident
    public var value: ExprID
}

public struct OutputDecl: Sendable, Hashable {
    public var name: Ident
    public var columns: [FieldDecl]
    public var sortBy: [Ident]
    /// `notify by COLUMN`: the column naming the subject each row notifies.
    public var notifyBy: Ident? = nil
}

/// `reject CODE on …` / `reject CODE when …`: a row check (see `CheckedPack.Reject`).
public struct RejectDecl: Sendable, Hashable {
    public enum Check: Sendable, Hashable {
        /// `on columns`; the span is the word `columns`.
        case columns(Span)
        /// `on a, b`.
        case fields([Ident])
        /// `on duplicate a`; the span is the word `duplicate`.
        case duplicate(Ident, Span)
        /// `when EXPR`.
        case condition(ExprID)
    }
    public var code: Ident
    public var check: Check
    /// From `reject` to the end of the check.
    public var span: Span
}

public struct EmitClause: Sendable, Hashable {
    public var output: Ident
    public var columns: [EmitColumn]
    public var span: Span
}

public struct EmitColumn: Sendable, Hashable {
    public var name: Ident
    /// Nil for the shorthand `column` meaning `column: column`.
    public var value: ExprID?
}

public enum Severity: String, Sendable, Hashable, CaseIterable {
    case low, medium, high, critical
}

public struct RuleDecl: Sendable, Hashable {
    public var id: Ident
    public var description: String
    public var when: ExprID?
    public var score: ExprID?
    public var action: Ident?
    public var emits: [EmitClause]
    public var tags: [String]
    public var severity: Severity?
    public var shadow: Bool
    public var span: Span
    /// Where the `tags`, `severity` and `shadow` clauses were written (the formatter keeps
    /// comments next to them).
    public var tagsSpan: Span? = nil
    public var severitySpan: Span? = nil
    public var shadowSpan: Span? = nil
}

public struct DecideEntry: Sendable, Hashable {
    public var action: Ident
    public var condition: ExprID?
}

public struct DecideDecl: Sendable, Hashable {
    public var entries: [DecideEntry]
    public var span: Span
}

public enum Decl: Sendable, Hashable {
    case package(Ident)
    case version(String, Span)
    case zone(String, Span)
    case onError(Ident)
    case input(InputDecl)
    case param(ParamDecl)
    case const(ConstDecl)
    case list(ListDecl)
    case lookup(LookupDecl)
    case window(WindowDecl)
    case `let`(LetDecl)
    case output(OutputDecl)
    case reject(RejectDecl)
    case rule(RuleDecl)
    case decide(DecideDecl)
}

/// A parsed pack: declarations in source order, expressions in one array.
public struct PackSyntax: Sendable, Hashable {
    public var decls: [Decl] = []
    /// Where each declaration starts, parallel to `decls` (the formatter places comments by it).
    public var declSpans: [Span] = []
    public var exprs: [Expr] = []
    public var comments: [Comment] = []
    /// Expressions the author wrapped in parentheses. Meaning never depends on it (the tree
    /// already has the grouping); the formatter keeps the author's parentheses between
    /// operators, so `(a and b) or c` stays written that way.
    public var parenthesized: Set<ExprID> = []

    public init() {}

    public subscript(id: ExprID) -> Expr { exprs[Int(id)] }

    public mutating func add(_ kind: ExprKind, _ span: Span) -> ExprID {
        exprs.append(Expr(kind: kind, span: span))
        return ExprID(exprs.count - 1)
    }
}
