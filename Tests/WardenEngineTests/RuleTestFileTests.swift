import Testing
@testable import WardenEngine

@Suite struct RuleTestFileTests {
    @Test func parsesEveryLineKindWithTrailingComments() throws {
        let text = """
            # defaults
            base {"txn_id": "T0", "memo": "a # not a comment",
                  "amount": "1.00"}   # continues over two lines

            test "night"   # trailing comment
              input {"amount": "60000.00"}      # money as a string
              param night_threshold = 50000.00
              expect action review   # 40 >= 40
              expect score 40
              expect hits NIGHT_LARGE, OTHER
              expect hit NIGHT_LARGE
              expect no hit BLOCKED
              expect emit alerts {"reason": "NIGHT"}
              expect error amount
            """
        let file = try RuleTestFile.parse(path: "t.tests", text: text)
        #expect(file.base["memo"] == .string("a # not a comment"))
        #expect(file.cases.count == 1)
        let c = file.cases[0]
        #expect(c.name == "night" && c.line == 5)
        #expect(c.input["amount"] == .string("60000.00"))
        #expect(c.params == ["night_threshold": "50000.00"])
        #expect(c.expectations == [
            .action("review"), .score(40), .hits(["NIGHT_LARGE", "OTHER"]), .hit("NIGHT_LARGE"), .noHit("BLOCKED"),
            .emit(output: "alerts", columns: .object([("reason", .string("NIGHT"))])), .error(field: "amount"),
        ])
    }

    @Test(arguments: [
        ("expect score lots", 2, "expected: expect score N"),
        ("input {\"a\": 1}", 2, "'input' before any 'test'"),
        ("frobnicate", 2, "expected base, test, input, param or expect, found 'frobnicate'"),
    ])
    func reportsSyntaxErrorsWithLines(_ line: String, _ lineNumber: Int, _ message: String) {
        let text = (line.hasPrefix("input") ? "" : "test \"x\"\n") + line
        let n = line.hasPrefix("input") ? 1 : lineNumber
        #expect(throws: RuleTestFile.SyntaxError.self) { try RuleTestFile.parse(path: "t.tests", text: text) }
        do {
            _ = try RuleTestFile.parse(path: "t.tests", text: text)
        } catch {
            #expect(error.line == n)
            #expect(error.message == message)
        }
    }
}
