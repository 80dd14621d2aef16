import Foundation
import Testing
import WardenEngine
import WardenSweep

/// A directory under the system temp dir, removed when the test's scope ends.
private final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("warden-ledger-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
    func path(_ name: String) -> String { url.appendingPathComponent(name).path }
    func write(_ name: String, _ text: String) throws -> String {
        let p = path(name)
        try Data(text.utf8).write(to: URL(fileURLWithPath: p))
        return p
    }
    func write(_ name: String, bytes: [UInt8]) throws -> String {
        let p = path(name)
        try Data(bytes).write(to: URL(fileURLWithPath: p))
        return p
    }
}

private let t0 = Date(timeIntervalSince1970: 1_700_000_000)  // 2023-11-14T22:13:20Z

private func items(_ range: Range<Int>, prefix: String = "M") -> [NotificationLedger.Item] {
    range.map {
        NotificationLedger.Item(
            subject: "\(prefix)\($0)", channel: "sms", payload: "{\"n\":\($0)}", reasons: ["NAME_MISMATCH"])
    }
}

/// SQL that renders a column of seconds since 1970 as `YYYY-MM-DDTHH:MM:SSZ`.
private func utc(_ column: String) -> String { "strftime('%Y-%m-%dT%H:%M:%SZ', \(column), 'unixepoch')" }

/// Every receipt with its campaign's name and its time as UTC text, in key order.
private let receiptsQuery = """
    SELECT c.name, x.subject, x.status, \(utc("x.received_at"))
    FROM receipts x JOIN campaigns c ON c.id = x.campaign ORDER BY c.name, x.subject, x.status
    """

/// All rows of a query as `|`-joined text, through the ledger file itself.
private func dump(_ path: String, _ sql: String, columns: Int32) throws -> [String] {
    let c = try SQLiteConnection(path: path)
    let st = try c.prepare(sql, persistent: false)
    var rows: [String] = []
    while try st.step() { rows.append((0..<columns).map { st.text($0) }.joined(separator: "|")) }
    return rows
}

