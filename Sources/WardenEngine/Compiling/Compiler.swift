import WardenLang

/// Compiles a checked pack to a `Program`: fields resolved to slots, constants folded,
/// `in` over constant lists turned into hash-set probes, regexes compiled once, every
/// expression flattened into register instructions with short-circuit jumps.
struct Compiler {
    let pack: CheckedPack
    let zone: Zone
    let fold: Bool
    var program = Program()
    var diagnostics = DiagnosticBag()
    var reference: ReferenceEvaluator
    var patternIndex: [String: Int] = [:]
    var zoneIndex: [String: Int] = [:]
    var setIndex: [ExprID: Int32] = [:]
    var constIndex: [ExactKey: Int32] = [:]
    /// Shared subexpressions (by their dump) → the hidden let computing them.
    var shared: [String: Int] = [:]
    /// Each let's expression (declared and shared lets), for compiling it in line.
    var letBodies: [Int: ExprID] = [:]
    /// Lets whose in-line code is being emitted (a let never inlines itself).
    var inlining: Set<Int> = []
    /// The last instruction `op` emitted and the fresh register it writes (see `emit(_:into:)`).
    var lastResult: (pc: Int, register: Int32)?
    /// Lets that code compiled so far may compute, for one record, before the code being
    /// compiled now runs (see `letSlot`).
    var mentioned: Set<Int> = []
    /// True while compiling the rules and decide blocks, where code runs in the order it is
    /// compiled (forward jumps only): a let's first mention there needs no readiness test.
    var firstMentionsAreFresh = false
    /// The lets each let's own block may compute (it runs for `ensureLet` and `--explain`).
    var blockMentions: [Int: Set<Int>] = [:]

    struct Failed: Error {}

    /// Tables for the pack's lookups by name; a lookup without one is a compile error.
    let tables: [String: LookupTable]
    /// Whether the caller supplies window values with each record (the real-time engine, rule
    /// tests, `warden eval`); otherwise a window is a compile error.
    let windows: Bool

    init(pack: CheckedPack, params: [Value], lists: [[String]], lookups: [String: LookupTable], windows: Bool,
         zone: Zone, fold: Bool) {
        self.pack = pack
        self.windows = windows
        self.zone = zone
        self.fold = fold
        self.tables = lookups
        self.reference = ReferenceEvaluator(pack: pack, params: params, lists: lists,
                                            lookups: pack.lookups.map { lookups[$0.name] }, zone: zone)
        program.zone = zone
        program.zones = [zone]
        zoneIndex[zone.identifier] = 0
    }

    static func compile(_ pack: CheckedPack, params: [Value], lists: [[String]], lookups: [String: LookupTable] = [:],
                        windows: Bool = false, zone: Zone, fold: Bool = true) -> (Program?, [Diagnostic]) {
        var c = Compiler(pack: pack, params: params, lists: lists, lookups: lookups, windows: windows, zone: zone, fold: fold)
        c.run(params: params)
        return (c.diagnostics.hasErrors ? nil : c.program, c.diagnostics.sorted)
    }

