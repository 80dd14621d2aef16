import WardenLang

/// Runs a compiled `Program` over records, one record at a time.
///
/// An evaluator owns mutable scratch state (registers, let memo, regex match data), so it is
/// not `Sendable`: make one per thread from a shared `CompiledPack` (cheap), and reuse it.
/// Nothing is allocated per record except the decision's hit and emit arrays when a rule hits.
public final class Evaluator {
    public let program: Program
    /// The instructions, copied into memory the evaluator owns: the dispatch reads them
    /// without an array bounds check (the compiler guarantees every jump target is in range).
    let code: UnsafeMutablePointer<Instruction>
    let codeCount: Int
    // The program's tables, held directly: reading them through `program` copies (and
    // retains) the array out of the struct on every instruction that uses one.
    let sets: [ConstantSet]
    let setStorage: ConstantSetStorage
    let maps: [ConstantMap]
    let calls: [CallSite]
    let zones: [Zone]
    let zone: Zone
    let lookups: [LookupTable]
    /// This event's window values (``evaluate(_:windows:explain:)``), one per `Program.windows`.
    let windowValues: UnsafeMutablePointer<Value>
    let windowCount: Int
    let windowZeros: [Value]
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
    /// `Program.rejectConditions`, held directly (checked once per record: empty costs nothing).
    let rejectConditions: [(reject: Int, block: Block)]
    // Decide state for the current record. It lives in raw memory for the same reason as the registers: `run` reads it,
    // and class `var`s would cost two exclusivity checks on every entry to `run`.
    let hitFlags: UnsafeMutableBufferPointer<Bool>
    /// The score register, followed by one flag register per action (`Program.scoreRegister`).
    let scoreSlot: UnsafeMutablePointer<Value>
    let actionCount: Int

    /// Where an error in a block is caught: anywhere (propagate), per rule, or per decide entry.
    enum Regions {
        case none, rules, decide
    }

    /// The decision being built by the current `evaluate` (hits arrive from the `hit` instruction).
    var current = Decision()
    var explaining = false
    /// During ``evaluate(_:emittingInto:)``: emits go to ``flat`` instead of `current.emits`.
    var emittingFlat = false
    var flat = Emissions()

    struct HotRule {
        let action: Int?
        let shadow: Bool
        let emits: Bool
    }

    public init(program: Program) {
        self.program = program
        codeCount = program.code.count
        code = .allocate(capacity: max(1, codeCount))
        code.initialize(from: program.code, count: codeCount)
        self.sets = program.sets
        self.setStorage = program.setStorage
        self.maps = program.maps
        self.calls = program.calls
        self.zones = program.zones
        self.zone = program.zone
        self.lookups = program.lookups
        windowCount = program.windows.count
        windowValues = .allocate(capacity: max(1, windowCount))
        windowValues.initialize(repeating: .int(0), count: max(1, windowCount))
        windowZeros = program.windows.map(\.zero)
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
        rejectConditions = program.rejectConditions
        hot = program.rules.map {
            HotRule(action: $0.action, shadow: $0.shadow, emits: !$0.emits.isEmpty)
        }
        hitFlags = .allocate(capacity: program.rules.count)
        hitFlags.initialize(repeating: false)
        scoreSlot = base + Int(program.scoreRegister)
        actionCount = program.actions.count
    }

    deinit {
        code.deallocate()
        // The field slots hold unretained copies (see `start`): null them without releasing.
        (base - fieldCount).initialize(repeating: .null, count: fieldCount)
        frame.deinitialize(count: frameCount)
        frame.deallocate()
        letGeneration.deallocate()
        hitFlags.deallocate()
        windowValues.deinitialize(count: max(1, windowCount))
        windowValues.deallocate()
    }

