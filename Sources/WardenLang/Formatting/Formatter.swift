/// Prints a pack in canonical form: one declaration layout, aligned field types, minimal
/// parentheses, long `and`/`or` chains broken one operand per line, comments kept.
///
/// Formatting is idempotent (`format(format(x)) == format(x)`) and preserves meaning (the
/// formatted pack parses to the same tree); both are tested on every shipped pack.
public struct Formatter {
    let syntax: PackSyntax
    let source: Source
    var out = ""
    /// Own-line comments not yet printed, in source order.
    var comments: [Comment]
    var trailing: [Comment]
    /// Width the codes of each reject are padded to: runs of adjacent rejects align their checks.
    var rejectCodeWidth: [Int: Int] = [:]

    public static let lineWidth = 100

    /// Formats pack text; nil when the text does not parse (formatting never guesses).
    public static func format(_ source: Source) -> (String?, [Diagnostic]) {
        LargeStack.run {
            let (syntax, diagnostics) = Parser.parse(source)
            if diagnostics.contains(where: { $0.severity == .error }) { return (nil, diagnostics) }
            var f = Formatter(syntax: syntax, source: source)
            f.run()
            return (f.out, [])
        }
    }

    init(syntax: PackSyntax, source: Source) {
        self.syntax = syntax
        self.source = source
        self.comments = syntax.comments.filter { !$0.trailing }
        self.trailing = syntax.comments.filter(\.trailing)
    }

    // MARK: Comments

    /// Prints own-line comments that come before `offset`, at `indent`.
    mutating func leadingComments(before offset: UInt32, indent: String) {
        while let c = comments.first, c.span.start < offset {
            out += indent + c.text + "\n"
            comments.removeFirst()
        }
    }

    /// Ends the current line, with the trailing comments written on source lines in `range`.
    mutating func endLine(covering range: Span, alignTo column: Int = 0) {
        var texts: [String] = []
        while let c = trailing.first, c.span.start < range.end || lineOf(c.span.start) == lineOf(range.end) {
            if c.span.start < range.start && lineOf(c.span.start) != lineOf(range.start) { break }
            texts.append(c.text)
            trailing.removeFirst()
        }
        if !texts.isEmpty {
            // Trailing comments of one block (fields, list elements) start in one column.
            let lineLength = out.reversed().prefix { $0 != "\n" }.count
            out += String(repeating: " ", count: max(0, column - lineLength)) + "  " + texts.joined(separator: " ")
        }
        out += "\n"
    }

    func lineOf(_ offset: UInt32) -> Int { source.location(of: Int(offset)).line }

    // MARK: Declarations

    mutating func run() {
        alignRejects()
        var previousKind = ""
        var previousEnd: UInt32 = 0
        for (index, decl) in syntax.decls.enumerated() {
            let span = syntax.declSpans[index]
            let kind = Formatter.kind(decl)
            let block = ["input", "lookup", "output", "rule", "decide"].contains(kind)
            let hadBlank = index > 0 && blankLineBetween(previousEnd, span.start)
            if index > 0 && (block || kind != previousKind || hadBlank) { out += "\n" }
            leadingComments(before: span.start, indent: "")
            declaration(decl, span, index: index)
            previousKind = block ? "block" : kind
            previousEnd = span.end
        }
        // Comments after the last declaration.
        if !comments.isEmpty || !trailing.isEmpty {
            if !syntax.decls.isEmpty { out += "\n" }
            for c in (comments + trailing).sorted(by: { $0.span.start < $1.span.start }) { out += c.text + "\n" }
        }
    }

    /// Adjacent rejects (no blank line between them) pad their codes to one width, so their
    /// `on` and `when` line up.
    mutating func alignRejects() {
        var run: [Int] = []
        func close(_ f: inout Formatter) {
            let width = run.map { i -> Int in
                if case .reject(let r) = f.syntax.decls[i] { return r.code.name.count }
                return 0
            }.max() ?? 0
            for i in run { f.rejectCodeWidth[i] = width }
            run = []
        }
        for (i, d) in syntax.decls.enumerated() {
            guard case .reject = d else {
                close(&self)
                continue
            }
            if let last = run.last, blankLineBetween(syntax.declSpans[last].end, syntax.declSpans[i].start) { close(&self) }
            run.append(i)
        }
        close(&self)
    }

