import WardenLang

/// Runs a compiled `Program` over records, one record at a time.
///
/// An evaluator owns mutable scratch state (registers, let memo, regex match data), so it is
/// not `Sendable`: make one per thread from a shared `CompiledPack` (cheap), and reuse it.
/// Nothing is allocated per record except the decision's hit and emit arrays when a rule hits.
public final class Evaluator {
    public let program: Program
    let code: [Instruction]
    /// The frame: constants, then the record's fields, then the temporary registers (see
    /// `Instruction`). `base` points at register 0; fields and constants sit below it, so an
    /// instruction's slot indexes `base` directly. A raw buffer rather than an array: the
    /// interpreter re-enters itself for lets, and an array property would pay an exclusivity
    /// check and a uniqueness check on every write.
    let frame: UnsafeMutablePointer<Value>
    let frameCount: Int
    let base: UnsafeMutablePointer<Value>
    let fieldCount: Int
    /// `letGeneration[i] == generation` when let i holds this record's value.
    let letGeneration: UnsafeMutablePointer<UInt32>
    var generation: UInt32 = 0
    let letStarts: [Block]
    let letRegisters: [Int]
    let matchers: [PatternMatcher]
    /// What `evaluate` needs of each rule per record, without copying `Program.Rule`.
    let hot: [HotRule]
    // Decide state for the current record.
    // Decide state lives in raw memory for the same reason as the registers: `run` reads it,
    // and class `var`s would cost two exclusivity checks on every entry to `run`.
    let hitFlags: UnsafeMutableBufferPointer<Bool>
    let requestedActions: UnsafeMutableBufferPointer<Bool>
    let totalScore: UnsafeMutablePointer<Int64>

    struct HotRule {
        let condition: Block
        let score: Block?
        let action: Int?
        let shadow: Bool
        let emits: Bool
    }

    public init(program: Program) {
        self.program = program
        self.code = program.code
        fieldCount = program.fields.count
        frameCount = program.constants.count + fieldCount + max(1, program.registerCount)
        frame = .allocate(capacity: frameCount)
        frame.initialize(repeating: .null, count: frameCount)
        base = frame + program.constants.count + fieldCount
        for (k, c) in program.constants.enumerated() { base[-1 - fieldCount - k] = c }
        letGeneration = .allocate(capacity: max(1, program.lets.count))
        letGeneration.initialize(repeating: 0, count: max(1, program.lets.count))
        letStarts = program.lets.map(\.block)
        letRegisters = program.lets.map { Int($0.resultRegister) }
        self.matchers = program.patterns.map { $0.makeMatcher() }
        hot = program.rules.map {
            HotRule(condition: $0.condition, score: $0.score, action: $0.action, shadow: $0.shadow, emits: !$0.emits.isEmpty)
        }
        hitFlags = .allocate(capacity: program.rules.count)
        hitFlags.initialize(repeating: false)
        requestedActions = .allocate(capacity: program.actions.count)
        requestedActions.initialize(repeating: false)
        totalScore = .allocate(capacity: 1)
        totalScore.initialize(to: 0)
    }

    deinit {
        frame.deinitialize(count: frameCount)
        frame.deallocate()
        letGeneration.deallocate()
        hitFlags.deallocate()
        requestedActions.deallocate()
        totalScore.deallocate()
    }

    /// Evaluates every rule against `record` and applies the decide policy.
    ///
    /// A rule whose evaluation fails (overflow, regex limit, …) does not hit; the error is in
    /// `Decision.errors` and `on_error` raises the action. Never throws, never traps on data.
    /// - Complexity: O(instructions reached); `and`/`or` short-circuit, lets run at most once.
    public func evaluate(_ record: Record, explain: Bool = false) -> Decision {
        start(record)
        totalScore.pointee = 0
        hitFlags.update(repeating: false)
        requestedActions.update(repeating: false)
        var decision = Decision()
        for index in hot.indices {
            let rule = hot[index]
            do throws(EvalError) {
                guard case .bool(true) = try run(rule.condition, generation) else { continue }
                var score: Int64 = 0
                if let s = rule.score, case .int(let n) = try run(s, generation) { score = n }
                var emits: [Emission] = []
                if !rule.shadow && rule.emits {
                    for e in program.rules[index].emits {
                        var values: [Value] = []
                        values.reserveCapacity(e.values.count)
                        for b in e.values { values.append(try run(b, generation)) }
                        emits.append(Emission(output: e.output, values: values))
                    }
                }
                var hit = Hit(rule: index, score: score, shadow: rule.shadow)
                if explain { hit.explanation = self.explain(program.rules[index], record.values) }
                decision.hits.append(hit)
                if !rule.shadow {
                    hitFlags[index] = true
                    let (sum, overflow) = totalScore.pointee.addingReportingOverflow(score)
                    totalScore.pointee = overflow ? (score > 0 ? .max : .min) : sum
                    if let a = rule.action { requestedActions[a] = true }
                    decision.emits.append(contentsOf: emits)
                }
            } catch {
                decision.errors.append(RuleError(rule: index, error: error))
            }
        }
        decision.score = totalScore.pointee
        for (i, entry) in program.decide.enumerated() {
            guard let c = entry.condition else {
                decision.action = entry.action
                break
            }
            do throws(EvalError) {
                if case .bool(true) = try run(c, generation) {
                    decision.action = entry.action
                    break
                }
            } catch {
                decision.errors.append(RuleError(rule: -1 - i, error: error))
            }
        }
        if let floor = program.onError, !decision.errors.isEmpty, decision.action > floor {
            decision.action = floor
        }
        return decision
    }

