import Foundation
import Testing
import WardenEngine

/// Runs the real `warden-datagen` executable into temporary directories and checks what it
/// wrote: determinism, headers, column counts, identifiers, and defect rates.
@Suite struct DatagenTests {
    /// The built `warden-datagen` next to the test bundle (located as `CLITests` locates `warden`).
    static var executable: URL {
        var dir = Bundle.main.bundleURL
        for _ in 0..<3 {
            let candidate = dir.appendingPathComponent("warden-datagen")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return CLITests.root.appendingPathComponent(".build/debug/warden-datagen")
    }

    static let sizes = ["--accounts", "20000", "--merchants", "5000", "--registry", "20000", "--transactions", "5000"]
    static let files = ["accounts.csv", "merchants.csv", "registry.csv", "transactions.jsonl"]

    /// Every defect switched off.
    static let clean = [
        "account-bad-date", "account-negative-balance", "account-column-count", "account-duplicate-id",
        "account-bad-check-digit", "merchant-bad-uscc", "merchant-name-width", "merchant-name-brackets",
        "merchant-name-spaces", "merchant-name-change", "merchant-rep-change", "merchant-expired-licence",
        "merchant-not-in-registry", "merchant-bad-date", "merchant-column-count", "merchant-duplicate-id",
        "registry-status-punct", "registry-unknown-status", "registry-tie", "registry-bad-date",
        "registry-column-count", "txn-malformed-json", "txn-missing-field", "txn-bad-value",
    ].flatMap { ["--defect-rate", "\($0)=0"] }

    /// Generates into a fresh directory; returns it.
    static func generate(_ args: [String]) throws -> URL {
        let dir = try CLITests.temporaryDirectory()
        let p = Process()
        p.executableURL = executable
        p.arguments = ["--out", dir.path, "--quiet"] + args
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        #expect(p.terminationStatus == 0, "\(String(decoding: e, as: UTF8.self))")
        return dir
    }

    static func lines(_ dir: URL, _ file: String) throws -> [Substring] {
        let text = try String(contentsOf: dir.appendingPathComponent(file), encoding: .utf8)
        #expect(text.hasSuffix("\n") && !text.contains("\r"))
        return text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
    }

    /// RFC 4180 fields of one line (no embedded line ends in our files).
    static func fields(_ line: Substring) -> [String] {
        var out: [String] = [], field = "", quoted = false, i = line.startIndex
        while i < line.endIndex {
            let c = line[i]
            if quoted {
                if c == "\"" {
                    let n = line.index(after: i)
                    if n < line.endIndex && line[n] == "\"" { field.append("\""); i = n } else { quoted = false }
                } else { field.append(c) }
            } else if c == "\"" && field.isEmpty { quoted = true }
            else if c == "," { out.append(field); field = "" }
            else { field.append(c) }
            i = line.index(after: i)
        }
        out.append(field)
        return out
    }

    static func rows(_ dir: URL, _ file: String) throws -> (header: Substring, rows: [[String]]) {
        let l = try lines(dir, file)
        return (l[0], l.dropFirst().map(fields))
    }

    /// Strict `YYYY-MM-DD HH:MM:SS` with a real date and time.
    static func isTimestamp(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 19, b[4] == 45, b[7] == 45, b[10] == 32, b[13] == 58, b[16] == 58 else { return false }
        func n(_ r: Range<Int>) -> Int? { Int(String(decoding: b[r], as: UTF8.self)) }
        guard let y = n(0..<4), let m = n(5..<7), let d = n(8..<10), let h = n(11..<13), let mi = n(14..<16),
              let se = n(17..<19) else { return false }
        return Civil.isValidDate(year: y, month: m, day: d) && h < 24 && mi < 60 && se < 60
    }

    static func isDate(_ s: String) -> Bool {
        let b = Array(s.utf8)
        guard b.count == 10, b[4] == 45, b[7] == 45,
              let y = Int(s.prefix(4)), let m = Int(s.dropFirst(5).prefix(2)), let d = Int(s.suffix(2)) else { return false }
        return Civil.isValidDate(year: y, month: m, day: d)
    }

    @Test func sameSeedSameBytesOtherSeedOtherBytes() throws {
        let a = try Self.generate(Self.sizes + ["--seed", "7"])
        let b = try Self.generate(Self.sizes + ["--seed", "7"])
        let c = try Self.generate(Self.sizes + ["--seed", "8"])
        for f in Self.files {
            let da = try Data(contentsOf: a.appendingPathComponent(f))
            let db = try Data(contentsOf: b.appendingPathComponent(f))
            let dc = try Data(contentsOf: c.appendingPathComponent(f))
            #expect(da.count > 10_000, "\(f)")
            #expect(da == db, "\(f) differs between two runs with the same seed")
            #expect(da != dc, "\(f) is the same for two seeds")
        }
        // --only writes just that file, with the same bytes as the full run.
        let only = try Self.generate(Self.sizes + ["--seed", "7", "--only", "registry"])
        #expect(try Data(contentsOf: only.appendingPathComponent("registry.csv"))
            == Data(contentsOf: a.appendingPathComponent("registry.csv")))
        #expect(!FileManager.default.fileExists(atPath: only.appendingPathComponent("accounts.csv").path))
    }