    func blankLineBetween(_ a: UInt32, _ b: UInt32) -> Bool {
        // A blank line between two declarations, not counting comment lines.
        let first = lineOf(a), last = lineOf(b)
        guard last > first + 1 else { return false }
        for line in (first + 1)..<last where source.lineText(line).allSatisfy({ $0 == " " || $0 == "\t" || $0 == "\r" }) {
            return true
        }
        return false
    }

    static func kind(_ d: Decl) -> String {
        switch d {
        case .package: return "package"
        case .version, .zone, .onError: return "header"
        case .input: return "input"
        case .param: return "param"
        case .const: return "const"
        case .list: return "list"
        case .lookup: return "lookup"
        case .window: return "window"
        case .let: return "let"
        case .output: return "output"
        case .reject: return "reject"
        case .rule: return "rule"
        case .decide: return "decide"
        }
    }

    mutating func declaration(_ decl: Decl, _ span: Span, index: Int) {
        switch decl {
        case .package(let name):
            out += "package \(name.name)"
            endLine(covering: span)
        case .version(let v, _):
            out += "version \(Formatter.quote(v))"
            endLine(covering: span)
        case .zone(let z, _):
            out += "zone \(Formatter.quote(z))"
            endLine(covering: span)
        case .onError(let a):
            out += "on_error \(a.name)"
            endLine(covering: span)
        case .input(let input):
            out += "input \(input.name.name) {"
            endLine(covering: Span(Int(span.start), Int(input.name.span.end)))
            fields(input.fields, end: span.end)
            out += "}"
            endLine(covering: Span(Int(span.end) - 1, Int(span.end)))
        case .param(let p):
            valueDeclaration("param \(p.name.name): \(type(p.type)) = ", p.value, span)
        case .const(let c):
            valueDeclaration("const \(c.name.name)\(c.type.map { ": " + type($0) } ?? "") = ", c.value, span)
        case .list(let l):
            out += "list \(l.name.name) from \(Formatter.quote(l.path))"
            endLine(covering: span)
        case .lookup(let l):
            out += "lookup \(l.name.name) from \(Formatter.quote(l.path)) key \(l.key.name)"
            out += l.latestBy.map { " latest by \($0.name)" } ?? ""
            out += " {"
            endLine(covering: Span(Int(span.start), Int((l.latestBy ?? l.key).span.end)))
            fields(l.fields, end: span.end)
            out += "}"
            endLine(covering: Span(Int(span.end) - 1, Int(span.end)))
        case .window(let w):
            let arg = w.field.map(\.name) ?? ""
            out += "window \(w.name.name) = \(w.aggregate.rawValue)(\(arg)) by \(w.by.name) over \(Formatter.duration(w.over))"
                + (w.maxKeys.map { " max_keys \($0)" } ?? "")
            endLine(covering: span)
        case .let(let l):
            switch syntax[l.value].kind {
            case .list, .map: valueDeclaration("let \(l.name.name) = ", l.value, span)
            default:
                out += "let \(l.name.name) = " + wrapped(l.value, prefixWidth: 7 + l.name.name.count, indent: "    ")
                endLine(covering: span)
            }
        case .output(let o):
            out += "output \(o.name.name) {"
            endLine(covering: Span(Int(span.start), Int(o.name.span.end)))
            fields(o.columns, end: span.end)
            out += "}"
            if !o.sortBy.isEmpty { out += " sort by " + o.sortBy.map(\.name).joined(separator: ", ") }
            if let n = o.notifyBy { out += " notify by " + n.name }
            endLine(covering: Span(Int(span.end) - 1, Int(span.end)))
        case .reject(let r):
            let head = "reject " + r.code.name.padding(to: rejectCodeWidth[index] ?? 0) + " "
            switch r.check {
            case .columns: out += head + "on columns"
            case .fields(let fields): out += head + "on " + fields.map(\.name).joined(separator: ", ")
            case .duplicate(let f, _): out += head + "on duplicate " + f.name
            case .condition(let e): out += head + "when " + wrapped(e, prefixWidth: head.count + 5, indent: "    ")
            }
            endLine(covering: span)
        case .rule(let r): rule(r, span)
        case .decide(let d):
            out += "decide"
            endLine(covering: Span(Int(span.start), Int(span.start) + 6))
            let width = d.entries.map(\.action.name.count).max() ?? 0
            for e in d.entries {
                leadingComments(before: e.action.span.start, indent: "  ")
                if let c = e.condition {
                    let head = "  " + e.action.name.padding(to: width) + " when "
                    out += head + wrapped(c, prefixWidth: head.count, indent: "      ")
                    endLine(covering: e.action.span.to(syntax[c].span))
                } else {
                    out += "  " + e.action.name
                    endLine(covering: e.action.span)
                }
            }
        }
    }