@Suite struct NotificationLedgerRecordingTests {
    @Test func firstRunNotifiesEveryone() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        let fresh = try ledger.recordBatch(items(0..<10), campaign: "c1", runID: "run-1", now: t0)
        #expect(fresh == Array(repeating: true, count: 10))
        #expect(try ledger.reach(campaign: "c1").notified == 10)
        let rows = try dump(
            dir.path("ledger.sqlite"),
            "SELECT subject, channel, payload, reasons, first_sent_at, run_id FROM notifications_readable WHERE subject = 'M3'",
            columns: 6)
        #expect(rows == ["M3|sms|{\"n\":3}|NAME_MISMATCH|2023-11-14T22:13:20Z|run-1"])
        // Stored as seconds since 1970 UTC.
        #expect(
            try dump(dir.path("ledger.sqlite"), "SELECT first_sent_at FROM notifications WHERE subject = 'M3'", columns: 1)
                == ["1700000000"])
    }

    @Test func rerunWithANewRunIDNotifiesNobody() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        _ = try ledger.recordBatch(items(0..<10), campaign: "c1", runID: "run-1", now: t0)
        // The rerun sees the same 10 plus 2 newcomers: only the newcomers are notified.
        let rerun = try ledger.recordBatch(items(0..<12), campaign: "c1", runID: "run-2", now: t0 + 3600)
        #expect(rerun == Array(repeating: false, count: 10) + [true, true])
        let again = try ledger.recordBatch(items(0..<12), campaign: "c1", runID: "run-3", now: t0 + 7200)
        #expect(again == Array(repeating: false, count: 12))
        #expect(try ledger.reach(campaign: "c1").notified == 12)
    }

    @Test func resumedRunReturnsTrueForItsOwnItems() throws {
        let dir = try TempDir()
        let path = dir.path("ledger.sqlite")
        do {
            // run-1 commits two batches, then "dies".
            let ledger = try NotificationLedger(path: path)
            _ = try ledger.recordBatch(items(0..<50), campaign: "c1", runID: "run-1", now: t0)
            _ = try ledger.recordBatch(items(50..<80), campaign: "c1", runID: "run-1", now: t0 + 1)
        }
        // Resumed in a new process from an older checkpoint (after batch 1): it replays 50..<100.
        let ledger = try NotificationLedger(path: path)
        let replay = try ledger.recordBatch(items(50..<100), campaign: "c1", runID: "run-1", now: t0 + 60)
        #expect(replay == Array(repeating: true, count: 50))
        // Its own earlier batch too, and the single-item API agrees.
        #expect(try ledger.recordBatch(items(0..<50), campaign: "c1", runID: "run-1", now: t0 + 61).allSatisfy { $0 })
        #expect(
            try ledger.record(
                campaign: "c1", subject: "M7", channel: "sms", payload: "x", reasons: [], runID: "run-1", now: t0))
        // Another run id owns none of them.
        #expect(try ledger.recordBatch(items(0..<100), campaign: "c1", runID: "run-2", now: t0).allSatisfy { !$0 })
        // The first recording's time and payload are kept.
        let rows = try dump(
            path,
            "SELECT payload, first_sent_at, run_id FROM notifications_readable WHERE subject IN ('M7', 'M60') ORDER BY subject",
            columns: 3)
        #expect(rows == ["{\"n\":60}|2023-11-14T22:13:21Z|run-1", "{\"n\":7}|2023-11-14T22:13:20Z|run-1"])
        #expect(try ledger.reach(campaign: "c1").notified == 100)
    }

    @Test func anotherCampaignNotifiesAgain() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        _ = try ledger.recordBatch(items(0..<5), campaign: "c1", runID: "run-1", now: t0)
        #expect(try ledger.recordBatch(items(0..<5), campaign: "c2", runID: "run-1", now: t0).allSatisfy { $0 })
        #expect(try ledger.recordBatch(items(0..<5), campaign: "c2", runID: "run-9", now: t0).allSatisfy { !$0 })
        #expect(try ledger.reach(campaign: "c1").notified == 5)
        #expect(try ledger.reach(campaign: "c2").notified == 5)
        #expect(try ledger.reach(campaign: "c3").notified == 0)
    }

    @Test func answersFollowTheItemsWhateverTheirOrder() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        _ = try ledger.recordBatch(items(0..<4), campaign: "c1", runID: "run-1", now: t0)
        _ = try ledger.recordBatch(items(4..<6), campaign: "c1", runID: "run-2", now: t0)
        // run-1 again, out of key order: its own subjects (M2, M0), run-2's (M5, M4), new ones
        // (M9, M7, M10), and M9 twice.
        let subjects = ["M9", "M2", "M5", "M7", "M0", "M9", "M4", "M10"]
        let batch = subjects.enumerated().map {
            NotificationLedger.Item(subject: $1, channel: "sms", payload: "p\($0)", reasons: [])
        }
        let fresh = try ledger.recordBatch(batch, campaign: "c1", runID: "run-1", now: t0 + 5)
        #expect(fresh == [true, true, false, true, true, true, false, true])
        // The first of a repeated subject is the one stored; earlier recordings are kept.
        #expect(
            try dump(
                dir.path("ledger.sqlite"),
                "SELECT subject, payload FROM notifications WHERE subject IN ('M9', 'M7', 'M10', 'M2') ORDER BY subject",
                columns: 2) == ["M10|p7", "M2|{\"n\":2}", "M7|p3", "M9|p0"])
        #expect(try ledger.recordBatch(batch, campaign: "c1", runID: "run-2", now: t0)
            == [false, false, true, false, false, false, true, false])
    }

    @Test func aRolledBackBatchLeavesNoCampaignOrRunBehind() throws {
        let dir = try TempDir()
        let path = dir.path("ledger.sqlite")
        let a = try NotificationLedger(path: path)
        let b = try NotificationLedger(path: path)
        var bad = items(0..<3)
        for i in bad.indices { bad[i].channel = "email" }
        bad[2].subject = ""
        // The campaign, run and (channel, reasons) rows this batch made roll back with it...
        #expect(throws: LedgerError.self) { try a.recordBatch(bad, campaign: "c1", runID: "run-a", now: t0) }
        // ...so the ids they had go to the next to ask, here another connection...
        #expect(try b.recordBatch(items(0..<2), campaign: "c2", runID: "run-b", now: t0) == [true, true])
        // ...and `a` must not use them.
        bad[2].subject = "M2"
        #expect(try a.recordBatch(bad, campaign: "c1", runID: "run-a", now: t0) == [true, true, true])
        #expect(
            try dump(path, "SELECT DISTINCT campaign, channel FROM notifications_readable ORDER BY campaign", columns: 2)
                == ["c1|email", "c2|sms"])
        #expect(try a.reach(campaign: "c1").notified == 3)
        #expect(try a.reach(campaign: "c2").notified == 2)
        #expect(try b.recordBatch(items(0..<3), campaign: "c1", runID: "run-b", now: t0) == [false, false, false])
        #expect(try a.recordBatch(items(0..<3), campaign: "c2", runID: "run-a", now: t0) == [false, false, true])
        #expect(
            try dump(
                path,
                """
                SELECT c.name, r.run_id, count(*) FROM notifications n
                JOIN campaigns c ON c.id = n.campaign JOIN runs r ON r.id = n.run
                GROUP BY c.name, r.run_id ORDER BY c.name, r.run_id
                """, columns: 3) == ["c1|run-a|3", "c2|run-a|1", "c2|run-b|2"])
    }

    /// More items than one insert statement takes, in no order, with several channels and
    /// reasons, some subjects already recorded by this run or another: each answer and stored
    /// row is what recording the items one by one would give.
    @Test func aLargeMixedBatchAgreesWithOneByOne() throws {
        let dir = try TempDir()
        let batched = try NotificationLedger(path: dir.path("batched.sqlite"))
        let single = try NotificationLedger(path: dir.path("single.sqlite"))
        let channels = ["sms", "email", "letter"]
        let reasons = [["A"], ["B", "C"], [], ["A"]]
        func item(_ n: Int, _ round: Int) -> NotificationLedger.Item {
            NotificationLedger.Item(
                subject: "S\(n * 7_919 % 1_000)", channel: channels[(n + round) % 3],
                payload: n % 5 == 0 ? "" : "p\(n)-\(round)", reasons: reasons[(n / 3 + round) % 4])
        }
        for ledger in [batched, single] {
            _ = try ledger.recordBatch((0..<100).map { item($0, 0) }, campaign: "c", runID: "r1", now: t0)
            _ = try ledger.recordBatch((100..<150).map { item($0, 0) }, campaign: "c", runID: "r2", now: t0)
        }
        // 50..<400 twice over (repeats within the batch), shuffled deterministically.
        var batch = (50..<400).map { item($0, 1) } + (50..<400).map { item($0, 2) }
        batch = batch.enumerated().sorted { ($0.offset * 389) % 701 < ($1.offset * 389) % 701 }.map(\.element)
        let answers = try batched.recordBatch(batch, campaign: "c", runID: "r1", now: t0 + 9)
        let oneByOne = try batch.map {
            try single.record(
                campaign: "c", subject: $0.subject, channel: $0.channel, payload: $0.payload, reasons: $0.reasons,
                runID: "r1", now: t0 + 9)
        }
        #expect(answers == oneByOne)
        #expect(answers.count { !$0 } == 100)  // r2's 50 subjects, twice
        let query = "SELECT * FROM notifications_readable ORDER BY subject"
        #expect(try dump(dir.path("batched.sqlite"), query, columns: 7) == dump(dir.path("single.sqlite"), query, columns: 7))
        #expect(try dump(dir.path("batched.sqlite"), "SELECT count(*) FROM notifications", columns: 1) == ["400"])
    }

    @Test func singleRecord() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        func record(_ subject: String, _ run: String) throws -> Bool {
            try ledger.record(
                campaign: "c1", subject: subject, channel: "email", payload: "", reasons: ["A", "B"], runID: run,
                now: t0)
        }
        #expect(try record("M1", "r1"))
        #expect(try record("M1", "r1"))
        #expect(try !record("M1", "r2"))
        #expect(try record("M2", "r2"))
        #expect(try dump(dir.path("ledger.sqlite"), "SELECT reasons, payload FROM notifications_readable", columns: 2)
            == ["A|B|", "A|B|"])
    }

    @Test func aFailingBatchRecordsNothing() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        var batch = items(0..<10)
        batch[7].reasons = ["BAD|REASON"]
        #expect(throws: LedgerError.self) {
            try ledger.recordBatch(batch, campaign: "c1", runID: "run-1", now: t0)
        }
        batch[7].reasons = []
        batch[8].subject = ""
        #expect(throws: LedgerError.self) {
            try ledger.recordBatch(batch, campaign: "c1", runID: "run-1", now: t0)
        }
        #expect(try ledger.reach(campaign: "c1").notified == 0)
        // Nothing of the failed batches belongs to anyone: another run id gets them all.
        #expect(try ledger.recordBatch(items(0..<10), campaign: "c1", runID: "run-2", now: t0).allSatisfy { $0 })
    }

    @Test func emptyCampaignOrRunIDIsRefused() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        #expect(throws: LedgerError.self) { try ledger.recordBatch(items(0..<1), campaign: "", runID: "r", now: t0) }
        #expect(throws: LedgerError.self) { try ledger.recordBatch(items(0..<1), campaign: "c", runID: "", now: t0) }
        #expect(try ledger.recordBatch([], campaign: "c", runID: "r", now: t0) == [])
    }

    @Test func schemaIsKeptAcrossOpensAndANewerOneIsRefused() throws {
        let dir = try TempDir()
        let path = dir.path("ledger.sqlite")
        do {
            let ledger = try NotificationLedger(path: path)
            _ = try ledger.recordBatch(items(0..<3), campaign: "c1", runID: "r1", now: t0)
        }
        do {
            let ledger = try NotificationLedger(path: path)
            #expect(try ledger.reach(campaign: "c1").notified == 3)
        }
        #expect(try dump(path, "SELECT version FROM schema_version", columns: 1) == ["2"])
        try SQLiteConnection(path: path).execute("UPDATE schema_version SET version = 99")
        let error = #expect(throws: LedgerError.self) { try NotificationLedger(path: path) }
        #expect(error?.code == .schemaTooNew)
    }

    @Test func notADatabaseIsAnSQLiteErrorWithSQLitesMessage() throws {
        let dir = try TempDir()
        let path = try dir.write("junk.sqlite", String(repeating: "not a database\n", count: 100))
        let error = #expect(throws: SQLiteError.self) { try NotificationLedger(path: path) }
        #expect(error?.message == "file is not a database")
        #expect(error?.code == 26)  // SQLITE_NOTADB
    }

    /// Prints the rate; the figure that matters is the release build's
    /// (`swift test -c release --filter NotificationLedger`).
    @Test func batchOf100kItemsTiming() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        let batch = (0..<100_000).map {
            NotificationLedger.Item(
                subject: "91110000\(String(100_000_000 + $0 * 7919 % 100_000_000))", channel: "sms",
                payload: "{\"merchant\":\"M\($0)\",\"deadline\":\"2023-03-31\"}", reasons: ["NAME_MISMATCH"])
        }
        let clock = ContinuousClock()
        var fresh: [Bool] = []
        let first = try clock.measure { fresh = try ledger.recordBatch(batch, campaign: "c1", runID: "r1", now: t0) }
        #expect(fresh.allSatisfy { $0 })
        var again: [Bool] = []
        let rerun = try clock.measure { again = try ledger.recordBatch(batch, campaign: "c1", runID: "r2", now: t0) }
        #expect(again.allSatisfy { !$0 })
        func rate(_ d: Duration) -> Int {
            Int(Double(batch.count) / (Double(d.components.seconds) + Double(d.components.attoseconds) * 1e-18))
        }
        print(
            "NotificationLedger: 100k new items in \(first) (\(rate(first)) items/s);",
            "rerun in \(rerun) (\(rate(rerun)) items/s)")
    }
}

