import Foundation
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
              expect reject NEGATIVE_AMOUNT
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
            .reject("NEGATIVE_AMOUNT"),
        ])
    }

    @Test(arguments: [
        ("expect score lots", 2, "expected: expect score N"),
        ("input {\"a\": 1}", 2, "'input' before any 'test'"),
        ("frobnicate", 2, "expected base, test, input, param or expect, found 'frobnicate'"),
        ("expect reject", 2, "expected: expect reject CODE"),
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

    /// `expect reject CODE` passes only when that `reject … when` rejects the record, and a test
    /// without it fails when the record is rejected.
    @Test func expectRejectIsEnforced() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pack = dir.appendingPathComponent("p.rules").path
        try """
            package p
            input t { id: string @key
                      amount: int }
            reject EMPTY_ID   when id == ""
            reject BAD_AMOUNT on amount
            reject NEGATIVE   when amount < 0
            rule BIG "big" when amount > 100 score 1
            """.write(toFile: pack, atomically: true, encoding: .utf8)
        let tests = try RuleTestFile.parse(path: "p.tests", text: """
            base {"id": "T1", "amount": 5}
            test "negative is rejected"
              input {"amount": -1}
              expect reject NEGATIVE
              expect hits
            test "the first reject wins"
              input {"id": "", "amount": -1}
              expect reject EMPTY_ID
            test "accepted"
              input {"amount": 500}
              expect hits BIG
            test "rejected but not expected"
              input {"amount": -1}
              expect hits
            test "expected but accepted"
              input {"amount": 0}
              expect reject NEGATIVE
            test "another reject"
              input {"id": "", "amount": -1}
              expect reject NEGATIVE
            test "not a when reject"
              input {"amount": 1}
              expect reject BAD_AMOUNT
            """)
        let report = RuleTestRunner.run(tests, packPath: pack)
        #expect(report.passed == 3)
        #expect(report.failures.map(\.test) == ["rejected but not expected", "expected but accepted", "another reject",
                                                "not a when reject"])
        #expect(report.failures.map(\.problems) == [
            ["the record was rejected by 'reject NEGATIVE when …' (line 6), so no rule ran; write 'expect reject NEGATIVE' if that is intended"],
            ["expected the record to be rejected with NEGATIVE, but it was accepted (hits: none)"],
            ["expected the record to be rejected with NEGATIVE, but EMPTY_ID rejected it"],
            ["expect reject BAD_AMOUNT: the pack has no 'reject BAD_AMOUNT when …'"],
        ])
    }
}
