/// Checks a parsed pack: resolves names, types every expression, and validates declarations.
/// Reports every problem it finds; returns a `CheckedPack` only when there are none.
public struct Checker {
    var syntax: PackSyntax
    var diagnostics = DiagnosticBag()
    var types: [ValueType]
    var constant: [Bool]
    var resolutions: [ExprID: Resolution] = [:]

    enum Symbol {
        case field(Int), param(Int), const(Int), list(Int), lookup(Int), window(Int), `let`(Int)
    }
    var symbols: [String: Symbol] = [:]
    var symbolSpans: [String: Span] = [:]

    var inputName = ""
    var fields: [CheckedPack.Field] = []
    var params: [CheckedPack.Param] = []
    var consts: [CheckedPack.Const] = []
    var lists: [CheckedPack.NamedList] = []
    var lookups: [CheckedPack.Lookup] = []
    var windows: [CheckedPack.Window] = []
    var letDecls: [LetDecl] = []
    var letTypes: [ValueType?] = []
    var letState: [UInt8] = []  // 0 unchecked, 1 in progress, 2 done
    /// Lets being checked, innermost last (to show a cycle's path).
    var letStack: [Int] = []
    var outputs: [CheckedPack.Output] = []
    var outputDeclared: [Bool] = []
    var actions: [String] = []
    var ruleIndex: [String: Int] = [:]
    var ruleDecls: [RuleDecl] = []
    var rejectDecls: [RejectDecl] = []
    /// Input fields each let reads, directly or through other lets (see `fieldUses`).
    var letFieldUses: [Int: [(field: Int, at: Span)]] = [:]

    /// Names known to be non-null where the current expression is evaluated (flow narrowing).
    var narrowed: Set<String> = []
    var inDecide = false
    /// Fields and lets read by the rule condition being checked.
    var reads: [Resolution] = []

    public static func check(_ syntax: PackSyntax) -> (CheckedPack?, [Diagnostic]) {
        var checker = Checker(syntax: syntax)
        let pack = checker.run()
        let diagnostics = checker.diagnostics.sorted
        return (checker.diagnostics.hasErrors ? nil : pack, diagnostics)
    }

    init(syntax: PackSyntax) {
        self.syntax = syntax
        self.types = Array(repeating: .error, count: syntax.exprs.count)
        self.constant = Array(repeating: false, count: syntax.exprs.count)
    }

    // MARK: Declarations

    mutating func declare(_ ident: Ident, _ symbol: Symbol) {
        if let first = symbolSpans[ident.name] {
            diagnostics.error(.duplicateName, "'\(ident.name)' is declared more than once", at: ident.span,
                              help: "each field, param, const, list, lookup, window and let needs its own name",
                              note: ("first declared", first))
            return
        }
        symbols[ident.name] = symbol
        symbolSpans[ident.name] = ident.span
    }

