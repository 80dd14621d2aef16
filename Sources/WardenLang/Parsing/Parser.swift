/// Recursive-descent parser for packs, Pratt-style for expressions, with error recovery: a
/// syntax error skips to the next declaration (or rule clause) so one run reports every error.
public struct Parser {
    var tokens: [Token]
    /// The pack text, to tell where lines start (field lists recover at the next line).
    let bytes: [UInt8]
    var index = 0
    var pack = PackSyntax()
    var diagnostics = DiagnosticBag()
    var depth = 0
    /// True while parsing `decide`, where `score` and `action(…)` are expressions.
    var inDecide = false

    /// Parses a pack. The result is always a full syntax tree (with `.error` placeholders where
    /// parsing failed); the diagnostics say whether it can be trusted.
    public static func parse(_ source: Source) -> (PackSyntax, [Diagnostic]) {
        var lexer = Lexer(source: source)
        let tokens = lexer.tokenize()
        var parser = Parser(tokens: tokens, bytes: source.bytes)
        parser.diagnostics.append(contentsOf: lexer.diagnostics.all)
        parser.parsePack()
        parser.pack.comments = lexer.comments
        return (parser.pack, parser.diagnostics.sorted)
    }

    init(tokens: [Token], bytes: [UInt8] = []) {
        self.tokens = tokens
        self.bytes = bytes
    }

    /// True when a newline separates the current token from the previous one.
    var atLineStart: Bool {
        guard index > 0 else { return true }
        let from = Int(tokens[index - 1].span.end), to = Int(current.span.start)
        return from < to && to <= bytes.count && bytes[from..<to].contains(UInt8(ascii: "\n"))
    }

    // MARK: Token helpers

    var current: Token { tokens[index] }
    var previousEnd: Int { index > 0 ? Int(tokens[index - 1].span.end) : 0 }

    mutating func advance() -> Token {
        let t = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return t
    }

    func at(_ k: Keyword) -> Bool {
        if case .keyword(k) = current.kind { return true }
        return false
    }

    func at(_ s: Symbol) -> Bool {
        if case .symbol(s) = current.kind { return true }
        return false
    }

    var atEOF: Bool {
        if case .eof = current.kind { return true }
        return false
    }

    mutating func eat(_ k: Keyword) -> Bool {
        guard at(k) else { return false }
        _ = advance()
        return true
    }

    mutating func eat(_ s: Symbol) -> Bool {
        guard at(s) else { return false }
        _ = advance()
        return true
    }

    struct Failure: Error {}

    mutating func expect(_ s: Symbol, _ context: String) throws(Failure) {
        guard eat(s) else { throw fail(expected: "'\(s.rawValue)' \(context)") }
    }

    mutating func expect(_ k: Keyword, _ context: String) throws(Failure) {
        guard eat(k) else { throw fail(expected: "'\(k.rawValue)' \(context)") }
    }

    /// Reserved words that mean nothing inside an expression or a field list, so they can
    /// still name fields and columns (`tags`, `version`, `output`, …).
    static let softKeywords: Set<Keyword> = [
        .package, .version, .zone, .on_error, .input, .param, .const, .list, .lookup, .window, .let, .rule, .when,
        .emit, .tags, .severity, .shadow, .decide, .output, .reject,
    ]

    mutating func expectIdent(_ what: String, allowKeywords: Bool = false) throws(Failure) -> Ident {
        if case .identifier(let name) = current.kind {
            let t = advance()
            return Ident(name: name, span: t.span)
        }
        if allowKeywords, case .keyword(let k) = current.kind, Parser.softKeywords.contains(k) || k == .score || k == .action {
            let t = advance()
            return Ident(name: k.rawValue, span: t.span)
        }
        if case .keyword(let k) = current.kind {
            let t = current
            diagnostics.error(.expectedToken, "expected \(what), found reserved word '\(k.rawValue)'", at: t.span,
                              help: "'\(k.rawValue)' is reserved; choose another name")
            throw Failure()
        }
        throw fail(expected: what)
    }

    mutating func expectString(_ what: String) throws(Failure) -> (String, Span) {
        if case .string(let s) = current.kind {
            let t = advance()
            return (s, t.span)
        }
        throw fail(expected: what)
    }

