/// A pack that passed the checker: symbol tables, and per-expression types and resolutions
/// (side tables keyed by `ExprID`). The engine compiles this; nothing here is re-checked.
public struct CheckedPack: Sendable {
    public struct Field: Sendable, Hashable {
        public let name: String
        public let type: ValueType
        public let isKey: Bool
        public let span: Span
        /// Declared `@pii`: masked in explanations, alerts and logs.
        public var isPersonal: Bool = false
    }
    public struct Param: Sendable {
        public let name: String
        public let type: ValueType
        public let value: ExprID
        public let span: Span
    }
    public struct Const: Sendable {
        public let name: String
        public let type: ValueType
        public let value: ExprID
    }
    public struct NamedList: Sendable {
        public let name: String
        public let path: String
        public let span: Span
    }
    public struct Lookup: Sendable {
        public let name: String
        public let path: String
        public let key: Int
        /// The field ordering a key's rows (`latest by`): the greatest wins, a later row a tie.
        public let latestBy: Int?
        public let fields: [Field]
        public let span: Span
    }
    public struct Window: Sendable {
        public let name: String
        public let aggregate: WindowAggregate
        /// The aggregated input field (sum, distinct).
        public let field: Int?
        /// The input field the window is keyed by.
        public let by: Int
        public let seconds: Int64
        public let type: ValueType
        /// The input's first non-optional timestamp field: the event's own time.
        public let time: Int
        /// `max_keys N`, if given.
        public let maxKeys: Int?
        public let span: Span
    }
    public struct Let: Sendable {
        public let name: String
        public let value: ExprID
        public let type: ValueType
    }
    public struct Output: Sendable {
        public let name: String
        public let columns: [(name: String, type: ValueType)]
        public let sortBy: [Int]
        /// Columns declared `@pii`: masked in `NAME.csv`, complete only in the file that feeds
        /// a sender.
        public var personalColumns: Set<Int> = []
        /// `notify by COLUMN`: each row is a notification to the subject in that column, recorded
        /// in the notification ledger so a campaign never notifies a subject twice.
        public var notifyBy: Int? = nil
    }
    /// A `reject` declaration: a row check a sweep applies before any rule runs. A row's reject
    /// reason is the code of the first declaration (in source order) whose check fails.
    public struct Reject: Sendable {
        public enum Check: Sendable, Hashable {
            /// `on columns`: the row has a different number of fields than the header.
            case columns
            /// `on a, b`: one of these input fields is missing or does not decode as its type.
            case fields([Int])
            /// `on duplicate a`: an earlier accepted row has the same value of this field.
            case duplicate(Int)
            /// `when EXPR`: the condition (a bool over the decoded row) holds.
            case condition(ExprID)
        }
        public let code: String
        public let check: Check
        public let span: Span
    }
    public struct Emit: Sendable {
        public let output: Int
        /// One expression per output column, in the output's column order.
        public let values: [ExprID]
    }
    public struct Rule: Sendable {
        public let id: String
        public let description: String
        public let when: ExprID
        public let score: ExprID?
        public let action: Int?
        public let emits: [Emit]
        public let tags: [String]
        public let severity: Severity?
        public let shadow: Bool
        /// The fields and lets the condition reads, in first-use order (for explanations).
        public let reads: [Resolution]
        public let span: Span
    }

    public let syntax: PackSyntax
    public let packageName: String
    public let version: String?
    public let zone: String?
    public let zoneSpan: Span?
    public let inputName: String
    public let fields: [Field]
    public let keyField: Int?
    public let params: [Param]
    public let consts: [Const]
    public let lists: [NamedList]
    public let lookups: [Lookup]
    public let windows: [Window]
    public let lets: [Let]
    public let outputs: [Output]
    /// Row checks in source order (see ``Reject``).
    public var rejects: [Reject] = []
    public let rules: [Rule]
    /// Action names in decide order (the first is the most severe).
    public let actions: [String]
    public let decide: [(action: Int, condition: ExprID?)]
    public let onError: Int?
    /// Type of each expression, indexed by `ExprID`.
    public let types: [ValueType]
    /// What each name, member, call or decide reference denotes.
    public let resolutions: [ExprID: Resolution]
    /// Whether each expression is a compile-time constant (params count as constants).
    public let constant: [Bool]

    public func type(of id: ExprID) -> ValueType { types[Int(id)] }
}

/// What a name or call in an expression denotes.
public enum Resolution: Sendable, Hashable {
    case field(Int)
    case param(Int)
    case const(Int)
    case list(Int)
    case lookup(Int)
    case window(Int)
    case `let`(Int)
    case enumMember(Int)
    /// A column of a lookup record (`r.name`).
    case lookupField(lookup: Int, field: Int)
    case function(Builtin)
    case totalScore
    case requestedAction(Int)
    case hitRule(Int)
}