    mutating func run(params: [Value]) {
        program.packageName = pack.packageName
        program.version = pack.version
        program.inputName = pack.inputName
        program.fields = pack.fields.map { Program.Field(name: $0.name, type: $0.type, isKey: $0.isKey, isPersonal: $0.isPersonal) }
        program.keyField = pack.keyField
        program.outputs = pack.outputs.map { ($0.name, $0.columns, $0.sortBy) }
        program.actions = pack.actions
        program.onError = pack.onError
        program.params = pack.params.indices.map { (pack.params[$0].name, pack.params[$0].type, params[$0]) }
        if windows {
            program.windows = pack.windows
        } else {
            for w in pack.windows {
                diagnostics.error(.missingRuntime,
                                  "window '\(w.name)' needs the real-time state store, which this command does not provide",
                                  at: w.span, help: "windows run in the real-time engine (Engine, warden serve, warden eval)")
            }
        }
        for l in pack.lookups {
            if let table = tables[l.name], table.fieldCount == l.fields.count {
                program.lookups.append(table)
                program.lookupFields.append(l.fields.enumerated().map {
                    Program.Field(name: $1.name, type: $1.type, isKey: $0 == l.key, isPersonal: $1.isPersonal)
                })
            } else {
                diagnostics.error(.missingRuntime, "lookup '\(l.name)' needs its table, which this command does not load",
                                  at: l.span, help: "give the table with --lookup \(l.name)=FILE (warden sweep, warden eval)")
            }
        }
        // Every const is computed once here, used or not, so a failing one is reported at its
        // declaration rather than at each use.
        for (i, c) in pack.consts.enumerated() {
            do throws(EvalError) {
                _ = try reference.constValue(i)
            } catch {
                diagnostics.error(.constantArithmetic,
                                  "const '\(c.name)' fails: \(error.message) (\(error.code.rawValue))",
                                  at: span(c.value), label: error.message)
            }
        }
        if diagnostics.hasErrors { return }

        // The decide state's registers: the score, then one flag per action.
        program.scoreRegister = register()
        for _ in pack.actions { _ = register() }
        // Lets first (their blocks are entered on demand), then the subexpressions several
        // rules share, then rules, then decide.
        for l in pack.lets {
            program.lets.append(Program.Let(name: l.name, type: l.type, block: Block(start: 0),
                                            resultRegister: register(), declared: true))
        }
        for (i, l) in pack.lets.enumerated() {
            letBodies[i] = l.value
            inlining.insert(i)
            mentioned = []
            program.lets[i].block = block(l.value)
            blockMentions[i] = mentioned.union([i])
            inlining.remove(i)
        }
        planSharedSubexpressions()
        // From here on, code is compiled in the order it runs for a record: rejects, then each
        // rule's emits (at its hit), then the rules; `mentioned` follows along.
        mentioned = []
        // Reject conditions: each its own block, run in order before the rules block.
        program.rejectCodes = pack.rejects.map(\.code)
        for (k, r) in pack.rejects.enumerated() {
            if case .condition(let e) = r.check { program.rejectConditions.append((k, block(e))) }
        }
        for rule in pack.rules {
            let emits = rule.emits.map { e in (output: e.output, values: e.values.map { block($0) }) }
            let reads: [(name: String, source: Program.Read, type: ValueType)] = rule.reads.compactMap { r in
                switch r {
                case .field(let f): return (pack.fields[f].name, .field(f), pack.fields[f].type)
                case .let(let l): return (pack.lets[l].name, .let(l), pack.lets[l].type)
                case .window(let w): return (pack.windows[w].name, .window(w), pack.windows[w].type)
                default: return nil
                }
            }
            program.rules.append(Program.Rule(
                id: rule.id, description: rule.description, action: rule.action,
                emits: emits, tags: rule.tags, severity: rule.severity, shadow: rule.shadow, reads: reads))
        }
        compileRules()
        compileDecide()
    }

    /// All rules as one block: each tests its condition (jumping to the next rule when it
    /// fails), computes its score and records the hit. One pass over the pack per record, no
    /// call per rule.
    mutating func compileRules() {
        program.rulesBlock = Block(start: Int32(program.code.count))
        firstMentionsAreFresh = true
        for (index, rule) in pack.rules.enumerated() {
            program.ruleStarts.append(Int32(program.code.count))
            do throws(Failed) {
                var failed: [Int] = []
                try branch(rule.when, when: false, into: &failed)
                let score = try rule.score.map { s throws(Failed) in try emit(s) } ?? constant(.int(0))
                append(.hit, Int32(index), score)
                for j in failed { patch(j) }
            } catch {
                // Reported already; the program is discarded.
            }
            // `--explain` computes the lets a rule reads when it hits.
            for case .let(let l) in program.rules[index].reads.map(\.source) { mentionBlock(of: l) }
        }
        program.ruleStarts.append(Int32(program.code.count))
        append(.ret, constant(.null))
    }

    /// The decide policy as one block returning the chosen action's index.
    mutating func compileDecide() {
        program.decideBlock = Block(start: Int32(program.code.count))
        for entry in pack.decide {
            program.decideStarts.append(Int32(program.code.count))
            do throws(Failed) {
                var failed: [Int] = []
                if let c = entry.condition { try branch(c, when: false, into: &failed) }
                append(.ret, constant(.int(Int64(entry.action))))
                for j in failed { patch(j) }
            } catch {
                // Reported already.
            }
        }
        program.decideStarts.append(Int32(program.code.count))
        append(.ret, constant(.int(-1)))
    }

    // MARK: Shared subexpressions