@Suite struct NotificationLedgerReceiptsTests {
    /// A ledger with M0..<M(n) notified in campaign c1.
    private func notified(_ n: Int, in dir: TempDir) throws -> NotificationLedger {
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        _ = try ledger.recordBatch(items(0..<n), campaign: "c1", runID: "run-1", now: t0)
        return ledger
    }

    @Test func importCountsAndIsIdempotent() throws {
        let dir = try TempDir()
        let ledger = try notified(5, in: dir)
        let csv = try dir.write(
            "r.csv",
            """
            subject,status,received_at
            M0,delivered,2023-11-15 08:00:00
            M0,read,2023-11-15 09:00:00
            M1,delivered,2023-11-15T08:00:00Z
            M1,confirmed,2023-11-16 10:00:00
            M2,bounced,2023-11-15 08:00:00
            M2,delivered,2023-11-15 08:30:00
            M0,delivered,2023-11-15 08:00:00

            """)
        let first = try ledger.importReceipts(campaign: "c1", csvPath: csv)
        #expect(first.rows == 7)
        #expect(first.inserted == 6)
        #expect(first.unchanged == 1)  // the repeated M0 delivered
        #expect(first.updated == 0 && first.unknownSubject == 0 && first.rejected == 0)
        #expect(first.isReconciled)
        let before = try dump(dir.path("ledger.sqlite"), receiptsQuery, columns: 4)

        let second = try ledger.importReceipts(campaign: "c1", csvPath: csv)
        #expect(second.rows == 7 && second.unchanged == 7 && second.inserted == 0 && second.updated == 0)
        #expect(second.isReconciled)
        let after = try dump(dir.path("ledger.sqlite"), receiptsQuery, columns: 4)
        #expect(after == before)
        #expect(before.count == 6)
        #expect(before.first == "c1|M0|delivered|2023-11-15T08:00:00Z")
    }

