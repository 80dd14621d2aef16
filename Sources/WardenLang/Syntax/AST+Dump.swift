extension PackSyntax {
    /// A span-free S-expression dump of the whole pack, one declaration per line. Two packs
    /// with equal dumps mean the same (the formatter's round-trip test compares them).
    public func dump() -> String {
        decls.map(dump).joined(separator: "\n")
    }

    /// The S-expression of one expression, e.g. `(and (> amount 100.00) (is-not-null memo))`.
    public func dump(_ id: ExprID) -> String {
        switch self[id].kind {
        case .int(let n): return String(n)
        case .decimal(let raw): return "\(raw)e-4"
        case .string(let s): return DiagnosticRenderer.quote(s)
        case .bool(let b): return String(b)
        case .date(let y, let m, let d): return "(date \(y) \(m) \(d))"
        case .duration(let s): return "(duration \(s))"
        case .regex(let p): return "(regex \(DiagnosticRenderer.quote(p)))"
        case .name(let n): return n
        case .member(let base, let name): return "(. \(dump(base)) \(name))"
        case .index(let base, let key): return "(index \(dump(base)) \(dump(key)))"
        case .call(let name, let args): return "(\(name)" + args.map { " " + dump($0) }.joined() + ")"
        case .unary(let op, let e): return "(\(op.rawValue) \(dump(e)))"
        case .binary(let op, let l, let r): return "(\(op.rawValue) \(dump(l)) \(dump(r)))"
        case .isNull(let e, let negated): return "(\(negated ? "is-not-null" : "is-null") \(dump(e)))"
        case .range(let lo, let hi): return "(.. \(dump(lo)) \(dump(hi)))"
        case .list(let items): return "(list" + items.map { " " + dump($0) }.joined() + ")"
        case .guarded(let v, let c): return "(when \(dump(v)) \(dump(c)))"
        case .map(let entries): return "(map" + entries.map { " (\(dump($0.key)) \(dump($0.value)))" }.joined() + ")"
        case .totalScore: return "score"
        case .requestedAction(let a): return "(action \(a))"
        case .error: return "<error>"
        }
    }

    func dump(_ t: TypeSyntax) -> String {
        switch t {
        case .named(let i): return i.name
        case .enumeration(let members, _): return "(enum" + members.map { " " + $0.name }.joined() + ")"
        case .optional(let inner, _): return "(optional \(dump(inner)))"
        case .generic(let name, let args, _): return "(\(name.name)" + args.map { " " + dump($0) }.joined() + ")"
        }
    }

    func dump(_ fields: [FieldDecl]) -> String {
        fields.map { "(\($0.name.name) \(dump($0.type))\($0.isKey ? " key" : "")\($0.isPersonal ? " pii" : ""))" }.joined(separator: " ")
    }

    func dump(_ d: Decl) -> String {
        switch d {
        case .package(let n): return "(package \(n.name))"
        case .version(let v, _): return "(version \(DiagnosticRenderer.quote(v)))"
        case .zone(let z, _): return "(zone \(DiagnosticRenderer.quote(z)))"
        case .onError(let a): return "(on_error \(a.name))"
        case .input(let i): return "(input \(i.name.name) \(dump(i.fields)))"
        case .param(let p): return "(param \(p.name.name) \(dump(p.type)) \(dump(p.value)))"
        case .const(let c): return "(const \(c.name.name) \(c.type.map(dump) ?? "_") \(dump(c.value)))"
        case .list(let l): return "(list \(l.name.name) \(DiagnosticRenderer.quote(l.path)))"
        case .lookup(let l):
            let latest = l.latestBy.map { " (latest \($0.name))" } ?? ""
            return "(lookup \(l.name.name) \(DiagnosticRenderer.quote(l.path)) \(l.key.name)\(latest) \(dump(l.fields)))"
        case .window(let w):
            return "(window \(w.name.name) \(w.aggregate.rawValue) \(w.field?.name ?? "_") \(w.by.name) \(w.over)"
                + (w.maxKeys.map { " (max_keys \($0))" } ?? "") + ")"
        case .let(let l): return "(let \(l.name.name) \(dump(l.value)))"
        case .output(let o):
            return "(output \(o.name.name) \(dump(o.columns)) (sort" + o.sortBy.map { " " + $0.name }.joined() + ")"
                + (o.notifyBy.map { " (notify \($0.name))" } ?? "") + ")"
        case .reject(let r):
            switch r.check {
            case .columns: return "(reject \(r.code.name) columns)"
            case .fields(let fs): return "(reject \(r.code.name) (on" + fs.map { " " + $0.name }.joined() + "))"
            case .duplicate(let f, _): return "(reject \(r.code.name) (duplicate \(f.name)))"
            case .condition(let e): return "(reject \(r.code.name) (when \(dump(e))))"
            }
        case .rule(let r):
            var parts = ["rule", r.id.name, DiagnosticRenderer.quote(r.description)]
            if let w = r.when { parts.append("(when \(dump(w)))") }
            if let s = r.score { parts.append("(score \(dump(s)))") }
            if let a = r.action { parts.append("(action \(a.name))") }
            for e in r.emits {
                parts.append("(emit \(e.output.name)" + e.columns.map { c in
                    " (\(c.name.name) \(c.value.map { dump($0) } ?? c.name.name))"
                }.joined() + ")")
            }
            if !r.tags.isEmpty { parts.append("(tags " + r.tags.map(DiagnosticRenderer.quote).joined(separator: " ") + ")") }
            if let s = r.severity { parts.append("(severity \(s.rawValue))") }
            if r.shadow { parts.append("shadow") }
            return "(" + parts.joined(separator: " ") + ")"
        case .decide(let d):
            return "(decide" + d.entries.map { e in
                " (\(e.action.name) \(e.condition.map { dump($0) } ?? "default"))"
            }.joined() + ")"
        }
    }
}