    /// Calls and regex matches written identically in several places (`normalize(memo)` in two
    /// rules) become hidden lets: computed at most once per record, and only when first needed,
    /// so short-circuiting and error behaviour are unchanged. Names cannot be shadowed in the
    /// language, so identical text means an identical value.
    mutating func planSharedSubexpressions() {
        var counts: [String: (count: Int, id: ExprID)] = [:]
        func visit(_ id: ExprID) {
            let kind = pack.syntax[id].kind
            var candidate = false
            switch kind {
            case .call:
                if case .function(let fn)? = pack.resolutions[id], !fn.isDecideOnly { candidate = true }
            case .binary(.matches, _, _):
                candidate = true
            case .index(let base, _):
                if case .lookup? = pack.resolutions[base] { candidate = true }
            default: break
            }
            if candidate && !pack.constant[Int(id)] {
                counts[pack.syntax.dump(id), default: (0, id)].count += 1
            }
            for child in pack.syntax.children(id) { visit(child) }
        }
        for l in pack.lets { visit(l.value) }
        for r in pack.rejects {
            if case .condition(let e) = r.check { visit(e) }
        }
        for r in pack.rules {
            visit(r.when)
            if let s = r.score { visit(s) }
        }
        for (key, entry) in counts.sorted(by: { $0.key < $1.key }) where entry.count >= 2 {
            shared[key] = program.lets.count
            program.lets.append(Program.Let(name: "(shared) \(key)", type: type(entry.id), block: Block(start: 0),
                                            resultRegister: register(), declared: false))
        }
        // Bodies are compiled after every shared let exists, so one may use another.
        for (key, index) in shared.sorted(by: { $0.value < $1.value }) {
            guard let entry = counts[key] else { continue }
            letBodies[index] = entry.id
            inlining.insert(index)
            mentioned = []
            program.lets[index].block = block(entry.id, root: true)
            blockMentions[index] = mentioned.union([index])
            inlining.remove(index)
        }
    }

    // MARK: Blocks

    /// Compiles an expression as a block ending in `ret`. `root` compiles a shared
    /// subexpression's own body rather than a reference to it.
    mutating func block(_ id: ExprID, root: Bool = false) -> Block {
        let start = Int32(program.code.count)
        do {
            let r = try emit(id, root: root)
            append(.ret, r)
        } catch {
            append(.ret, 0)
        }
        return Block(start: start)
    }

    /// Emits code that jumps (to targets patched later, collected in `jumps`) when `id`
    /// evaluates to `when`, and falls through otherwise.
    mutating func branch(_ id: ExprID, when: Bool, into jumps: inout [Int]) throws(Failed) {
        if fold && pack.constant[Int(id)], case .bool(let b) = try constantValue(id) {
            if b == when {
                jumps.append(program.code.count)
                append(.jump, 0)
            }
            return
        }
        switch pack.syntax[id].kind {
        case .binary(.and, let l, let r) where !when:
            try branch(l, when: false, into: &jumps)
            try branch(r, when: false, into: &jumps)
        case .binary(.or, let l, let r) where when:
            try branch(l, when: true, into: &jumps)
            try branch(r, when: true, into: &jumps)
        case .binary(.and, let l, let r):
            var skip: [Int] = []
            try branch(l, when: false, into: &skip)
            try branch(r, when: true, into: &jumps)
            for j in skip { patch(j) }
        case .binary(.or, let l, let r):
            var skip: [Int] = []
            try branch(l, when: true, into: &skip)
            try branch(r, when: false, into: &jumps)
            for j in skip { patch(j) }
        case .unary(.not, let e):
            try branch(e, when: !when, into: &jumps)
        default:
            if try fusedBranch(id, when: when, into: &jumps) { return }
            let r = try emit(id)
            jumps.append(program.code.count)
            append(when ? .jumpIfTrue : .jumpIfFalse, r, 0)
        }
    }