    @Test func theEarliestTimeWinsWhateverTheFileOrder() throws {
        let dir = try TempDir()
        let ledger = try notified(2, in: dir)
        let late = try dir.write("late.csv", "subject,status,received_at\nM0,delivered,2023-11-15 12:00:00\n")
        let early = try dir.write("early.csv", "subject,status,received_at\nM0,delivered,2023-11-15 08:00:00\n")
        #expect(try ledger.importReceipts(campaign: "c1", csvPath: late).inserted == 1)
        #expect(try ledger.importReceipts(campaign: "c1", csvPath: early).updated == 1)
        #expect(try ledger.importReceipts(campaign: "c1", csvPath: late).unchanged == 1)
        #expect(try dump(dir.path("ledger.sqlite"), "SELECT \(utc("received_at")) FROM receipts", columns: 1)
            == ["2023-11-15T08:00:00Z"])
    }

    @Test func timesAreStoredInUTC() throws {
        let dir = try TempDir()
        let ledger = try notified(3, in: dir)
        let csv = try dir.write(
            "r.csv",
            """
            subject,status,received_at
            M0,delivered,2023-01-05T10:00:00+08:00
            M1,delivered,2023-01-05 10:00:00
            M2,delivered,2023-01-05 10:00:00.750Z
            """)
        #expect(try ledger.importReceipts(campaign: "c1", csvPath: csv, zone: .shanghai).inserted == 3)
        #expect(
            try dump(dir.path("ledger.sqlite"), "SELECT \(utc("received_at")) FROM receipts ORDER BY subject", columns: 1)
                == ["2023-01-05T02:00:00Z", "2023-01-05T02:00:00Z", "2023-01-05T10:00:00Z"])
    }

    @Test func receiptsForSubjectsNeverNotifiedAreCountedNotStored() throws {
        let dir = try TempDir()
        let ledger = try notified(2, in: dir)
        _ = try ledger.recordBatch(items(0..<3, prefix: "X"), campaign: "other", runID: "run-1", now: t0)
        let csv = try dir.write(
            "r.csv",
            """
            subject,status,received_at
            M0,delivered,2023-11-15 08:00:00
            M9,delivered,2023-11-15 08:00:00
            X1,read,2023-11-15 08:00:00
            M1,failed,2023-11-15 08:00:00
            """)
        let r = try ledger.importReceipts(campaign: "c1", csvPath: csv)
        #expect(r.unknownSubject == 2)
        #expect(r.unknownSubjectLines == [3, 4])  // X1 was notified, but in another campaign
        #expect(r.inserted == 2 && r.isReconciled)
        #expect(try dump(dir.path("ledger.sqlite"), "SELECT subject FROM receipts ORDER BY subject", columns: 1)
            == ["M0", "M1"])
    }

    @Test func badRowsAreCountedWithTheirLineNumbers() throws {
        let dir = try TempDir()
        let ledger = try notified(3, in: dir)
        var text = "\u{FEFF}subject,status,received_at\r\n"  // BOM and CRLF are fine
        text += "M0,delivered,2023-11-15 08:00:00\r\n"  // 2 ok
        text += "M1,delivered\r\n"  // 3 BAD_COLUMN_COUNT
        text += "M1,delivered,2023-11-15 08:00:00,extra\r\n"  // 4 BAD_COLUMN_COUNT
        text += "M1,Delivered,2023-11-15 08:00:00\r\n"  // 5 BAD_STATUS (lowercase only)
        text += "M1,opened,2023-11-15 08:00:00\r\n"  // 6 BAD_STATUS
        text += "M1,read,2023-02-29 08:00:00\r\n"  // 7 BAD_TIMESTAMP (not a leap year)
        text += "M1,read,2023-11-15\r\n"  // 8 BAD_TIMESTAMP (no time)
        text += ",read,2023-11-15 08:00:00\r\n"  // 9 EMPTY_SUBJECT
        text += "\r\n"  // 10 blank: BAD_COLUMN_COUNT
        text += "\"M1,read,2023-11-15 08:00:00\r\n"  // 11 BAD_QUOTE (unterminated)
        text += "M\"1,read,2023-11-15 08:00:00\r\n"  // 12 BAD_QUOTE (quote inside a bare field)
        text += "\"M1\",\"read\",\"2023-11-15 08:00:00\"\r\n"  // 13 ok, quoted
        text += "\"M\"\"2\",read,2023-11-15 08:00:00\r\n"  // 14 ok: subject M"2, unknown
        var bytes = Array(text.utf8)
        bytes += Array("M\u{FF}2,read,2023-11-15 08:00:00\n".utf8).map { $0 == 0xC3 ? 0xFF : $0 }  // 15 BAD_UTF8
        bytes += Array("M2,confirmed,2023-11-15 08:00:00".utf8)  // 16 ok, no final newline
        let csv = try dir.write("r.csv", bytes: bytes)

        let r = try ledger.importReceipts(campaign: "c1", csvPath: csv)
        #expect(
            r.badRows == [
                .init(line: 3, reason: .badColumnCount), .init(line: 4, reason: .badColumnCount),
                .init(line: 5, reason: .badStatus), .init(line: 6, reason: .badStatus),
                .init(line: 7, reason: .badTimestamp), .init(line: 8, reason: .badTimestamp),
                .init(line: 9, reason: .emptySubject), .init(line: 10, reason: .badColumnCount),
                .init(line: 11, reason: .badQuote), .init(line: 12, reason: .badQuote),
                .init(line: 15, reason: .badUTF8),
            ])
        #expect(r.rows == 15 && r.rejected == 11)
        #expect(r.inserted == 3 && r.unknownSubject == 1 && r.unknownSubjectLines == [14])
        #expect(r.isReconciled)
        #expect(r.badRows.map(\.reason.rawValue).contains("BAD_UTF8"))
    }

    @Test func aCampaignNeverRecordedHasOnlyUnknownSubjects() throws {
        let dir = try TempDir()
        let ledger = try notified(2, in: dir)
        let csv = try dir.write("r.csv", "subject,status,received_at\nM0,delivered,2023-11-15 08:00:00\nM1,nope,x\n")
        let r = try ledger.importReceipts(campaign: "c9", csvPath: csv)
        #expect(r.unknownSubject == 1 && r.unknownSubjectLines == [2] && r.rejected == 1 && r.isReconciled)
        #expect(try ledger.reach(campaign: "c9") == Reach(campaign: "c9", notified: 0, reached: 0, confirmed: 0, bounced: 0, failed: 0))
        #expect(try dump(dir.path("ledger.sqlite"), "SELECT name FROM campaigns", columns: 1) == ["c1"])
    }

    @Test func aFileWithoutTheHeaderImportsNothing() throws {
        let dir = try TempDir()
        let ledger = try notified(2, in: dir)
        let csv = try dir.write("r.csv", "M0,delivered,2023-11-15 08:00:00\nM1,delivered,2023-11-15 08:00:00\n")
        let error = #expect(throws: LedgerError.self) { try ledger.importReceipts(campaign: "c1", csvPath: csv) }
        #expect(error?.code == .badReceiptsHeader)
        let empty = try dir.write("empty.csv", "")
        #expect(throws: LedgerError.self) { try ledger.importReceipts(campaign: "c1", csvPath: empty) }
        let missing = #expect(throws: LedgerError.self) {
            try ledger.importReceipts(campaign: "c1", csvPath: dir.path("nope.csv"))
        }
        #expect(missing?.code == .unreadableFile)
        #expect(try ledger.reach(campaign: "c1").reached == 0)
    }
}

