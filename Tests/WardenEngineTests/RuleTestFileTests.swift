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
        ("frobnicate", 2, "expected base, row, test, input, param, window or expect, found 'frobnicate'"),
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

    /// `row LOOKUP {…}` lines make the lookup's table; `latest by` picks a key's record as the
    /// sweep does; a row that does not fit the declaration fails every test with its line.
    @Test func lookupRowsMakeTheTable() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-rt-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let pack = dir.appendingPathComponent("p.rules").path
        try """
            package p
            input m { id: string @key
                      code: string }
            lookup reg from "reg.csv" key code latest by at { code: string
                                                               status: string
                                                               at: date }
            let r = reg[code]
            rule MISSING "not registered" when r is null score 1
            rule CLOSED "closed" when r is not null and r.status == "closed" score 10
            """.write(toFile: pack, atomically: true, encoding: .utf8)
        let good = try RuleTestFile.parse(path: "p.tests", text: """
            row reg {"code": "A", "status": "closed", "at": "2022-01-02"}
            row reg {"code": "A", "status": "open", "at": "2022-01-01"}
            row reg {"code": "B", "status": "open", "at": "2022-01-01"}
            row reg {"code": "B", "status": "closed", "at": "2022-01-01"}
            base {"id": "M1", "code": "A"}
            test "the latest row counts, wherever it is"
              expect hits CLOSED
            test "a tie: the later row"
              input {"code": "B"}
              expect hits CLOSED
            test "no row"
              input {"code": "C"}
              expect hits MISSING
            """)
        let report = RuleTestRunner.run(good, packPath: pack)
        #expect(report.passed == 3, "\(report.failures.map(\.problems))")
        let bad = try RuleTestFile.parse(path: "p.tests", text: """
            row reg {"code": "A", "status": "closed", "at": "yesterday"}
            test "t"
              input {"id": "M1", "code": "A"}
              expect hits CLOSED
            """)
        let failed = RuleTestRunner.run(bad, packPath: pack)
        #expect(failed.passed == 0)
        #expect(failed.failures.first?.problems == ["p.tests:1: row reg: 'at' must be a date YYYY-MM-DD"])
    }
}