    /// Evaluates every rule against `record` and applies the decide policy.
    ///
    /// A rule whose evaluation fails (overflow, regex limit, …) does not hit; the error is in
    /// `Decision.errors` and `on_error` raises the action. Never throws, never traps on data.
    ///
    /// When the pack declares `reject … when` conditions, they run first, in order: the first
    /// that holds (or fails to evaluate: fail closed) sets `Decision.reject`, and the decision
    /// has no hits, no emits and action −1; no rule runs.
    /// - Complexity: O(instructions reached); `and`/`or` short-circuit, lets run at most once.
    ///
    /// `windows` holds the pack's window values for this event, in `Program.windows` order
    /// (``WindowStore/observe(_:)`` computes them); a pack without windows takes none.
    public func evaluate(_ record: Record, windows: [Value] = [], explain: Bool = false) -> Decision {
        // Every slot is set on every call: a window the caller did not give is 0, never the
        // previous event's value.
        for i in 0..<windowCount { windowValues[i] = i < windows.count ? windows[i] : windowZeros[i] }
        start(record)
        if !rejectConditions.isEmpty, let (k, error) = rejection() {
            var rejected = Decision()
            rejected.reject = k
            if let error { rejected.errors = [RuleError(rule: RuleError.rejectRule(k), error: error)] }
            return rejected
        }
        // The score and action flags are ints and bools: nothing to release.
        scoreSlot.initialize(to: .int(0))
        for k in 0..<actionCount { (scoreSlot + 1 + k).initialize(to: .bool(false)) }
        hitFlags.update(repeating: false)
        explaining = explain
        current = Decision()
        // Neither block throws: errors are caught per rule (and per decide entry) inside `run`.
        _ = try? run(program.rulesBlock, generation, regions: .rules)
        if case .int(let score) = scoreSlot.pointee { current.score = score }
        if case .int(let action)? = try? run(program.decideBlock, generation, regions: .decide) {
            current.action = Int(action)
        }
        // Moved out, not copied: no retain and release of its three arrays.
        var decision = Decision()
        swap(&decision, &current)
        if let floor = program.onError, !decision.errors.isEmpty, decision.action > floor {
            decision.action = floor
        }
        return decision
    }

    /// ``evaluate(_:windows:explain:)`` for bulk runs: the rows the rules emit are appended to
    /// `emissions` (emptied first, its capacity kept) instead of the decision's `emits`, which
    /// stays empty. A sweep reuses one ``Emissions`` for every record, so an emitting record
    /// allocates no array per emission.
    ///
    /// ```swift
    /// var rows = Emissions()
    /// let decision = evaluator.evaluate(record, emittingInto: &rows)
    /// for i in 0..<rows.count { write(rows.output(i), rows.values(i)) }
    /// ```
    public func evaluate(_ record: Record, emittingInto emissions: inout Emissions) -> Decision {
        swap(&flat, &emissions)
        flat.removeAll()
        emittingFlat = true
        defer {
            emittingFlat = false
            swap(&flat, &emissions)
        }
        return evaluate(record)
    }

    /// The index (into `CheckedPack.rejects`) of the first `reject … when` condition that holds
    /// for `record`, or fails to evaluate; nil when the record is accepted. Runs no rule.
    ///
    /// ```swift
    /// if let k = evaluator.firstRejection(record) { print(pack.checked.rejects[k].code) }
    /// ```
    public func firstRejection(_ record: Record) -> Int? {
        if rejectConditions.isEmpty { return nil }
        start(record)
        return rejection()?.index
    }

    /// Runs the reject conditions over the record in the frame.
    func rejection() -> (index: Int, error: EvalError?)? {
        for r in rejectConditions {
            do throws(EvalError) {
                if case .bool(true) = try run(r.block, generation, regions: .none) { return (r.reject, nil) }
            } catch {
                return (r.reject, error)
            }
        }
        return nil
    }

    /// Records a hit of rule `index` (the `hit` instruction): its emits first, so an emit that
    /// fails leaves the rule not hit.
    func recordHit(_ index: Int, score: Int64, _ generation: UInt32) throws(EvalError) {
        let rule = hot[index]
        var emits: [Emission] = []
        if !rule.shadow && rule.emits && emittingFlat {
            // Appended in place; an emit that fails takes this rule's rows back out.
            let mark = flat.count
            do throws(EvalError) {
                for e in program.rules[index].emits {
                    for b in e.values { flat.values.append(try run(b, generation, regions: .none)) }
                    flat.outputs.append(e.output)
                    flat.ends.append(flat.values.count)
                }
            } catch {
                flat.truncate(to: mark)
                throw error
            }
        } else if !rule.shadow && rule.emits {
            for e in program.rules[index].emits {
                var values: [Value] = []
                values.reserveCapacity(e.values.count)
                for b in e.values { values.append(try run(b, generation, regions: .none)) }
                emits.append(Emission(output: e.output, values: values))
            }
        }
        var hit = Hit(rule: index, score: score, shadow: rule.shadow)
        if explaining { hit.explanation = explain(program.rules[index]) }
        current.hits.append(hit)
        if !rule.shadow {
            hitFlags[index] = true
            if case .int(let total) = scoreSlot.pointee {
                let (sum, overflow) = total.addingReportingOverflow(score)
                scoreSlot.initialize(to: .int(overflow ? (score > 0 ? .max : .min) : sum))
            }
            if let a = rule.action { (scoreSlot + 1 + a).initialize(to: .bool(true)) }
            current.emits.append(contentsOf: emits)
        }
    }

