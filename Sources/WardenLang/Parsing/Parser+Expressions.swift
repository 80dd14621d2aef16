extension Parser {
    /// Parses an expression (Pratt): `or` < `and` < `not` < comparisons < `??` < `..` < `+ -`
    /// < `* / %` < unary `-` < postfix.
    mutating func parseExpression() throws(Failure) -> ExprID {
        try parseBinary(minPrecedence: 1)
    }

    func binaryOperator() -> (BinaryOp, tokens: Int)? {
        switch current.kind {
        case .keyword(.or): return (.or, 1)
        case .keyword(.and): return (.and, 1)
        case .keyword(.in): return (.in, 1)
        case .keyword(.not):
            if case .keyword(.in) = tokens[min(index + 1, tokens.count - 1)].kind { return (.notIn, 2) }
            return nil
        case .keyword(.matches): return (.matches, 1)
        case .symbol(let s):
            switch s {
            case .eqEq: return (.eq, 1)
            case .bangEq: return (.ne, 1)
            case .lt: return (.lt, 1)
            case .ltEq: return (.le, 1)
            case .gt: return (.gt, 1)
            case .gtEq: return (.ge, 1)
            case .questionQuestion: return (.coalesce, 1)
            case .plus: return (.add, 1)
            case .minus: return (.sub, 1)
            case .star: return (.mul, 1)
            case .slash: return (.div, 1)
            case .percent: return (.mod, 1)
            default: return nil
            }
        default: return nil
        }
    }

    mutating func parseBinary(minPrecedence: Int) throws(Failure) -> ExprID {
        depth += 1
        defer { depth -= 1 }
        if depth > LanguageLimits.maxExpressionDepth {
            diagnostics.error(.nestingTooDeep, "expression is nested too deeply", at: current.span,
                              help: "split it into lets")
            throw Failure()
        }
        var lhs = try parsePrefix(minPrecedence: minPrecedence)
        var lastComparison: Span? = nil
        while true {
            // `x is null` / `x is not null` sits at comparison level.
            if at(.is) && minPrecedence <= Precedence.isNull {
                let isToken = advance()
                let negated = eat(.not)
                guard at(.null) else { throw fail(expected: "'null' after 'is'") }
                let end = advance().span
                let chained = lastComparison != nil
                if let previous = lastComparison { reportChain(previous, isToken.span) }
                lastComparison = isToken.span
                lhs = pack.add(chained ? .error : .isNull(lhs, negated: negated), pack[lhs].span.to(end))
                continue
            }
            if at(.dotDot) && minPrecedence <= Precedence.range {
                _ = advance()
                let rhs = try parseBinary(minPrecedence: Precedence.range + 1)
                lhs = pack.add(.range(lhs, rhs), pack[lhs].span.to(pack[rhs].span))
                continue
            }
            guard let (op, count) = binaryOperator(), op.precedence >= minPrecedence else { break }
            let opSpan = current.span
            for _ in 0..<count { _ = advance() }
            let chained = op.isComparison && lastComparison != nil
            if op.isComparison {
                if let previous = lastComparison { reportChain(previous, opSpan) }
                lastComparison = opSpan
            }
            let rhs: ExprID
            if op == .matches, case .regex(let pattern) = current.kind {
                let t = advance()
                rhs = pack.add(.regex(pattern), t.span)
            } else {
                // `??` is right-associative; the rest associate to the left.
                rhs = try parseBinary(minPrecedence: op == .coalesce ? op.precedence : op.precedence + 1)
            }
            lhs = pack.add(chained ? .error : .binary(op, lhs, rhs), pack[lhs].span.to(pack[rhs].span))
        }
        return lhs
    }

    mutating func reportChain(_ first: Span, _ second: Span) {
        diagnostics.error(.chainedComparison, "comparisons cannot be chained", at: second,
                          help: "write 'a < b and b < c', or 'x in a..b' for a range")
    }

    mutating func parsePrefix(minPrecedence: Int) throws(Failure) -> ExprID {
        if at(.not) {
            let t = advance()
            let operand = try parseBinary(minPrecedence: Precedence.not)
            return pack.add(.unary(.not, operand), t.span.to(pack[operand].span))
        }
        if at(.minus) {
            let t = advance()
            // `-literal` is one literal node (the most negative int is written `-9223372036854775807 - 1`).
            if case .int(let n) = current.kind {
                let lit = advance()
                return try parsePostfix(pack.add(.int(-n), t.span.to(lit.span)))
            }
            if case .decimal(let n) = current.kind {
                let lit = advance()
                return try parsePostfix(pack.add(.decimal(-n), t.span.to(lit.span)))
            }
            let operand = try parseBinary(minPrecedence: Precedence.unaryMinus)
            return pack.add(.unary(.negate, operand), t.span.to(pack[operand].span))
        }
        return try parsePostfix(try parsePrimary())
    }

    mutating func parsePostfix(_ base: ExprID) throws(Failure) -> ExprID {
        var e = base
        while true {
            if at(.dot) {
                _ = advance()
                let name = try expectIdent("a field name after '.'", allowKeywords: true)
                e = pack.add(.member(base: e, name: name.name), pack[e].span.to(name.span))
            } else if at(.lBracket) {
                _ = advance()
                let key = try parseExpression()
                try expect(.rBracket, "to close the index")
                e = pack.add(.index(base: e, key: key), pack[e].span.to(Span(previousEnd, previousEnd)))
            } else {
                return e
            }
        }
    }

    mutating func parsePrimary() throws(Failure) -> ExprID {
        let t = current
        switch t.kind {
        case .int(let n): _ = advance(); return pack.add(.int(n), t.span)
        case .decimal(let n): _ = advance(); return pack.add(.decimal(n), t.span)
        case .string(let s): _ = advance(); return pack.add(.string(s), t.span)
        case .date(let y, let m, let d): _ = advance(); return pack.add(.date(year: y, month: m, day: d), t.span)
        case .duration(let s): _ = advance(); return pack.add(.duration(seconds: s), t.span)
        case .keyword(.true): _ = advance(); return pack.add(.bool(true), t.span)
        case .keyword(.false): _ = advance(); return pack.add(.bool(false), t.span)
        case .keyword(.score) where inDecide:
            _ = advance()
            return pack.add(.totalScore, t.span)
        case .keyword(.action) where inDecide:
            _ = advance()
            try expect(.lParen, "after 'action'")
            let name = try expectIdent("an action name")
            try expect(.rParen, "to close 'action('")
            return pack.add(.requestedAction(name.name), t.span.to(Span(previousEnd, previousEnd)))
        case .keyword(.score), .keyword(.action):
            let next = tokens[min(index + 1, tokens.count - 1)]
            if case .symbol(let s) = next.kind, s != .lBrace, !startsLine(next) {
                // `when score >= 40`: the author meant the decision's score, which a rule cannot see.
                _ = advance()
                diagnostics.error(.decideOnly, "'\(t.kind == .keyword(.score) ? "score" : "action(…)")' is only available inside 'decide'",
                                  at: t.span, help: "a rule cannot see the decision's score or actions; decide combines them")
                throw Failure()
            }
            // The clause keyword starts the next clause: the expression before it is missing.
            reportMissingExpression(t)
            throw Failure()
        case .keyword(let k) where Parser.softKeywords.contains(k):
            // A field named like a declaration keyword (`tags`): only a name can start here.
            _ = advance()
            return pack.add(.name(k.rawValue), t.span)
        case .identifier(let name):
            _ = advance()
            if at(.lParen) {
                _ = advance()
                var args: [ExprID] = []
                while !at(.rParen) && !atEOF {
                    args.append(try parseExpression())
                    if !eat(.comma) { break }
                }
                try expectClosing(.rParen, opening: Span(Int(t.span.end), Int(t.span.end) + 1), "the call to '\(name)'")
                return pack.add(.call(name: name, args: args), t.span.to(Span(previousEnd, previousEnd)))
            }
            return pack.add(.name(name), t.span)
        case .symbol(.lParen):
            _ = advance()
            let inner = try parseExpression()
            try expectClosing(.rParen, opening: t.span, "this parenthesis")
            pack.parenthesized.insert(inner)
            return inner
        case .symbol(.lBracket):
            _ = advance()
            var items: [ExprID] = []
            while !at(.rBracket) && !atEOF {
                let item = try parseExpression()
                if eat(.when) {
                    // `[ "CODE" when condition, … ]`: the element is present only when it holds.
                    let condition = try parseExpression()
                    items.append(pack.add(.guarded(value: item, condition: condition),
                                          pack[item].span.to(Span(previousEnd, previousEnd))))
                } else {
                    items.append(item)
                }
                if !eat(.comma) { break }
            }
            try expectClosing(.rBracket, opening: t.span, "this list")
            return pack.add(.list(items), t.span.to(Span(previousEnd, previousEnd)))
        case .symbol(.lBrace):
            _ = advance()
            var entries: [MapEntry] = []
            while !at(.rBrace) && !atEOF {
                let key = try parseExpression()
                try expect(.colon, "between a map key and its value")
                let value = try parseExpression()
                entries.append(MapEntry(key: key, value: value))
                if !eat(.comma) { break }
            }
            try expectClosing(.rBrace, opening: t.span, "this map")
            return pack.add(.map(entries), t.span.to(Span(previousEnd, previousEnd)))
        case .invalid:
            _ = advance()
            return pack.add(.error, t.span)
        default:
            reportMissingExpression(t)
            throw Failure()
        }
    }

    /// "expected an expression after 'and'", pointing at the operator that lacks its operand.
    mutating func reportMissingExpression(_ t: Token) {
        if index > 0 {
            let previous = tokens[index - 1]
            switch previous.kind {
            case .keyword(let k) where [.and, .or, .not, .in, .matches, .when, .is].contains(k):
                diagnostics.error(.expectedExpression, "expected an expression after '\(k.rawValue)', found \(t.kind)",
                                  at: previous.span, label: "needs an operand")
                return
            case .symbol(let s) where s != .rParen && s != .rBracket && s != .rBrace:
                diagnostics.error(.expectedExpression, "expected an expression after '\(s.rawValue)', found \(t.kind)",
                                  at: previous.span, label: "needs an operand")
                return
            case .invalid:
                return
            default: break
            }
        }
        diagnostics.error(.expectedExpression, "expected an expression, found \(t.kind)", at: t.span)
    }

    func startsLine(_ t: Token) -> Bool {
        let from = Int(current.span.end), to = Int(t.span.start)
        return from < to && to <= bytes.count && bytes[from..<to].contains(UInt8(ascii: "\n"))
    }

    /// Expects a closing delimiter; when it is missing, points at the opening one.
    mutating func expectClosing(_ s: Symbol, opening: Span, _ what: String) throws(Failure) {
        if eat(s) { return }
        if case .invalid = current.kind { throw Failure() }
        if index > 0, case .invalid = tokens[index - 1].kind { throw Failure() }
        diagnostics.error(.expectedToken, "\(what) is never closed: expected '\(s.rawValue)', found \(current.kind)",
                          at: opening, label: "opened here", help: "add '\(s.rawValue)'")
        throw Failure()
    }
}