    /// Emits one compare-and-branch instruction for a comparison, `in` over a constant set,
    /// or a null test; false when `id` is none of those.
    mutating func fusedBranch(_ id: ExprID, when: Bool, into jumps: inout [Int]) throws(Failed) -> Bool {
        // A shared subexpression (a `matches` written in several rules) is read from its
        // hidden let, computed once per record, not evaluated again here.
        if shared[pack.syntax.dump(id)] != nil { return false }
        func emitJump(_ op: Opcode, _ a: Int32, _ b: Int32, holds: Bool) {
            jumps.append(program.code.count)
            // The target is patched later; the polarity lives in the sign of operand c.
            append(op, a, b, holds ? 0 : -1)
        }
        switch pack.syntax[id].kind {
        case .binary(let bop, let l, let r) where [.lt, .le, .gt, .ge, .eq, .ne].contains(bop):
            let lt = type(l).unwrapped, rt = type(r).unwrapped
            let promote = (lt == .decimal) != (rt == .decimal) && lt.isNumeric && rt.isNumeric
            let kind = promote ? ValueType.decimal : lt
            if bop != .eq && bop != .ne && kind == .string { return false }
            let a = try emit(l, promote: promote), b = try emit(r, promote: promote)
            let equal: Opcode = lt != rt ? .branchEqual
                : lt.isIntLike ? .branchEqualInt : lt == .string ? .branchEqualString : .branchEqual
            switch bop {
            case .eq: emitJump(equal, a, b, holds: when)
            case .ne: emitJump(equal, a, b, holds: !when)
            case .lt: emitJump(kind == .decimal ? .branchLessMoney : .branchLessInt, a, b, holds: when)
            case .le: emitJump(kind == .decimal ? .branchLessEqualMoney : .branchLessEqualInt, a, b, holds: when)
            case .gt: emitJump(kind == .decimal ? .branchLessMoney : .branchLessInt, b, a, holds: when)
            default: emitJump(kind == .decimal ? .branchLessEqualMoney : .branchLessEqualInt, b, a, holds: when)
            }
            return true
        case .binary(let bop, let l, let r) where (bop == .in || bop == .notIn) && isConstantSet(r):
            let promote = type(r) == .list(.decimal)
            let set = try setTable(r)
            emitJump(.branchInSet, try emit(l, promote: promote), set, holds: (bop == .in) == when)
            return true
        case .binary(let bop, let l, let r) where bop == .in || bop == .notIn:
            guard case .range(let lo, let hi) = pack.syntax[r].kind else { return false }
            try branchInRange(l, lo, hi, when: (bop == .in) == when, into: &jumps)
            return true
        case .binary(.matches, let l, let r):
            guard case .string(let pattern) = try constantValue(r) else { throw Failed() }
            let p = try patternNumber(pattern, at: r)
            emitJump(.branchMatches, try emit(l), p, holds: when)
            return true
        case .isNull(let e, let negated):
            emitJump(.branchNull, try emit(e), 0, holds: negated != when)
            return true
        default:
            return false
        }
    }

    /// Branches when `x in lo..hi` is `when`: one set probe for a range of small constant ints
    /// (`hour in 0..5`), else two compare-and-branches (strings take the general path).
    mutating func branchInRange(_ x: ExprID, _ lo: ExprID, _ hi: ExprID, when: Bool,
                                into jumps: inout [Int]) throws(Failed) {
        if let set = try smallIntRange(x, lo, hi) {
            // x's own code first: the jump to patch is the branch, not x's first instruction.
            let v = try emit(x)
            jumps.append(program.code.count)
            append(.branchInSet, v, set, when ? 0 : -1)
            return
        }
        let decimal = [x, lo, hi].contains { type($0).unwrapped == .decimal }
        if type(x).unwrapped == .string {
            let r = try emitRange(x, lo, hi)
            jumps.append(program.code.count)
            append(when ? .jumpIfTrue : .jumpIfFalse, r, 0)
            return
        }
        let v = try emit(x, promote: decimal)
        let a = try emit(lo, promote: decimal), b = try emit(hi, promote: decimal)
        let lessEqual: Opcode = decimal ? .branchLessEqualMoney : .branchLessEqualInt
        // The target is patched later; the polarity lives in the sign of operand c.
        if when {
            let skip = program.code.count
            append(lessEqual, a, v, -1)
            jumps.append(program.code.count)
            append(lessEqual, v, b, 0)
            patch(skip)
        } else {
            jumps.append(program.code.count)
            append(lessEqual, a, v, -1)
            jumps.append(program.code.count)
            append(lessEqual, v, b, -1)
        }
    }

    /// The bit set for `x in lo..hi` when x is an int (or enum, date…) and both bounds are
    /// constants in 0..<64: membership is then one mask test. Nil otherwise.
    mutating func smallIntRange(_ x: ExprID, _ lo: ExprID, _ hi: ExprID) throws(Failed) -> Int32? {
        guard fold, type(x).unwrapped.isIntLike, pack.constant[Int(lo)], pack.constant[Int(hi)],
              case .int(let a) = try constantValue(lo), case .int(let b) = try constantValue(hi),
              0 <= a, a <= b, b < 64 else { return nil }
        program.sets.append(ConstantSet.make((a...b).map { .int($0) }, storage: program.setStorage))
        return Int32(program.sets.count - 1)
    }

    /// `in` over this right side probes a hash set built at compile time.
    func isConstantSet(_ r: ExprID) -> Bool {
        switch type(r) {
        case .list, .emptyList: break
        default: return false
        }
        if case .range = pack.syntax[r].kind { return false }
        if case .list? = pack.resolutions[r] { return true }
        return pack.constant[Int(r)]
    }