    /// Reports "expected X, found Y" at the current token (unless the lexer already reported it).
    mutating func fail(expected: String) -> Failure {
        // After a lexical error the parser is out of step; its complaint would be noise.
        if case .invalid = current.kind { return Failure() }
        if index > 0, case .invalid = tokens[index - 1].kind { return Failure() }
        diagnostics.error(.expectedToken, "expected \(expected), found \(current.kind)", at: current.span)
        return Failure()
    }

    static let declarationKeywords: Set<Keyword> = [
        .package, .version, .zone, .on_error, .input, .param, .const, .list, .lookup, .window, .let, .rule,
        .decide, .output, .reject,
    ]

    var atDeclaration: Bool {
        if case .keyword(let k) = current.kind { return Parser.declarationKeywords.contains(k) }
        return false
    }

    /// Skips tokens until the start of a declaration.
    mutating func recoverToDeclaration() {
        while !atEOF && !atDeclaration { _ = advance() }
    }

    // MARK: Pack

    mutating func parsePack() {
        if !at(.package) {
            diagnostics.error(.missingPackage, "a pack must start with 'package NAME'", at: current.span,
                              help: "add 'package NAME' as the first line")
        }
        while !atEOF {
            let start = current.span
            let before = index
            do throws(Failure) {
                if let decl = try parseDeclaration() {
                    pack.decls.append(decl)
                    pack.declSpans.append(start.to(Span(Int(start.start), previousEnd)))
                }
            } catch {
                if index == before { _ = advance() }
                recoverToDeclaration()
            }
        }
    }

    mutating func parseDeclaration() throws(Failure) -> Decl? {
        guard case .keyword(let k) = current.kind, Parser.declarationKeywords.contains(k) else {
            if case .invalid = current.kind {} else {
                diagnostics.error(.expectedDeclaration, "expected a declaration, found \(current.kind)",
                                  at: current.span,
                                  help: "declarations start with package, input, param, const, list, lookup, window, let, output, reject, rule or decide")
            }
            throw Failure()
        }
        _ = advance()
        switch k {
        case .package: return .package(try expectIdent("a package name"))
        case .version:
            let (s, span) = try expectString("a version string")
            return .version(s, span)
        case .zone:
            let (s, span) = try expectString("a time zone name such as \"Asia/Shanghai\"")
            return .zone(s, span)
        case .on_error: return .onError(try expectIdent("an action name"))
        case .input: return .input(try parseInput())
        case .param:
            let name = try expectIdent("a param name")
            try expect(.colon, "after the param name (params declare a type)")
            let type = try parseType()
            try expect(.eq, "before the param's default value")
            return .param(ParamDecl(name: name, type: type, value: try parseExpression()))
        case .const:
            let name = try expectIdent("a const name")
            var type: TypeSyntax? = nil
            if eat(.colon) { type = try parseType() }
            try expect(.eq, "before the const's value")
            return .const(ConstDecl(name: name, type: type, value: try parseExpression()))
        case .list:
            let name = try expectIdent("a list name")
            try expectContextual("from")
            let (path, span) = try expectString("a file path")
            return .list(ListDecl(name: name, path: path, pathSpan: span))
        case .lookup: return .lookup(try parseLookup())
        case .window: return .window(try parseWindow())
        case .let:
            let name = try expectIdent("a let name")
            try expect(.eq, "after the let name")
            return .let(LetDecl(name: name, value: try parseExpression()))
        case .output: return .output(try parseOutput())
        case .reject: return .reject(try parseReject())
        case .rule: return .rule(try parseRule())
        case .decide: return .decide(try parseDecide())
        default: return nil
        }
    }

    mutating func expectContextual(_ word: String) throws(Failure) {
        if case .identifier(word) = current.kind {
            _ = advance()
            return
        }
        throw fail(expected: "'\(word)'")
    }

