import WardenLang

/// A plain tree-walking evaluator over the checked syntax tree and a record given as a
/// dictionary of field names. Slow on purpose and simple on purpose: it shares only the
/// operation semantics (`Ops`) with the compiled VM, so running both over the conformance
/// suite and the rule tests catches compiler bugs (slots, folding, jumps, promotion).
///
/// The compiler also uses it to fold constants.
public final class ReferenceEvaluator {
    let pack: CheckedPack
    let params: [Value]
    let lists: [[String]]
    /// The lookups' tables in declaration order (nil where none was given).
    let lookups: [LookupTable?]
    let zone: Zone
    var record: [String: Value] = [:]
    /// The current event's window values, in declaration order.
    var windowValues: [Value] = []
    var lets: [Int: Value] = [:]
    var constCache: [Int: Value] = [:]
    var matchers: [String: PatternMatcher] = [:]
    var zones: [String: Zone] = [:]
    // Decide state.
    var hitRules: Set<Int> = []
    var totalScore: Int64 = 0
    var requested: Set<Int> = []

    /// `params` holds every param's value (defaults already replaced by overrides).
    init(pack: CheckedPack, params: [Value], lists: [[String]], lookups: [LookupTable?] = [], zone: Zone) {
        self.pack = pack
        self.params = params
        self.lists = lists
        self.lookups = lookups
        self.zone = zone
    }

    /// Evaluates a whole record: every rule, then decide. Mirrors `Evaluator.evaluate`.
    public func evaluate(_ record: [String: Value], windows: [Value] = []) -> Decision {
        self.record = record
        windowValues = windows
        lets = [:]
        hitRules = []
        requested = []
        totalScore = 0
        var decision = Decision()
        if let (k, error) = rejection() {
            decision.reject = k
            if let error { decision.errors = [RuleError(rule: RuleError.rejectRule(k), error: error)] }
            return decision
        }
        for (index, rule) in pack.rules.enumerated() {
            do throws(EvalError) {
                guard case .bool(true) = try value(rule.when) else { continue }
                var score: Int64 = 0
                if let s = rule.score, case .int(let n) = try value(s) { score = n }
                var emits: [Emission] = []
                if !rule.shadow {
                    for e in rule.emits {
                        var values: [Value] = []
                        for v in e.values { values.append(coerce(try value(v), to: pack.outputs[e.output].columns[values.count].type)) }
                        emits.append(Emission(output: e.output, values: values))
                    }
                }
                decision.hits.append(Hit(rule: index, score: score, shadow: rule.shadow))
                if !rule.shadow {
                    hitRules.insert(index)
                    // Saturates toward the overflow's side, as the VM's `hit` does.
                    totalScore = totalScore.addingReportingOverflow(score).overflow ? (score > 0 ? .max : .min) : totalScore + score
                    if let a = rule.action { requested.insert(a) }
                    decision.emits.append(contentsOf: emits)
                }
            } catch {
                decision.errors.append(RuleError(rule: index, error: error))
            }
        }
        decision.score = totalScore
        decision.action = 0
        for (i, entry) in pack.decide.enumerated() {
            guard let c = entry.condition else { decision.action = entry.action; break }
            do throws(EvalError) {
                if case .bool(true) = try value(c) { decision.action = entry.action; break }
            } catch {
                decision.errors.append(RuleError(rule: -1 - i, error: error))
            }
        }
        if pack.decide.isEmpty { decision.action = -1 }
        if let floor = pack.onError, !decision.errors.isEmpty, decision.action > floor { decision.action = floor }
        return decision
    }

    /// The first `reject … when` that holds for `record` (or fails to evaluate), as an index
    /// into `CheckedPack.rejects`. Mirrors `Evaluator.firstRejection`.
    public func firstRejection(_ record: [String: Value]) -> Int? {
        self.record = record
        lets = [:]
        return rejection()?.index
    }

    func rejection() -> (index: Int, error: EvalError?)? {
        for (k, r) in pack.rejects.enumerated() {
            guard case .condition(let c) = r.check else { continue }
            do throws(EvalError) {
                if case .bool(true) = try value(c) { return (k, nil) }
            } catch {
                return (k, error)
            }
        }
        return nil
    }

    /// The value of one let for a record (the conformance suite evaluates `let result`).
    public func evaluateLet(_ name: String, record: [String: Value]) throws(EvalError) -> Value {
        self.record = record
        lets = [:]
        let i = pack.lets.firstIndex { $0.name == name }!
        return try letValue(i)
    }

    func letValue(_ i: Int) throws(EvalError) -> Value {
        if let v = lets[i] { return v }
        let v = try value(pack.lets[i].value)
        lets[i] = v
        return v
    }

    func constValue(_ i: Int) throws(EvalError) -> Value {
        if let v = constCache[i] { return v }
        let v = coerce(try value(pack.consts[i].value), to: pack.consts[i].type)
        constCache[i] = v
        return v
    }