@Suite struct NotificationLedgerReachTests {
    @Test func ninetyOfAHundredReached() throws {
        let dir = try TempDir()
        let ledger = try NotificationLedger(path: dir.path("ledger.sqlite"))
        _ = try ledger.recordBatch(items(0..<100), campaign: "c1", runID: "run-1", now: t0)
        var csv = "subject,status,received_at\n"
        for i in 0..<80 { csv += "M\(i),delivered,2023-11-15 08:00:00\n" }
        for i in 0..<60 { csv += "M\(i),read,2023-11-15 09:00:00\n" }  // already reached: not counted twice
        for i in 80..<85 { csv += "M\(i),read,2023-11-15 09:00:00\n" }  // read without a delivered receipt
        for i in 85..<90 { csv += "M\(i),bounced,2023-11-15 08:00:00\n" }  // bounced on one channel...
        for i in 85..<90 { csv += "M\(i),confirmed,2023-11-16 10:00:00\n" }  // ...then confirmed
        for i in 0..<40 { csv += "M\(i),confirmed,2023-11-16 10:00:00\n" }
        for i in 90..<97 { csv += "M\(i),bounced,2023-11-15 08:00:00\n" }
        for i in 97..<100 { csv += "M\(i),failed,2023-11-15 08:00:00\n" }
        csv += "Z1,delivered,2023-11-15 08:00:00\n"  // never notified: not reach
        let r = try ledger.importReceipts(campaign: "c1", csvPath: try dir.write("r.csv", csv))
        #expect(r.unknownSubject == 1 && r.isReconciled)

        let reach = try ledger.reach(campaign: "c1")
        #expect(
            reach
                == Reach(campaign: "c1", notified: 100, reached: 90, confirmed: 45, bounced: 12, failed: 3))
        #expect(reach.ratio == Reach.Ratio(numerator: 90, denominator: 100))
        #expect(reach.percentage == "90.0%")
        #expect(try ledger.reach(campaign: "c2").percentage == "n/a")
    }

    @Test(arguments: [
        (90, 100, "90.0%"), (2, 3, "66.7%"), (1, 3, "33.3%"), (1, 8, "12.5%"), (1, 1, "100.0%"),
        (0, 7, "0.0%"), (1, 2_000, "0.1%"), (1, 2_001, "0.0%"), (1_999, 2_000, "100.0%"),
        (6_310, 7_000, "90.1%"), (0, 0, "n/a"),
    ])
    func percentageRoundsHalfUpToOneDecimal(_ n: Int, _ d: Int, _ text: String) {
        #expect(Reach.Ratio(numerator: n, denominator: d).percentage == text)
    }
}

