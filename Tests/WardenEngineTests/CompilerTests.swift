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
}