    mutating func run() -> CheckedPack {
        var packageName = ""
        var version: String? = nil
        var zone: String? = nil
        var zoneSpan: Span? = nil
        var onErrorIdent: Ident? = nil
        var decide: DecideDecl? = nil
        var inputs: [InputDecl] = []
        var outputDecls: [OutputDecl] = []
        var seenSingle: Set<String> = []

        func once(_ what: String, _ span: Span, _ diagnostics: inout DiagnosticBag) {
            if !seenSingle.insert(what).inserted {
                diagnostics.error(.duplicateDeclaration, "'\(what)' is declared more than once", at: span)
            }
        }

        // Pass 1: collect declarations so order does not matter.
        for decl in syntax.decls {
            switch decl {
            case .package(let name):
                once("package", name.span, &diagnostics)
                packageName = name.name
            case .version(let v, let span):
                once("version", span, &diagnostics)
                version = v
            case .zone(let z, let span):
                once("zone", span, &diagnostics)
                zone = z
                zoneSpan = span
            case .onError(let a):
                once("on_error", a.span, &diagnostics)
                onErrorIdent = a
            case .input(let input): inputs.append(input)
            case .param(let p):
                declare(p.name, .param(params.count))
                params.append(CheckedPack.Param(name: p.name.name, type: resolveType(p.type), value: p.value,
                                                span: p.name.span))
            case .const(let c):
                declare(c.name, .const(consts.count))
                var declared = ValueType.error
                if let t = c.type { declared = resolveType(t) }
                consts.append(CheckedPack.Const(name: c.name.name, type: declared, value: c.value))
            case .list(let l):
                declare(l.name, .list(lists.count))
                lists.append(CheckedPack.NamedList(name: l.name.name, path: l.path, span: l.pathSpan))
            case .lookup(let l):
                declare(l.name, .lookup(lookups.count))
                let fs = checkFields(l.fields)
                let key = fs.firstIndex { $0.name == l.key.name }
                if key == nil {
                    diagnostics.error(.unknownName, "lookup \(l.name.name) has no field '\(l.key.name)' to key by",
                                      at: l.key.span)
                }
                var latest: Int? = nil
                if let by = l.latestBy {
                    latest = fs.firstIndex { $0.name == by.name }
                    if let i = latest {
                        let t = fs[i].type
                        if t.isOptional || !t.isOrdered {
                            diagnostics.error(.lookupLatestBy, "lookup \(l.name.name) cannot order rows by '\(by.name)', a '\(t)'",
                                              at: by.span, help: "'latest by' needs a non-optional int, decimal, string, date or timestamp field")
                        }
                    } else {
                        diagnostics.error(.unknownName, "lookup \(l.name.name) has no field '\(by.name)' to order rows by",
                                          at: by.span, help: suggestion(by.name, among: fs.map(\.name)))
                    }
                }
                lookups.append(CheckedPack.Lookup(name: l.name.name, path: l.path, key: key ?? 0, latestBy: latest,
                                                  fields: fs, span: l.name.span))
            case .window: break  // needs the input's fields; pass 2
            case .let(let l):
                declare(l.name, .let(letDecls.count))
                letDecls.append(l)
            case .output(let o): outputDecls.append(o)
            case .reject(let r): rejectDecls.append(r)
            case .rule(let r):
                if let first = ruleIndex[r.id.name] {
                    diagnostics.error(.duplicateRule, "rule id '\(r.id.name)' is used more than once", at: r.id.span,
                                      note: ("first used", ruleDecls[first].id.span))
                } else {
                    ruleIndex[r.id.name] = ruleDecls.count
                }
                ruleDecls.append(r)
            case .decide(let d):
                if decide != nil {
                    diagnostics.error(.duplicateDeclaration, "'decide' is declared more than once", at: d.span)
                } else {
                    decide = d
                }
            }
        }
        letTypes = Array(repeating: nil, count: letDecls.count)
        letState = Array(repeating: 0, count: letDecls.count)

        if inputs.isEmpty {
            diagnostics.error(.inputDeclaration, "the pack declares no input", at: syntax.declSpans.first ?? .empty,
                              help: "add 'input NAME { field: type, … }'")
        } else {
            for extra in inputs.dropFirst() {
                diagnostics.error(.inputDeclaration, "a pack has exactly one input; this is a second", at: extra.name.span)
            }
            let input = inputs[0]
            inputName = input.name.name
            fields = checkFields(input.fields)
            let keys = fields.indices.filter { fields[$0].isKey }
            for extra in keys.dropFirst() {
                diagnostics.error(.duplicateField, "only one field can be the @key", at: fields[extra].span)
            }
            for (i, f) in fields.enumerated() {
                declare(Ident(name: f.name, span: f.span), .field(i))
            }
        }
        for decl in syntax.decls {
            if case .window(let w) = decl { checkWindow(w) }
        }

        // Actions come from decide, in severity order.
        if let decide {
            for entry in decide.entries where !actions.contains(entry.action.name) {
                actions.append(entry.action.name)
            }
        }
        var onError: Int? = nil
        if let a = onErrorIdent {
            onError = actionIndex(a)
        }

        // Params and consts: constant values of their declared type.
        for p in params {
            let t = check(p.value, expected: p.type)
            if t.isError { continue }
            if !constant[Int(p.value)] {
                diagnostics.error(.notConstant, "the default of param '\(p.name)' must be a constant",
                                  at: syntax[p.value].span)
            } else {
                expectType(t, p.type, at: p.value, code: .declaredType, what: "param '\(p.name)'")
            }
        }
        for i in consts.indices {
            let c = consts[i]
            let declared: ValueType? = c.type == .error ? nil : c.type
            let t = check(c.value, expected: declared)
            if t.isError { continue }
            if !constant[Int(c.value)] {
                diagnostics.error(.notConstant, "the value of const '\(c.name)' must be a constant",
                                  at: syntax[c.value].span)
            }
            if let declared {
                expectType(t, declared, at: c.value, code: .declaredType, what: "const '\(c.name)'")
            } else {
                consts[i] = CheckedPack.Const(name: c.name, type: t, value: c.value)
            }
        }
        for i in letDecls.indices { _ = letType(i, at: letDecls[i].name.span) }

        for o in outputDecls {
            if outputs.contains(where: { $0.name == o.name.name }) {
                diagnostics.error(.duplicateName, "output '\(o.name.name)' is declared more than once", at: o.name.span)
                continue
            }
            let cols = checkFields(o.columns)
            var sort: [Int] = []
            for s in o.sortBy {
                if let i = cols.firstIndex(where: { $0.name == s.name }) {
                    sort.append(i)
                } else {
                    diagnostics.error(.outputColumns, "output '\(o.name.name)' has no column '\(s.name)' to sort by",
                                      at: s.span)
                }
            }
            outputs.append(checkOutput(o, columns: cols, sortBy: sort))
            outputDeclared.append(true)
        }
        let rejects = checkRejects(rejectDecls)

        var rules: [CheckedPack.Rule] = []
        for r in ruleDecls {
            if let rule = checkRule(r) { rules.append(rule) }
        }

        var decideEntries: [(action: Int, condition: ExprID?)] = []
        if let decide {
            inDecide = true
            for entry in decide.entries {
                if let c = entry.condition {
                    narrowed = []
                    expectBool(check(c), at: c, what: "a decide condition")
                }
                decideEntries.append((actions.firstIndex(of: entry.action.name)!, entry.condition))
            }
            inDecide = false
        }

        return CheckedPack(
            syntax: syntax, packageName: packageName, version: version, zone: zone, zoneSpan: zoneSpan,
            inputName: inputName, fields: fields, keyField: fields.firstIndex { $0.isKey }, params: params,
            consts: consts, lists: lists, lookups: lookups, windows: windows,
            lets: letDecls.indices.map { CheckedPack.Let(name: letDecls[$0].name.name, value: letDecls[$0].value,
                                                         type: letTypes[$0] ?? .error) },
            outputs: outputs, rejects: rejects, rules: rules, actions: actions, decide: decideEntries, onError: onError,
            types: types, resolutions: resolutions, constant: constant)
    }