    // MARK: Emission helpers

    mutating func append(_ op: Opcode, _ a: Int32 = 0, _ b: Int32 = 0, _ c: Int32 = 0) {
        program.code.append(Instruction(op, a, b, c))
    }

    mutating func register() -> Int32 {
        program.registerCount += 1
        return Int32(program.registerCount - 1)
    }

    /// Emits `op dst, b, c` into a new register.
    mutating func op(_ op: Opcode, _ b: Int32, _ c: Int32 = 0) -> Int32 {
        let dst = register()
        append(op, dst, b, c)
        lastResult = (program.code.count - 1, dst)
        return dst
    }

    /// Puts the value of slot `r` in register `dst`. When the instruction just emitted (by
    /// `op`) is the only one writing `r`, it writes `dst` instead: no `move`.
    mutating func emit(_ r: Int32, into dst: Int32) {
        if let last = lastResult, last.pc == program.code.count - 1, last.register == r {
            program.code[last.pc].a = dst
            lastResult = nil
        } else {
            append(.move, dst, r)
        }
    }

    /// The frame slot of a constant (added to the pool once).
    mutating func constant(_ v: Value) -> Int32 {
        let k: Int
        if let i = constIndex[ExactKey(v)], program.constants[Int(i)] == v {
            k = Int(i)
        } else {
            program.constants.append(v)
            k = program.constants.count - 1
            constIndex[ExactKey(v)] = Int32(k)
        }
        return Int32(-1 - pack.fields.count - k)
    }

    /// The frame slot of input field `f`.
    func fieldSlot(_ f: Int) -> Int32 { Int32(f - pack.fields.count) }

    /// Points the jump at `at` to the next instruction (jump targets are operand a for
    /// `jump`, b for the conditional jumps).
    mutating func patch(_ at: Int) {
        let target = Int32(program.code.count)
        switch program.code[at].op {
        case .jump: program.code[at].a = target
        case .jumpIfFalse, .jumpIfTrue, .jumpIfNotNull, .jumpIfLetReady: program.code[at].b = target
        default:
            // Compare-and-branch: keep the polarity (sign of c) and set the target.
            program.code[at].c = program.code[at].c < 0 ? ~target : target
        }
    }

    func type(_ id: ExprID) -> ValueType { pack.types[Int(id)] }
    func span(_ id: ExprID) -> Span { pack.syntax[id].span }

    /// Evaluates a constant expression now; a failure is a compile error at its span.
    mutating func constantValue(_ id: ExprID) throws(Failed) -> Value {
        do throws(EvalError) {
            return try reference.value(id)
        } catch {
            diagnostics.error(.constantArithmetic, "this constant expression fails: \(error.message) (\(error.code.rawValue))",
                              at: span(id), label: error.message)
            throw Failed()
        }
    }

    /// Emits `id` and converts an int result to decimal when `promote` is set.
    mutating func emit(_ id: ExprID, promote: Bool) throws(Failed) -> Int32 {
        let r = try emit(id)
        return promote && type(id).unwrapped == .int ? op(.intToMoney, r) : r
    }

    /// The value of a let, as the slot of its result register.
    ///
    /// A small let is compiled in line at each use, behind a jump taken when this record
    /// already computed it: no nested call into the interpreter. A large one (or one whose
    /// body is being compiled right now) is entered through `ensureLet`.
    mutating func letSlot(_ index: Int) throws(Failed) -> Int32 {
        let register = program.lets[index].resultRegister
        // Two levels at most (a let inside a let): deeper chains of lets that use each other
        // twice would otherwise grow the code exponentially.
        guard let body = letBodies[index], !inlining.contains(index), inlining.count < Compiler.inlineLetDepth,
              expressionSize(body) <= Compiler.inlineLetLimit else {
            append(.ensureLet, Int32(index))
            mentionBlock(of: index)
            return register
        }
        // Where code runs in compile order, nothing before a let's first mention can have
        // computed it for this record: the test would always fall through. (Lets are pure, so
        // a test left out wrongly would only compute the value again, never read a stale one.)
        let fresh = firstMentionsAreFresh && !mentioned.contains(index)
        mentioned.insert(index)
        inlining.insert(index)
        defer { inlining.remove(index) }
        let skip = program.code.count
        if !fresh { append(.jumpIfLetReady, Int32(index), 0) }
        emit(try emit(body, root: true), into: register)
        append(.storeLet, Int32(index), register)
        if !fresh { patch(skip) }
        return register
    }