    /// `head value`: on one line, or, for a list or map literal that is too long or carries
    /// comments, one element per line so each element keeps its comments.
    mutating func valueDeclaration(_ head: String, _ value: ExprID, _ span: Span) {
        let flat = head + expr(value)
        let valueSpan = syntax[value].span
        let hasComments = (comments + trailing).contains { valueSpan.start < $0.span.start && $0.span.start < valueSpan.end }
        var elements: [(ExprID, String)] = []
        var close = ""
        switch syntax[value].kind {
        case .list(let items):
            elements = items.map { item in
                // A guarded element too long for one line puts its condition on the next.
                if case .guarded(let v, let c) = syntax[item].kind, expr(item).count + 3 > Formatter.lineWidth {
                    return (item, expr(v) + "\n    when " + expr(c))
                }
                return (item, expr(item))
            }
            close = "]"
        case .map(let entries):
            elements = entries.map { ($0.key, expr($0.key) + ": " + expr($0.value)) }
            close = "}"
        default: break
        }
        guard !elements.isEmpty, hasComments || flat.count > Formatter.lineWidth else {
            out += flat
            endLine(covering: span)
            return
        }
        out += head + (close == "]" ? "[" : "{")
        endLine(covering: Span(Int(span.start), Int(valueSpan.start) + 1))
        let commentColumn = (elements.map(\.1.count).max() ?? 0) + 3
        for (id, text) in elements {
            leadingComments(before: syntax[id].span.start, indent: "  ")
            out += "  " + text + ","
            var end = syntax[id].span
            if case .map(let entries) = syntax[value].kind, let e = entries.first(where: { $0.key == id }) {
                end = end.to(syntax[e.value].span)
            }
            endLine(covering: end, alignTo: commentColumn)
        }
        leadingComments(before: valueSpan.end, indent: "  ")
        out += close
        endLine(covering: Span(Int(valueSpan.end) - 1, Int(valueSpan.end)))
    }

    mutating func fields(_ fields: [FieldDecl], end: UInt32) {
        let width = fields.map(\.name.name.count).max() ?? 0
        let lines = fields.map { "  " + ($0.name.name + ":").padding(to: width + 1) + " " + type($0.type) + ($0.isKey ? " @key" : "") + ($0.isPersonal ? " @pii" : "") }
        // Align the comments of the fields that have one (gofmt-style), not to the longest field.
        let commented = zip(fields, lines).filter { f, _ in
            trailing.contains { lineOf($0.span.start) == lineOf(f.type.span.end) }
        }
        let commentColumn = commented.map(\.1.count).max() ?? 0
        for (f, line) in zip(fields, lines) {
            leadingComments(before: f.name.span.start, indent: "  ")
            out += line
            endLine(covering: f.name.span.to(f.type.span), alignTo: commentColumn)
        }
        leadingComments(before: end, indent: "  ")
    }