    mutating func actionIndex(_ a: Ident) -> Int? {
        if let i = actions.firstIndex(of: a.name) { return i }
        diagnostics.error(.unknownAction, "action '\(a.name)' is not one of the decide block's actions", at: a.span,
                          help: actions.isEmpty ? "add a 'decide' block that lists it"
                                                : "use one of: \(actions.joined(separator: ", "))")
        return nil
    }

    mutating func checkFields(_ decls: [FieldDecl]) -> [CheckedPack.Field] {
        var out: [CheckedPack.Field] = []
        for f in decls {
            if let first = out.first(where: { $0.name == f.name.name }) {
                diagnostics.error(.duplicateField, "field '\(f.name.name)' is declared more than once", at: f.name.span,
                                  note: ("first declared", first.span))
                continue
            }
            out.append(CheckedPack.Field(name: f.name.name, type: resolveType(f.type), isKey: f.isKey, span: f.name.span,
                                         isPersonal: f.isPersonal))
        }
        return out
    }

    /// The longest window: every event a window spans stays in memory.
    static let maxWindowSeconds: Int64 = 400 * 86_400

    mutating func checkWindow(_ w: WindowDecl) {
        func field(_ ident: Ident) -> Int? {
            if let i = fields.firstIndex(where: { $0.name == ident.name }) { return i }
            diagnostics.error(.unknownName, "input has no field '\(ident.name)'", at: ident.span,
                              help: suggestion(ident.name, among: fields.map(\.name)))
            return nil
        }
        let by = field(w.by)
        var aggregated: Int? = nil
        var type: ValueType = .int
        if let f = w.field {
            aggregated = field(f)
            if w.aggregate == .sum, let a = aggregated {
                let t = fields[a].type.unwrapped
                if !t.isNumeric && t != .duration {
                    diagnostics.error(.windowField, "sum() needs a numeric field; '\(f.name)' is '\(fields[a].type)'",
                                      at: f.span)
                } else {
                    type = t
                }
            }
        }
        if w.over <= 0 {
            diagnostics.error(.windowField, "a window must span a positive duration", at: w.overSpan)
        } else if w.over > Checker.maxWindowSeconds {
            diagnostics.error(.windowField, "a window spans at most 400 days", at: w.overSpan,
                              help: "velocity windows keep every event they span in memory; use a sweep for longer histories")
        }
        // Windows run on the event's own time: the input's first non-optional timestamp field.
        let time = fields.firstIndex { $0.type == .timestamp }
        if time == nil {
            diagnostics.error(.windowField, "window \(w.name.name) needs the event's time, and input '\(inputName)' has no non-optional timestamp field",
                              at: w.name.span, help: "declare the event time first among the input's timestamps, e.g. 'created_at: timestamp'")
        }
        if let by, fields[by].type.isOptional {
            diagnostics.error(.windowField, "window \(w.name.name) is keyed by '\(fields[by].name)', which may be null",
                              at: w.by.span, help: "key windows by a non-optional field (account, card, device, merchant)")
        }
        declare(w.name, .window(windows.count))
        windows.append(CheckedPack.Window(name: w.name.name, aggregate: w.aggregate, field: aggregated, by: by ?? 0,
                                          seconds: w.over, type: type, time: time ?? 0,
                                          maxKeys: w.maxKeys.map { Int($0) }, span: w.name.span))
    }