    mutating func parseFields(_ what: String) throws(Failure) -> [FieldDecl] {
        try expect(.lBrace, "to open the \(what)")
        var fields: [FieldDecl] = []
        // A declaration keyword ends an unclosed field list, unless a colon makes it a field's
        // name (`version: string`).
        var atFieldEnd: Bool {
            guard atDeclaration else { return false }
            return tokens[min(index + 1, tokens.count - 1)].kind != .symbol(.colon)
        }
        while !at(.rBrace) && !atEOF && !atFieldEnd {
            do throws(Failure) {
                let name = try expectIdent("a field name", allowKeywords: true)
                try expect(.colon, "after the field name")
                let type = try parseType()
                var isKey = false, isPersonal = false
                while eat(.at) {
                    let attr = try expectIdent("an attribute")
                    switch attr.name {
                    case "key": isKey = true
                    case "pii": isPersonal = true
                    default:
                        diagnostics.error(.expectedToken, "unknown attribute '@\(attr.name)'", at: attr.span,
                                          help: "field attributes are @key and @pii")
                        throw Failure()
                    }
                }
                fields.append(FieldDecl(name: name, type: type, isKey: isKey, isPersonal: isPersonal))
                _ = eat(.comma)
            } catch {
                // Skip the rest of the broken field: resume at the next line or the closing brace.
                repeat { _ = advance() } while !atEOF && !at(.rBrace) && !atLineStart && !atFieldEnd
            }
        }
        try expect(.rBrace, "to close the \(what)")
        return fields
    }

    mutating func parseInput() throws(Failure) -> InputDecl {
        let name = try expectIdent("an input name")
        return InputDecl(name: name, fields: try parseFields("input's fields"))
    }

    mutating func parseLookup() throws(Failure) -> LookupDecl {
        let name = try expectIdent("a lookup name")
        try expectContextual("from")
        let (path, span) = try expectString("a file name")
        try expectContextual("key")
        let key = try expectIdent("the key field")
        var latestBy: Ident? = nil
        if case .identifier("latest") = current.kind {
            _ = advance()
            try expectContextual("by")
            latestBy = try expectIdent("the field that orders a key's rows")
        }
        return LookupDecl(name: name, path: path, pathSpan: span, key: key, latestBy: latestBy,
                          fields: try parseFields("lookup's fields"))
    }

    mutating func parseWindow() throws(Failure) -> WindowDecl {
        let name = try expectIdent("a window name")
        try expect(.eq, "after the window name")
        let aggIdent = try expectIdent("count(), sum(field) or distinct(field)")
        guard let aggregate = WindowAggregate(rawValue: aggIdent.name) else {
            diagnostics.error(.expectedToken, "unknown window aggregate '\(aggIdent.name)'", at: aggIdent.span,
                              help: "use count(), sum(field) or distinct(field)")
            throw Failure()
        }
        try expect(.lParen, "after the aggregate")
        var field: Ident? = nil
        if aggregate != .count { field = try expectIdent("the aggregated field") }
        try expect(.rParen, "after the aggregate's argument")
        try expectContextual("by")
        let by = try expectIdent("the field the window is keyed by")
        try expectContextual("over")
        guard case .duration(let seconds) = current.kind else { throw fail(expected: "a duration such as 1h") }
        let overSpan = advance().span
        var decl = WindowDecl(name: name, aggregate: aggregate, aggregateSpan: aggIdent.span, field: field, by: by,
                              over: seconds, overSpan: overSpan)
        if case .identifier("max_keys") = current.kind {
            _ = advance()
            guard case .int(let n) = current.kind, n > 0 else { throw fail(expected: "a positive number of keys") }
            _ = advance()
            decl.maxKeys = n
        }
        return decl
    }

    mutating func parseOutput() throws(Failure) -> OutputDecl {
        let name = try expectIdent("an output name")
        let columns = try parseFields("output's columns")
        var output = OutputDecl(name: name, columns: columns, sortBy: [])
        // `sort by a, b` and `notify by c`, each at most once, in either order.
        var sorted = false
        while case .identifier(let word) = current.kind, word == "sort" || word == "notify" {
            let wordToken = advance()
            if word == "sort" ? sorted : output.notifyBy != nil {
                diagnostics.error(.duplicateClause, "output \(name.name) has more than one '\(word) by'",
                                  at: wordToken.span)
            }
            try expectContextual("by")
            if word == "sort" {
                var columns: [Ident] = []
                repeat { columns.append(try expectIdent("a column name")) } while eat(.comma)
                if !sorted { output.sortBy = columns }
                sorted = true
            } else {
                let column = try expectIdent("the column naming whom each row notifies")
                if output.notifyBy == nil { output.notifyBy = column }
            }
        }
        return output
    }