    mutating func rule(_ r: RuleDecl, _ span: Span) {
        out += "rule \(r.id.name) \(Formatter.quote(r.description))"
        endLine(covering: r.id.span)
        // Clauses in canonical order.
        if let w = r.when {
            leadingComments(before: syntax[w].span.start, indent: "  ")
            out += "  when " + wrapped(w, prefixWidth: 7, indent: "    ")
            endLine(covering: syntax[w].span)
        }
        if let s = r.score {
            leadingComments(before: syntax[s].span.start, indent: "  ")
            out += "  score " + expr(s)
            endLine(covering: syntax[s].span)
        }
        if let a = r.action {
            leadingComments(before: a.span.start, indent: "  ")
            out += "  action " + a.name
            endLine(covering: a.span)
        }
        for e in r.emits {
            leadingComments(before: e.span.start, indent: "  ")
            let columns = e.columns.map { c -> String in
                guard let v = c.value else { return c.name.name }
                if case .name(c.name.name) = syntax[v].kind { return c.name.name }
                return c.name.name + ": " + expr(v)
            }
            let flat = "  emit \(e.output.name) { " + columns.joined(separator: ", ") + " }"
            if flat.count <= Formatter.lineWidth {
                out += flat
                endLine(covering: e.span)
                continue
            }
            // Too long for one line: one column per line.
            out += "  emit \(e.output.name) {"
            endLine(covering: e.output.span)
            for (c, text) in zip(e.columns, columns) {
                leadingComments(before: c.name.span.start, indent: "    ")
                out += "    " + text + ","
                endLine(covering: c.value.map { c.name.span.to(syntax[$0].span) } ?? c.name.span)
            }
            leadingComments(before: e.span.end, indent: "    ")
            out += "  }"
            endLine(covering: Span(Int(e.span.end) - 1, Int(e.span.end)))
        }
        if !r.tags.isEmpty, let span = r.tagsSpan {
            leadingComments(before: span.start, indent: "  ")
            out += "  tags " + r.tags.map(Formatter.quote).joined(separator: ", ")
            endLine(covering: span)
        }
        if let s = r.severity, let span = r.severitySpan {
            leadingComments(before: span.start, indent: "  ")
            out += "  severity \(s.rawValue)"
            endLine(covering: span)
        }
        if r.shadow, let span = r.shadowSpan {
            leadingComments(before: span.start, indent: "  ")
            out += "  shadow"
            endLine(covering: span)
        }
        leadingComments(before: span.end, indent: "  ")
        // Any trailing comments left inside the rule's span go on its last line.
        if let c = trailing.first, c.span.start < span.end {
            out.removeLast()
            endLine(covering: Span(Int(c.span.start), Int(span.end)))
        }
    }

    // MARK: Types

    func type(_ t: TypeSyntax) -> String {
        switch t {
        case .named(let i): return i.name
        case .enumeration(let members, _): return "enum(" + members.map(\.name).joined(separator: ", ") + ")"
        case .optional(let inner, _): return type(inner) + "?"
        case .generic(let name, let args, _): return name.name + "<" + args.map(type).joined(separator: ", ") + ">"
        }
    }

    // MARK: Expressions

    /// The expression on one line, or, when too long and a top-level `and`/`or` chain, one
    /// operand per line with the operator leading.
    func wrapped(_ id: ExprID, prefixWidth: Int, indent: String) -> String {
        let flat = expr(id)
        guard prefixWidth + flat.count > Formatter.lineWidth, case .binary(let op, _, _) = syntax[id].kind,
              op == .and || op == .or else { return flat }
        var operands: [ExprID] = []
        func collect(_ e: ExprID) {
            if case .binary(op, let l, let r) = syntax[e].kind, e == id || !syntax.parenthesized.contains(e) {
                collect(l)
                collect(r)
            } else {
                operands.append(e)
            }
        }
        collect(id)
        let parts = operands.map { operand(op.precedence, $0, right: false) }
        return parts[0] + parts.dropFirst().map { "\n" + indent + op.rawValue + " " + $0 }.joined()
    }