    /// Converts int values where the type says decimal (literals typed by context, list
    /// elements unified to decimal).
    func coerce(_ v: Value, to type: ValueType) -> Value {
        switch (v, type.unwrapped) {
        case (.int(let n), .decimal): return Money(exactly: n).map { .money($0) } ?? v
        case (.list(let items), .list(let e)): return .list(items.map { coerce($0, to: e) })
        default: return v
        }
    }

    func matcher(_ pattern: String) throws(EvalError) -> PatternMatcher {
        if let m = matchers[pattern] { return m }
        guard let p = try? Pattern(pattern) else { throw EvalError(.regexError, "invalid regex") }
        let m = p.makeMatcher()
        matchers[pattern] = m
        return m
    }

    func zoneNamed(_ name: String) -> Zone {
        if let z = zones[name] { return z }
        let z = Zone(identifier: name) ?? .utc
        zones[name] = z
        return z
    }

    func type(_ id: ExprID) -> ValueType { pack.types[Int(id)] }

    func value(_ id: ExprID) throws(EvalError) -> Value {
        let v = try rawValue(id)
        return coerce(v, to: type(id))
    }

    func rawValue(_ id: ExprID) throws(EvalError) -> Value {
        switch pack.syntax[id].kind {
        case .int(let n): return .int(n)
        case .decimal(let raw): return .money(Money(raw: raw))
        case .string(let s), .regex(let s): return .string(s)
        case .bool(let b): return .bool(b)
        case .date(let y, let m, let d): return .int(Civil.days(year: y, month: m, day: d))
        case .duration(let s): return .int(s)
        case .error: throw Ops.internalError("an unchecked expression")
        case .name, .member: return try resolved(id)
        case .index(let base, let key):
            if case .lookup(let l)? = pack.resolutions[base] {
                guard l < lookups.count, let table = lookups[l] else { throw Ops.internalError("a lookup without its table") }
                return try table.find(try value(key))
            }
            guard case .map = type(base) else { throw Ops.internalError("lookup") }
            let m = try value(base)
            let k = try value(key)
            guard case .list(let pairs) = m else { throw Ops.internalError("map") }
            var i = 0
            while i + 1 < pairs.count {
                if Ops.equal(pairs[i], k) { return pairs[i + 1] }
                i += 2
            }
            return .null
        case .call(let name, let args): return try callValue(id, name, args)
        case .unary(.not, let e):
            guard case .bool(let b) = try value(e) else { throw Ops.internalError("not") }
            return .bool(!b)
        case .unary(.negate, let e):
            switch try value(e) {
            case .int(let n): return .int(try Ops.negInt(n))
            case .money(let m): return .money(try Ops.negMoney(m))
            default: throw Ops.internalError("negate")
            }
        case .isNull(let e, let negated):
            return .bool(try value(e).isNull != negated)
        case .range: throw Ops.internalError("a range outside 'in'")
        case .list(let items):
            var out: [Value] = []
            for item in items {
                if case .guarded(let v, let condition) = pack.syntax[item].kind {
                    guard case .bool(let holds) = try value(condition) else { throw Ops.internalError("a guard") }
                    if holds { out.append(try value(v)) }
                } else {
                    out.append(try value(item))
                }
            }
            return .list(out)
        case .guarded: throw Ops.internalError("a guarded element outside a list")
        case .map(let entries):
            // A map value is kept as a flat key, value, key, value list.
            var out: [Value] = []
            guard case .map(let kt, let vt) = type(id) else { throw Ops.internalError("map") }
            for e in entries {
                out.append(coerce(try value(e.key), to: kt))
                out.append(coerce(try value(e.value), to: vt))
            }
            return .list(out)
        case .totalScore: return .int(totalScore)
        case .requestedAction:
            guard case .requestedAction(let a)? = pack.resolutions[id] else { throw Ops.internalError("action") }
            return .bool(requested.contains(a))
        case .binary(let op, let l, let r): return try binaryValue(op, l, r)
        }
    }

    func resolved(_ id: ExprID) throws(EvalError) -> Value {
        switch pack.resolutions[id] {
        case .field(let i)?: return record[pack.fields[i].name] ?? .null
        case .param(let i)?: return params[i]
        case .const(let i)?: return try constValue(i)
        case .list(let i)?: return .list(lists[i].map { .string($0) })
        case .let(let i)?: return try letValue(i)
        case .enumMember(let o)?: return .int(Int64(o))
        case .window(let i)?: return i < windowValues.count ? windowValues[i] : pack.windows[i].zero
        case .lookupField(let l, let f)?:
            guard case .member(let base, _) = pack.syntax[id].kind, l < lookups.count, let table = lookups[l] else {
                throw Ops.internalError("a lookup field")
            }
            return table.field(try value(base), f)
        default: throw Ops.internalError("a name the reference evaluator cannot read")
        }
    }

    func numericPair(_ l: ExprID, _ r: ExprID) throws(EvalError) -> (Value, Value) {
        var a = try value(l), b = try value(r)
        if case .int(let n) = a, case .money = b { a = .money(try Ops.money(n)) }
        if case .money = a, case .int(let n) = b { b = .money(try Ops.money(n)) }
        return (a, b)
    }

