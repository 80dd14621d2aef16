import Testing
@testable import WardenLang

/// What the checker hands the engine and the sweep for rejects and outputs.
@Suite struct CheckerTests {
    static func check(_ text: String) -> (CheckedPack?, [Diagnostic]) {
        let (syntax, parseDiagnostics) = Parser.parse(Source(path: "t.rules", text: text))
        #expect(parseDiagnostics.isEmpty, "\(parseDiagnostics.map(\.message))")
        return Checker.check(syntax)
    }

    @Test func rejectsInSourceOrderWithResolvedFields() throws {
        let (pack, diagnostics) = Self.check("""
            package p
            input account {
              account_id: string @key
              kind:       enum(personal, merchant)
              opened_at:  timestamp
              balance:    int
              phone:      string?
            }
            let empty_id = account_id == ""
            reject BAD_COLUMN_COUNT on columns
            reject BAD_FIELD        when empty_id
            reject BAD_FIELD        on kind, balance
            reject BAD_DATE         on opened_at
            reject NEGATIVE         when balance < 0 or (phone ?? "") == "x"
            reject DUPLICATE        on duplicate account_id
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        let rejects = try #require(pack).rejects
        #expect(rejects.map(\.code) == ["BAD_COLUMN_COUNT", "BAD_FIELD", "BAD_FIELD", "BAD_DATE", "NEGATIVE", "DUPLICATE"])
        #expect(rejects[0].check == .columns)
        guard case .condition = rejects[1].check else { Issue.record("not a condition"); return }
        #expect(rejects[2].check == .fields([1, 3]))
        #expect(rejects[3].check == .fields([2]))
        guard case .condition(let c) = rejects[4].check else { Issue.record("not a condition"); return }
        #expect(pack?.type(of: c) == .bool)
        #expect(rejects[5].check == .duplicate(0))
    }

    @Test func packsWithoutRejectsHaveNone() throws {
        let (pack, diagnostics) = Self.check("package p\ninput t { x: int }\nrule R \"r\" when x > 1 score 1\n")
        #expect(diagnostics.isEmpty)
        #expect(try #require(pack).rejects.isEmpty)
    }

    @Test func outputsCarryPersonalColumnsAndTheNotifyColumn() throws {
        let (pack, diagnostics) = Self.check("""
            package p
            input account { account_id: string @key
                            phone: string? @pii
                            name: string @pii }
            output notice {
              account_id: string
              phone:      string? @pii
              name:       string @pii
              reason:     string
            } notify by account_id sort by reason
            output plain { account_id: string }
            rule R "r" when true
              emit notice { account_id, phone, name, reason: "R" }
              emit plain { account_id }
              emit undeclared { account_id }
            """)
        #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
        let outputs = try #require(pack).outputs
        #expect(outputs.map(\.name) == ["notice", "plain", "undeclared"])
        #expect(outputs[0].personalColumns == [1, 2])
        #expect(outputs[0].notifyBy == 0)
        #expect(outputs[0].sortBy == [3])
        #expect(outputs[1].personalColumns.isEmpty && outputs[1].notifyBy == nil)
        #expect(outputs[2].personalColumns.isEmpty && outputs[2].notifyBy == nil)
    }

    /// A `when` reject may read a `string`/`string?`, or a field an earlier `on` checked —
    /// through lets too; anything else is E0421 at the read (an `int?` cell holding `abc`
    /// fails to decode, so optional non-strings need their `on` reject first too).
    @Test(arguments: [
        ("reject A when s == \"\"", nil),
        ("reject A when n is null", nil),
        ("reject A when o is null", DiagnosticCode.rejectReadsUncheckedField),
        ("reject A on o reject B when o is null", nil),
        ("reject A on i reject B when i < 0", nil),
        ("reject A on i reject B when big", nil),
        ("reject A when big", DiagnosticCode.rejectReadsUncheckedField),
        ("reject A when i < 0 reject B on i", .rejectReadsUncheckedField),
        ("reject A on i reject B when i < 0 and d > 2022-01-01", .rejectReadsUncheckedField),
        ("reject A on i reject B when i < 0 reject C on d", .none),
    ])
    func whenRejectsReadOnlyDecodedFields(_ declarations: String, _ code: DiagnosticCode?) {
        let (_, diagnostics) = Self.check("""
            package p
            input t { s: string
                      n: string?
                      o: int?
                      i: int
                      d: date }
            let twice = i * 2
            let big = twice > 10
            \(declarations)
            """)
        #expect(diagnostics.map(\.code) == (code.map { [$0] } ?? []), "\(diagnostics.map(\.message))")
    }
}