    @Test func cleanRowsAreWellFormedAndIdentifiersValid() throws {
        let dir = try Self.generate(Self.sizes + Self.clean)

        let accounts = try Self.rows(dir, "accounts.csv")
        #expect(accounts.header == "account_id,kind,owner_id,opened_at,last_customer_txn_at,last_login_at,balance_cents,frozen,open_dispute,phone")
        #expect(accounts.rows.count == 20_000)
        var ids = Set<String>(), merchantAccounts = 0
        for r in accounts.rows {
            #expect(r.count == 10, "\(r)")
            guard r.count == 10 else { continue }
            #expect(ids.insert(r[0]).inserted)
            if r[1] == "merchant" {
                merchantAccounts += 1
                #expect(Validators.isValidUSCC(r[2]), "\(r[2])")
            } else {
                #expect(r[1] == "personal")
                #expect(Validators.isValidResidentID(r[2]), "\(r[2])")
            }
            #expect(Self.isTimestamp(r[3]))
            #expect(r[4].isEmpty || (Self.isTimestamp(r[4]) && r[4] >= r[3]))
            #expect(r[5].isEmpty || Self.isTimestamp(r[5]))
            #expect((Int(r[6]) ?? -1) >= 0)
            #expect(["0", "1"].contains(r[7]) && ["0", "1"].contains(r[8]))
        }
        #expect(merchantAccounts == 543)  // 20,000 × 50,000 / 1,840,000

        let merchants = try Self.rows(dir, "merchants.csv")
        #expect(merchants.header == "merchant_id,name,uscc,legal_rep,license_expiry,contact_phone,contact_email,onboarded_at,status")
        #expect(merchants.rows.count == 5000)
        var usccs = Set<String>()
        for r in merchants.rows {
            #expect(r.count == 9, "\(r)")
            guard r.count == 9 else { continue }
            #expect(Validators.isValidUSCC(r[2]), "\(r[2])")
            usccs.insert(r[2])
            #expect(r[4] == "长期" || (Self.isDate(r[4]) && r[4] >= "2022-12-31"), "\(r[4])")
            #expect(Self.isTimestamp(r[7]))
            #expect(!r[1].contains(" ") && !r[1].contains("(") && !r[1].contains("\u{3000}"))
        }

        let registry = try Self.rows(dir, "registry.csv")
        #expect(registry.header == "uscc,name,legal_rep,reg_status,abnormal_list,dishonest,updated_at")
        #expect(registry.rows.count == 20_000)
        let statuses: Set<String> = ["存续", "在业", "在营", "开业", "迁入", "迁出", "停业", "歇业", "清算", "吊销", "吊销，未注销",
                                     "吊销，已注销", "注销", "撤销"]
        var found = Set<String>(), perUSCC: [String: Int] = [:]
        for r in registry.rows {
            #expect(r.count == 7, "\(r)")
            guard r.count == 7 else { continue }
            #expect(Validators.isValidUSCC(r[0]), "\(r[0])")
            #expect(statuses.contains(r[3]), "\(r[3])")
            #expect(Self.isTimestamp(r[6]))
            if usccs.contains(r[0]) { found.insert(r[0]) }
            perUSCC[r[0], default: 0] += 1
        }
        #expect(found.count == usccs.count, "every merchant is in the registry when no defect says otherwise")
        #expect(perUSCC.count < registry.rows.count * 9 / 10 && perUSCC.values.contains { $0 >= 3 }, "history rows")
        #expect(perUSCC.count > usccs.count * 2, "most registry companies are not our merchants")

        let txns = try Self.lines(dir, "transactions.jsonl")
        #expect(txns.count == 5000)
        let keys: Set<String> = [
            "txn_id", "account_id", "card_no", "card_country", "device_id", "amount", "currency", "amount_cny",
            "channel", "mcc", "merchant_id", "created_at", "ip_country", "ip_risk", "account_opened_at",
            "device_first_seen_at", "kyc_level", "memo", "payee_account", "payee_txn_count", "phone",
            "failed_logins_24h", "txn_count_1h", "amount_cny_24h", "is_cross_border",
        ]
        for line in txns {
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any] ?? [:]
            #expect(Set(o.keys) == keys)
            #expect(Self.isTimestamp(o["created_at"] as? String ?? ""))
            let amount = o["amount"] as? String ?? ""
            #expect(amount.split(separator: ".").last?.count == 2 && Double(amount) != nil)
        }
    }

    @Test func defectRatesAreAsConfigured() throws {
        let rate = 0.05
        let dir = try Self.generate(Self.sizes + [
            "account-bad-date", "account-negative-balance", "account-column-count", "account-duplicate-id",
            "account-bad-check-digit", "merchant-bad-uscc", "merchant-expired-licence", "merchant-name-brackets",
            "registry-status-punct", "txn-malformed-json",
        ].flatMap { ["--defect-rate", "\($0)=5%"] })
        func near(_ count: Int, _ n: Int, _ what: String) {
            let measured = Double(count) / Double(n)
            #expect(abs(measured - rate) < rate * 0.3, "\(what): \(count) of \(n) = \(measured), configured \(rate)")
        }

        let accounts = try Self.rows(dir, "accounts.csv").rows
        let unique = Set(accounts.map { $0[0] }).count
        #expect(unique == 20_000)
        near(accounts.count - unique, unique, "account-duplicate-id")
        let wellFormed = accounts.filter { $0.count == 10 }
        near(accounts.count - wellFormed.count, accounts.count, "account-column-count")
        near(wellFormed.filter { (Int($0[6]) ?? 0) < 0 }.count, wellFormed.count, "account-negative-balance")
        near(wellFormed.filter { r in
            !Self.isTimestamp(r[3]) || !(r[4].isEmpty || Self.isTimestamp(r[4])) || !(r[5].isEmpty || Self.isTimestamp(r[5]))
        }.count, wellFormed.count, "account-bad-date")
        near(wellFormed.filter {
            $0[1] == "merchant" ? !Validators.isValidUSCC($0[2]) : !Validators.isValidResidentID($0[2])
        }.count, wellFormed.count, "account-bad-check-digit")

        let merchants = try Self.rows(dir, "merchants.csv").rows.filter { $0.count == 9 }
        near(merchants.filter { !Validators.isValidUSCC($0[2]) }.count, merchants.count, "merchant-bad-uscc")
        near(merchants.filter { Self.isDate($0[4]) && $0[4] < "2022-12-31" }.count, merchants.count, "merchant-expired-licence")
        near(merchants.filter { $0[1].contains("(") }.count, merchants.count, "merchant-name-brackets")

        let registry = try Self.rows(dir, "registry.csv").rows
        near(registry.filter { $0[3].contains(",") || $0[3].contains(" ") || $0[3].contains("\u{3000}") }.count,
             registry.count, "registry-status-punct")

        let txns = try Self.lines(dir, "transactions.jsonl")
        near(txns.filter { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) == nil }.count, txns.count,
             "txn-malformed-json")
    }

    @Test func rejectsUnknownDefectNames() throws {
        let p = Process()
        p.executableURL = Self.executable
        p.arguments = ["--out", try CLITests.temporaryDirectory().path, "--defect-rate", "no-such-defect=0.1"]
        let err = Pipe()
        p.standardError = err
        try p.run()
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        #expect(p.terminationStatus != 0)
        #expect(e.contains("account-bad-date"))
    }
}
