import WardenLang

/// One VM instruction: an opcode and up to three small integer operands (16 bytes).
///
/// Value operands are *frame slots*: a slot ≥ 0 is a temporary register; a slot in
/// `-F ... -1` is input field `slot + F` (F = number of fields); a slot ≤ `-F - 1` is
/// constant `-1 - F - slot`. The frame holds constants, then the record's fields, then the
/// temporaries, so an instruction reads a field or a constant directly, with no load.
/// `s[x]` below is slot x; other operands are indices or jump targets, as each case says.
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
    /// compute let a for this record unless done (its value is then in its result register)
    case ensureLet
    /// if let a was computed for this record: pc = b (skips the let's in-line code)
    case jumpIfLetReady
    /// let a's result register = s[b] (b may be that register: the let's code wrote it
    /// directly); let a is computed for this record
    case storeLet
    /// s[a] = s[b]
    case move
    /// return s[a] from the current block
    case ret
    /// pc = a
    case jump
    /// if s[a] is false: pc = b
    case jumpIfFalse
    /// if s[a] is true: pc = b
    case jumpIfTrue
    /// if s[a] is not null: pc = b
    case jumpIfNotNull
    /// s[a] = not s[b]
    case not
    /// s[a] = (s[b] is null) == (c == 0)   (c = 1 for `is not null`)
    case isNull
    /// s[a] = s[b] + s[c] on ints (checked); likewise sub, mul, div (truncating), mod
    case addInt, subInt, mulInt, divInt, modInt
    /// s[a] = -s[b] (int)
    case negInt
    /// s[a] = s[b] ⊕ s[c] on decimals (checked, half-even at 4 places)
    case addMoney, subMoney, mulMoney, divMoney
    /// s[a] = -s[b] (decimal)
    case negMoney
    /// s[a] = decimal(s[b]) for an int s[b]
    case intToMoney
    /// s[a] = s[b] + s[c] on a date and an int, range-checked to years 1–9999
    case addDays
    /// s[a] = s[b] - s[c] on a date and an int, range-checked
    case subDays
    /// s[a] = local date (in the pack zone) of timestamp s[b]
    case timestampToDate
    /// s[a] = local hour (0–23, in zones[c]) of timestamp s[b]
    case hour
    /// s[a] = s[b] + s[c] on strings
    case concat
    /// s[a] = (s[b] == s[c]) by the language's equality (null equals nothing)
    case equal
    /// s[a] = (s[b] != s[c]); null differs from everything
    case notEqual
    /// s[a] = s[b] < s[c] on ints; likewise <=
    case lessInt, lessEqualInt
    /// s[a] = s[b] < s[c] on decimals; likewise <=
    case lessMoney, lessEqualMoney
    /// s[a] = s[b] < s[c] on strings by scalars; likewise <=
    case lessString, lessEqualString
    /// s[a] = s[b] in sets[c]
    case inSet
    /// s[a] = s[b] in the list s[c] (a list-typed field)
    case inList
    /// s[a] = maps[c][s[b]] or null
    case mapGet
    /// s[a] = s[b] is a key of maps[c]
    case inMap
    /// s[a] = regex patterns[c] finds a match in s[b]
    case matches
    /// s[a] = builtin calls[b] applied to its argument slots
    case call
    /// s[a] = a list of the c registers starting at register b
    case makeList
    /// s[a] = s[a] with s[b] appended (a list being built element by element)
    case appendList
    /// s[a] = the row of lookups[c] keyed by s[b] (an opaque handle), or null
    case lookupGet
    /// s[a] = field (c & 0xFFFF) of lookups[c >> 16]'s row s[b], or null for a null row
    case lookupField
    /// s[a] = the value of window b for this event (given with the record)
    case window
    /// s[a] = rule b hit, not in shadow (decide only)
    case hitRule
    /// s[a] = some non-shadow hit has tag strings[b] (decide only)
    case tagged

    // Compare-and-branch: the comparison of a condition decides the jump directly, with no
    // bool in between. Operand c is the target: c ≥ 0 jumps to c when the test holds,
    // c < 0 jumps to ~c when it does not.
    /// test s[a] < s[b] (ints); likewise <=
    case branchLessInt, branchLessEqualInt
    /// test s[a] < s[b] (decimals); likewise <=
    case branchLessMoney, branchLessEqualMoney
    /// test s[a] == s[b] by the language's equality
    case branchEqual
    /// test s[a] == s[b] on ints (dates, timestamps, durations, enum ordinals too); null
    /// equals nothing
    case branchEqualInt
    /// test s[a] == s[b] on strings, by UTF-8 bytes; null equals nothing
    case branchEqualString
    /// test regex patterns[b] finds a match in s[a]
    case branchMatches
    /// test s[a] in sets[b]
    case branchInSet
    /// test s[a] is null
    case branchNull
    /// rule a hit, scoring s[b]: record it (and run its emits) in the decision
    case hit
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
    /// Frame slots of the arguments (the second is unused by one-argument builtins).
    public let first: Int32
    public let second: Int32
}