    mutating func checkRule(_ r: RuleDecl) -> CheckedPack.Rule? {
        guard let when = r.when else { return nil }
        narrowed = []
        reads = []
        expectBool(check(when), at: when, what: "a rule condition")
        let ruleReads = reads
        // What the condition proves non-null holds in the score and emits too.
        narrowed = facts(when, whenTrue: true)
        if let score = r.score {
            let t = check(score, expected: .int)
            if t != .int && !t.isError {
                diagnostics.error(.scoreNotInt, "a score must be an int, not '\(t)'", at: syntax[score].span,
                                  label: "this is \(DiagnosticRenderer.article("\(t)"))")
            }
        }
        var action: Int? = nil
        if let a = r.action { action = actionIndex(a) }
        var emits: [CheckedPack.Emit] = []
        for e in r.emits {
            if let emit = checkEmit(e) { emits.append(emit) }
        }
        narrowed = []
        return CheckedPack.Rule(id: r.id.name, description: r.description, when: when, score: r.score,
                                action: action, emits: emits, tags: r.tags, severity: r.severity, shadow: r.shadow,
                                reads: ruleReads, span: r.span)
    }

    mutating func checkEmit(_ e: EmitClause) -> CheckedPack.Emit? {
        var values: [(Ident, ExprID, ValueType)] = []
        for c in e.columns {
            let id: ExprID
            if let v = c.value {
                id = v
            } else {
                syntax.exprs.append(Expr(kind: .name(c.name.name), span: c.name.span))
                types.append(.error)
                constant.append(false)
                id = ExprID(syntax.exprs.count - 1)
            }
            // A declared column gives its type as context: `action: deregister` for an enum column.
            let declared = outputs.first { $0.name == e.output.name }?.columns.first { $0.name == c.name.name }?.type
            values.append((c.name, id, check(id, expected: declared)))
        }
        var seen: Set<String> = []
        for (name, _, _) in values where !seen.insert(name.name).inserted {
            diagnostics.error(.outputColumns, "column '\(name.name)' is emitted twice", at: name.span)
            return nil
        }
        guard let index = outputs.firstIndex(where: { $0.name == e.output.name }) else {
            // The first emit defines an undeclared output's columns.
            outputs.append(CheckedPack.Output(name: e.output.name, columns: values.map { ($0.0.name, $0.2) }, sortBy: []))
            outputDeclared.append(false)
            return CheckedPack.Emit(output: outputs.count - 1, values: values.map { $0.1 })
        }
        let output = outputs[index]
        var ordered: [ExprID] = []
        var ok = true
        for column in output.columns {
            guard let v = values.first(where: { $0.0.name == column.name }) else {
                diagnostics.error(.outputColumns, "emit to '\(output.name)' lacks column '\(column.name)'",
                                  at: e.output.span,
                                  help: "every emit to an output gives all its columns: \(output.columns.map(\.name).joined(separator: ", "))")
                ok = false
                continue
            }
            let (t, want) = (v.2, column.type)
            if !t.isError && !want.isError && t != want && !(t == .int && want == .decimal)
                && !(want.isOptional && (t == want.unwrapped || t == .int && want.unwrapped == .decimal)) {
                diagnostics.error(.emitColumnType, "column '\(column.name)' of '\(output.name)' is '\(want)', not '\(t)'",
                                  at: syntax[v.1].span, label: "this is \(DiagnosticRenderer.article("\(t)"))")
                ok = false
            }
            ordered.append(v.1)
        }
        for v in values where !output.columns.contains(where: { $0.name == v.0.name }) {
            diagnostics.error(.outputColumns, "output '\(output.name)' has no column '\(v.0.name)'", at: v.0.span,
                              help: suggestion(v.0.name, among: output.columns.map(\.name)))
            ok = false
        }
        return ok ? CheckedPack.Emit(output: index, values: ordered) : nil
    }