    /// Notes that let `index`'s own block may run here (and compute the lets it uses); a block
    /// not compiled yet may compute any let.
    mutating func mentionBlock(of index: Int) {
        mentioned.formUnion(blockMentions[index] ?? Set(program.lets.indices))
    }

    /// Lets up to this many expression nodes are compiled in line where they are used.
    static let inlineLetLimit = 24
    /// How deep in-line lets nest (the let being compiled as a block counts as one level).
    static let inlineLetDepth = 3

    /// The number of nodes in an expression (a let it uses counts as one).
    func expressionSize(_ id: ExprID) -> Int {
        1 + pack.syntax.children(id).reduce(0) { $0 + expressionSize($1) }
    }

    // MARK: Expressions

    /// Emits code computing `id` and returns the frame slot holding its value (a field or a
    /// constant needs no code at all).
    mutating func emit(_ id: ExprID, root: Bool = false) throws(Failed) -> Int32 {
        let t = type(id)
        // Constant lists and maps are always loaded whole; scalars fold unless asked not to
        // (the conformance suite runs both ways).
        if pack.constant[Int(id)] && (fold || isContainer(t)) {
            return constant(try constantValue(id))
        }
        if !root, let index = shared[pack.syntax.dump(id)] { return try letSlot(index) }
        switch pack.syntax[id].kind {
        case .int, .decimal, .string, .bool, .date, .duration, .regex:
            return constant(try constantValue(id))
        case .error, .range:
            throw Failed()
        case .name, .member:
            switch pack.resolutions[id] {
            case .field(let i)?: return fieldSlot(i)
            case .let(let i)?: return try letSlot(i)
            case .window(let i)?: return op(.window, Int32(i))
            case .lookupField(let l, let f)?:
                guard case .member(let base, _) = pack.syntax[id].kind else { throw Failed() }
                return op(.lookupField, try emit(base), Int32(l << 16 | f))
            default: return constant(try constantValue(id))
            }
        case .index(let base, let key):
            if case .lookup(let l)? = pack.resolutions[base] {
                return op(.lookupGet, try emit(key), Int32(l))
            }
            let table = try mapTable(base)
            let k = try emit(key, promote: keyIsDecimal(base))
            return op(.mapGet, k, table)
        case .call(_, let args): return try emitCall(id, args)
        case .unary(.not, let e): return op(.not, try emit(e))
        case .unary(.negate, let e):
            return op(t == .decimal ? .negMoney : .negInt, try emit(e))
        case .isNull(let e, let negated):
            return op(.isNull, try emit(e), negated ? 1 : 0)
        case .list(let items) where items.contains(where: isGuarded):
            // Elements present only when their condition holds: built one append at a time.
            let promote = t == .list(.decimal)
            let dst = register()
            append(.makeList, dst, 0, 0)
            for item in items {
                var skip: [Int] = []
                var value = item
                if case .guarded(let v, let condition) = pack.syntax[item].kind {
                    try branch(condition, when: false, into: &skip)
                    value = v
                }
                append(.appendList, dst, try emit(value, promote: promote))
                for j in skip { patch(j) }
            }
            return dst
        case .guarded:
            throw Failed()  // reported by the checker: only inside a list literal
        case .list(let items):
            let promote = t == .list(.decimal)
            var values: [Int32] = []
            for item in items { values.append(try emit(item, promote: promote)) }
            // Elements go to consecutive registers.
            let base = Int32(program.registerCount)
            for v in values { append(.move, register(), v) }
            return op(.makeList, base, Int32(values.count))
        case .map:
            diagnostics.error(.notConstant, "a map literal must be constant", at: span(id))
            throw Failed()
        case .totalScore: return program.scoreRegister
        case .requestedAction:
            guard case .requestedAction(let a)? = pack.resolutions[id] else { throw Failed() }
            return program.scoreRegister + 1 + Int32(a)
        case .binary(let bop, let l, let r): return try emitBinary(id, bop, l, r)
        }
    }

    func isGuarded(_ id: ExprID) -> Bool {
        if case .guarded = pack.syntax[id].kind { return true }
        return false
    }

    func isContainer(_ t: ValueType) -> Bool {
        switch t {
        case .list, .map, .emptyList, .range: return true
        default: return false
        }
    }

    func keyIsDecimal(_ base: ExprID) -> Bool {
        if case .map(.decimal, _) = type(base) { return true }
        return false
    }

