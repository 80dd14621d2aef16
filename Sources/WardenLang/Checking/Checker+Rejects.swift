extension Checker {
    /// Checks `reject` declarations in source order: fields exist and are checked once,
    /// `on columns` comes first and `on duplicate` last, conditions are bools that read only
    /// fields that decoded for sure by the time they run.
    mutating func checkRejects(_ decls: [RejectDecl]) -> [CheckedPack.Reject] {
        var out: [CheckedPack.Reject] = []
        var columnsAt: Span? = nil, duplicateAt: Span? = nil
        /// Fields named by the `on` lists seen so far: where, and by which reject.
        var checkedBy: [Int: (code: String, at: Span)] = [:]
        for (k, r) in decls.enumerated() {
            switch r.check {
            case .columns(let word):
                if let first = columnsAt {
                    diagnostics.error(.rejectColumnsPosition, "'reject … on columns' is declared more than once",
                                      at: word, note: ("first declared", first))
                } else if k != 0 {
                    diagnostics.error(.rejectColumnsPosition, "'reject \(r.code.name) on columns' must be the first reject",
                                      at: word, label: "after \(k) other reject\(k == 1 ? "" : "s")",
                                      help: "a row with the wrong number of columns has no fields to check: move this reject first")
                }
                columnsAt = columnsAt ?? word
                out.append(CheckedPack.Reject(code: r.code.name, check: .columns, span: r.span))
            case .fields(let names):
                var indices: [Int] = []
                for name in names {
                    guard let f = rejectField(name) else { continue }
                    if let first = checkedBy[f] {
                        diagnostics.error(.fieldRejectedTwice,
                                          "field '\(name.name)' is already checked by reject \(first.code)",
                                          at: name.span, help: "a row fails on a field's first check; remove this one",
                                          note: ("first checked", first.at))
                        continue
                    }
                    checkedBy[f] = (r.code.name, name.span)
                    indices.append(f)
                }
                out.append(CheckedPack.Reject(code: r.code.name, check: .fields(indices), span: r.span))
            case .duplicate(let name, let word):
                if let first = duplicateAt {
                    diagnostics.error(.rejectDuplicatePosition, "'reject … on duplicate' is declared more than once",
                                      at: word, note: ("first declared", first))
                } else if k != decls.count - 1 {
                    diagnostics.error(.rejectDuplicatePosition,
                                      "'reject \(r.code.name) on duplicate' must be the last reject", at: word,
                                      help: "only a row that passes every other check counts as the first copy: move this reject last")
                }
                duplicateAt = duplicateAt ?? word
                guard let f = rejectField(name) else { continue }
                let t = fields[f].type
                if t.isOptional {
                    diagnostics.error(.optionalDuplicateField,
                                      "reject \(r.code.name) looks for duplicates of '\(name.name)', which may be null",
                                      at: name.span, label: "this is \(DiagnosticRenderer.article("\(t)"))",
                                      help: "duplicates are found by value: check a non-optional field such as the record key")
                }
                out.append(CheckedPack.Reject(code: r.code.name, check: .duplicate(f), span: r.span))
            case .condition(let e):
                narrowed = []
                expectBool(check(e), at: e, what: "a reject condition")
                checkRejectReads(e, code: r.code.name, checked: Set(checkedBy.keys), later: decls[(k + 1)...])
                out.append(CheckedPack.Reject(code: r.code.name, check: .condition(e), span: r.span))
            }
        }
        return out
    }

    /// The input field a reject names; reports an unknown one.
    mutating func rejectField(_ name: Ident) -> Int? {
        if let i = fields.firstIndex(where: { $0.name == name.name }) { return i }
        if !fields.isEmpty {
            diagnostics.error(.unknownRejectField, "input '\(inputName)' has no field '\(name.name)'", at: name.span,
                              help: suggestion(name.name, among: fields.map(\.name)))
        }
        return nil
    }

    /// A `when` reject runs on the decoded row, after the rejects before it. A field that can
    /// fail to decode (anything but `string` and `string?`: an optional `int` cell holding
    /// `abc` fails too) may be read only once an earlier
    /// `reject … on` has checked it: otherwise the condition would run on a row that has no
    /// such value.
    mutating func checkRejectReads(_ condition: ExprID, code: String, checked: Set<Int>,
                                   later: ArraySlice<RejectDecl>) {
        var reported: Set<Int> = []
        for use in fieldUses(condition) {
            let field = fields[use.field]
            if field.type.unwrapped == .string || field.type.isError || checked.contains(use.field) {
                continue
            }
            guard reported.insert(use.field).inserted else { continue }
            var message = "reject \(code) reads '\(field.name)'"
            var note: (message: String, span: Span)? = nil
            if let l = use.let {
                message += " through let '\(letDecls[l].name.name)'"
                note = ("read here", use.fieldSpan)
            }
            message += ", which no earlier reject checks"
            let fix: String
            if let r = later.first(where: { if case .fields(let fs) = $0.check { fs.contains { $0.name == field.name } } else { false } }) {
                fix = "'reject \(r.code.name) on \(field.name)' must come before this reject"
            } else {
                fix = "add 'reject CODE on \(field.name)' before this reject"
            }
            diagnostics.error(.rejectReadsUncheckedField, message, at: use.at,
                              label: "\(DiagnosticRenderer.article("\(field.type)")) may be missing or malformed in a row",
                              help: fix + " (only 'string' and 'string?' fields always decode)", note: note)
        }
    }

    /// The input fields an expression reads, directly or through lets (transitively), in
    /// order: where the expression reads it (the field, or the let it goes through), and the
    /// field's own use.
    mutating func fieldUses(_ id: ExprID) -> [(field: Int, at: Span, let: Int?, fieldSpan: Span)] {
        var out: [(field: Int, at: Span, let: Int?, fieldSpan: Span)] = []
        func visit(_ id: ExprID, _ checker: inout Checker) {
            switch checker.resolutions[id] {
            case .field(let f)?:
                out.append((f, checker.syntax[id].span, nil, checker.syntax[id].span))
                return
            case .let(let l)?:
                for u in checker.letFields(l) { out.append((u.field, checker.syntax[id].span, l, u.at)) }
                return
            case .window(let w)?:
                let window = checker.windows[w]
                for f in [window.by] + (window.field.map { [$0] } ?? []) {
                    out.append((f, checker.syntax[id].span, nil, checker.syntax[id].span))
                }
                return
            default: break
            }
            for child in checker.syntax.children(id) { visit(child, &checker) }
        }
        visit(id, &self)
        return out
    }

    /// The input fields let `i` reads, directly or through other lets, with where each is read.
    mutating func letFields(_ i: Int) -> [(field: Int, at: Span)] {
        if let known = letFieldUses[i] { return known }
        letFieldUses[i] = []  // a cyclic let (already an error) reads nothing more
        let uses = fieldUses(letDecls[i].value).map { (field: $0.field, at: $0.fieldSpan) }
        letFieldUses[i] = uses
        return uses
    }
}

extension PackSyntax {
    /// The direct subexpressions of an expression.
    package func children(_ id: ExprID) -> [ExprID] {
        switch self[id].kind {
        case .member(let b, _): return [b]
        case .index(let b, let k): return [b, k]
        case .call(_, let args): return args
        case .unary(_, let e), .isNull(let e, _): return [e]
        case .binary(_, let l, let r), .range(let l, let r): return [l, r]
        case .list(let items): return items
        case .guarded(let v, let c): return [c, v]
        case .map(let entries): return entries.flatMap { [$0.key, $0.value] }
        default: return []
        }
    }
}