    func binaryValue(_ op: BinaryOp, _ l: ExprID, _ r: ExprID) throws(EvalError) -> Value {
        switch op {
        case .and:
            guard case .bool(let a) = try value(l) else { throw Ops.internalError("and") }
            if !a { return .bool(false) }
            return try value(r)
        case .or:
            guard case .bool(let a) = try value(l) else { throw Ops.internalError("or") }
            if a { return .bool(true) }
            return try value(r)
        case .coalesce:
            let a = try value(l)
            return a.isNull ? try value(r) : a
        case .eq, .ne:
            let (a, b) = try numericPair(l, r)
            return .bool(Ops.equal(a, b) == (op == .eq))
        case .lt, .le, .gt, .ge:
            let (a, b) = try numericPair(l, r)
            let c = try Ops.compare(a, b)
            switch op {
            case .lt: return .bool(c < 0)
            case .le: return .bool(c <= 0)
            case .gt: return .bool(c > 0)
            default: return .bool(c >= 0)
            }
        case .in, .notIn:
            let found = try contains(l, r)
            return .bool(found == (op == .in))
        case .matches:
            guard case .string(let s) = try value(l), case .string(let p) = try value(r) else {
                throw Ops.internalError("matches")
            }
            return .bool(try Ops.matches(try matcher(p), s))
        case .add, .sub, .mul, .div, .mod:
            let (a, b) = try numericPair(l, r)
            let lt = type(l).unwrapped, rt = type(r).unwrapped
            switch (op, a, b) {
            case (.add, .string(let x), .string(let y)): return .string(x + y)
            case (.add, .int(let x), .int(let y)):
                return .int(lt == .date ? try Ops.checkDay(try Ops.addInt(x, y)) : try Ops.addInt(x, y))
            case (.sub, .int(let x), .int(let y)):
                return .int(lt == .date && rt == .int ? try Ops.checkDay(try Ops.subInt(x, y)) : try Ops.subInt(x, y))
            case (.mul, .int(let x), .int(let y)): return .int(try Ops.mulInt(x, y))
            case (.div, .int(let x), .int(let y)): return .int(try Ops.divInt(x, y))
            case (.mod, .int(let x), .int(let y)): return .int(try Ops.modInt(x, y))
            case (.add, .money(let x), .money(let y)): return .money(try Ops.addMoney(x, y))
            case (.sub, .money(let x), .money(let y)): return .money(try Ops.subMoney(x, y))
            case (.mul, .money(let x), .money(let y)): return .money(try Ops.mulMoney(x, y))
            case (.div, .money(let x), .money(let y)): return .money(try Ops.divMoney(x, y))
            default: throw Ops.internalError(op.rawValue)
            }
        }
    }

    func contains(_ l: ExprID, _ r: ExprID) throws(EvalError) -> Bool {
        if case .range(let lo, let hi) = pack.syntax[r].kind {
            let (x, a) = try numericPair(l, lo)
            let (y, b) = try numericPair(l, hi)
            let low = try Ops.compare(a, x)
            let high = try Ops.compare(y, b)
            return low <= 0 && high <= 0
        }
        var x = try value(l)
        let container = try value(r)
        guard case .list(let items) = container else { throw Ops.internalError("in") }
        switch type(r) {
        case .map(let k, _):
            if k == .decimal, case .int(let n) = x { x = .money(try Ops.money(n)) }
            var i = 0
            while i < items.count {
                if Ops.equal(items[i], x) { return true }
                i += 2
            }
            return false
        case .list(let e):
            if e == .decimal, case .int(let n) = x { x = .money(try Ops.money(n)) }
            if case .money = x { return items.contains { Ops.equal(coerce($0, to: .decimal), x) } }
            return items.contains { Ops.equal($0, x) }
        default:
            return false
        }
    }

    func callValue(_ id: ExprID, _ name: String, _ args: [ExprID]) throws(EvalError) -> Value {
        guard case .function(let fn)? = pack.resolutions[id] else { throw Ops.internalError("call") }
        switch fn {
        case .hit:
            guard case .hitRule(let r)? = pack.resolutions[args[0]] else { throw Ops.internalError("hit") }
            return .bool(hitRules.contains(r))
        case .tagged:
            guard case .string(let tag) = try value(args[0]) else { throw Ops.internalError("tagged") }
            return .bool(hitRules.contains { pack.rules[$0].tags.contains(tag) })
        default: break
        }
        var values: [Value] = []
        for a in args {
            var v = try value(a)
            // Date functions take calendar dates: a timestamp counts by its local date.
            if (fn == .daysBetween || fn == .weekday), type(a) == .timestamp, case .int(let t) = v {
                v = .int(zone.localDays(ofUTC: t))
            }
            if (fn == .min || fn == .max), type(id) == .decimal, case .int(let n) = v { v = .money(try Ops.money(n)) }
            values.append(v)
        }
        var callZone = zone
        if fn == .hour, values.count == 2, case .string(let z) = values[1] { callZone = zoneNamed(z) }
        return try Ops.call(fn, values[0], values.count > 1 ? values[1] : .null, zone: callZone)
    }
}