    /// The map table for a constant map expression.
    mutating func mapTable(_ base: ExprID) throws(Failed) -> Int32 {
        guard pack.constant[Int(base)], case .list(let flat) = try constantValue(base) else {
            diagnostics.error(.notConstant, "only constant maps can be indexed here", at: span(base))
            throw Failed()
        }
        var table: [ExactKey: Value] = [:]
        var i = 0
        while i + 1 < flat.count {
            if table[ExactKey(flat[i])] == nil { table[ExactKey(flat[i])] = flat[i + 1] }
            i += 2
        }
        program.maps.append(ConstantMap.make(table, storage: program.setStorage))
        return Int32(program.maps.count - 1)
    }

    mutating func emitBinary(_ id: ExprID, _ bop: BinaryOp, _ l: ExprID, _ r: ExprID) throws(Failed) -> Int32 {
        let lt = type(l).unwrapped, rt = type(r).unwrapped
        let promote = (lt == .decimal) != (rt == .decimal) && lt.isNumeric && rt.isNumeric
        switch bop {
        case .and, .or, .coalesce:
            let dst = register()
            emit(try emit(l), into: dst)
            let jump = program.code.count
            append(bop == .and ? .jumpIfFalse : bop == .or ? .jumpIfTrue : .jumpIfNotNull, dst, 0)
            emit(try emit(r, promote: bop == .coalesce && type(id).unwrapped == .decimal), into: dst)
            patch(jump)
            return dst
        case .eq, .ne:
            let a = try emit(l, promote: promote), b = try emit(r, promote: promote)
            return op(bop == .eq ? .equal : .notEqual, a, b)
        case .lt, .le, .gt, .ge:
            let a = try emit(l, promote: promote), b = try emit(r, promote: promote)
            let kind = promote ? ValueType.decimal : lt
            let (less, lessEqual): (Opcode, Opcode) =
                kind == .decimal ? (.lessMoney, .lessEqualMoney)
                : kind == .string ? (.lessString, .lessEqualString) : (.lessInt, .lessEqualInt)
            switch bop {
            case .lt: return op(less, a, b)
            case .le: return op(lessEqual, a, b)
            case .gt: return op(less, b, a)
            default: return op(lessEqual, b, a)
            }
        case .in, .notIn:
            let found = try emitIn(l, r)
            return bop == .in ? found : op(.not, found)
        case .matches:
            guard case .string(let pattern) = try constantValue(r) else { throw Failed() }
            let p = try patternNumber(pattern, at: r)
            return op(.matches, try emit(l), p)
        case .add, .sub, .mul, .div, .mod:
            let a = try emit(l, promote: promote), b = try emit(r, promote: promote)
            let result = type(id)
            let code: Opcode
            switch (bop, result, lt) {
            case (.add, .string, _): code = .concat
            case (.add, .date, _): code = .addDays
            case (.sub, .date, _): code = .subDays
            case (_, .decimal, _):
                code = [BinaryOp.add: Opcode.addMoney, .sub: .subMoney, .mul: .mulMoney, .div: .divMoney][bop]!
            default:
                code = [BinaryOp.add: Opcode.addInt, .sub: .subInt, .mul: .mulInt, .div: .divInt, .mod: .modInt][bop]!
            }
            return op(code, a, b)
        }
    }

    mutating func emitIn(_ l: ExprID, _ r: ExprID) throws(Failed) -> Int32 {
        let rt = type(r)
        switch pack.syntax[r].kind {
        case .range(let lo, let hi):
            if let set = try smallIntRange(l, lo, hi) { return op(.inSet, try emit(l), set) }
            return try emitRange(l, lo, hi)
        case .list(let items) where !pack.constant[Int(r)] && !items.contains(where: isGuarded):
            // `x in [a, b]` with non-constant elements: a chain of equality tests.
            let promote = rt == .list(.decimal)
            let x = try emit(l, promote: promote)
            let dst = register()
            append(.move, dst, constant(.bool(false)))
            var jumps: [Int] = []
            for item in items {
                append(.equal, dst, x, try emit(item, promote: promote))
                jumps.append(program.code.count)
                append(.jumpIfTrue, dst, 0)
            }
            for j in jumps { patch(j) }
            return dst
        default:
            break
        }
        if case .map(let k, _) = rt {
            let table = try mapTable(r)
            return op(.inMap, try emit(l, promote: k == .decimal), table)
        }
        if isConstantSet(r) {
            let promote = rt == .list(.decimal)
            let set = try setTable(r)
            return op(.inSet, try emit(l, promote: promote), set)
        }
        // A list-valued field.
        return op(.inList, try emit(l, promote: rt == .list(.decimal)), try emit(r))
    }