/// A pack compiled for evaluation: immutable, `Sendable`, shared by every thread.
public struct Program: Sendable {
    public struct Rule: Sendable {
        public let id: String
        public let description: String
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
        case window(Int)
    }
    public struct Let: Sendable {
        public let name: String
        public let type: ValueType
        public internal(set) var block: Block
        /// The register holding the let's value once computed for the current record.
        public let resultRegister: Int32
        /// False for lets the compiler made for subexpressions shared by several rules.
        public let declared: Bool
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
    var sets: [ConstantSet] = []
    /// Keeps the sets' and maps' memory alive as long as the program.
    let setStorage = ConstantSetStorage()
    var maps: [ConstantMap] = []
    public internal(set) var patterns: [Pattern] = []
    public internal(set) var calls: [CallSite] = []
    public internal(set) var zones: [Zone] = []
    /// The tables of the pack's lookups, in declaration order, and each one's fields.
    public internal(set) var lookups: [LookupTable] = []
    public internal(set) var lookupFields: [[Field]] = []
    /// The pack's velocity windows, in declaration order; their values come with each record
    /// (see ``WindowStore``).
    public internal(set) var windows: [CheckedPack.Window] = []
    public internal(set) var strings: [String] = []
    public internal(set) var lets: [Let] = []
    public internal(set) var rules: [Rule] = []
    /// Every rule's condition and score, in pack order, as one block: rule i's code starts at
    /// `ruleStarts[i]` and falls through to rule i+1 (`ruleStarts` ends with the block's end).
    /// An error inside rule i's range abandons rule i only.
    public internal(set) var rulesBlock: Block = Block(start: 0)
    public internal(set) var ruleStarts: [Int32] = []
    /// The decide policy as one block returning the action index (an int); entry i's code
    /// starts at `decideStarts[i]`, like `ruleStarts`.
    public internal(set) var decideBlock: Block = Block(start: 0)
    public internal(set) var decideStarts: [Int32] = []
    /// The code of every reject, indexed like `CheckedPack.rejects` (and `Decision.reject`).
    public internal(set) var rejectCodes: [String] = []
    /// The `reject … when` conditions in pack order: the reject's index and a block returning
    /// the condition's bool. Run before the rules; empty for a pack without them.
    public internal(set) var rejectConditions: [(reject: Int, block: Block)] = []
    /// Temporary registers (slots ≥ 0).
    public internal(set) var registerCount = 0
    /// The register holding the decision's total score so far (an int `hit` adds to; decide's
    /// `score` reads it like any slot). The registers after it hold one bool per action: some
    /// non-shadow hit requested it (decide's `action(x)`). The evaluator resets them per record.
    public internal(set) var scoreRegister: Int32 = 0

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

    /// A readable listing of the instructions and constants, for profiling and debugging.
    public var listing: String {
        var out = ""
        for (pc, i) in code.enumerated() {
            out += "\(pc): \(i.op) \(i.a) \(i.b) \(i.c)\n"
        }
        for (k, c) in constants.enumerated() { out += "constant \(k) (slot \(-1 - fields.count - k)) = \(c)\n" }
        return out
    }
}