    /// The value of a let for `record` (used by the conformance suite and `--explain`).
    public func evaluateLet(_ index: Int, record: Record) throws(EvalError) -> Value {
        start(record)
        return try letValue(index, generation)
    }

    /// Puts a record's fields into the frame and forgets the previous record's lets.
    @inline(__always)
    func start(_ record: Record) {
        precondition(record.values.count == fieldCount, "a record of another pack")
        record.values.withUnsafeBufferPointer { values in
            for f in 0..<fieldCount { base[-1 - f] = values[f] }
        }
        generation &+= 1
        if generation == 0 {
            letGeneration.update(repeating: 0, count: max(1, program.lets.count))
            generation = 1
        }
    }

    func explain(_ rule: Program.Rule, _ record: [Value]) -> [(name: String, json: String)] {
        rule.reads.map { read in
            var v: Value = .null
            switch read.source {
            case .field(let f): v = record[f]
            case .let(let l): v = (try? letValue(l, generation)) ?? .null
            }
            var w = JSONWriter()
            if case .field(let f) = read.source, program.fields[f].isPersonal, case .string(let s) = v {
                // Personal data is masked where a decision shows why a rule fired.
                w.writeString(Text.mask(s))
            } else {
                ValueText.writeJSON(v, read.type, zone: program.zone, into: &w)
            }
            return (read.name, w.string)
        }
    }

    @inline(__always)
    func letValue(_ i: Int, _ generation: UInt32) throws(EvalError) -> Value {
        try ensureLet(i, generation)
        return base[letRegisters[i]]
    }

    /// Computes let `i` into its register unless this record already did.
    @inline(__always)
    func ensureLet(_ i: Int, _ generation: UInt32) throws(EvalError) {
        if letGeneration[i] == generation { return }
        let v = try run(letStarts[i], generation)
        base[letRegisters[i]] = v
        letGeneration[i] = generation
    }

    @inline(__always)
    func int(_ r: Int32) throws(EvalError) -> Int64 {
        guard case .int(let n) = base[Int(r)] else { throw Ops.internalError("an int register") }
        return n
    }

    @inline(__always)
    func money(_ r: Int32) throws(EvalError) -> Money {
        guard case .money(let m) = base[Int(r)] else { throw Ops.internalError("a decimal register") }
        return m
    }

    @inline(__always)
    func bool(_ r: Int32) -> Bool {
        if case .bool(true) = base[Int(r)] { return true }
        return false
    }

    @inline(__always)
    func string(_ r: Int32) throws(EvalError) -> String {
        guard case .string(let s) = base[Int(r)] else { throw Ops.internalError("a string register") }
        return s
    }

