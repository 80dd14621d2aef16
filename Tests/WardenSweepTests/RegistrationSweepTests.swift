import Foundation
import Testing
import WardenEngine
@testable import WardenSweep

/// The business-registration check (`rules/registration.rules`) on small committed files that
/// pin each reason and each normalisation case: every registry status and its variants (ASCII
/// comma, stray ASCII and U+3000 spaces), full-width vs half-width names, （）vs (), inserted
/// spaces, real one-character changes, history rows before and after the latest, ties, set-aside
/// registry rows, licence expiry the day before / on / after `as_of`, invalid USCCs (check
/// character, forbidden letter, length, case) and the merchant rejects. The case list is in
/// `Fixtures/registration/README.md`; the expected files were checked against an independent
/// implementation (`tools/registration-reference.py`).
@Suite struct RegistrationSweepTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("Fixtures/registration").path
    static let pack = root.appendingPathComponent("rules/registration.rules").path

    func tempDirectory() throws -> String {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("warden-reg-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    func read(_ path: String) throws -> String { try String(contentsOfFile: path, encoding: .utf8) }

    func options(_ out: String, merchants: String = fixtures + "/merchants.csv",
                 registry: String = fixtures + "/registry.csv") -> SweepOptions {
        var o = SweepOptions(packPath: RegistrationSweepTests.pack, inputPath: merchants, outDirectory: out)
        o.lookups = ["registry": registry]
        o.campaign = "registration-test"
        o.ledgerPath = out + ".ledger.sqlite"
        return o
    }

    func cleanUp(_ out: String) {
        for p in [out, out + ".ledger.sqlite"] { try? FileManager.default.removeItem(atPath: p) }
    }

    /// The verdict rows (one `merchant_id,uscc,action,reasons` line per merchant).
    func verdicts(_ out: String) throws -> [String: (action: String, reasons: String)] {
        var result: [String: (String, String)] = [:]
        for line in try read(out + "/registration_verdicts.csv").split(separator: "\n").dropFirst() {
            let cells = line.split(separator: ",", omittingEmptySubsequences: false).map(String.init)
            result[cells[0]] = (cells[cells.count - 2], cells[cells.count - 1])
        }
        return result
    }

    @Test func everyReasonAndNormalisationCaseMatchesTheSpecification() throws {
        let out = try tempDirectory()
        defer { cleanUp(out) }
        let summary = try Sweep.run(options(out))
        let f = RegistrationSweepTests.fixtures
        #expect(try read(out + "/registration_verdicts.csv") == read(f + "/expected_verdicts.csv"))
        // The rejects file names its key column after the pack's @key field.
        let rejects = try read(out + "/registration_rejects.csv").split(separator: "\n").dropFirst()
        #expect(Array(rejects) == Array(try read(f + "/expected_rejects.csv").split(separator: "\n").dropFirst()))
        let c = summary.report.counts
        #expect(c.inputRows == 85 && c.accepted == 71 && c.rejected == 14)
        #expect(summary.report.reconciled)
        #expect(c.outputs["registration_verdicts"]?.rows == 71)
        #expect(summary.report.outputsByColumn["registration_verdicts"]?["action"]
                    == ["ok": 24, "notify": 36, "deregister": 11])
    }

    /// Spot checks that name the cases, so a failure says which rule broke.
    @Test func namedCases() throws {
        let out = try tempDirectory()
        defer { cleanUp(out) }
        _ = try Sweep.run(options(out))
        let v = try verdicts(out)
        func expect(_ id: String, _ action: String, _ reasons: String, _ comment: Comment) {
            #expect(v[id]?.action == action && v[id]?.reasons == reasons, comment)
        }
        expect("M0001", "ok", "", "a clean merchant")
        expect("M0011", "deregister", "REVOKED", "吊销，未注销 with a full-width comma")
        expect("M0019", "deregister", "REVOKED", "\"吊销,未注销\" with an ASCII comma, quoted in the CSV")
        expect("M0020", "deregister", "REVOKED", "\"吊销, 未注销\": comma and space")
        expect("M0023", "ok", "", "存 续 with an inserted ASCII space")
        expect("M0024", "ok", "", "存　续 with U+3000")
        expect("M0015", "notify", "UNKNOWN_REG_STATUS", "存续（在营、开业、在册） is outside the table")
        expect("M0026", "ok", "", "full-width Ｘ８ against half-width X8")
        expect("M0027", "ok", "", "(北京) against （北京）")
        expect("M0029", "ok", "", "a name with U+3000 inserted")
        expect("M0032", "notify", "NAME_MISMATCH", "a real one-character name change")
        expect("M0033", "notify", "NAME_MISMATCH", "no case folding")
        expect("M0035", "notify", "LEGAL_REP_MISMATCH", "a real legal-representative change")
        expect("M0036", "ok", "", "history: the latest row first in the file")
        expect("M0037", "notify", "IN_LIQUIDATION", "history: older rows first, their flags ignored")
        expect("M0038", "notify", "BUSINESS_SUSPENDED", "a tie on updated_at: the later row wins")
        expect("M0040", "notify", "MOVED_OUT", "the newest row's updated_at is malformed: set aside")
        expect("M0042", "notify", "NOT_IN_REGISTRY", "the only registry row has an extra field: set aside")
        expect("M0045", "notify", "LICENSE_EXPIRED", "licence expired the day before as_of")
        expect("M0046", "ok", "", "licence expiring on as_of")
        expect("M0047", "ok", "", "licence expiring the day after as_of")
        expect("M0050", "notify", "USCC_INVALID", "wrong check character")
        expect("M0051", "notify", "USCC_INVALID", "a forbidden letter")
        expect("M0053", "notify", "USCC_INVALID", "17 characters")
        expect("M0054", "notify", "USCC_INVALID", "19 characters")
        expect("M0060", "notify", "USCC_INVALID|LICENSE_EXPIRED", "invalid USCC, expiry still checked")
        expect("M0061", "notify", "NOT_IN_REGISTRY", "a valid USCC no registry row has")
        expect("M0065", "deregister", "REVOKED|ABNORMAL_LIST|DISHONEST|NAME_MISMATCH|LEGAL_REP_MISMATCH|LICENSE_EXPIRED",
               "every reason at once, in the issue's order")
    }

    /// The registry is loaded for the merchants' keys only, history resolved by updated_at, and
    /// bad registry rows are set aside with their line and reason, never used.
    @Test func registryRowsAreLoadedForTheMerchantsOnly() throws {
        let out = try tempDirectory()
        defer { cleanUp(out) }
        let summary = try Sweep.run(options(out))
        let lookup = try #require(summary.report.lookups.first)
        #expect(lookup.rowsRead == 93)
        // Asked for: the valid USCCs of the rows no reject sets aside (invalid ones are never
        // looked up); found: all but the three NOT_IN_REGISTRY ones (M0042's only row is set
        // aside); matched: the 70 registry rows with those USCCs, not the other companies'.
        #expect(lookup.keysWanted == 60)
        #expect(lookup.keysFound == 57)
        #expect(lookup.rowsMatched == 70)
        #expect(lookup.setAside == 6)
        #expect(lookup.setAsideByReason["BAD_COLUMN_COUNT"] == 3)
        let setAside = try read(out + "/lookup_registry_rejects.csv")
        #expect(setAside.hasPrefix("line_no,uscc,reason\n"))
        #expect(setAside.contains(",BAD_FIELD:updated_at\n"))
        #expect(try read(out + "/report.md").contains("## Lookup registry:"))
    }

    /// Lists people read mask contacts; the sender's file has them; the ledger keeps a rerun of
    /// the campaign from notifying anyone twice; deregistered merchants are not notified.
    @Test func notificationsAndDeregistrationList() throws {
        let out = try tempDirectory(), again = try tempDirectory()
        defer { cleanUp(out); cleanUp(again) }
        var second = options(again)
        second.ledgerPath = out + ".ledger.sqlite"
        let one = try Sweep.run(options(out))
        let list = try read(out + "/merchant_notifications.csv"), send = try read(out + "/merchant_notifications.send.csv")
        #expect(list.split(separator: "\n").first == "merchant_id,name,contact_phone,contact_email,reasons,message,deadline")
        #expect(send.contains("13800138"))
        #expect(!list.contains("13800138"))
        #expect(list.contains("138****"))
        #expect(list.contains("您登记的营业执照已过有效期，请上传有效的营业执照。,2023-01-30"))
        let notified = one.report.counts.outputs["merchant_notifications"]?.rows ?? 0
        #expect(notified == 36)
        let dereg = try read(out + "/deregistration_list.csv")
        #expect(dereg.split(separator: "\n").first == "merchant_id,name,uscc,merchant_status,reasons,reg_status,reg_updated_at")
        #expect(dereg.split(separator: "\n").count == 1 + 11)
        #expect(!list.contains("M0065,"))  // deregistered: offboarded, not asked to fix anything
        let two = try Sweep.run(second)
        #expect(two.report.counts.outputs["merchant_notifications"]?.alreadyNotified == notified)
        #expect(try read(again + "/registration_verdicts.csv") == read(out + "/registration_verdicts.csv"))
    }

    @Test func lookupOptionsAreChecked() throws {
        let out = try tempDirectory()
        defer { cleanUp(out) }
        var missing = options(out)
        missing.lookups = [:]
        #expect { try Sweep.run(missing) } throws: { "\($0)".contains("give its file with --lookup registry=FILE") }
        var unknown = options(out)
        unknown.lookups["company"] = RegistrationSweepTests.fixtures + "/registry.csv"
        #expect { try Sweep.run(unknown) } throws: { "\($0)".contains("declares no lookup 'company'") }
        let badHeader = out + "/registry.csv"
        try "uscc,name\n91350100M000100Y43,x\n".write(toFile: badHeader, atomically: true, encoding: .utf8)
        #expect { try Sweep.run(options(out + "/o", registry: badHeader)) } throws: {
            "\($0)".contains("has no column 'legal_rep', 'reg_status'")
        }
    }

    /// A different registry file — another path, or the same path rewritten — is a different
    /// sweep: resuming with it is refused.
    @Test func resumeChecksTheRegistryFile() throws {
        let out = try tempDirectory()
        defer { cleanUp(out) }
        var o = options(out)
        _ = try Sweep.run(o)
        var checkpoint = try Checkpoint.read(out + "/.sweep/checkpoint.json")
        checkpoint.phase = .scanning
        try checkpoint.write(out + "/.sweep/checkpoint.json")
        let copy = out + ".registry.csv"
        defer { try? FileManager.default.removeItem(atPath: copy) }
        try FileManager.default.copyItem(atPath: RegistrationSweepTests.fixtures + "/registry.csv", toPath: copy)
        // Another path with the same content.
        o.resume = true
        o.lookups = ["registry": copy]
        #expect { try Sweep.run(o) } throws: { "\($0)".contains("different pack, parameters, input") }
        // The original path, rewritten (its size and modification time change).
        let sweptWith = out + ".registry-swept.csv"
        defer { try? FileManager.default.removeItem(atPath: sweptWith) }
        try FileManager.default.copyItem(atPath: copy, toPath: sweptWith)
        var first = options(out + "-2", registry: sweptWith)
        defer { cleanUp(out + "-2") }
        _ = try Sweep.run(first)
        var unfinished = try Checkpoint.read(out + "-2/.sweep/checkpoint.json")
        unfinished.phase = .scanning
        try unfinished.write(out + "-2/.sweep/checkpoint.json")
        try (try read(sweptWith) + "91000000MA0000000X,某公司,某人,存续,0,0,2022-01-01 00:00:00\n")
            .write(toFile: sweptWith, atomically: true, encoding: .utf8)
        first.resume = true
        #expect { try Sweep.run(first) } throws: { "\($0)".contains("different pack, parameters, input") }
    }
}
