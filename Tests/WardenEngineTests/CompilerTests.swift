import Testing
import WardenEngine
import WardenLang

@Suite struct CompilerTests {
    static func compile(_ text: String) throws -> CompiledPack {
        try CompiledPack.compile(source: Source(path: "t.rules", text: text)) { _ in "" }
    }

    /// Lets are compiled in line where they are used; a chain of lets that each use the
    /// previous one twice must not grow the code exponentially.
    @Test func deepLetChainsStayBounded() throws {
        var text = "package deep\ninput t { x: int }\nlet a0 = x + 1\n"
        for i in 1...20 { text += "let a\(i) = a\(i - 1) + a\(i - 1)\n" }
        text += "rule R \"deep\" when a20 > 0 and a20 + a19 > a18 score 1\n"
        let pack = try Self.compile(text)
        #expect(pack.program.code.count < 2_000)
        let record = try pack.decodeRecord(json: #"{"x": 1}"#)
        let index = pack.program.lets.firstIndex { $0.name == "a20" }!
        #expect(try pack.makeEvaluator().evaluateLet(index, record: record) == .int(2 << 20))
        #expect(pack.makeEvaluator().evaluate(record).score == 1)
    }

    /// `evaluate(_:emittingInto:)` gives the rows `evaluate` puts in `Decision.emits`, in the
    /// same order, the buffer reused from record to record; a rule whose emit fails takes its
    /// rows back out (it does not hit), whichever emit of the rule failed.
    @Test func flatEmissionsMatchTheDecisionsEmits() throws {
        let pack = try Self.compile("""
            package p
            input t { x: int, y: int, name: string }
            output big { name: string, x: int }
            output ratio { name: string, r: int, x: int }
            rule A "a" when x > 5 emit big { name, x } score 1
            rule B "b" when x > 0 emit big { name, x: x * 2 } emit ratio { name, r: x / y, x } score 2
            rule C "c" when x > 1 emit ratio { name, r: 100 / y, x } score 4
            """)
        let vm = pack.makeEvaluator(), flat = pack.makeEvaluator()
        var rows = Emissions()
        for (x, y) in [(9, 3), (1, 0), (0, 1), (7, 0), (3, 1)] as [(Int64, Int64)] {
            let record = try pack.decodeRecord(json: #"{"x": \#(x), "y": \#(y), "name": "n\#(x)"}"#)
            let expected = vm.evaluate(record)
            let got = flat.evaluate(record, emittingInto: &rows)
            #expect(got.emits.isEmpty)
            #expect(got.hits == expected.hits && got.score == expected.score && got.errors == expected.errors)
            #expect(rows.count == expected.emits.count, "x=\(x) y=\(y)")
            for (i, e) in expected.emits.enumerated() where i < rows.count {
                #expect(rows.output(i) == e.output && Array(rows.values(i)) == e.values, "x=\(x) y=\(y) row \(i)")
            }
        }
        // y = 0 makes B's second emit fail: B emits nothing, though its first emit succeeded.
        let record = try pack.decodeRecord(json: #"{"x": 7, "y": 0, "name": "n"}"#)
        _ = flat.evaluate(record, emittingInto: &rows)
        #expect(rows.count == 1 && rows.output(0) == 0 && Array(rows.values(0)) == [.string("n"), .int(7)])
    }

    /// A range test in a condition over a computed value (`hour(t) in 0..5`, `x + 1 not in
    /// 0..5`, a let used again) branches where the reference evaluator says, with and without
    /// folding (the small-int range becomes one set probe after x's own code).
    @Test func rangeConditionsOverComputedValues() throws {
        let text = """
            package p
            input t { x: int, at: timestamp }
            let near = x * 2
            rule A "a" when hour(at) in 0..5 score 1
            rule B "b" when x + 1 not in 0..5 score 2
            rule C "c" when near > 2 and near in 3..9 score 4
            rule D "d" when not (x - 1 in 0..63) score 8
            rule E "e" when x in 2..40 score 16
            """
        let pack = try Self.compile(text)
        let vm = pack.makeEvaluator(), reference = pack.makeReferenceEvaluator()
        #expect(pack.program.code.contains { $0.op == .branchInSet })
        for x in [-3, 0, 1, 2, 3, 4, 5, 6, 40, 64, 65] as [Int64] {
            for at in ["2024-03-02T01:30:00+08:00", "2024-03-02T07:00:00+08:00"] {
                let record = try pack.decodeRecord(json: #"{"x": \#(x), "at": "\#(at)"}"#)
                let expected = reference.evaluate(pack.namedRecord(record))
                let decision = vm.evaluate(record)
                #expect(decision.score == expected.score, "x=\(x) at=\(at)")
                #expect(decision.hits.map(\.rule) == expected.hits.map(\.rule), "x=\(x) at=\(at)")
            }
        }
    }

    /// Constant maps with small int keys are a table, others hashed: both read as the
    /// reference evaluator reads them, at the table's edges, for missing and negative keys.
    @Test func constantMapsDenseAndHashed() throws {
        let pack = try Self.compile("""
            package p
            input t { k: int, d: decimal }
            const dense: map<int, int> = {0: 1, 5: 2, 63: 4}
            const wide: map<int, int> = {0: 8, 64: 16, -1: 32}
            const prices: map<decimal, int> = {1.50: 64, 2: 128}
            rule A "a" when (dense[k] ?? 0) > 0 score dense[k] ?? 0
            rule B "b" when k in wide score wide[k] ?? 0
            rule C "c" when d in prices score prices[d] ?? 0
            """)
        let vm = pack.makeEvaluator(), reference = pack.makeReferenceEvaluator()
        for k in [-1, 0, 1, 5, 63, 64, 65] as [Int64] {
            for d in ["1.5", "2.00", "3"] {
                let record = try pack.decodeRecord(json: #"{"k": \#(k), "d": \#(d)}"#)
                let expected = reference.evaluate(pack.namedRecord(record))
                #expect(vm.evaluate(record).score == expected.score, "k=\(k) d=\(d)")
            }
        }
        let at = { (k: Int64) in vm.evaluate(try! pack.decodeRecord(json: #"{"k": \#(k), "d": 0}"#)).score }
        #expect(at(63) == 4 && at(64) == 16 && at(-1) == 32 && at(0) == 1 + 8 && at(1) == 0)
    }

    /// `hour` and `days_between` have instructions of their own: they agree with the reference
    /// evaluator for the pack's zone and a named one, across a DST change, for dates and
    /// timestamps, at the edges of the calendar.
    @Test func hourAndDaysBetweenInstructions() throws {
        let pack = try Self.compile("""
            package p
            zone "Asia/Shanghai"
            input t { at: timestamp, since: timestamp, from: date, to: date }
            rule A "a" when hour(at) >= 0 score hour(at)
            rule B "b" when hour(at, "America/New_York") >= 0 score 100 * hour(at, "America/New_York")
            rule C "c" when days_between(since, at) != 0 score 10000 * days_between(since, at)
            rule D "d" when days_between(from, to) > 0 or days_between(from, to) <= 0 score days_between(from, to)
            """)
        let vm = pack.makeEvaluator(), reference = pack.makeReferenceEvaluator()
        let cases = [
            ("2024-03-10T06:59:59Z", "2024-03-09T23:00:00+08:00", "2024-01-01", "2024-12-31"),
            ("2024-03-10T07:00:00Z", "2024-03-10T00:00:00+08:00", "0001-01-01", "9999-12-31"),
            ("2024-11-03T05:30:00Z", "1991-09-15T00:30:00+09:00", "9999-12-31", "0001-01-01"),
        ]
        for (at, since, from, to) in cases {
            let record = try pack.decodeRecord(json: #"{"at": "\#(at)", "since": "\#(since)", "from": "\#(from)", "to": "\#(to)"}"#)
            let expected = reference.evaluate(pack.namedRecord(record))
            let got = vm.evaluate(record)
            #expect(got.score == expected.score && got.errors.isEmpty == expected.errors.isEmpty, "\(at) \(since) \(from) \(to)")
        }
    }

    /// A `matches` written in two rules is a hidden let: the rules read the let (compiled in
    /// line behind its readiness test, so the regex runs once per record), never a
    /// compare-and-branch on the regex of their own.
    @Test func sharedMatchesRunOncePerRecord() throws {
        let pack = try Self.compile("""
            package p
            input t { memo: string }
            rule A "a" when memo matches /casino/ score 1
            rule B "b" when memo matches /casino/ and memo != "" score 2
            """)
        #expect(pack.program.lets.filter { !$0.declared }.count == 1)
        #expect(!pack.program.code.contains { $0.op == .branchMatches })
        let decision = pack.makeEvaluator().evaluate(try pack.decodeRecord(json: #"{"memo": "casino"}"#))
        #expect(decision.score == 3)
    }

    /// A subexpression several rules share is computed once per record, in line.
    @Test func sharedSubexpressionsBecomeHiddenLets() throws {
        let pack = try Self.compile("""
            package p
            input t { memo: string? }
            rule A "a" when memo is not null and normalize(memo) matches /赌/ score 1
            rule B "b" when memo is not null and normalize(memo) matches /casino/ score 1
            """)
        #expect(pack.program.lets.filter { !$0.declared }.map(\.name) == ["(shared) (normalize memo)"])
        let decision = pack.makeEvaluator().evaluate(try pack.decodeRecord(json: #"{"memo": "ｃａｓｉｎｏ 赌"}"#))
        #expect(decision.hits.map(\.rule) == [0, 1])
    }

    /// A let's first mention in the rules block has no readiness test (nothing earlier can have
    /// computed it); later mentions keep one, and get the right value whether the first ran,
    /// was skipped by a short circuit, failed in an abandoned rule, or `--explain` computed it.
    @Test func letsComputeOnceWhateverPathReachesThem() throws {
        let pack = try Self.compile("""
            package p
            input t { x: int, y: int }
            let half = y / 2
            let big = half > 5
            let fresh = y > 3
            rule A "a" when x > 0 or big score 1
            rule B "b" when x / (x - x) > 0 or big score 2
            rule C "c" when half > 1 and big score 4
            rule D "d" when (x > 5 and fresh) or fresh score 8
            """)
        let vm = pack.makeEvaluator(), reference = pack.makeReferenceEvaluator()
        for (x, y) in [(1, 12), (0, 12), (1, 2), (6, 4), (0, 4), (9, 1)] as [(Int64, Int64)] {
            let record = try pack.decodeRecord(json: #"{"x": \#(x), "y": \#(y)}"#)
            let big = y / 2 > 5, fresh = y > 3
            // B always fails (division by zero before `or`): abandoned, its score never counts.
            let expected: Int64 = (x > 0 || big ? 1 : 0) + (y / 2 > 1 && big ? 4 : 0) + (fresh ? 8 : 0)
            for explain in [false, true] {
                let decision = vm.evaluate(record, explain: explain)
                #expect(decision.score == expected, "x=\(x) y=\(y) explain=\(explain)")
                #expect(decision.errors.map(\.rule) == [1])
            }
            #expect(vm.evaluate(record) == reference.evaluate(pack.namedRecord(record)))
        }
    }
}

/// Expressions nested up to the parser's limit go through every phase on a test thread's
/// stack (smaller than the main thread's) without overflowing it.
@Suite struct DeepNestingTests {
    @Test(arguments: ["(", "not ", "-"])
    func nestingAtTheLimitIsHandled(_ opener: String) throws {
        let depth = LanguageLimits.maxExpressionDepth - 5
        let body: String
        switch opener {
        case "(": body = String(repeating: "(", count: depth) + "x" + String(repeating: ")", count: depth) + " > 1"
        case "not ": body = String(repeating: "not ", count: depth) + "x > 1"
        default: body = String(repeating: "-", count: depth) + "x > 1"
        }
        let text = "package p\ninput t { x: int }\nlet q = \(body)\nrule R \"r\" when q score 1\n"
        let source = Source(path: "deep.rules", text: text)
        _ = Formatter.format(source)
        let pack = try CompiledPack.compile(source: source) { _ in "" }
        _ = pack.makeEvaluator().evaluate(try pack.decodeRecord(json: #"{"x": 3}"#))
        // The reference evaluator recurses over the tree: like the compiler, give it a large stack.
        _ = LargeStack.run { pack.makeReferenceEvaluator().evaluate(["x": .int(3)]) }
    }
}

extension DeepNestingTests {
    /// A long `and` chain is a deep left-leaning tree: every phase must take it on a test thread.
    @Test func longConditionChainsAreHandled() throws {
        let conditions = (0..<400).map { "x > \($0)" }.joined(separator: " and ")
        let text = "package p\ninput t { x: int }\nrule R \"r\" when \(conditions) score 1\n"
        let source = Source(path: "long.rules", text: text)
        #expect(Formatter.format(source).0 != nil)
        let pack = try CompiledPack.compile(source: source) { _ in "" }
        #expect(pack.makeEvaluator().evaluate(try pack.decodeRecord(json: #"{"x": 500}"#)).score == 1)
        #expect(LargeStack.run { pack.makeReferenceEvaluator().evaluate(["x": .int(500)]) }.score == 1)
    }
}