    // MARK: Types as written

    mutating func resolveType(_ t: TypeSyntax) -> ValueType {
        switch t {
        case .named(let i):
            switch i.name {
            case "int": return .int
            case "decimal", "money": return .decimal
            case "bool": return .bool
            case "string": return .string
            case "date": return .date
            case "timestamp": return .timestamp
            case "duration": return .duration
            default:
                diagnostics.error(.unknownType, "unknown type '\(i.name)'", at: i.span,
                                  help: suggestion(i.name, among: ["int", "decimal", "money", "bool", "string", "date",
                                                                   "timestamp", "duration", "enum", "list", "map"])
                                      ?? "types are int, decimal (money), bool, string, date, timestamp, duration, enum(…), list<T>, map<K, V> and T?")
                return .error
            }
        case .enumeration(let members, _):
            var names: [String] = []
            for m in members {
                if names.contains(m.name) {
                    diagnostics.error(.duplicateEnumMember, "enum member '\(m.name)' is listed twice", at: m.span)
                } else {
                    names.append(m.name)
                }
            }
            return .enumeration(EnumType(members: names))
        case .optional(let inner, let span):
            let t = resolveType(inner)
            if t.isOptional {
                diagnostics.error(.unknownType, "a type can be optional only once", at: span)
            }
            return t.isError ? .error : .optional(t)
        case .generic(let name, let args, let span):
            switch (name.name, args.count) {
            case ("list", 1): return .list(resolveType(args[0]))
            case ("map", 2): return .map(resolveType(args[0]), resolveType(args[1]))
            case ("list", _), ("map", _):
                diagnostics.error(.unknownType, "'\(name.name)' takes \(name.name == "list" ? 1 : 2) type argument(s)", at: span)
                return .error
            default:
                diagnostics.error(.unknownType, "unknown type '\(name.name)'", at: name.span)
                return .error
            }
        }
    }

    // MARK: Helpers

    /// "did you mean …?" for a misspelt name, by edit distance.
    func suggestion(_ name: String, among candidates: [String]) -> String? {
        let close = candidates.map { ($0, editDistance(name, $0)) }.filter { $0.1 <= max(1, name.count / 3) }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }
        if let close { return "did you mean '\(close.0)'?" }
        // `lowercase` for `lower`, `lenght` for `len`: a candidate the name starts with.
        let prefix = candidates.filter { $0.count >= 3 && name.hasPrefix($0) }.max { $0.count < $1.count }
        return prefix.map { "did you mean '\($0)'?" }
    }

    func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars), b = Array(b.unicodeScalars)
        if a.isEmpty || b.isEmpty { return max(a.count, b.count) }
        var row = Array(0...b.count)
        for i in 1...a.count {
            var previous = row[0]
            row[0] = i
            for j in 1...b.count {
                let old = row[j]
                row[j] = Swift.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] == b[j - 1] ? 0 : 1))
                previous = old
            }
        }
        return row[b.count]
    }

    mutating func expectBool(_ t: ValueType, at id: ExprID, what: String) {
        if t.isError || t == .bool { return }
        if t == .optional(.bool) {
            diagnostics.error(.optionalUse, "\(what) may be null", at: syntax[id].span, label: "this is a 'bool?'",
                              help: "say what null means: '(x ?? false)' or 'x is not null and x'")
            return
        }
        diagnostics.error(.conditionNotBool, "\(what) must be a bool, not '\(t)'", at: syntax[id].span,
                          label: "this is \(DiagnosticRenderer.article("\(t)"))")
    }

    mutating func expectType(_ t: ValueType, _ want: ValueType, at id: ExprID, code: DiagnosticCode, what: String) {
        if t.isError || want.isError || t == want || (t == .int && want == .decimal) { return }
        if case .emptyList = t, case .list = want { return }
        if case .list(let e) = t, case .list(.decimal) = want, e == .int { return }
        diagnostics.error(code, "\(what) is declared '\(want)' but its value is '\(t)'", at: syntax[id].span,
                          label: "this is \(DiagnosticRenderer.article("\(t)"))")
    }
}