    /// `reject CODE on columns | on duplicate FIELD | on FIELD, … | when EXPR`. `columns` and
    /// `duplicate` are contextual: `on columns` is always the column-count check, and
    /// `on duplicate` followed by a field name is the duplicate check.
    mutating func parseReject() throws(Failure) -> RejectDecl {
        let start = tokens[index - 1].span
        let code = try expectIdent("a reject code such as BAD_FIELD")
        let check: RejectDecl.Check
        if eat(.when) {
            check = .condition(try parseExpression())
        } else if case .identifier("on") = current.kind {
            _ = advance()
            let next = tokens[min(index + 1, tokens.count - 1)]
            if case .identifier("columns") = current.kind, next.kind != .symbol(.comma) {
                check = .columns(advance().span)
            } else if case .identifier("duplicate") = current.kind, Parser.isFieldName(next) {
                let word = advance().span
                check = .duplicate(try expectIdent("the field to check for duplicates", allowKeywords: true), word)
            } else {
                var fields: [Ident] = []
                repeat { fields.append(try expectIdent("a field name", allowKeywords: true)) } while eat(.comma)
                check = .fields(fields)
            }
        } else {
            throw fail(expected: "'on' or 'when' after the reject code")
        }
        return RejectDecl(code: code, check: check, span: start.to(Span(previousEnd, previousEnd)))
    }

