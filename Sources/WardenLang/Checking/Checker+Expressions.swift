extension Checker {
    /// Types an expression, records its type, constness and resolution, and returns the type.
    /// `expected` lets bare enum members and empty lists take their type from context.
    @discardableResult
    mutating func check(_ id: ExprID, expected: ValueType? = nil) -> ValueType {
        let (t, isConstant) = infer(id, expected: expected)
        types[Int(id)] = t
        constant[Int(id)] = isConstant && !t.isError
        return t
    }

    func span(_ id: ExprID) -> Span { syntax[id].span }

    /// The name a narrowing fact is keyed by: `x`, `r.name`.
    func path(_ id: ExprID) -> String? {
        switch syntax[id].kind {
        case .name(let n): return n
        case .member(let base, let n): return path(base).map { $0 == inputName ? n : $0 + "." + n }
        case .index(let base, let key):
            guard let b = path(base) else { return nil }
            switch syntax[key].kind {
            case .string(let s): return b + "[" + DiagnosticRenderer.quote(s) + "]"
            case .int(let n): return b + "[\(n)]"
            default: return path(key).map { b + "[" + $0 + "]" }
            }
        default: return nil
        }
    }

    /// Paths proven non-null when `id` evaluates to `whenTrue`.
    func facts(_ id: ExprID, whenTrue: Bool) -> Set<String> {
        switch syntax[id].kind {
        case .isNull(let e, let negated):
            return negated == whenTrue ? path(e).map { [$0] } ?? [] : []
        case .binary(.and, let a, let b) where whenTrue:
            return facts(a, whenTrue: true).union(facts(b, whenTrue: true))
        case .binary(.or, let a, let b) where !whenTrue:
            return facts(a, whenTrue: false).union(facts(b, whenTrue: false))
        case .unary(.not, let e):
            return facts(e, whenTrue: !whenTrue)
        case .binary(.eq, let a, let b) where whenTrue:
            // `x == v` with a non-null v proves x is not null.
            var out: Set<String> = []
            if !types[Int(b)].isOptional, let p = path(a) { out.insert(p) }
            if !types[Int(a)].isOptional, let p = path(b) { out.insert(p) }
            return out
        default:
            return []
        }
    }

    /// Checks `id` with extra narrowing facts in force.
    mutating func check(_ id: ExprID, assuming extra: Set<String>, expected: ValueType? = nil) -> ValueType {
        let saved = narrowed
        narrowed.formUnion(extra)
        defer { narrowed = saved }
        return check(id, expected: expected)
    }

    /// Reports an optional used where a value is required; returns the unwrapped type so
    /// checking goes on without follow-on errors.
    mutating func requireValue(_ t: ValueType, at id: ExprID, _ use: String) -> ValueType {
        guard t.isOptional else { return t }
        let name = path(id) ?? "the value"
        diagnostics.error(.optionalUse, "'\(name)' may be null and cannot be used in \(use) directly",
                          at: span(id), label: "this is \(DiagnosticRenderer.article("\(t)"))",
                          help: "say what null means: '\(name) is not null and …' or '\(name) ?? fallback'")
        return t.unwrapped
    }

    /// The span of the member name in `base.name` (the last bytes of the expression).
    func memberSpan(_ id: ExprID, _ name: String) -> Span {
        let end = Int(span(id).end)
        return Span(end - name.utf8.count, end)
    }

    func isUnresolvedName(_ id: ExprID) -> Bool {
        if case .name(let n) = syntax[id].kind { return symbols[n] == nil && n != inputName }
        return false
    }

    mutating func infer(_ id: ExprID, expected: ValueType?) -> (ValueType, Bool) {
        let expr = syntax[id]
        switch expr.kind {
        case .int: return (expected == .decimal ? .decimal : .int, true)
        case .decimal: return (.decimal, true)
        case .string: return (.string, true)
        case .bool: return (.bool, true)
        case .date: return (.date, true)
        case .duration: return (.duration, true)
        case .regex: return (.string, true)
        case .error: return (.error, true)
        case .name(let n): return inferName(id, n, expected: expected)
        case .member(let base, let name): return inferMember(id, base, name)
        case .index(let base, let key): return inferIndex(id, base, key)
        case .call(let name, let args): return inferCall(id, name, args)
        case .unary(let op, let e):
            switch op {
            case .not:
                let t = check(e)
                expectBool(t, at: e, what: "the operand of 'not'")
                return (.bool, constant[Int(e)])
            case .negate:
                let t = requireValue(check(e, expected: expected), at: e, "arithmetic")
                guard t.isNumeric || t == .duration || t.isError else {
                    diagnostics.error(.operatorTypes, "cannot negate a '\(t)'", at: expr.span)
                    return (.error, false)
                }
                return (t, constant[Int(e)])
            }
        case .isNull(let e, _):
            let t = check(e)
            if !t.isOptional && !t.isError {
                diagnostics.error(.nullCheckOnNonOptional, "'\(path(e) ?? "this value")' can never be null",
                                  at: expr.span, label: "this is \(DiagnosticRenderer.article("\(t)"))",
                                  help: "only optional values (declared 'T?') can be null")
            }
            return (.bool, false)
        case .range(let lo, let hi):
            let a = requireValue(check(lo), at: lo, "a range")
            let b = requireValue(check(hi, expected: a), at: hi, "a range")
            if a.isError || b.isError { return (.error, false) }
            guard let t = unify(a, b), t.isOrdered else {
                diagnostics.error(.rangeOperand, "a range needs two ends of one ordered type, not '\(a)' and '\(b)'",
                                  at: expr.span)
                return (.error, false)
            }
            return (.range(t), constant[Int(lo)] && constant[Int(hi)])
        case .list(let items):
            var element: ValueType? = nil
            if case .list(let e)? = expected { element = e }
            var allConstant = true
            for item in items {
                let t = checkElement(item, expected: element)
                allConstant = allConstant && constant[Int(item)]
                if t.isError { continue }
                if let e = element {
                    guard let u = unify(e, t) else {
                        diagnostics.error(.literalElementTypes, "list elements must share one type: '\(e)' and '\(t)'",
                                          at: span(item), label: "this is \(DiagnosticRenderer.article("\(t)"))")
                        return (.error, false)
                    }
                    element = u
                } else {
                    element = t
                }
            }
            return (element.map { .list($0) } ?? .emptyList, allConstant)
        case .guarded(_, let condition):
            // The parser makes these only as list elements, which `checkElement` checks.
            check(condition)
            diagnostics.error(.literalElementTypes, "'VALUE when CONDITION' is only allowed as an element of a list literal",
                              at: expr.span)
            return (.error, false)
        case .map(let entries):
            var key: ValueType? = nil, value: ValueType? = nil
            if case .map(let k, let v)? = expected { key = k; value = v }
            var allConstant = true
            for entry in entries {
                for (part, slot) in [(entry.key, 0), (entry.value, 1)] {
                    let t = check(part, expected: slot == 0 ? key : value)
                    allConstant = allConstant && constant[Int(part)]
                    if t.isError { continue }
                    let current = slot == 0 ? key : value
                    guard let u = current.map({ unify($0, t) }) ?? t else {
                        diagnostics.error(.literalElementTypes,
                                          "map \(slot == 0 ? "keys" : "values") must share one type: '\(current!)' and '\(t)'",
                                          at: span(part), label: "this is \(DiagnosticRenderer.article("\(t)"))")
                        return (.error, false)
                    }
                    if slot == 0 { key = u } else { value = u }
                }
            }
            guard let key, let value else {
                diagnostics.error(.literalElementTypes, "an empty map needs a declared type", at: expr.span)
                return (.error, false)
            }
            return (.map(key, value), allConstant)
        case .totalScore:
            resolutions[id] = .totalScore
            return (.int, false)
        case .requestedAction(let name):
            guard let i = actions.firstIndex(of: name) else {
                diagnostics.error(.unknownAction, "action '\(name)' is not one of the decide block's actions",
                                  at: expr.span, help: suggestion(name, among: actions))
                return (.error, false)
            }
            resolutions[id] = .requestedAction(i)
            return (.bool, false)
        case .binary(let op, let lhs, let rhs):
            return inferBinary(id, op, lhs, rhs, expected: expected)
        }
    }

    /// The common type of two types, promoting int to decimal; nil if none.
    func unify(_ a: ValueType, _ b: ValueType) -> ValueType? {
        if a == b { return a }
        if a.isError { return b }
        if b.isError { return a }
        if (a == .int && b == .decimal) || (a == .decimal && b == .int) { return .decimal }
        if a == .emptyList, case .list = b { return b }
        if b == .emptyList, case .list = a { return a }
        if case .list(let x) = a, case .list(let y) = b, let u = unify(x, y) { return .list(u) }
        if case .optional(let x) = a, !b.isOptional, let u = unify(x, b) { return .optional(u) }
        if case .optional(let y) = b, !a.isOptional, let u = unify(a, y) { return .optional(u) }
        return nil
    }

    mutating func inferName(_ id: ExprID, _ n: String, expected: ValueType?) -> (ValueType, Bool) {
        // A bare enum member wins where an enum is expected.
        if case .enumeration(let e)? = expected?.unwrapped, let ordinal = e.ordinal(of: n) {
            resolutions[id] = .enumMember(ordinal)
            return (.enumeration(e), true)
        }
        guard let symbol = symbols[n] else {
            // The other side of a comparison already failed: this is probably an enum member
            // of a type we could not determine; do not pile on.
            if expected == .error { return (.error, false) }
            if inDecide, ruleIndex[n] != nil {
                diagnostics.error(.unknownName, "'\(n)' is a rule; write hit(\(n))", at: span(id))
                return (.error, false)
            }
            if case .enumeration(let e)? = expected?.unwrapped {
                diagnostics.error(.unknownEnumMember, "'\(n)' is not a member of \(ValueType.enumeration(e))",
                                  at: span(id), help: suggestion(n, among: e.members))
                return (.error, false)
            }
            let candidates = Array(symbols.keys) + Builtin.allCases.map(\.rawValue)
            diagnostics.error(.unknownName, "unknown name '\(n)'", at: span(id), help: suggestion(n, among: candidates))
            return (.error, false)
        }
        let narrowedHere = narrowed.contains(n)
        func maybeNarrowed(_ t: ValueType) -> ValueType { narrowedHere ? t.unwrapped : t }
        switch symbol {
        case .field(let i):
            resolutions[id] = .field(i)
            noteRead(.field(i))
            return (maybeNarrowed(fields[i].type), false)
        case .param(let i):
            resolutions[id] = .param(i)
            return (params[i].type, true)
        case .const(let i):
            resolutions[id] = .const(i)
            return (consts[i].type, true)
        case .list(let i):
            resolutions[id] = .list(i)
            return (.list(.string), false)
        case .lookup:
            diagnostics.error(.indexOperand, "lookup '\(n)' is a table; index it by key: \(n)[key]", at: span(id))
            return (.error, false)
        case .window(let i):
            resolutions[id] = .window(i)
            noteRead(.window(i))
            return (windows[i].type, false)
        case .let(let i):
            resolutions[id] = .let(i)
            noteRead(.let(i))
            return (maybeNarrowed(letType(i, at: span(id))), false)
        }
    }

    mutating func noteRead(_ r: Resolution) {
        if !reads.contains(r) { reads.append(r) }
    }

    /// The type of let `i`, checking it on first use; a let that reaches itself is a cycle.
    mutating func letType(_ i: Int, at use: Span) -> ValueType {
        switch letState[i] {
        case 2: return letTypes[i] ?? .error
        case 1:
            let cycle = (letStack.drop { $0 != i } + [i]).map { letDecls[$0].name.name }
            diagnostics.error(.cyclicLet, "let '\(letDecls[i].name.name)' depends on itself: \(cycle.joined(separator: " → "))",
                              at: use, help: "break the cycle: a let cannot use its own value, directly or through others")
            letTypes[i] = .error
            return .error
        default:
            letState[i] = 1
            letStack.append(i)
            defer { letStack.removeLast() }
            let (savedNarrowed, savedReads) = (narrowed, reads)
            narrowed = []
            let t = check(letDecls[i].value)
            narrowed = savedNarrowed
            reads = savedReads
            if letTypes[i] == nil { letTypes[i] = t }
            letState[i] = 2
            return letTypes[i]!
        }
    }

    mutating func inferMember(_ id: ExprID, _ base: ExprID, _ name: String) -> (ValueType, Bool) {
        // `txn.amount`: a qualified input field.
        if case .name(let b) = syntax[base].kind, b == inputName, symbols[b] == nil {
            guard let i = fields.firstIndex(where: { $0.name == name }) else {
                diagnostics.error(.unknownMember, "input '\(inputName)' has no field '\(name)'", at: memberSpan(id, name),
                                  help: suggestion(name, among: fields.map(\.name)))
                return (.error, false)
            }
            types[Int(base)] = .error
            resolutions[id] = .field(i)
            noteRead(.field(i))
            return (narrowed.contains(name) ? fields[i].type.unwrapped : fields[i].type, false)
        }
        let bt = check(base)
        if bt.isError { return (.error, false) }
        guard case .record(let l, _) = bt.unwrapped else {
            diagnostics.error(.unknownMember, "a '\(bt)' has no fields", at: span(id))
            return (.error, false)
        }
        _ = requireValue(bt, at: base, "a field access")
        guard let f = lookups[l].fields.firstIndex(where: { $0.name == name }) else {
            let names = lookups[l].fields.map(\.name)
            diagnostics.error(.unknownMember, "lookup '\(lookups[l].name)' has no field '\(name)'", at: memberSpan(id, name),
                              help: suggestion(name, among: names) ?? "its fields: \(names.joined(separator: ", "))")
            return (.error, false)
        }
        resolutions[id] = .lookupField(lookup: l, field: f)
        let t = lookups[l].fields[f].type
        return (path(id).map { narrowed.contains($0) } == true ? t.unwrapped : t, false)
    }

    mutating func inferIndex(_ id: ExprID, _ base: ExprID, _ key: ExprID) -> (ValueType, Bool) {
        if case .name(let n) = syntax[base].kind, case .lookup(let l)? = symbols[n] {
            let keyType = lookups[l].fields.isEmpty ? ValueType.error : lookups[l].fields[lookups[l].key].type.unwrapped
            let kt = requireValue(check(key, expected: keyType), at: key, "a lookup key")
            if !kt.isError && !keyType.isError && kt != keyType {
                diagnostics.error(.indexOperand, "lookup '\(n)' is keyed by '\(keyType)', not '\(kt)'", at: span(key),
                                  label: "this is \(DiagnosticRenderer.article("\(kt)"))")
            }
            resolutions[base] = .lookup(l)
            types[Int(base)] = .record(l, name: n)
            return (.optional(.record(l, name: n)), false)
        }
        let bt = check(base)
        if bt.isError { _ = check(key); return (.error, false) }
        guard case .map(let k, let v) = bt else {
            _ = check(key)
            diagnostics.error(.indexOperand, "only maps and lookups can be indexed; this is \(DiagnosticRenderer.article("\(bt)"))", at: span(base),
                              label: "this is \(DiagnosticRenderer.article("\(bt)"))")
            return (.error, false)
        }
        let kt = requireValue(check(key, expected: k), at: key, "a map key")
        if !kt.isError && unify(kt, k) != k {
            diagnostics.error(.indexOperand, "this map's keys are '\(k)', not '\(kt)'", at: span(key),
                              label: "this is \(DiagnosticRenderer.article("\(kt)"))")
        }
        return (v.isOptional ? v : .optional(v), constant[Int(base)] && constant[Int(key)])
    }

    mutating func inferBinary(_ id: ExprID, _ op: BinaryOp, _ lhs: ExprID, _ rhs: ExprID,
                              expected: ValueType?) -> (ValueType, Bool) {
        let opSpan = span(id)
        func both() -> Bool { constant[Int(lhs)] && constant[Int(rhs)] }
        switch op {
        case .and, .or:
            let a = check(lhs)
            expectBool(a, at: lhs, what: "the left side of '\(op.rawValue)'")
            let b = check(rhs, assuming: facts(lhs, whenTrue: op == .and))
            expectBool(b, at: rhs, what: "the right side of '\(op.rawValue)'")
            return (.bool, both())
        case .coalesce:
            let a = check(lhs, expected: expected.map { .optional($0.unwrapped) })
            if a.isError { _ = check(rhs); return (.error, false) }
            guard case .optional(let inner) = a else {
                diagnostics.error(.coalesceNonOptional, "'??' needs an optional on its left; this is \(DiagnosticRenderer.article("\(a)"))",
                                  at: span(lhs), label: "never null", help: "remove '?? …'")
                _ = check(rhs)
                return (a, false)
            }
            let b = check(rhs, expected: inner)
            guard let u = unify(inner, b.unwrapped) else {
                if !b.isError {
                    diagnostics.error(.operatorTypes, "'??' fallback must be a '\(inner)', not '\(b)'", at: span(rhs),
                                      label: "this is \(DiagnosticRenderer.article("\(b)"))")
                }
                return (.error, false)
            }
            return (b.isOptional ? .optional(u) : u, both())
        case .eq, .ne:
            var (a, b): (ValueType, ValueType)
            if isUnresolvedName(lhs) && !isUnresolvedName(rhs) {
                b = check(rhs)
                a = check(lhs, expected: b.unwrapped)
            } else {
                a = check(lhs)
                b = check(rhs, expected: a.unwrapped)
            }
            if a.isError || b.isError { return (.bool, false) }
            if a.isOptional && b.isOptional {
                _ = requireValue(a, at: lhs, "'\(op.rawValue)' with another optional")
                return (.bool, false)
            }
            guard unify(a.unwrapped, b.unwrapped) != nil, !isListOrMap(a) else {
                reportComparison(op, a, b, lhs: lhs, rhs: rhs)
                return (.bool, false)
            }
            return (.bool, both())
        case .lt, .le, .gt, .ge:
            let a = requireValue(check(lhs), at: lhs, "a comparison")
            let b = requireValue(check(rhs, expected: a), at: rhs, "a comparison")
            if a.isError || b.isError { return (.bool, false) }
            guard let u = unify(a, b), u.isOrdered else {
                if unify(a, b) != nil {
                    diagnostics.error(.comparisonTypes, "'\(a)' values have no order; only '==' and '!=' apply",
                                      at: opSpan)
                } else {
                    reportComparison(op, a, b, lhs: lhs, rhs: rhs)
                }
                return (.bool, false)
            }
            return (.bool, both())
        case .in, .notIn:
            var a = check(lhs)
            let b: ValueType
            if case .range = syntax[rhs].kind {
                b = check(rhs, expected: a.unwrapped)
            } else {
                b = check(rhs, expected: a.isError ? nil : .list(a.unwrapped))
            }
            if isUnresolvedName(lhs) && !b.isError, let element = elementType(b) {
                a = check(lhs, expected: element)
            }
            a = requireValue(a, at: lhs, "'\(op.rawValue)'")
            if a.isError || b.isError { return (.bool, false) }
            guard let element = elementType(b) else {
                diagnostics.error(.inOperand, "'\(op.rawValue)' needs a list, map or range on its right, not '\(b)'",
                                  at: span(rhs), label: "this is \(DiagnosticRenderer.article("\(b)"))")
                return (.bool, false)
            }
            if element != .error && unify(a, element) == nil {
                diagnostics.error(.comparisonTypes, "cannot look for a '\(a)' in a '\(b)'", at: opSpan,
                                  help: "the element types must match")
            }
            return (.bool, both())
        case .matches:
            let a = requireValue(check(lhs), at: lhs, "'matches'")
            let b = check(rhs)
            if !a.isError && a != .string {
                diagnostics.error(.matchesOperand, "'matches' needs a string on its left, not '\(a)'", at: span(lhs),
                                  label: "this is \(DiagnosticRenderer.article("\(a)"))")
            }
            if !b.isError && (b != .string || !constant[Int(rhs)]) {
                diagnostics.error(.matchesOperand, "the pattern of 'matches' must be a constant regex or string",
                                  at: span(rhs), help: "write the pattern as /…/")
            }
            return (.bool, both())
        case .add, .sub, .mul, .div, .mod:
            let a = requireValue(check(lhs, expected: expected), at: lhs, "arithmetic")
            let b = requireValue(check(rhs, expected: a), at: rhs, "arithmetic")
            if a.isError || b.isError { return (.error, false) }
            guard let t = arithmeticType(op, a, b) else {
                diagnostics.error(.operatorTypes, "cannot apply '\(op.rawValue)' to '\(a)' and '\(b)'", at: opSpan,
                                  help: arithmeticHelp(op, a, b))
                return (.error, false)
            }
            return (t, both())
        }
    }

    /// Types one element of a list literal. A guarded element (`VALUE when CONDITION`) has
    /// its value's type; the condition must be a bool and proves its facts in the value, so
    /// `[r.name when r is not null]` reads `r.name` safely.
    mutating func checkElement(_ item: ExprID, expected: ValueType?) -> ValueType {
        guard case .guarded(let value, let condition) = syntax[item].kind else { return check(item, expected: expected) }
        expectBool(check(condition), at: condition, what: "a list element's condition")
        let t = check(value, assuming: facts(condition, whenTrue: true), expected: expected)
        types[Int(item)] = t
        constant[Int(item)] = constant[Int(value)] && constant[Int(condition)] && !t.isError
        return t
    }

    func isListOrMap(_ t: ValueType) -> Bool {
        switch t.unwrapped {
        case .list, .map, .emptyList, .record, .range: return true
        default: return false
        }
    }

    func elementType(_ t: ValueType) -> ValueType? {
        switch t {
        case .list(let e): return e
        case .map(let k, _): return k
        case .range(let e): return e
        case .emptyList: return .error
        default: return nil
        }
    }

    mutating func reportComparison(_ op: BinaryOp, _ a: ValueType, _ b: ValueType, lhs: ExprID, rhs: ExprID) {
        var help: String? = nil
        if case .string(let text) = syntax[rhs].kind, let h = literalHelp(text, for: a.unwrapped) {
            help = h
        } else if case .string(let text) = syntax[lhs].kind, let h = literalHelp(text, for: b.unwrapped) {
            help = h
        } else if a.unwrapped == .timestamp && b == .date || a == .date && b.unwrapped == .timestamp {
            help = "compare dates with date_of(timestamp)"
        }
        diagnostics.error(.comparisonTypes, "cannot compare '\(a)' with '\(b)'", at: span(rhs),
                          label: "this is \(DiagnosticRenderer.article("\(b)"))", help: help)
    }

    /// How to write `"text"` as a literal of `type`, when the quotes are the mistake.
    func literalHelp(_ text: String, for type: ValueType) -> String? {
        let isNumber = !text.isEmpty && text.utf8.allSatisfy { ($0 >= 48 && $0 <= 57) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "-") }
        switch type {
        case .int, .decimal where isNumber:
            return "remove the quotes to write a \(type == .decimal ? "money" : "number") literal"
        case .enumeration(let e) where e.ordinal(of: text) != nil:
            return "write the member without quotes: \(text)"
        case .date where text.utf8.count == 10 && isNumber:
            return "write the date without quotes: \(text)"
        default:
            return nil
        }
    }

    func arithmeticType(_ op: BinaryOp, _ a: ValueType, _ b: ValueType) -> ValueType? {
        switch (op, a, b) {
        case (.mod, .int, .int): return .int
        case (.mod, _, _): return nil
        case (_, .int, .int): return .int
        case (_, .decimal, .decimal), (_, .decimal, .int), (_, .int, .decimal): return .decimal
        case (.add, .string, .string): return .string
        case (.add, .date, .int), (.sub, .date, .int): return .date
        case (.sub, .date, .date): return .int
        case (.add, .timestamp, .duration), (.sub, .timestamp, .duration): return .timestamp
        case (.sub, .timestamp, .timestamp): return .duration
        case (.add, .duration, .duration), (.sub, .duration, .duration): return .duration
        case (.mul, .duration, .int): return .duration
        default: return nil
        }
    }

    func arithmeticHelp(_ op: BinaryOp, _ a: ValueType, _ b: ValueType) -> String? {
        if a == .timestamp && b == .int || a == .int && b == .timestamp { return "write a duration such as 24h" }
        if a == .string || b == .string { return op == .add ? "'+' joins two strings" : nil }
        if a == .date && b == .timestamp || a == .timestamp && b == .date { return "convert with date_of(timestamp)" }
        return nil
    }
}
