import WardenLang

/// One VM instruction: an opcode and up to three small integer operands (16 bytes).
/// Operands are register numbers, constant/table indices or jump targets, as each
/// opcode's comment says. `r[x]` is register x.
public struct Instruction: Sendable, Hashable {
    public var op: Opcode
    public var a: Int32
    public var b: Int32
    public var c: Int32

    init(_ op: Opcode, _ a: Int32 = 0, _ b: Int32 = 0, _ c: Int32 = 0) {
        self.op = op
        self.a = a
        self.b = b
        self.c = c
    }
}

public enum Opcode: UInt8, Sendable, Hashable {
    /// r[a] = constants[b]
    case loadConst
    /// r[a] = record field slot b
    case loadField
    /// r[a] = value of let b (computed on first use in this record, then reused)
    case loadLet
    /// r[a] = r[b]
    case move
    /// return r[a] from the current block
    case ret
    /// pc = a
    case jump
    /// if r[a] is false: pc = b
    case jumpIfFalse
    /// if r[a] is true: pc = b
    case jumpIfTrue
    /// if r[a] is not null: pc = b
    case jumpIfNotNull
    /// r[a] = not r[b]
    case not
    /// r[a] = (r[b] is null) == (c == 0)   (c = 1 for `is not null`)
    case isNull
    /// r[a] = r[b] + r[c] on ints (checked); likewise sub, mul, div (truncating), mod
    case addInt, subInt, mulInt, divInt, modInt
    /// r[a] = -r[b] (int)
    case negInt
    /// r[a] = r[b] ⊕ r[c] on decimals (checked, half-even at 4 places)
    case addMoney, subMoney, mulMoney, divMoney
    /// r[a] = -r[b] (decimal)
    case negMoney
    /// r[a] = decimal(r[b]) for an int r[b]
    case intToMoney
    /// r[a] = r[b] + r[c] on dates and ints, range-checked to years 1–9999
    case addDays
    /// r[a] = r[b] - r[c] on a date and an int, range-checked
    case subDays
    /// r[a] = local date (in the pack zone) of timestamp r[b]
    case timestampToDate
    /// r[a] = r[b] + r[c] on strings
    case concat
    /// r[a] = (r[b] == r[c]) by the language's equality (null equals nothing)
    case equal
    /// r[a] = (r[b] != r[c]); null differs from everything
    case notEqual
    /// r[a] = r[b] < r[c] on ints; likewise <=
    case lessInt, lessEqualInt
    /// r[a] = r[b] < r[c] on decimals; likewise <=
    case lessMoney, lessEqualMoney
    /// r[a] = r[b] < r[c] on strings by scalars; likewise <=
    case lessString, lessEqualString
    /// r[a] = r[b] in sets[c]
    case inSet
    /// r[a] = r[b] in the list r[c] (a list-typed field)
    case inList
    /// r[a] = maps[c][r[b]] or null
    case mapGet
    /// r[a] = r[b] is a key of maps[c]
    case inMap
    /// r[a] = regex patterns[c] finds a match in r[b]
    case matches
    /// r[a] = builtin calls[b] applied to r[c] (and r[c+1] for two-argument builtins)
    case call
    /// r[a] = a list of the c registers starting at r[b]
    case makeList
    /// r[a] = the decision's total score (decide only)
    case totalScore
    /// r[a] = some non-shadow hit requested action b (decide only)
    case requestedAction
    /// r[a] = rule b hit, not in shadow (decide only)
    case hitRule
    /// r[a] = some non-shadow hit has tag strings[b] (decide only)
    case tagged
}

/// A compiled expression: its instructions run from `start` to a `ret`.
public struct Block: Sendable, Hashable {
    public var start: Int32
}

/// A builtin call site resolved at compile time.
public struct CallSite: Sendable {
    public let fn: Builtin
    /// Index into `Program.zones` for `hour`, `date_of`, `parse_timestamp`.
    public let zone: Int
}

/// A pack compiled for evaluation: immutable, `Sendable`, shared by every thread.
public struct Program: Sendable {
    public struct Rule: Sendable {
        public let id: String
        public let description: String
        public let condition: Block
        public let score: Block?
        public let action: Int?
        public let emits: [(output: Int, values: [Block])]
        public let tags: [String]
        public let severity: Severity?
        public let shadow: Bool
        /// What `--explain` shows: name, how to read it, its type.
        public let reads: [(name: String, source: Read, type: ValueType)]
    }
    public enum Read: Sendable {
        case field(Int)
        case `let`(Int)
    }
    public struct Let: Sendable {
        public let name: String
        public let type: ValueType
        public internal(set) var block: Block
        /// The register holding the let's value once computed for the current record.
        public let resultRegister: Int32
    }
    public struct Field: Sendable {
        public let name: String
        public let type: ValueType
        public let isKey: Bool
        /// Personal data (`@pii`): shown masked.
        public let isPersonal: Bool
    }

    public internal(set) var code: [Instruction] = []
    public internal(set) var constants: [Value] = []
    var sets: [Set<ExactKey>] = []
    var maps: [[ExactKey: Value]] = []
    public internal(set) var patterns: [Pattern] = []
    public internal(set) var calls: [CallSite] = []
    public internal(set) var zones: [Zone] = []
    public internal(set) var strings: [String] = []
    public internal(set) var lets: [Let] = []
    public internal(set) var rules: [Rule] = []
    public internal(set) var decide: [(action: Int, condition: Block?)] = []
    public internal(set) var registerCount = 0

    public internal(set) var packageName = ""
    public internal(set) var version: String?
    public internal(set) var inputName = ""
    public internal(set) var fields: [Field] = []
    public internal(set) var keyField: Int?
    public internal(set) var outputs: [(name: String, columns: [(name: String, type: ValueType)], sortBy: [Int])] = []
    public internal(set) var actions: [String] = []
    public internal(set) var onError: Int?
    public internal(set) var zone: Zone = .utc
    /// Param values after overrides, for reports.
    public internal(set) var params: [(name: String, type: ValueType, value: Value)] = []

    /// A readable listing of the instructions, for `--dump` and golden tests.
    public var listing: String {
        var out = ""
        for (pc, i) in code.enumerated() {
            out += "\(pc): \(i.op) \(i.a) \(i.b) \(i.c)\n"
        }
        return out
    }
}
