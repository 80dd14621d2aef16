/// What evaluating one record produced. Indices refer to the `Program` (rules, actions,
/// outputs); `CompiledPack` renders them with names.
public struct Decision: Sendable, Equatable {
    /// Index into the program's actions; -1 when the pack has no `decide` (the action is `allow`).
    public var action: Int = -1
    /// Total score of the non-shadow hits.
    public var score: Int64 = 0
    /// Rules that hit, in pack order, shadow rules included.
    public var hits: [Hit] = []
    /// Rows for outputs, from non-shadow hits, in pack order.
    public var emits: [Emission] = []
    /// Rules (or decide entries, as negative indices −1 − entry) whose evaluation failed.
    public var errors: [RuleError] = []
    /// Index into `CheckedPack.rejects` of the `reject … when` condition that held, if any:
    /// the record is rejected and no rule ran (no hits, no emits, action −1). A condition whose
    /// evaluation fails rejects too (fail closed), with its error in `errors` under
    /// `RuleError.rejectRule(index)`.
    public var reject: Int? = nil

    public init() {}
}

public struct Hit: Sendable, Equatable {
    public var rule: Int
    public var score: Int64
    public var shadow: Bool
    /// With explain: the fields and lets the condition read, rendered as JSON values.
    public var explanation: [(name: String, json: String)] = []

    public init(rule: Int, score: Int64, shadow: Bool) {
        self.rule = rule
        self.score = score
        self.shadow = shadow
    }

    public static func == (a: Hit, b: Hit) -> Bool {
        a.rule == b.rule && a.score == b.score && a.shadow == b.shadow
            && a.explanation.map(\.name) == b.explanation.map(\.name)
            && a.explanation.map(\.json) == b.explanation.map(\.json)
    }
}

public struct Emission: Sendable, Equatable {
    public var output: Int
    /// One value per output column, in column order.
    public var values: [Value]
}

/// Emitted rows end to end, for ``Evaluator/evaluate(_:emittingInto:)``: row `i` goes to
/// output `output(i)` with `values(i)`, one value per output column. Reused across records, it
/// keeps its capacity, so a bulk run allocates nothing per emitted row.
public struct Emissions: Sendable {
    var outputs: [Int] = []
    /// Where each row's values end in ``values``.
    var ends: [Int] = []
    var values: [Value] = []

    public init() {}

    public var count: Int { outputs.count }

    /// The output (an index into the program's outputs) of row `i`.
    public func output(_ i: Int) -> Int { outputs[i] }

    /// Row `i`'s values, in column order.
    public func values(_ i: Int) -> ArraySlice<Value> {
        values[(i == 0 ? 0 : ends[i - 1])..<ends[i]]
    }

    mutating func removeAll() {
        outputs.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        values.removeAll(keepingCapacity: true)
    }

    /// Keeps the first `rows` rows.
    mutating func truncate(to rows: Int) {
        let kept = rows == 0 ? 0 : ends[rows - 1]
        outputs.removeSubrange(rows...)
        ends.removeSubrange(rows...)
        values.removeSubrange(kept...)
    }
}

public struct RuleError: Sendable, Equatable {
    /// The rule (≥ 0), the decide entry (−1 − entry), or the reject (`rejectRule(k)`) whose
    /// evaluation failed.
    public var rule: Int
    public var error: EvalError

    /// `rule` for an error in the condition of reject `k` (an index into `CheckedPack.rejects`):
    /// `Int.min + k`, far from every rule and decide index.
    public static func rejectRule(_ k: Int) -> Int { Int.min + k }

    /// The reject whose condition failed, when this error is one (see ``rejectRule(_:)``).
    public var rejectIndex: Int? { rule < Int.min / 2 ? rule - Int.min : nil }
}
