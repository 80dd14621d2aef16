import WardenLang

/// Runs a compiled `Program` over records, one record at a time.
///
/// An evaluator owns mutable scratch state (registers, let memo, regex match data), so it is
/// not `Sendable`: make one per thread from a shared `CompiledPack` (cheap), and reuse it.
/// Nothing is allocated per record except the decision's hit and emit arrays when a rule hits.
public final class Evaluator {
    public let program: Program
    let code: [Instruction]
    let constants: [Value]
    /// The register file. A raw buffer rather than an array: the interpreter re-enters itself
    /// for lets, and an array property would pay an exclusivity check and a uniqueness check
    /// on every register write.
    let registers: UnsafeMutablePointer<Value>
    let registerCount: Int
    /// `letGeneration[i] == generation` when let i holds this record's value.
    let letGeneration: UnsafeMutablePointer<UInt32>
    var generation: UInt32 = 0
    let letStarts: [Block]
    let letRegisters: [Int]
    let matchers: [PatternMatcher]
    /// What `evaluate` needs of each rule per record, without copying `Program.Rule`.
    let hot: [HotRule]
    // Decide state for the current record.
    var hitFlags: [Bool]
    var requestedActions: [Bool]
    var totalScore: Int64 = 0

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
        self.constants = program.constants
        registerCount = max(1, program.registerCount)
        registers = .allocate(capacity: registerCount)
        registers.initialize(repeating: .null, count: registerCount)
        letGeneration = .allocate(capacity: max(1, program.lets.count))
        letGeneration.initialize(repeating: 0, count: max(1, program.lets.count))
        letStarts = program.lets.map(\.block)
        letRegisters = program.lets.map { Int($0.resultRegister) }
        self.matchers = program.patterns.map { $0.makeMatcher() }
        hot = program.rules.map {
            HotRule(condition: $0.condition, score: $0.score, action: $0.action, shadow: $0.shadow, emits: !$0.emits.isEmpty)
        }
        self.hitFlags = Array(repeating: false, count: program.rules.count)
        self.requestedActions = Array(repeating: false, count: program.actions.count)
    }

    deinit {
        registers.deinitialize(count: registerCount)
        registers.deallocate()
        letGeneration.deallocate()
    }

    /// Evaluates every rule against `record` and applies the decide policy.
    ///
    /// A rule whose evaluation fails (overflow, regex limit, …) does not hit; the error is in
    /// `Decision.errors` and `on_error` raises the action. Never throws, never traps on data.
    /// - Complexity: O(instructions reached); `and`/`or` short-circuit, lets run at most once.
    public func evaluate(_ record: Record, explain: Bool = false) -> Decision {
        generation &+= 1
        if generation == 0 {
            letGeneration.update(repeating: 0, count: max(1, program.lets.count))
            generation = 1
        }
        totalScore = 0
        for i in hitFlags.indices { hitFlags[i] = false }
        for i in requestedActions.indices { requestedActions[i] = false }
        var decision = Decision()
        for index in hot.indices {
            let rule = hot[index]
            do throws(EvalError) {
                guard case .bool(true) = try run(rule.condition, record.values, generation) else { continue }
                var score: Int64 = 0
                if let s = rule.score, case .int(let n) = try run(s, record.values, generation) { score = n }
                var emits: [Emission] = []
                if !rule.shadow && rule.emits {
                    for e in program.rules[index].emits {
                        var values: [Value] = []
                        values.reserveCapacity(e.values.count)
                        for b in e.values { values.append(try run(b, record.values, generation)) }
                        emits.append(Emission(output: e.output, values: values))
                    }
                }
                var hit = Hit(rule: index, score: score, shadow: rule.shadow)
                if explain { hit.explanation = self.explain(program.rules[index], record.values) }
                decision.hits.append(hit)
                if !rule.shadow {
                    hitFlags[index] = true
                    let (sum, overflow) = totalScore.addingReportingOverflow(score)
                    totalScore = overflow ? (score > 0 ? .max : .min) : sum
                    if let a = rule.action { requestedActions[a] = true }
                    decision.emits.append(contentsOf: emits)
                }
            } catch {
                decision.errors.append(RuleError(rule: index, error: error))
            }
        }
        decision.score = totalScore
        for (i, entry) in program.decide.enumerated() {
            guard let c = entry.condition else {
                decision.action = entry.action
                break
            }
            do throws(EvalError) {
                if case .bool(true) = try run(c, record.values, generation) {
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
        generation &+= 1
        return try letValue(index, record.values, generation)
    }

    func explain(_ rule: Program.Rule, _ record: [Value]) -> [(name: String, json: String)] {
        rule.reads.map { read in
            var v: Value = .null
            switch read.source {
            case .field(let f): v = record[f]
            case .let(let l): v = (try? letValue(l, record, generation)) ?? .null
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
    func letValue(_ i: Int, _ record: [Value], _ generation: UInt32) throws(EvalError) -> Value {
        let r = letRegisters[i]
        if letGeneration[i] == generation { return registers[r] }
        let v = try run(letStarts[i], record, generation)
        registers[r] = v
        letGeneration[i] = generation
        return v
    }

    @inline(__always)
    func int(_ r: Int32) throws(EvalError) -> Int64 {
        guard case .int(let n) = registers[Int(r)] else { throw Ops.internalError("an int register") }
        return n
    }

    @inline(__always)
    func money(_ r: Int32) throws(EvalError) -> Money {
        guard case .money(let m) = registers[Int(r)] else { throw Ops.internalError("a decimal register") }
        return m
    }

    @inline(__always)
    func bool(_ r: Int32) -> Bool {
        if case .bool(true) = registers[Int(r)] { return true }
        return false
    }

    @inline(__always)
    func string(_ r: Int32) throws(EvalError) -> String {
        guard case .string(let s) = registers[Int(r)] else { throw Ops.internalError("a string register") }
        return s
    }

    /// The interpreter loop: runs a block until its `ret`.
    /// `record` and `generation` are parameters rather than reads of `self`, so the loop pays
    /// no exclusivity check or retain for them.
    func run(_ block: Block, _ record: [Value], _ generation: UInt32) throws(EvalError) -> Value {
        let registers = self.registers
        var pc = Int(block.start)
        while true {
            let i = code[pc]
            pc += 1
            let a = Int(i.a)
            switch i.op {
            case .loadConst: registers[a] = constants[Int(i.b)]
            case .loadField: registers[a] = record[Int(i.b)]
            case .loadLet: registers[a] = try letValue(Int(i.b), record, generation)
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
                let base = Int(i.c)
                let second = base + 1 < registerCount ? registers[base + 1] : .null
                registers[a] = try Ops.call(site.fn, registers[base], second, zone: program.zones[site.zone])
            case .makeList: registers[a] = .list(Array(UnsafeBufferPointer(start: registers + Int(i.b), count: Int(i.c))))
            case .totalScore: registers[a] = .int(totalScore)
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