    /// The value of a let for `record` (used by the conformance suite and `--explain`).
    public func evaluateLet(_ index: Int, record: Record) throws(EvalError) -> Value {
        start(record)
        return try letValue(index, generation)
    }

    /// Puts a record's fields into the frame and forgets the previous record's lets.
    ///
    /// The fields are copied bit for bit, without retaining their strings: the caller's record
    /// owns them and outlives the evaluation, and the frame never releases these slots (the
    /// next record's copy overwrites them the same way; `deinit` nulls them first). Any
    /// instruction that copies a field elsewhere does so as a normal, retained copy. This
    /// saves a retain and a release per string field per record.
    @inline(__always)
    func start(_ record: Record) {
        precondition(record.values.count == fieldCount, "a record of another pack")
        record.values.withUnsafeBufferPointer { values in
            if let source = values.baseAddress {
                UnsafeMutableRawPointer(base - fieldCount)
                    .copyMemory(from: source, byteCount: fieldCount * MemoryLayout<Value>.stride)
            }
        }
        generation &+= 1
        if generation == 0 {
            letGeneration.update(repeating: 0, count: max(1, program.lets.count))
            generation = 1
        }
    }

    func explain(_ rule: Program.Rule) -> [(name: String, json: String)] {
        rule.reads.map { read in
            var v: Value = .null
            switch read.source {
            case .field(let f): v = base[f - fieldCount]
            case .let(let l): v = (try? letValue(l, generation)) ?? .null
            case .window(let w): v = w < windowCount ? windowValues[w] : .null
            }
            var w = JSONWriter()
            if case .field(let f) = read.source, program.fields[f].isPersonal, case .string(let s) = v {
                // Personal data is masked where a decision shows why a rule fired.
                w.writeString(Text.mask(s))
            } else if case .record(let l, _) = read.type.unwrapped, case .int = v {
                // A lookup row: its fields, personal ones masked.
                writeRow(v, lookup: l, into: &w)
            } else {
                ValueText.writeJSON(v, read.type, zone: program.zone, into: &w)
            }
            return (read.name, w.string)
        }
    }