    /// A token that can name a field where a declaration cannot start: an identifier or a
    /// reserved word that is only a clause keyword (`tags`, `score`).
    static func isFieldName(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier: return true
        case .keyword(let k):
            return (softKeywords.contains(k) || k == .score || k == .action) && !declarationKeywords.contains(k) && k != .when
        default: return false
        }
    }

    static let clauseKeywords: Set<Keyword> = [.when, .score, .action, .emit, .tags, .severity, .shadow]

    var atClause: Bool {
        if case .keyword(let k) = current.kind { return Parser.clauseKeywords.contains(k) }
        return false
    }

    mutating func parseRule() throws(Failure) -> RuleDecl {
        let start = tokens[index - 1].span
        let id = try expectIdent("a rule id")
        let (description, _) = try expectString("a rule description in quotes")
        var rule = RuleDecl(id: id, description: description, when: nil, score: nil, action: nil, emits: [],
                            tags: [], severity: nil, shadow: false, span: start.to(id.span))
        var seen: Set<Keyword> = []
        while !atEOF && !atDeclaration {
            guard case .keyword(let k) = current.kind, Parser.clauseKeywords.contains(k) else {
                // Something that is not a clause: report it (unless the lexer did), skip to the
                // next clause, and keep reading the rule.
                if case .invalid = current.kind {} else {
                    diagnostics.error(.expectedToken,
                                      "expected a rule clause (when, score, action, emit, tags, severity, shadow) or a declaration, found \(current.kind)",
                                      at: current.span)
                }
                repeat { _ = advance() } while !atEOF && !atClause && !atDeclaration
                continue
            }
            let clauseToken = advance()
            if k != .emit && !seen.insert(k).inserted {
                diagnostics.error(.duplicateClause, "rule \(id.name) has more than one '\(k.rawValue)' clause",
                                  at: clauseToken.span)
            }
            do throws(Failure) {
                switch k {
                case .when: rule.when = try parseExpression()
                case .score: rule.score = try parseExpression()
                case .action: rule.action = try expectIdent("an action name")
                case .emit: rule.emits.append(try parseEmit(clauseToken.span))
                case .tags:
                    repeat { rule.tags.append(try expectString("a tag in quotes").0) } while eat(.comma)
                    rule.tagsSpan = clauseToken.span.to(Span(previousEnd, previousEnd))
                case .severity:
                    let level = try expectIdent("a severity (low, medium, high, critical)")
                    if let s = Severity(rawValue: level.name) {
                        rule.severity = s
                        rule.severitySpan = clauseToken.span.to(level.span)
                    } else {
                        diagnostics.error(.unknownSeverity, "unknown severity '\(level.name)'", at: level.span,
                                          help: "use low, medium, high or critical")
                    }
                case .shadow:
                    rule.shadow = true
                    rule.shadowSpan = clauseToken.span
                default: break
                }
            } catch {
                // Skip to the next clause or declaration and keep going.
                while !atEOF && !atClause && !atDeclaration { _ = advance() }
            }
        }
        rule.span = start.to(Span(Int(start.start), previousEnd))
        if rule.when == nil && !seen.contains(.when) {
            diagnostics.error(.ruleWithoutWhen, "rule \(id.name) has no 'when' clause", at: id.span,
                              help: "add 'when CONDITION'")
        }
        if rule.score == nil && rule.action == nil && rule.emits.isEmpty
            && !seen.contains(.score) && !seen.contains(.action) {
            diagnostics.error(.ruleDoesNothing, "rule \(id.name) neither scores, acts nor emits", at: id.span,
                              help: "add 'score N', 'action NAME' or 'emit OUTPUT { … }'")
        }
        return rule
    }

    mutating func parseEmit(_ start: Span) throws(Failure) -> EmitClause {
        let output = try expectIdent("an output name")
        try expect(.lBrace, "to open the emitted columns")
        var columns: [EmitColumn] = []
        while !at(.rBrace) && !atEOF {
            let name = try expectIdent("a column name", allowKeywords: true)
            var value: ExprID? = nil
            if eat(.colon) { value = try parseExpression() }
            columns.append(EmitColumn(name: name, value: value))
            if !eat(.comma) { break }
        }
        try expect(.rBrace, "to close the emitted columns")
        return EmitClause(output: output, columns: columns, span: start.to(Span(previousEnd, previousEnd)))
    }

    mutating func parseDecide() throws(Failure) -> DecideDecl {
        let start = tokens[index - 1].span
        var entries: [DecideEntry] = []
        inDecide = true
        defer { inDecide = false }
        while true {
            let action = try expectIdent("an action name")
            if eat(.when) {
                entries.append(DecideEntry(action: action, condition: try parseExpression()))
                if atEOF || atDeclaration {
                    diagnostics.error(.decideWithoutDefault, "'decide' must end with a default action",
                                      at: action.span, label: "the last entry has a condition",
                                      help: "add a last line with a bare action, e.g. 'allow'")
                    break
                }
            } else {
                entries.append(DecideEntry(action: action, condition: nil))
                break
            }
        }
        return DecideDecl(entries: entries, span: start.to(Span(previousEnd, previousEnd)))
    }

    // MARK: Types

    mutating func parseType() throws(Failure) -> TypeSyntax {
        var type: TypeSyntax
        if eat(.list) {
            let start = tokens[index - 1].span
            try expect(.lt, "after 'list'")
            let element = try parseType()
            try expect(.gt, "to close the list type")
            type = .generic(Ident(name: "list", span: start), [element], start.to(Span(previousEnd, previousEnd)))
        } else {
            let name = try expectIdent("a type")
            if name.name == "enum" {
                try expect(.lParen, "after 'enum'")
                var members: [Ident] = []
                repeat { members.append(try expectIdent("an enum member")) } while eat(.comma)
                try expect(.rParen, "to close the enum")
                type = .enumeration(members, name.span.to(Span(previousEnd, previousEnd)))
            } else if at(.lt) {
                _ = advance()
                var args: [TypeSyntax] = []
                repeat { args.append(try parseType()) } while eat(.comma)
                try expect(.gt, "to close the type arguments")
                type = .generic(name, args, name.span.to(Span(previousEnd, previousEnd)))
            } else {
                type = .named(name)
            }
        }
        while at(.question) || at(.questionQuestion) {
            // `T??` lexes as one `??` token; it is two `?`s here (the checker rejects it).
            let twice = at(.questionQuestion)
            _ = advance()
            type = .optional(type, type.span.to(Span(previousEnd, previousEnd)))
            if twice { type = .optional(type, type.span) }
        }
        return type
    }
}
