import Testing
@testable import WardenLang

/// Table tests of expression parsing: precedence, associativity, and the exact tree.
@Suite struct ParserTests {
    static func parseExpression(_ text: String) -> (String, [Diagnostic]) {
        let source = Source(path: "t.rules", text: "package t\nlet x = " + text + "\n")
        let (syntax, diagnostics) = Parser.parse(source)
        guard case .let(let l)? = syntax.decls.last else { return ("<no let>", diagnostics) }
        return (syntax.dump(l.value), diagnostics)
    }

    @Test(arguments: [
        ("a or b and c", "(or a (and b c))"),
        ("a and b or c", "(or (and a b) c)"),
        ("not a and b", "(and (not a) b)"),
        ("not a == b", "(not (== a b))"),
        ("1 + 2 * 3", "(+ 1 (* 2 3))"),
        ("10 - 4 - 3", "(- (- 10 4) 3)"),
        ("a ?? b ?? c", "(?? a (?? b c))"),
        ("x ?? 0 > 5", "(> (?? x 0) 5)"),
        ("hour(t) in 0..5", "(in (hour t) (.. 0 5))"),
        ("x not in [1, 2]", "(not in x (list 1 2))"),
        ("memo matches /(?i)赌|casino/", "(matches memo (regex \"(?i)赌|casino\"))"),
        ("m is not null and m > 3", "(and (is-not-null m) (> m 3))"),
        ("-x * 2", "(* (- x) 2)"),
        ("-5 - -2.5", "(- -5 -25000e-4)"),
        ("r[k].name", "(. (index r k) name)"),
        ("txn.amount >= 50_000.00", "(>= (. txn amount) 500000000e-4)"),
        ("2022-12-31 + 1", "(+ (date 2022 12 31) 1)"),
        ("t - 24h", "(- t (duration 86400))"),
        ("{\"a\": 1, \"b\": 2}", "(map (\"a\" 1) (\"b\" 2))"),
        ("(a or b) and c", "(and (or a b) c)"),
        ("f(a, g(b), [])", "(f a (g b) (list))"),
        ("tags", "tags"),
    ])
    func precedence(_ input: String, _ expected: String) {
        let (tree, diagnostics) = Self.parseExpression(input)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(tree == expected)
    }

    @Test(arguments: [
        ("a < b < c", DiagnosticCode.chainedComparison),
        ("1 +", .expectedExpression),
        ("(1 + 2", .expectedToken),
        ("amount && x", .unexpectedCharacter),
        ("\"abc", .unterminatedString),
        ("1.23456", .decimalPrecision),
        ("2022-02-30", .invalidDate),
        ("5w", .invalidDuration),
        ("99999999999999999999", .integerOutOfRange),
        ("\"a\\q\"", .invalidEscape),
        ("12ab", .invalidNumber),
    ])
    func errors(_ input: String, _ code: DiagnosticCode) {
        let (_, diagnostics) = Self.parseExpression(input)
        #expect(diagnostics.first?.code == code, "\(diagnostics.map { "\($0.code.rawValue) \($0.message)" })")
    }

    @Test func deepNestingIsAnErrorNotACrash() {
        let (_, diagnostics) = Self.parseExpression(String(repeating: "(", count: 5000) + "1" + String(repeating: ")", count: 5000))
        #expect(diagnostics.contains { $0.code == .nestingTooDeep })
    }

    @Test(arguments: [
        ("reject A on columns", "(reject A columns)"),
        ("reject A on columns, b", "(reject A (on columns b))"),
        ("reject A on b, columns", "(reject A (on b columns))"),
        ("reject A on duplicate x", "(reject A (duplicate x))"),
        ("reject A on duplicate tags", "(reject A (duplicate tags))"),
        ("reject A on duplicate", "(reject A (on duplicate))"),
        ("reject A on duplicate, x", "(reject A (on duplicate x))"),
        ("reject A on tags, version", "(reject A (on tags version))"),
        ("reject A when x < 0 or y == \"\"", "(reject A (when (or (< x 0) (== y \"\"))))"),
        ("output o { a: string @pii } sort by a", "(output o (a string pii) (sort a))"),
        ("output o { a: string } notify by a sort by a", "(output o (a string) (sort a) (notify a))"),
        ("output o { a: string } sort by a notify by a", "(output o (a string) (sort a) (notify a))"),
    ])
    func declarations(_ input: String, _ expected: String) {
        let (syntax, diagnostics) = Parser.parse(Source(path: "t.rules", text: "package t\n" + input + "\nlet z = 1\n"))
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(syntax.decls.count == 3)
        #expect(syntax.decls.count > 1 ? syntax.dump(syntax.decls[1]) == expected : false, "\(syntax.dump())")
    }

    /// `reject` is reserved at the start of a declaration but still names a field elsewhere.
    @Test func rejectCanNameAField() {
        let (syntax, diagnostics) = Parser.parse(Source(path: "t.rules", text: "package t\ninput i { reject: bool }\nlet x = reject and i.reject\n"))
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        #expect(syntax.dump().hasSuffix("(let x (and reject (. i reject)))"))
    }

    @Test func lineAndColumnCountScalars() {
        let source = Source(path: "p", text: "a\n  规则 = x\n")
        let offset = Array(source.bytes).firstIndex(of: UInt8(ascii: "x"))!
        #expect(source.location(of: offset) == (2, 8))
        #expect(source.lineText(2) == "  规则 = x")
    }
}