    /// The interpreter loop: runs a block until its `ret`.
    /// `generation` is a parameter rather than a read of `self`, so the loop pays no
    /// exclusivity check for it.
    func run(_ block: Block, _ generation: UInt32) throws(EvalError) -> Value {
        let registers = self.base
        var pc = Int(block.start)
        while true {
            let i = code[pc]
            pc += 1
            let a = Int(i.a)
            switch i.op {
            case .ensureLet: try ensureLet(a, generation)
            case .move: registers[a] = registers[Int(i.b)]
            case .ret: return registers[a]
            case .jump: pc = a
            case .jumpIfFalse: if !bool(i.a) { pc = Int(i.b) }
            case .jumpIfTrue: if bool(i.a) { pc = Int(i.b) }
            case .jumpIfNotNull: if !registers[a].isNull { pc = Int(i.b) }
            case .not: registers[a] = .bool(!bool(i.b))
            case .isNull: registers[a] = .bool(registers[Int(i.b)].isNull == (i.c == 0))
            case .addInt: registers[a] = .int(try Ops.addInt(try int(i.b), try int(i.c)))
            case .subInt: registers[a] = .int(try Ops.subInt(try int(i.b), try int(i.c)))
            case .mulInt: registers[a] = .int(try Ops.mulInt(try int(i.b), try int(i.c)))
            case .divInt: registers[a] = .int(try Ops.divInt(try int(i.b), try int(i.c)))
            case .modInt: registers[a] = .int(try Ops.modInt(try int(i.b), try int(i.c)))
            case .negInt: registers[a] = .int(try Ops.negInt(try int(i.b)))
            case .addMoney: registers[a] = .money(try Ops.addMoney(try money(i.b), try money(i.c)))
            case .subMoney: registers[a] = .money(try Ops.subMoney(try money(i.b), try money(i.c)))
            case .mulMoney: registers[a] = .money(try Ops.mulMoney(try money(i.b), try money(i.c)))
            case .divMoney: registers[a] = .money(try Ops.divMoney(try money(i.b), try money(i.c)))
            case .negMoney: registers[a] = .money(try Ops.negMoney(try money(i.b)))
            case .intToMoney: registers[a] = .money(try Ops.money(try int(i.b)))
            case .addDays: registers[a] = .int(try Ops.checkDay(try Ops.addInt(try int(i.b), try int(i.c))))
            case .subDays: registers[a] = .int(try Ops.checkDay(try Ops.subInt(try int(i.b), try int(i.c))))
            case .timestampToDate: registers[a] = .int(program.zone.localDays(ofUTC: try int(i.b)))
            case .concat: registers[a] = .string(try string(i.b) + string(i.c))
            case .equal: registers[a] = .bool(Ops.equal(registers[Int(i.b)], registers[Int(i.c)]))
            case .notEqual: registers[a] = .bool(!Ops.equal(registers[Int(i.b)], registers[Int(i.c)]))
            case .lessInt: registers[a] = .bool(try int(i.b) < int(i.c))
            case .lessEqualInt: registers[a] = .bool(try int(i.b) <= int(i.c))
            case .lessMoney: registers[a] = .bool(try money(i.b) < money(i.c))
            case .lessEqualMoney: registers[a] = .bool(try money(i.b) <= money(i.c))
            case .lessString: registers[a] = .bool(Ops.compareScalars(try string(i.b), try string(i.c)) < 0)
            case .lessEqualString: registers[a] = .bool(Ops.compareScalars(try string(i.b), try string(i.c)) <= 0)
            case .inSet:
                let v = registers[Int(i.b)]
                registers[a] = .bool(!v.isNull && program.sets[Int(i.c)].contains(ExactKey(v)))
            case .inList:
                guard case .list(let items) = registers[Int(i.c)] else { throw Ops.internalError("in") }
                let v = registers[Int(i.b)]
                registers[a] = .bool(items.contains { Ops.equal($0, v) })
            case .mapGet: registers[a] = program.maps[Int(i.c)][ExactKey(registers[Int(i.b)])] ?? .null
            case .inMap: registers[a] = .bool(program.maps[Int(i.c)][ExactKey(registers[Int(i.b)])] != nil)
            case .matches: registers[a] = .bool(try Ops.matches(matchers[Int(i.c)], try string(i.b)))
            case .call:
                let site = program.calls[Int(i.b)]
                registers[a] = try Ops.call(site.fn, registers[Int(site.first)], registers[Int(site.second)],
                                            zone: program.zones[site.zone])
            case .makeList: registers[a] = .list(Array(UnsafeBufferPointer(start: registers + Int(i.b), count: Int(i.c))))
            case .totalScore: registers[a] = .int(totalScore.pointee)
            case .requestedAction: registers[a] = .bool(requestedActions[Int(i.b)])
            case .hitRule: registers[a] = .bool(hitFlags[Int(i.b)])
            case .tagged:
                let tag = program.strings[Int(i.b)]
                registers[a] = .bool(hitFlags.indices.contains { hitFlags[$0] && program.rules[$0].tags.contains(tag) })
            }
        }
    }
}

/// A record's field values by slot (the order of the pack's input fields).
public struct Record: Sendable, Equatable {
    public var values: [Value]

    public init(values: [Value]) { self.values = values }
}
