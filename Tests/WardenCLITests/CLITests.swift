import Foundation
import Testing

/// Runs the real `warden` executable on real files, as a user does.
@Suite struct CLITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    /// The built `warden` next to the test bundle.
    static var executable: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("warden")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/warden")
    }

    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    static func warden(_ args: [String], stdin: String? = nil, in directory: URL = root) throws -> Run {
        let p = Process()
        p.executableURL = executable
        p.arguments = args
        p.currentDirectoryURL = directory
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self),
                   stderr: String(decoding: e, as: UTF8.self))
    }

    static func temporaryDirectory() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func checkAcceptsShippedPacks() throws {
        let r = try Self.warden(["check", "rules/"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("ok: rules/payments.rules"))
    }

    @Test func checkReportsSyntaxNameAndTypeErrorsTogether() throws {
        let dir = try Self.temporaryDirectory()
        let pack = """
            package broken
            input txn {
              amount: money
              memo: string?
            }
            rule A "type error"
              when amount > "1000"
              score 10
            rule B "unknown field"
              when amout > 5
              score 10
            rule C "syntax error"
              when amount >= 
              score 10
            """
        try pack.write(to: dir.appendingPathComponent("broken.rules"), atomically: true, encoding: .utf8)
        let r = try Self.warden(["check", "broken.rules"], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("error[E0402]: cannot compare 'decimal' with 'string'"))
        #expect(r.stderr.contains("--> broken.rules:7:17"))
        #expect(r.stderr.contains("error[E0301]: unknown name 'amout'"))
        #expect(r.stderr.contains("--> broken.rules:10:8"))
        #expect(r.stderr.contains("help: did you mean 'amount'?"))
        #expect(r.stderr.contains("error[E0202]: expected an expression after '>=', found 'score'"))
        #expect(r.stderr.contains("--> broken.rules:13:15"))

        let json = try Self.warden(["check", "--format", "json", "broken.rules"], in: dir)
        #expect(json.status == 1)
        let items = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(items.map { $0["code"] as? String } == ["E0402", "E0301", "E0202"])
        #expect(items.first?["line"] as? Int == 7 && items.first?["column"] as? Int == 17)
    }

    @Test func evalWritesOneDecisionPerLineInOrder() throws {
        let r = try Self.warden(["eval", "--rules", "rules/payments.rules", "--input", "datasets/sample/transactions.jsonl"])
        #expect(r.status == 0, "\(r.stderr)")
        let input = try String(contentsOf: Self.root.appendingPathComponent("datasets/sample/transactions.jsonl"), encoding: .utf8)
        let inputLines = input.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.isEmpty }
        let outputLines = r.stdout.split(separator: "\n")
        #expect(outputLines.count == inputLines.count)
        var sawError = false, sawHit = false
        for (i, line) in outputLines.enumerated() {
            let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            #expect(object["line"] as? Int == i + 1)
            if let error = object["error"] as? [String: Any] {
                sawError = true
                #expect(error["reason"] is String)
            } else {
                #expect(["allow", "review", "block"].contains(object["action"] as? String ?? ""))
                #expect(object["score"] is Int)
                let hits = object["hits"] as? [[String: Any]] ?? []
                if !hits.isEmpty { sawHit = true }
                for h in hits { #expect(h["rule"] is String && h["score"] is Int) }
            }
        }
        #expect(sawError && sawHit)
    }

    @Test func evalExplainsHitsAndReportsBadLines() throws {
        let dir = try Self.temporaryDirectory()
        try """
            package demo
            input txn {
              id: string @key
              amount: money
              memo: string?
              phone: string? @pii
            }
            param big: money = 100.00
            let large = amount >= big
            rule LARGE "large"
              when large and memo is not null
              score 50
            rule PHONE "virtual operator phone"
              when phone is not null and phone matches /^170/
              score 1
            decide
              review when score >= 50
              allow
            """.write(to: dir.appendingPathComponent("demo.rules"), atomically: true, encoding: .utf8)
        let input = """
            {"id": "T1", "amount": "150.00", "memo": "rent", "phone": "17012345678"}
            {"id": "T2", "amount": "oops"}
            {"id": "T3", "amount": "150.00"}
            not json
            """
        let r = try Self.warden(["eval", "--rules", "demo.rules", "--explain"], stdin: input, in: dir)
        #expect(r.status == 0)
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines.count == 4)
        // Personal data (@pii) is masked in explanations.
        #expect(lines[0] == #"{"line":1,"key":"T1","action":"review","score":51,"hits":[{"rule":"LARGE","score":50,"values":{"large":true,"memo":"rent"}},{"rule":"PHONE","score":1,"values":{"phone":"170****5678"}}]}"#)
        #expect(lines[1] == #"{"line":2,"error":{"field":"amount","reason":"must be a decimal with at most 4 fractional digits"}}"#)
        #expect(lines[2] == #"{"line":3,"key":"T3","action":"allow","score":0,"hits":[]}"#)
        #expect(lines[3].hasPrefix(#"{"line":4,"error":{"reason":"invalid JSON"#))

        let overridden = try Self.warden(["eval", "--rules", "demo.rules", "--param", "big=200"], stdin: input, in: dir)
        #expect(overridden.stdout.split(separator: "\n").first?.contains(#""action":"allow""#) == true)
        let badParam = try Self.warden(["eval", "--rules", "demo.rules", "--param", "big=lots"], stdin: input, in: dir)
        #expect(badParam.status == 1)
        #expect(badParam.stderr.contains("E0603"))
    }

    /// A record a `reject … when` rejects gets `"reject":"CODE"` on its decision line and reaches
    /// no rule; an error in the condition rejects too, naming the reject.
    /// `warden eval --lookup` loads the whole table; the explanation shows the looked-up row,
    /// personal fields masked; a pack with a lookup but no `--lookup` is refused.
    @Test func evalLooksUpRowsInAGivenTable() throws {
        let dir = try Self.temporaryDirectory()
        try """
            uscc,name,legal_rep,reg_status,abnormal_list,dishonest,updated_at
            91350100M000100Y43,星河贸易有限公司,张伟,存续,0,0,2021-01-01 10:00:00
            91350100M000100Y43,星河贸易有限公司,张伟,注销,0,0,2022-06-01 10:00:00
            """.write(to: dir.appendingPathComponent("registry.csv"), atomically: true, encoding: .utf8)
        let merchant = #"{"merchant_id": "M1", "name": "星河贸易有限公司", "uscc": "91350100M000100Y43", "legal_rep": "张伟", "#
            + #""license_expiry": "长期", "contact_phone": "13800138000", "contact_email": null, "#
            + #""onboarded_at": "2020-01-01 10:00:00", "status": "active"}"#
        let pack = Self.root.appendingPathComponent("rules/registration.rules").path
        let r = try Self.warden(["eval", "--rules", pack, "--lookup", "registry=registry.csv", "--explain"],
                                stdin: merchant, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains(#""action":"deregister""#))                   // the latest row: 注销
        #expect(r.stdout.contains(#""reg_status":"注销""#) && r.stdout.contains(#""legal_rep":"张*""#))
        let missing = try Self.warden(["eval", "--rules", pack], stdin: merchant, in: dir)
        #expect(missing.status != 0 && missing.stderr.contains("--lookup registry=FILE"))
    }

    @Test func evalMarksRejectedRecords() throws {
        let dir = try Self.temporaryDirectory()
        try """
            package demo
            input account {
              id:      string @key
              balance: int
            }
            reject EMPTY_ID    when id == ""
            reject BAD_BALANCE on balance
            reject NEGATIVE    when balance < 0
            reject HUGE        when balance * 1000000000000 > 1
            rule SMALL "small" when balance < 10 score 1
            """.write(to: dir.appendingPathComponent("demo.rules"), atomically: true, encoding: .utf8)
        let input = """
            {"id": "A1", "balance": 0}
            {"id": "A2", "balance": -1}
            {"id": "", "balance": -1}
            {"id": "A4", "balance": 9223372036854775807}
            """
        let r = try Self.warden(["eval", "--rules", "demo.rules"], stdin: input, in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        #expect(lines == [
            #"{"line":1,"key":"A1","action":"allow","score":1,"hits":[{"rule":"SMALL","score":1}]}"#,
            #"{"line":2,"key":"A2","reject":"NEGATIVE","action":"allow","score":0,"hits":[]}"#,
            #"{"line":3,"key":"","reject":"EMPTY_ID","action":"allow","score":0,"hits":[]}"#,
            #"{"line":4,"key":"A4","reject":"HUGE","action":"allow","score":0,"hits":[],"errors":[{"rule":"reject HUGE","code":"R0101","message":"integer overflow in '*'"}]}"#,
        ])
        #expect(r.stderr.contains("4 decisions (allow=1; rejected by reject: EMPTY_ID=1 HUGE=1 NEGATIVE=1)"))
    }

    /// `warden sweep --outputs`: an empty name in the list is a usage error; a chosen list
    /// is written without a campaign when no notify output is chosen.
    @Test func sweepOutputsOption() throws {
        let dir = try Self.temporaryDirectory()
        defer { try? FileManager.default.removeItem(at: dir) }
        let base = ["sweep", "--rules", "rules/dormancy.rules", "--input", "datasets/sample/accounts.csv"]
        for bad in ["dormancy_pending,", ",dormancy_pending", "dormancy_pending,,dormancy_notice", ""] {
            let r = try Self.warden(base + ["--out", dir.appendingPathComponent("bad").path, "--outputs", bad])
            #expect(r.status != 0, "--outputs '\(bad)' was accepted")
            #expect(r.stderr.contains("--outputs"), "\(r.stderr)")
        }
        let out = dir.appendingPathComponent("pending").path
        let r = try Self.warden(base + ["--out", out, "--outputs", "dormancy_pending"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(FileManager.default.fileExists(atPath: out + "/dormancy_pending.csv"))
        #expect(!FileManager.default.fileExists(atPath: out + "/dormancy_notice.csv"))
    }

    @Test func fmtIsIdempotentOnShippedPacks() throws {
        let dir = try Self.temporaryDirectory()
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("rules"), to: dir.appendingPathComponent("rules"))
        let first = try Self.warden(["fmt", "rules/"], in: dir)
        #expect(first.status == 0, "\(first.stderr)")
        let check = try Self.warden(["fmt", "--check", "rules/"], in: dir)
        #expect(check.status == 0, "formatting twice changed something: \(check.stdout)")
        // The formatted pack still loads and its tests still pass.
        let tests = try Self.warden(["test", "rules/"], in: dir)
        #expect(tests.status == 0, "\(tests.stdout)")
    }

    @Test func testPassesAndFailsWhenAnExpectationChanges() throws {
        let ok = try Self.warden(["test", "rules/"])
        #expect(ok.status == 0, "\(ok.stdout)")
        #expect(ok.stdout.contains(" passed, 0 failed"))

        let dir = try Self.temporaryDirectory()
        try FileManager.default.copyItem(at: Self.root.appendingPathComponent("rules"), to: dir.appendingPathComponent("rules"))
        let testsFile = dir.appendingPathComponent("rules/payments.tests")
        let text = try String(contentsOf: testsFile, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        let index = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("expect action ") })
        var changed = lines.map(String.init)
        let current = changed[index].trimmingCharacters(in: .whitespaces)
        changed[index] = "  expect action " + (current.hasSuffix("block") ? "allow" : "block")
        try changed.joined(separator: "\n").write(to: testsFile, atomically: true, encoding: .utf8)
        let failing = try Self.warden(["test", "rules/"], in: dir)
        #expect(failing.status == 1)
        #expect(failing.stdout.contains("FAIL rules/payments.tests:"))
        #expect(failing.stdout.contains("expected action"))
        #expect(failing.stdout.contains(" 1 failed"))
    }
}
