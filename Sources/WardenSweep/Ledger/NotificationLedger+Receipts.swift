import CSQLite
import Foundation
import WardenEngine

/// What one receipts import did, row by row: `rows == inserted + updated + unchanged +
/// unknownSubject + rejected` (see ``isReconciled``).
public struct ReceiptImport: Sendable, Hashable, Codable {
    /// Why a row was rejected. An open set of stable codes.
    public struct Reason: RawRepresentable, Sendable, Hashable, Codable, CustomStringConvertible {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        public var description: String { rawValue }
        /// Not exactly 3 fields (a blank line is one empty field).
        public static let badColumnCount = Reason(rawValue: "BAD_COLUMN_COUNT")
        /// A quote that does not open or close a field properly, or a quoted newline.
        public static let badQuote = Reason(rawValue: "BAD_QUOTE")
        /// Bytes that are not UTF-8.
        public static let badUTF8 = Reason(rawValue: "BAD_UTF8")
        /// An empty `subject`.
        public static let emptySubject = Reason(rawValue: "EMPTY_SUBJECT")
        /// A `status` other than delivered, read, confirmed, bounced, failed (lowercase).
        public static let badStatus = Reason(rawValue: "BAD_STATUS")
        /// A `received_at` that is not a timestamp Warden reads (`YYYY-MM-DD HH:MM:SS`, or
        /// with `T`, a fraction, `Z` or `±HH:MM`) with a real date and time.
        public static let badTimestamp = Reason(rawValue: "BAD_TIMESTAMP")
    }

    /// A rejected row: its 1-based physical line number (the header is line 1) and why. The
    /// row's values are not kept.
    public struct BadRow: Sendable, Hashable, Codable {
        public var line: Int
        public var reason: Reason
        public init(line: Int, reason: Reason) {
            self.line = line
            self.reason = reason
        }
    }

    /// The most line numbers listed in ``badRows`` and ``unknownSubjectLines``; the counts are
    /// always complete.
    public static let maxListedLines = 1_000

    /// Data rows read (lines after the header).
    public var rows = 0
    /// Receipts stored for the first time.
    public var inserted = 0
    /// Receipts already stored with a later `received_at`, moved to this row's earlier time.
    public var updated = 0
    /// Receipts already stored with this time or an earlier one: nothing changed. Importing
    /// a file a second time puts every valid known row here.
    public var unchanged = 0
    /// Valid rows whose subject was never notified in the campaign; not stored.
    public var unknownSubject = 0
    /// Line numbers of the first ``maxListedLines`` unknown-subject rows.
    public var unknownSubjectLines: [Int] = []
    /// Rows rejected, all reasons together.
    public var rejected = 0
    /// The first ``maxListedLines`` rejected rows.
    public var badRows: [BadRow] = []

    public init() {}

    /// Every row is accounted for exactly once.
    public var isReconciled: Bool { rows == inserted + updated + unchanged + unknownSubject + rejected }
}

extension NotificationLedger {
    /// The receipt statuses, in the order reach reports them.
    public static let receiptStatuses = ["delivered", "read", "confirmed", "bounced", "failed"]

    /// Imports delivery receipts for `campaign` from a CSV file with the header
    /// `subject,status,received_at`.
    ///
    /// - `status` is one of `delivered`, `read`, `confirmed`, `bounced`, `failed`.
    /// - `received_at` is a timestamp as JSON input takes it; one without `Z` or an offset is
    ///   read as wall-clock time in `zone`. It is stored in UTC.
    /// - Fields may be quoted RFC 4180 style (`"a,b"`, `""` for a quote) but not span lines;
    ///   `\r\n` line ends and a leading UTF-8 BOM are accepted.
    ///
    /// A bad row is counted with its line number and reason and the import goes on; a valid row
    /// for a subject never notified in the campaign is counted as ``ReceiptImport/unknownSubject``.
    /// One receipt is kept per (subject, status), with the earliest `received_at` seen, so
    /// importing the same file twice — or overlapping files in any order — gives the same
    /// ledger. The whole file is one transaction.
    ///
    /// ```swift
    /// let r = try ledger.importReceipts(campaign: "registration-2023", csvPath: "receipts.csv")
    /// print(r.inserted, r.unknownSubject, r.badRows.map(\.line))
    /// ```
    /// - Throws: ``LedgerError`` `.unreadableFile`, or `.badReceiptsHeader` when line 1 is not
    ///   the header (nothing is imported); ``SQLiteError`` if a write fails.
    /// - Complexity: O(n log N); memory is one line plus the listed line numbers.
    public func importReceipts(campaign: String, csvPath: String, zone: Zone = .utc) throws -> ReceiptImport {
        try Self.require(!campaign.isEmpty, "campaign must not be empty")
        guard let file = fopen(csvPath, "rb") else {
            throw LedgerError(.unreadableFile, "cannot open \(csvPath): \(String(cString: strerror(errno)))")
        }
        defer { fclose(file) }
        var buffer: UnsafeMutablePointer<CChar>? = nil
        var capacity = 0
        defer { free(buffer) }

        var report = ReceiptImport()
        var fields: [String] = []
        fields.reserveCapacity(4)
        try db.transaction {
            // A campaign the ledger does not know has notified nobody: every valid row is then
            // an unknown subject.
            let campaignID = try campaignID(campaign, create: false)
            if let campaignID {
                for st in [selectOwner, selectReceipt, insertReceipt, updateReceipt] { try st.bind(1, campaignID) }
            }
            var lineNo = 0
            while true {
                let n = getline(&buffer, &capacity, file)
                if n < 0 {
                    if ferror(file) != 0 {
                        throw LedgerError(.unreadableFile, "error reading \(csvPath) after line \(lineNo)")
                    }
                    break
                }
                lineNo += 1
                var line = UnsafeRawBufferPointer(start: buffer, count: n).bindMemory(to: UInt8.self)
                if line.last == UInt8(ascii: "\n") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
                if line.last == UInt8(ascii: "\r") { line = UnsafeBufferPointer(rebasing: line.dropLast()) }
                if lineNo == 1 {
                    if line.starts(with: [0xEF, 0xBB, 0xBF]) { line = UnsafeBufferPointer(rebasing: line.dropFirst(3)) }
                    guard line.elementsEqual("subject,status,received_at".utf8) else {
                        throw LedgerError(
                            .badReceiptsHeader, "\(csvPath):1: expected the header 'subject,status,received_at'")
                    }
                    continue
                }
                report.rows += 1
                var receivedAt: Int64 = 0
                if let reason = Self.parseReceiptRow(line, zone: zone, into: &fields, receivedAt: &receivedAt) {
                    report.rejected += 1
                    if report.badRows.count < ReceiptImport.maxListedLines {
                        report.badRows.append(.init(line: lineNo, reason: reason))
                    }
                    continue
                }
                try storeReceipt(
                    subject: fields[0], status: fields[1], receivedAt: receivedAt, known: campaignID != nil,
                    line: lineNo, into: &report)
            }
            if lineNo == 0 {
                throw LedgerError(
                    .badReceiptsHeader, "\(csvPath) is empty; expected the header 'subject,status,received_at'")
            }
        }
        return report
    }