    func precedence(_ id: ExprID) -> Int {
        switch syntax[id].kind {
        case .binary(let op, _, _): return op.precedence
        case .unary(.not, _): return Precedence.not
        case .unary(.negate, _): return Precedence.unaryMinus
        case .isNull: return Precedence.isNull
        case .range: return Precedence.range
        default: return Precedence.postfix
        }
    }

    func operand(_ parent: Int, _ id: ExprID, right: Bool, rightAssociative: Bool = false) -> String {
        let p = precedence(id)
        let comparison = parent == 4 && p == 4
        let needs = p < parent || comparison || (p == parent && (right != rightAssociative))
        // Parentheses the author wrote between operators stay, even where precedence makes them
        // redundant: they document the grouping. (Around a literal or a name they add nothing.)
        let kept = syntax.parenthesized.contains(id) && p < Precedence.postfix
        return needs || kept ? "(" + expr(id) + ")" : expr(id)
    }

    func expr(_ id: ExprID) -> String {
        switch syntax[id].kind {
        case .int(let n): return String(n)
        case .decimal(let raw): return Formatter.decimal(raw)
        case .string(let s): return Formatter.quote(s)
        case .bool(let b): return b ? "true" : "false"
        case .date(let y, let m, let d): return Formatter.pad(y, 4) + "-" + Formatter.pad(m, 2) + "-" + Formatter.pad(d, 2)
        case .duration(let s): return Formatter.duration(s)
        case .regex(let p): return "/" + p.replacingSlashes() + "/"
        case .name(let n): return n
        case .member(let base, let name): return operand(Precedence.postfix, base, right: false) + "." + name
        case .index(let base, let key): return operand(Precedence.postfix, base, right: false) + "[" + expr(key) + "]"
        case .call(let name, let args): return name + "(" + args.map(expr).joined(separator: ", ") + ")"
        case .unary(.not, let e): return "not " + operand(Precedence.not, e, right: true, rightAssociative: true)
        case .unary(.negate, let e): return "-" + operand(Precedence.unaryMinus, e, right: true, rightAssociative: true)
        case .binary(let op, let l, let r):
            let rightAssoc = op == .coalesce
            return operand(op.precedence, l, right: false, rightAssociative: rightAssoc) + " " + op.rawValue + " "
                + operand(op.precedence, r, right: true, rightAssociative: rightAssoc)
        case .isNull(let e, let negated):
            return operand(Precedence.isNull, e, right: false) + (negated ? " is not null" : " is null")
        case .range(let lo, let hi):
            return operand(Precedence.range, lo, right: false) + ".." + operand(Precedence.range, hi, right: true)
        case .list(let items): return "[" + items.map(expr).joined(separator: ", ") + "]"
        case .guarded(let v, let c): return expr(v) + " when " + expr(c)
        case .map(let entries): return "{" + entries.map { expr($0.key) + ": " + expr($0.value) }.joined(separator: ", ") + "}"
        case .totalScore: return "score"
        case .requestedAction(let a): return "action(\(a))"
        case .error: return "<error>"
        }
    }

    // MARK: Literals

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return String(repeating: "0", count: max(0, width - s.count)) + s
    }

    /// A decimal literal with at least 2 fractional digits: `50000.00`, `0.125`.
    static func decimal(_ raw: Int64) -> String {
        let negative = raw < 0
        let magnitude = raw.magnitude
        var fraction = String(magnitude % 10_000)
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + "\(magnitude / 10_000).\(fraction)"
    }

    static func duration(_ seconds: Int64) -> String {
        for (unit, size) in [("d", Int64(86400)), ("h", 3600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }

    static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\t": out += "\\t"
            case "\r": out += "\\r"
            case _ where u.value < 0x20 || u.value == 0x7F: out += "\\u{" + String(u.value, radix: 16, uppercase: true) + "}"
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}

extension String {
    func padding(to width: Int) -> String {
        count >= width ? self : self + String(repeating: " ", count: width - count)
    }

    func replacingSlashes() -> String {
        var out = ""
        for c in self { out += c == "/" ? "\\/" : String(c) }
        return out
    }
}
