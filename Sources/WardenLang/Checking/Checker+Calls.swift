extension Checker {
    mutating func inferCall(_ id: ExprID, _ name: String, _ args: [ExprID]) -> (ValueType, Bool) {
        guard let fn = Builtin(rawValue: name) else {
            for a in args { check(a) }
            let start = Int(span(id).start)
            diagnostics.error(.unknownFunction, "unknown function '\(name)'", at: Span(start, start + name.utf8.count),
                              help: suggestion(name, among: Builtin.allCases.map(\.rawValue)))
            return (.error, false)
        }
        if fn.isDecideOnly && !inDecide {
            diagnostics.error(.decideOnly, "'\(name)(…)' is only available inside 'decide'", at: span(id))
            return (.error, false)
        }
        resolutions[id] = .function(fn)
        if fn == .hit {
            guard args.count == 1, case .name(let rule) = syntax[args[0]].kind else {
                diagnostics.error(.argumentCount, "hit takes one rule id", at: span(id), help: fn.signature)
                return (.error, false)
            }
            guard let r = ruleIndex[rule] else {
                diagnostics.error(.unknownRule, "no rule has the id '\(rule)'", at: span(args[0]),
                                  help: suggestion(rule, among: Array(ruleIndex.keys)))
                return (.error, false)
            }
            resolutions[args[0]] = .hitRule(r)
            types[Int(args[0])] = .bool
            return (.bool, false)
        }
        let arity: ClosedRange<Int>
        switch fn {
        case .startsWith, .endsWith, .contains, .min, .max, .daysBetween, .age, .join, .translate: arity = 2...2
        case .hour: arity = 1...2
        default: arity = 1...1
        }
        guard arity.contains(args.count) else {
            for a in args { check(a) }
            diagnostics.error(.argumentCount,
                              "\(name) takes \(arity.lowerBound == arity.upperBound ? "\(arity.lowerBound)" : "\(arity.lowerBound) or \(arity.upperBound)") argument\(arity.upperBound == 1 ? "" : "s"), not \(args.count)",
                              at: span(id), help: fn.signature)
            return (.error, false)
        }
        var types: [ValueType] = []
        for a in args {
            let t = check(a, expected: fn == .decimal ? .int : (types.first.flatMap { $0.isNumeric ? $0 : nil }))
            types.append(t.isError ? t : requireValue(t, at: a, "a call to \(name)"))
        }
        if types.contains(where: \.isError) { return (.error, false) }
        let allConstant = args.allSatisfy { constant[Int($0)] }

        func argError(_ i: Int, _ want: String) -> (ValueType, Bool) {
            diagnostics.error(.argumentType, "argument \(i + 1) of \(name) must be \(want), not '\(types[i])'",
                              at: span(args[i]), label: "this is \(DiagnosticRenderer.article("\(types[i])"))", help: fn.signature)
            return (.error, false)
        }
        func stringArgs() -> Int? { types.firstIndex { $0 != .string } }

        switch fn {
        case .len:
            switch types[0] {
            case .string, .list, .emptyList: return (.int, allConstant)
            default: return argError(0, "a string or list")
            }
        case .lower, .upper, .trim, .nfkc, .normalize, .removeWhitespace, .foldWidth:
            if let i = stringArgs() { return argError(i, "a string") }
            return (.string, allConstant)
        case .startsWith, .endsWith, .contains:
            if let i = stringArgs() { return argError(i, "a string") }
            return (.bool, allConstant)
        case .validUSCC, .validResidentID, .luhn:
            if let i = stringArgs() { return argError(i, "a string") }
            return (.bool, allConstant)
        case .residentIDBirth, .parseDate:
            if let i = stringArgs() { return argError(i, "a string") }
            return (.optional(.date), allConstant)
        case .parseTimestamp:
            if let i = stringArgs() { return argError(i, "a string") }
            return (.optional(.timestamp), allConstant)
        case .abs:
            guard types[0].isNumeric || types[0] == .duration else { return argError(0, "an int, decimal or duration") }
            return (types[0], allConstant)
        case .min, .max:
            guard let u = unify(types[0], types[1]), u.isOrdered else {
                return argError(1, "the same ordered type as argument 1 ('\(types[0])')")
            }
            return (u, allConstant)
        case .int:
            guard types[0] == .decimal || types[0] == .int else { return argError(0, "a decimal") }
            return (.int, allConstant)
        case .decimal:
            guard types[0] == .int || types[0] == .decimal else { return argError(0, "an int") }
            return (.decimal, allConstant)
        case .dateOf:
            guard types[0] == .timestamp else { return argError(0, "a timestamp") }
            return (.date, allConstant)
        case .hour:
            guard types[0] == .timestamp else { return argError(0, "a timestamp") }
            if types.count == 2 {
                guard types[1] == .string, constant[Int(args[1])] else {
                    return argError(1, "a constant zone name such as \"UTC\"")
                }
            }
            return (.int, allConstant)
        case .weekday:
            guard types[0] == .date || types[0] == .timestamp else { return argError(0, "a date or timestamp") }
            return (.int, allConstant)
        case .daysBetween:
            for i in 0..<2 where types[i] != .date && types[i] != .timestamp {
                return argError(i, "a date or timestamp")
            }
            return (.int, allConstant)
        case .age:
            for i in 0..<2 where types[i] != .date { return argError(i, "a date") }
            return (.int, allConstant)
        case .hours, .minutes, .seconds:
            guard types[0] == .duration else { return argError(0, "a duration") }
            return (.int, allConstant)
        case .join:
            guard types[0] == .list(.string) || types[0] == .emptyList else { return argError(0, "a list<string>") }
            guard types[1] == .string else { return argError(1, "a string") }
            return (.string, allConstant)
        case .translate:
            guard case .map(let k, let v) = types[1] else { return argError(1, "a map") }
            if types[0] == .emptyList { return (.list(v), allConstant) }
            guard case .list(let e) = types[0], unify(e, k) == k else { return argError(0, "a list<\(k)> (the map's keys)") }
            return (.list(v), allConstant)
        case .tagged:
            guard types[0] == .string, constant[Int(args[0])] else { return argError(0, "a constant string") }
            return (.bool, false)
        case .hit:
            return (.bool, false)
        }
    }
}