@Suite struct NotificationLedgerMigrationTests {
    /// The version-1 schema, as Warden wrote it.
    static let version1Schema = """
        CREATE TABLE IF NOT EXISTS schema_version (
            version INTEGER NOT NULL
        );
        CREATE TABLE IF NOT EXISTS notifications (
            campaign      TEXT NOT NULL,
            subject       TEXT NOT NULL,
            channel       TEXT NOT NULL,
            payload       TEXT NOT NULL,
            reasons       TEXT NOT NULL,
            first_sent_at TEXT NOT NULL,
            run_id        TEXT NOT NULL,
            PRIMARY KEY (campaign, subject)
        );
        CREATE TABLE IF NOT EXISTS receipts (
            campaign    TEXT NOT NULL,
            subject     TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('delivered', 'read', 'confirmed', 'bounced', 'failed')),
            received_at TEXT NOT NULL,
            PRIMARY KEY (campaign, subject, status),
            FOREIGN KEY (campaign, subject) REFERENCES notifications (campaign, subject)
        ) WITHOUT ROWID;
        INSERT INTO schema_version(version) VALUES (1);
        """

    /// A version-1 ledger: c1 has M0..M3 by run-1 and M4 by run-2, c2 has M0 by run-1 (the
    /// same run id in two campaigns); three receipts in c1.
    fileprivate static func version1File(in dir: TempDir, firstSentAt: String = "2023-11-14T22:13:20Z") throws -> String {
        let path = dir.path("v1.sqlite")
        let c = try SQLiteConnection(path: path)
        try c.execute(version1Schema)
        var rows: [String] = []
        for i in 0..<4 {
            rows.append("('c1', 'M\(i)', 'sms', '{\"n\":\(i)}', 'NAME_MISMATCH', '\(firstSentAt)', 'run-1')")
        }
        rows.append("('c1', 'M4', 'email', 'p4', 'A|B', '2023-11-14T22:14:20Z', 'run-2')")
        rows.append("('c2', 'M0', 'letter', '', '', '2023-11-15T00:00:00Z', 'run-1')")
        try c.execute("INSERT INTO notifications(campaign, subject, channel, payload, reasons, first_sent_at, run_id) VALUES "
            + rows.joined(separator: ", "))
        try c.execute(
            """
            INSERT INTO receipts(campaign, subject, status, received_at) VALUES
                ('c1', 'M0', 'delivered', '2023-11-15T08:00:00Z'),
                ('c1', 'M0', 'read', '2023-11-15T09:00:00Z'),
                ('c1', 'M4', 'bounced', '2023-11-16T10:30:00Z')
            """)
        return path
    }