    /// `x in lo..hi` as a bool: `lo <= x`, then `x <= hi` only when that holds.
    mutating func emitRange(_ l: ExprID, _ lo: ExprID, _ hi: ExprID) throws(Failed) -> Int32 {
        let decimal = type(l).unwrapped == .decimal || type(lo).unwrapped == .decimal || type(hi).unwrapped == .decimal
        let x = try emit(l, promote: decimal)
        let a = try emit(lo, promote: decimal), b = try emit(hi, promote: decimal)
        let lessEqual: Opcode = decimal ? .lessEqualMoney : type(l).unwrapped == .string ? .lessEqualString : .lessEqualInt
        let dst = op(lessEqual, a, x)
        let jump = program.code.count
        append(.jumpIfFalse, dst, 0)
        append(lessEqual, dst, x, b)
        patch(jump)
        return dst
    }

    mutating func setTable(_ r: ExprID) throws(Failed) -> Int32 {
        if let i = setIndex[r] { return i }
        guard case .list(let items) = try constantValue(r) else { throw Failed() }
        program.sets.append(ConstantSet.make(items, storage: program.setStorage))
        let i = Int32(program.sets.count - 1)
        setIndex[r] = i
        return i
    }

    mutating func patternNumber(_ pattern: String, at id: ExprID) throws(Failed) -> Int32 {
        if let i = patternIndex[pattern] { return Int32(i) }
        do throws(Pattern.CompileError) {
            program.patterns.append(try Pattern(pattern))
        } catch {
            // Point at the offending character when the pattern is a literal.
            let s = span(id)
            var at = s
            if case .regex = pack.syntax[id].kind {
                let offset = Int(s.start) + 1 + error.offset
                at = Span(min(offset, Int(s.end) - 1), min(offset + 1, Int(s.end)))
            }
            diagnostics.error(.invalidRegex, "invalid regular expression: \(error.message)", at: at,
                              help: "PCRE2 syntax; escape special characters with \\")
            throw Failed()
        }
        patternIndex[pattern] = program.patterns.count - 1
        return Int32(program.patterns.count - 1)
    }

    mutating func emitCall(_ id: ExprID, _ args: [ExprID]) throws(Failed) -> Int32 {
        guard case .function(let fn)? = pack.resolutions[id] else { throw Failed() }
        switch fn {
        case .hit:
            guard case .hitRule(let rule)? = pack.resolutions[args[0]] else { throw Failed() }
            return op(.hitRule, Int32(rule))
        case .tagged:
            guard case .string(let tag) = try constantValue(args[0]) else { throw Failed() }
            program.strings.append(tag)
            return op(.tagged, Int32(program.strings.count - 1))
        default: break
        }
        var values: [Int32] = []
        for a in args.prefix(fn == .hour ? 1 : 2) {
            var r = try emit(a, promote: (fn == .min || fn == .max) && type(id) == .decimal)
            if (fn == .daysBetween || fn == .weekday) && type(a) == .timestamp { r = op(.timestampToDate, r) }
            values.append(r)
        }
        var zoneNumber = 0
        if fn == .hour, args.count == 2 {
            guard case .string(let name) = try constantValue(args[1]) else { throw Failed() }
            if let i = zoneIndex[name] {
                zoneNumber = i
            } else if let z = Zone(identifier: name) {
                program.zones.append(z)
                zoneNumber = program.zones.count - 1
                zoneIndex[name] = zoneNumber
            } else {
                diagnostics.error(.unknownZone, "unknown time zone '\(name)'", at: span(args[1]),
                                  help: "use an IANA name such as \"Asia/Shanghai\" or \"UTC\"")
                throw Failed()
            }
        }
        // Builtins on ints get an instruction of their own (no call through `Ops.call`).
        switch fn {
        case .hour: return op(.hour, values[0], Int32(zoneNumber))
        case .daysBetween: return op(.subInt, values[1], values[0])
        default: break
        }
        program.calls.append(CallSite(fn: fn, zone: zoneNumber, first: values[0],
                                      second: values.count > 1 ? values[1] : constant(.null)))
        return op(.call, Int32(program.calls.count - 1))
    }
}

extension ValueType {
    /// Carried as `Value.int` at run time: ints, dates, timestamps, durations, enum members.
    var isIntLike: Bool {
        switch self {
        case .int, .date, .timestamp, .duration, .enumeration: return true
        default: return false
        }
    }
}