    func writeRow(_ row: Value, lookup l: Int, into w: inout JSONWriter) {
        let fields = program.lookupFields[l]
        w.writeRaw("{")
        for (f, field) in fields.enumerated() {
            if f > 0 { w.writeRaw(",") }
            w.writeString(field.name)
            w.writeRaw(":")
            let v = lookups[l].field(row, f)
            if field.isPersonal, case .string(let s) = v {
                w.writeString(Text.mask(s))
            } else {
                ValueText.writeJSON(v, field.type, zone: program.zone, into: &w)
            }
        }
        w.writeRaw("}")
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
        let v = try run(letStarts[i], generation, regions: .none)
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

    /// A compare-and-branch target: c or ~c (see `Opcode`).
    @inline(__always)
    func target(_ c: Int32) -> Int { Int(c >= 0 ? c : ~c) }

    /// The interpreter loop: runs a block until its `ret`.
    ///
    /// Instructions with an int, bool or decimal result write their register with
    /// `initialize(to:)`, skipping the release of the old value. That is sound because a
    /// register holds values of one static type only: an instruction may write straight into a
    /// let's, an `and`/`or`/`??` result's or the score register, but only when that register's
    /// type is its own, so the value overwritten is trivial too.
    /// `generation` is a parameter rather than a read of `self`, so the loop pays no
    /// exclusivity check for it.
    func run(_ block: Block, _ generation: UInt32, regions: Regions) throws(EvalError) -> Value {
        let registers = self.base
        var pc = Int(block.start)
        while true {
            let i = code[pc]
            pc += 1
            let a = Int(i.a)
            // Typed throws make this catch a branch on the error register, free when nothing fails.
            do throws(EvalError) {
            switch i.op {
            case .ensureLet: try ensureLet(a, generation)
            case .jumpIfLetReady: if letGeneration[a] == generation { pc = Int(i.b) }
            case .storeLet:
                let result = letRegisters[a]
                if result != Int(i.b) { registers[result] = registers[Int(i.b)] }
                letGeneration[a] = generation
            case .move: registers[a] = registers[Int(i.b)]
            case .ret: return registers[a]
            case .jump: pc = a
            case .jumpIfFalse: if !bool(i.a) { pc = Int(i.b) }
            case .jumpIfTrue: if bool(i.a) { pc = Int(i.b) }
            case .jumpIfNotNull: if !registers[a].isNull { pc = Int(i.b) }
            case .not: (registers + a).initialize(to: .bool(!bool(i.b)))
            case .isNull: (registers + a).initialize(to: .bool(registers[Int(i.b)].isNull == (i.c == 0)))
            case .addInt: (registers + a).initialize(to: .int(try Ops.addInt(try int(i.b), try int(i.c))))
            case .subInt: (registers + a).initialize(to: .int(try Ops.subInt(try int(i.b), try int(i.c))))
            case .mulInt: (registers + a).initialize(to: .int(try Ops.mulInt(try int(i.b), try int(i.c))))
            case .divInt: (registers + a).initialize(to: .int(try Ops.divInt(try int(i.b), try int(i.c))))
            case .modInt: (registers + a).initialize(to: .int(try Ops.modInt(try int(i.b), try int(i.c))))
            case .negInt: (registers + a).initialize(to: .int(try Ops.negInt(try int(i.b))))
            case .addMoney: (registers + a).initialize(to: .money(try Ops.addMoney(try money(i.b), try money(i.c))))
            case .subMoney: (registers + a).initialize(to: .money(try Ops.subMoney(try money(i.b), try money(i.c))))
            case .mulMoney: (registers + a).initialize(to: .money(try Ops.mulMoney(try money(i.b), try money(i.c))))
            case .divMoney: (registers + a).initialize(to: .money(try Ops.divMoney(try money(i.b), try money(i.c))))
            case .negMoney: (registers + a).initialize(to: .money(try Ops.negMoney(try money(i.b))))
            case .intToMoney: (registers + a).initialize(to: .money(try Ops.money(try int(i.b))))
            case .addDays: (registers + a).initialize(to: .int(try Ops.checkDay(try Ops.addInt(try int(i.b), try int(i.c)))))
            case .subDays: (registers + a).initialize(to: .int(try Ops.checkDay(try Ops.subInt(try int(i.b), try int(i.c)))))
            case .timestampToDate: (registers + a).initialize(to: .int(zone.localDays(ofUTC: try int(i.b))))
            case .hour: (registers + a).initialize(to: .int(Int64(zones[Int(i.c)].hour(ofUTC: try int(i.b)))))
            case .concat: registers[a] = .string(try string(i.b) + string(i.c))
            case .equal: (registers + a).initialize(to: .bool(Ops.equal(registers[Int(i.b)], registers[Int(i.c)])))
            case .notEqual: (registers + a).initialize(to: .bool(!Ops.equal(registers[Int(i.b)], registers[Int(i.c)])))
            case .lessInt: (registers + a).initialize(to: .bool(try int(i.b) < int(i.c)))
            case .lessEqualInt: (registers + a).initialize(to: .bool(try int(i.b) <= int(i.c)))
            case .lessMoney: (registers + a).initialize(to: .bool(try money(i.b) < money(i.c)))
            case .lessEqualMoney: (registers + a).initialize(to: .bool(try money(i.b) <= money(i.c)))
            case .lessString: (registers + a).initialize(to: .bool(Ops.compareScalars(try string(i.b), try string(i.c)) < 0))
            case .lessEqualString: (registers + a).initialize(to: .bool(Ops.compareScalars(try string(i.b), try string(i.c)) <= 0))
            case .inSet:
                let v = registers[Int(i.b)]
                (registers + a).initialize(to: .bool(sets[Int(i.c)].contains(v, setStorage)))
            case .inList:
                guard case .list(let items) = registers[Int(i.c)] else { throw Ops.internalError("in") }
                let v = registers[Int(i.b)]
                (registers + a).initialize(to: .bool(items.contains { Ops.equal($0, v) }))
            case .mapGet: registers[a] = maps[Int(i.c)].value(registers[Int(i.b)], setStorage) ?? .null
            case .inMap: (registers + a).initialize(to: .bool(maps[Int(i.c)].value(registers[Int(i.b)], setStorage) != nil))
            case .matches: (registers + a).initialize(to: .bool(try Ops.matches(matchers[Int(i.c)], try string(i.b))))
            case .call:
                let site = calls[Int(i.b)]
                registers[a] = try Ops.call(site.fn, registers[Int(site.first)], registers[Int(site.second)],
                                            zone: zones[site.zone])
            case .makeList: registers[a] = .list(Array(UnsafeBufferPointer(start: registers + Int(i.b), count: Int(i.c))))
            case .appendList:
                guard case .list(var items) = registers[a] else { throw Ops.internalError("a list register") }
                registers[a] = .null  // keeps `items` uniquely referenced: the append does not copy
                items.append(registers[Int(i.b)])
                registers[a] = .list(items)
            case .lookupGet: registers[a] = try lookups[Int(i.c)].find(registers[Int(i.b)])
            case .lookupField: registers[a] = lookups[Int(i.c >> 16)].field(registers[Int(i.b)], Int(i.c & 0xFFFF))
            case .window: registers[a] = windowValues[Int(i.b)]
            case .hitRule: (registers + a).initialize(to: .bool(hitFlags[Int(i.b)]))
            case .branchLessInt: if try (int(i.a) < int(i.b)) == (i.c >= 0) { pc = target(i.c) }
            case .branchLessEqualInt: if try (int(i.a) <= int(i.b)) == (i.c >= 0) { pc = target(i.c) }
            case .branchLessMoney: if try (money(i.a) < money(i.b)) == (i.c >= 0) { pc = target(i.c) }
            case .branchLessEqualMoney: if try (money(i.a) <= money(i.b)) == (i.c >= 0) { pc = target(i.c) }
            case .branchEqual:
                if Ops.equal(registers[a], registers[Int(i.b)]) == (i.c >= 0) { pc = target(i.c) }
            case .branchEqualInt:
                var equal = false
                if case .int(let x) = registers[a], case .int(let y) = registers[Int(i.b)] { equal = x == y }
                if equal == (i.c >= 0) { pc = target(i.c) }
            case .branchEqualString:
                var equal = false
                if case .string(let x) = registers[a], case .string(let y) = registers[Int(i.b)] { equal = Ops.sameBytes(x, y) }
                if equal == (i.c >= 0) { pc = target(i.c) }
            case .branchMatches:
                if try Ops.matches(matchers[Int(i.b)], try string(i.a)) == (i.c >= 0) { pc = target(i.c) }
            case .branchInSet:
                let v = registers[a]
                if sets[Int(i.b)].contains(v, setStorage) == (i.c >= 0) { pc = target(i.c) }
            case .branchNull: if registers[a].isNull == (i.c >= 0) { pc = target(i.c) }
            case .hit: try recordHit(a, score: try int(i.b), generation)
            case .tagged:
                let tag = program.strings[Int(i.b)]
                (registers + a).initialize(to: .bool(hitFlags.indices.contains { hitFlags[$0] && program.rules[$0].tags.contains(tag) }))
            }
            } catch {
                // The failing instruction is pc - 1: abandon its rule (or decide entry) only.
                guard regions != .none else { throw error }
                try resume(after: error, at: pc - 1, regions, &pc)
            }
        }
    }

    /// Records an error of the rule (or decide entry) containing `failing` and moves `pc` to
    /// the next one.
    func resume(after error: EvalError, at failing: Int, _ regions: Regions, _ pc: inout Int) throws(EvalError) {
        let starts = regions == .rules ? program.ruleStarts : program.decideStarts
        guard let region = starts.lastIndex(where: { Int($0) <= failing }), region + 1 < starts.count else { throw error }
        current.errors.append(RuleError(rule: regions == .rules ? region : -1 - region, error: error))
        pc = Int(starts[region + 1])
    }
}

/// A record's field values by slot (the order of the pack's input fields).
public struct Record: Sendable, Equatable {
    public var values: [Value]

    public init(values: [Value]) { self.values = values }
}