    static let notificationsQuery = "SELECT * FROM notifications_readable ORDER BY campaign, subject"

    @Test func aVersion1LedgerIsMigratedOnOpen() throws {
        let dir = try TempDir()
        let path = try Self.version1File(in: dir)
        let ledger = try NotificationLedger(path: path)
        #expect(try dump(path, "SELECT version FROM schema_version", columns: 1) == ["2"])
        #expect(
            try dump(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", columns: 1)
                == ["campaigns", "channel_reasons", "notifications", "receipts", "runs", "schema_version"])
        #expect(
            try dump(path, Self.notificationsQuery, columns: 7) == [
                "c1|M0|run-1|2023-11-14T22:13:20Z|sms|NAME_MISMATCH|{\"n\":0}",
                "c1|M1|run-1|2023-11-14T22:13:20Z|sms|NAME_MISMATCH|{\"n\":1}",
                "c1|M2|run-1|2023-11-14T22:13:20Z|sms|NAME_MISMATCH|{\"n\":2}",
                "c1|M3|run-1|2023-11-14T22:13:20Z|sms|NAME_MISMATCH|{\"n\":3}",
                "c1|M4|run-2|2023-11-14T22:14:20Z|email|A|B|p4",
                "c2|M0|run-1|2023-11-15T00:00:00Z|letter||",
            ])
        #expect(try dump(path, "SELECT first_sent_at FROM notifications WHERE subject = 'M1'", columns: 1) == ["1700000000"])
        #expect(try dump(path, "PRAGMA freelist_count", columns: 1) == ["0"])  // compacted
        #expect(
            try dump(path, receiptsQuery, columns: 4) == [
                "c1|M0|delivered|2023-11-15T08:00:00Z", "c1|M0|read|2023-11-15T09:00:00Z",
                "c1|M4|bounced|2023-11-16T10:30:00Z",
            ])
        #expect(try ledger.reach(campaign: "c1") == Reach(campaign: "c1", notified: 5, reached: 1, confirmed: 0, bounced: 1, failed: 0))

        // The migrated rows keep their owners: a resumed run-1 gets its own subjects again.
        #expect(try ledger.recordBatch(items(0..<6), campaign: "c1", runID: "run-1", now: t0)
            == [true, true, true, true, false, true])
        #expect(try ledger.recordBatch(items(3..<6), campaign: "c1", runID: "run-2", now: t0) == [false, true, false])
        #expect(try ledger.recordBatch(items(0..<2), campaign: "c2", runID: "run-1", now: t0) == [true, true])
        #expect(try ledger.recordBatch(items(0..<2), campaign: "c2", runID: "run-3", now: t0) == [false, false])
        // Receipts keep the earliest time across the migration.
        let csv = try dir.write(
            "r.csv", "subject,status,received_at\nM0,delivered,2023-11-15 09:00:00\nM4,bounced,2023-11-16 10:00:00\n")
        let r = try ledger.importReceipts(campaign: "c1", csvPath: csv)
        #expect(r.unchanged == 1 && r.updated == 1 && r.isReconciled)

        // Opening again changes nothing.
        let before = try dump(path, Self.notificationsQuery, columns: 7)
        _ = try NotificationLedger(path: path)
        #expect(try dump(path, Self.notificationsQuery, columns: 7) == before)
        #expect(try dump(path, "SELECT version FROM schema_version", columns: 1) == ["2"])
    }

    @Test func aMigrationThatFailsLeavesTheVersion1LedgerAsItWas() throws {
        let dir = try TempDir()
        let path = try Self.version1File(in: dir, firstSentAt: "not a time")
        let error = #expect(throws: SQLiteError.self) { try NotificationLedger(path: path) }
        #expect(error?.code == 19)  // SQLITE_CONSTRAINT: first_sent_at NOT NULL
        #expect(try dump(path, "SELECT version FROM schema_version", columns: 1) == ["1"])
        #expect(
            try dump(path, "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name", columns: 1)
                == ["notifications", "receipts", "schema_version"])
        #expect(try dump(path, "SELECT count(*) FROM notifications", columns: 1) == ["6"])
        #expect(try dump(path, "SELECT count(*) FROM receipts", columns: 1) == ["3"])
    }
}