    /// Stores one valid row (`receivedAt` in seconds since 1970 UTC); `campaignKnown` is
    /// false when the ledger has no such campaign (the statements' campaign is then unbound).
    private func storeReceipt(
        subject: String, status: String, receivedAt: Int64, known campaignKnown: Bool, line: Int,
        into report: inout ReceiptImport
    ) throws {
        var known = false
        if campaignKnown {
            try selectOwner.bind(2, subject)
            known = try selectOwner.step()
            selectOwner.reset()
        }
        guard known else {
            report.unknownSubject += 1
            if report.unknownSubjectLines.count < ReceiptImport.maxListedLines {
                report.unknownSubjectLines.append(line)
            }
            return
        }
        try selectReceipt.bind(2, subject)
        try selectReceipt.bind(3, status)
        let existing: Int64? = try selectReceipt.step() ? selectReceipt.int64(0) : nil
        selectReceipt.reset()
        switch existing {
        case nil:
            try insertReceipt.bind(2, subject)
            try insertReceipt.bind(3, status)
            try insertReceipt.bind(4, receivedAt)
            try insertReceipt.run()
            report.inserted += 1
        case let old? where receivedAt < old:
            try updateReceipt.bind(2, subject)
            try updateReceipt.bind(3, status)
            try updateReceipt.bind(4, receivedAt)
            try updateReceipt.run()
            report.updated += 1
        default:
            report.unchanged += 1
        }
    }

    /// Splits and validates one data line into `fields` = [subject, status, received_at] and
    /// `receivedAt` (seconds since 1970 UTC); returns the reject reason, or nil if the row is
    /// good.
    static func parseReceiptRow(
        _ line: UnsafeBufferPointer<UInt8>, zone: Zone, into fields: inout [String], receivedAt: inout Int64
    ) -> ReceiptImport.Reason? {
        fields.removeAll(keepingCapacity: true)
        if let reason = splitCSV(line, into: &fields) { return reason }
        guard fields.count == 3 else { return .badColumnCount }
        guard !fields[0].isEmpty else { return .emptySubject }
        guard receiptStatuses.contains(fields[1]) else { return .badStatus }
        var text = fields[2]
        guard let seconds = text.withUTF8({ Civil.parseTimestamp(utf8: $0, zone: zone) }) else {
            return .badTimestamp
        }
        receivedAt = seconds
        return nil
    }

    /// RFC 4180 fields of one line (no embedded newlines). Returns a reason on malformed
    /// quoting or invalid UTF-8.
    static func splitCSV(_ b: UnsafeBufferPointer<UInt8>, into fields: inout [String]) -> ReceiptImport.Reason? {
        let comma = UInt8(ascii: ","), quote = UInt8(ascii: "\"")
        var i = 0
        while true {
            var field: String
            if i < b.count, b[i] == quote {
                var bytes: [UInt8] = []
                i += 1
                while true {
                    guard i < b.count else { return .badQuote }  // unterminated (or a quoted newline)
                    if b[i] == quote {
                        if i + 1 < b.count, b[i + 1] == quote {
                            bytes.append(quote)
                            i += 2
                            continue
                        }
                        i += 1
                        break
                    }
                    bytes.append(b[i])
                    i += 1
                }
                guard i == b.count || b[i] == comma else { return .badQuote }
                guard let s = String(validating: bytes, as: UTF8.self) else { return .badUTF8 }
                field = s
            } else {
                let start = i
                while i < b.count, b[i] != comma {
                    if b[i] == quote { return .badQuote }
                    i += 1
                }
                guard let s = String(validating: UnsafeBufferPointer(rebasing: b[start..<i]), as: UTF8.self) else {
                    return .badUTF8
                }
                field = s
            }
            fields.append(field)
            if i == b.count { return nil }
            i += 1  // the comma
        }
    }
}
