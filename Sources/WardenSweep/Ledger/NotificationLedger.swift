import WardenEngine
import CSQLite
import Foundation

/// The record of who has been notified in which campaign, kept in SQLite so that rerunning a
/// campaign never notifies anyone twice, plus the delivery receipts that measure reach.
///
/// A *campaign* is one notification programme (`dormancy-2022`, `registration-2023q1`); a
/// *subject* is whoever is notified (an account or merchant id); a *run id* names one sweep
/// run and is kept in that run's checkpoint.
///
/// ## Guarantees
/// - A subject is recorded at most once per campaign: the first run to record it owns it.
/// - ``recordBatch(_:campaign:runID:now:)`` is one transaction: a batch lands entirely or not
///   at all, whenever the process dies.
/// - Recording is idempotent per run: an item already recorded under the *same* run id returns
///   `true` again, under any other run id `false`.
///
/// ## The contract a sweep follows (exact output across kill and resume)
/// 1. A fresh run makes a new, unique run id and stores it in its checkpoint.
/// 2. Per batch: `recordBatch` (commits) → append the items that returned `true` to the
///    notification output → flush the output → write the checkpoint (input position, output
///    byte lengths, run id).
/// 3. `--resume` reads the run id from the checkpoint, truncates every output to the
///    checkpointed length, and re-reads the input from the checkpointed position *with the same
///    run id*. Batches the dead process had already committed return `true` again for its own
///    subjects, so they are written to the output exactly once; subjects another run notified
///    still return `false`.
/// 4. A killed run must be resumed, not restarted: a fresh run id would see the killed run's
///    last committed batch as already notified and leave those subjects out of every output.
/// 5. A subject appears at most once per run (the sweep's key is unique, or the sweep merges
///    first): within one run id a repeat returns `true` again, by design of rule 3.
///
/// Rerunning a finished campaign with a new run id therefore writes an empty notification list.
/// Rules 2–3 hold across `kill -9` with the default `.normal` durability. To hold across a
/// power loss as well, open with `.full`: otherwise the OS can lose the ledger's last commits
/// while keeping a checkpoint or an output file that was fsynced after them.
///
/// ## Threads and processes
/// One `NotificationLedger` per process, used from one task at a time: it is deliberately not
/// `Sendable` (it owns a `NOMUTEX` SQLite connection and its prepared statements). Other
/// processes may open the same file — `warden notify receipts` while a sweep runs — and queue
/// on SQLite's write lock (busy timeout 5 s); every write is an IMMEDIATE transaction.
///
/// ## Storage
/// Schema version 2 (see ``schema``): campaigns, runs and (channel, reasons) pairs are
/// numbered in tables of their own; times are seconds since 1970 UTC; `reasons` is stored
/// joined with `|`, as in the sweeps' CSV outputs. The view `notifications_readable` shows
/// the rows with names and UTC text times. A version-1 file is migrated when opened.
///
/// ```swift
/// let ledger = try NotificationLedger(path: "out/ledger.sqlite")
/// let fresh = try ledger.recordBatch(items, campaign: "dormancy-2022", runID: run, now: Date())
/// for (item, isNew) in zip(items, fresh) where isNew { try output.write(item) }
/// ```
public final class NotificationLedger {
    /// One notification to record.
    public struct Item: Sendable, Hashable {
        /// Who is notified; the ledger's key within a campaign. Must not be empty.
        public var subject: String
        /// How: `sms`, `email`, `letter` ... (free text).
        public var channel: String
        /// What was sent, as the sweep rendered it (free text, e.g. JSON).
        public var payload: String
        /// Why: reason codes, none containing `|`.
        public var reasons: [String]

        public init(subject: String, channel: String, payload: String, reasons: [String]) {
            self.subject = subject
            self.channel = channel
            self.payload = payload
            self.reasons = reasons
        }
    }

    /// The schema version this code writes; a file with a newer one is refused, an older one is
    /// migrated when opened (see ``schema``).
    public static let schemaVersion: Int64 = 2

    /// The database file.
    public let path: String

    let db: SQLiteConnection
    /// Inserts ``chunkRows`` notifications, each unless its (campaign, subject) is already
    /// there: `changes` is how many were new. One statement for many rows keeps the B-tree
    /// cursor open and positioned between rows (a key above the last one is appended without a
    /// descent from the root) and saves a step and a reset per row.
    let insertChunk: SQLiteStatement
    /// ``insertChunk`` for one row: the rest of a batch.
    let insertOne: SQLiteStatement
    /// The run that owns a (campaign, subject): asked when an insert found keys taken, and by
    /// the receipts import to tell a notified subject from an unknown one.
    let selectOwner: SQLiteStatement
    let selectCampaign: SQLiteStatement
    let insertCampaign: SQLiteStatement
    let selectRun: SQLiteStatement
    let insertRun: SQLiteStatement
    let selectChannelReasons: SQLiteStatement
    let insertChannelReasons: SQLiteStatement
    let selectReceipt: SQLiteStatement
    let insertReceipt: SQLiteStatement
    let updateReceipt: SQLiteStatement
    let selectReach: SQLiteStatement

    /// Ids of campaigns, runs and (channel, reasons) pairs seen in committed rows. Ledger rows
    /// are never deleted or renumbered, so such an id stays right for the life of the file. Ids
    /// are cached only after their transaction commits: one made by a transaction that rolled
    /// back is free again, and another connection may take it.
    var campaignIDs: [String: Int64] = [:]
    var runIDs: [RunKey: Int64] = [:]
    var channelReasonsIDs: [ChannelReasons: Int64] = [:]

    struct RunKey: Hashable {
        var campaign: Int64
        var runID: String
    }

    struct ChannelReasons: Hashable {
        var channel: String
        /// Joined with `|`.
        var reasons: String
    }

    /// Scratch for one statement's rows, reused: the subjects and payloads end to end, where
    /// each text ends, and each row's (channel, reasons) id.
    private var textBuffer: [UInt8] = []
    private var textEnds: [Int] = []
    private var rowLabels: [Int64] = []

    /// Rows per ``insertChunk`` (3 parameters each). Measured: 16 rows already gets most of the
    /// gain over one row per statement; 64 and 256 are within noise of each other.
    static let chunkRows = 64

    /// Per-connection settings, each measured on the dormancy sweep's 4.3M rows:
    /// - `cache_size` 16 MiB (default 2 MiB): no change for ascending subjects, +30% for
    ///   subjects in random order (32 MiB: no better); within the sweep's 300 MB budget.
    /// - `wal_autocheckpoint` 10,000 pages (default 1,000): a checkpoint copies the WAL into
    ///   the database and fsyncs both; every 40 MiB instead of every 4 MiB was +5% on an idle
    ///   machine and +35–50% with the other core busy (as in a sweep). A WAL of up to ~40 MiB
    ///   beside the file is the cost.
    /// - `journal_size_limit` 64 MiB: a WAL that grew past it (a migration) is cut back after
    ///   its checkpoint instead of staying at its largest size.
    /// Left alone: `page_size` (8–32 KiB made no difference measurable through the noise),
    /// `temp_store` (the migration's sort may need more than the memory budget; it spills to
    /// a temporary file), `mmap_size` (would count the file's pages against the sweep's memory).
    static let pragmas = """
        PRAGMA cache_size = -16384;
        PRAGMA wal_autocheckpoint = 10000;
        PRAGMA journal_size_limit = 67108864;
        """

    /// Opens the ledger at `path`, creating the file and the schema if missing, and migrating
    /// a file an older Warden wrote (in one transaction: the migration lands entirely or not
    /// at all; the old file's size stays, its freed pages reused by later rows).
    ///
    /// `synchronous` is `.normal` by default (a commit survives `kill -9`, not necessarily a
    /// power loss); pass `.full` when the notification output is handed to a sender before
    /// the machine could lose power, so that a notification sent is a notification recorded.
    /// With batches of thousands that costs one fsync per batch.
    ///
    /// - Throws: ``SQLiteError`` if the file cannot be opened or is not a database, or a
    ///   migration fails; ``LedgerError`` `.schemaTooNew` if a newer Warden wrote it.
    public init(path: String, synchronous: SQLiteSynchronous = .normal) throws {
        self.path = path
        let db = try SQLiteConnection(path: path, synchronous: synchronous)
        try db.execute(Self.pragmas)
        try Self.createOrCheckSchema(db, path: path)
        self.db = db
        func insert(rows: Int) throws -> SQLiteStatement {
            try db.prepare(
                "INSERT INTO notifications(campaign, subject, run, first_sent_at, channel_reasons, payload) VALUES "
                    + (0..<rows).map { r in "(?1, ?\(4 + 3 * r), ?2, ?3, ?\(5 + 3 * r), ?\(6 + 3 * r))" }
                    .joined(separator: ", ")
                    + " ON CONFLICT (campaign, subject) DO NOTHING")
        }
        insertChunk = try insert(rows: Self.chunkRows)
        insertOne = try insert(rows: 1)
        selectOwner = try db.prepare("SELECT run FROM notifications WHERE campaign = ?1 AND subject = ?2")
        selectCampaign = try db.prepare("SELECT id FROM campaigns WHERE name = ?1")
        insertCampaign = try db.prepare("INSERT INTO campaigns(name) VALUES (?1)")
        selectRun = try db.prepare("SELECT id FROM runs WHERE campaign = ?1 AND run_id = ?2")
        insertRun = try db.prepare("INSERT INTO runs(campaign, run_id) VALUES (?1, ?2)")
        selectChannelReasons = try db.prepare(
            "SELECT id FROM channel_reasons WHERE channel = ?1 AND reasons = ?2")
        insertChannelReasons = try db.prepare("INSERT INTO channel_reasons(channel, reasons) VALUES (?1, ?2)")
        selectReceipt = try db.prepare(
            "SELECT received_at FROM receipts WHERE campaign = ?1 AND subject = ?2 AND status = ?3")
        insertReceipt = try db.prepare(
            "INSERT INTO receipts(campaign, subject, status, received_at) VALUES (?1, ?2, ?3, ?4)")
        updateReceipt = try db.prepare(
            "UPDATE receipts SET received_at = ?4 WHERE campaign = ?1 AND subject = ?2 AND status = ?3")
        selectReach = try db.prepare(Self.reachSQL)
    }

    // MARK: Recording

    /// Records that `subject` is notified in `campaign`, unless it already was.
    ///
    /// Returns `true` if the subject is newly recorded, or was recorded earlier under this same
    /// `runID` (a resumed run re-emits its own subjects); `false` if another run already
    /// notified it in this campaign — do not notify again. The stored channel, payload,
    /// reasons and time are the first recording's.
    ///
    /// For sweeps use ``recordBatch(_:campaign:runID:now:)``: one transaction per call here.
    ///
    /// ```swift
    /// if try ledger.record(campaign: "c1", subject: "M001", channel: "sms", payload: text,
    ///                      reasons: ["NAME_MISMATCH"], runID: run, now: Date()) { send(text) }
    /// ```
    /// - Throws: ``LedgerError`` `.invalidArgument` for an empty campaign, subject or run id,
    ///   or a reason containing `|`; ``SQLiteError`` if the write fails.
    public func record(
        campaign: String, subject: String, channel: String, payload: String, reasons: [String],
        runID: String, now: Date
    ) throws -> Bool {
        try recordBatch(
            [Item(subject: subject, channel: channel, payload: payload, reasons: reasons)],
            campaign: campaign, runID: runID, now: now)[0]
    }

    /// Records a batch in one transaction; element `i` of the result is what
    /// ``record(campaign:subject:channel:payload:reasons:runID:now:)`` would return for
    /// `items[i]`. If anything throws, nothing of the batch is recorded.
    ///
    /// All items get the same `first_sent_at` (`now`, to the second, UTC). Items are inserted
    /// in subject order (already so for a sweep over sorted input; otherwise sorted first, the
    /// first of a repeated subject still first), which keeps each commit's writes together.
    ///
    /// - Complexity: O(n log n + n log N) for n items in a ledger of N notifications: one
    ///   B-tree insert per new item, an extra lookup per item already recorded; no allocation
    ///   per item. Measured (release, 2-core VM whose other core was often busy;
    ///   `NotificationLedgerBench`): 4.3M ascending subjects in batches of 7,000 with 60-byte
    ///   payloads, 1.1–1.2M items/s and 0.7 µs of CPU per item, steady as the file grows to
    ///   416 MiB (schema version 1: 0.28–0.44M/s, 2.1 µs, 922 MiB); a second campaign in the same
    ///   file likewise. Replays (a resume, same run id) and reruns (new run id) 0.70–0.76M/s.
    ///   Subjects in random order are the slow case, since each commit rewrites every table page
    ///   its rows landed on: 1M in batches of 10k, 46–64k/s (version 1: 70–98k/s) — prefer
    ///   sorted input and large batches.
    public func recordBatch(_ items: [Item], campaign: String, runID: String, now: Date) throws -> [Bool] {
        try Self.require(!campaign.isEmpty, "campaign must not be empty")
        try Self.require(!runID.isEmpty, "run id must not be empty")
        if items.isEmpty { return [] }
        let sentAt = Self.epochSeconds(now)
        let order = Self.keyOrder(items)
        var result = [Bool](repeating: false, count: items.count)
        var seenLabels: [ChannelReasons: Int64] = [:]
        let (campaignRow, runKey, run) = try db.transaction { () throws -> (Int64, RunKey, Int64) in
            let campaignRow = try campaignID(campaign, create: true)!
            let runKey = RunKey(campaign: campaignRow, runID: runID)
            let run = try runRowID(runKey)
            for st in [insertChunk, insertOne] {
                try st.bind(1, campaignRow)
                try st.bind(2, run)
                try st.bind(3, sentAt)
            }
            try selectOwner.bind(1, campaignRow)
            var k = 0
            while k < items.count {
                let rows = items.count - k >= Self.chunkRows ? Self.chunkRows : 1
                let inserted = try insert(
                    rows == 1 ? insertOne : insertChunk, rows: rows, items, order, from: k, labels: &seenLabels)
                for j in k..<(k + rows) {
                    let i = order?[j] ?? j
                    // A row inserted just now is this run's, so when some keys were taken,
                    // asking each row's owner answers for new and old alike.
                    result[i] = inserted == rows ? true : try isOwned(items[i].subject, by: run)
                }
                k += rows
            }
            return (campaignRow, runKey, run)
        }
        campaignIDs[campaign] = campaignRow
        runIDs[runKey] = run
        channelReasonsIDs.merge(seenLabels) { old, _ in old }
        return result
    }

    /// Inserts `items[order[from ..< from + rows]]` with `st` (a statement for `rows` rows);
    /// returns how many were new. Subjects and payloads are copied end to end into one reused
    /// buffer and bound without SQLite copying each again. Validates each item.
    private func insert(
        _ st: SQLiteStatement, rows: Int, _ items: [Item], _ order: [Int]?, from: Int,
        labels: inout [ChannelReasons: Int64]
    ) throws -> Int {
        // Locals, not the stored properties, while filling: no exclusivity check per append.
        var buffer = textBuffer, ends = textEnds, rowLabels = rowLabels
        (textBuffer, textEnds, self.rowLabels) = ([], [], [])
        defer { (textBuffer, textEnds, self.rowLabels) = (buffer, ends, rowLabels) }
        buffer.removeAll(keepingCapacity: true)
        ends.removeAll(keepingCapacity: true)
        rowLabels.removeAll(keepingCapacity: true)
        var last: (channel: String, reasons: [String], id: Int64)? = nil
        for j in from..<(from + rows) {
            let item = items[order?[j] ?? j]
            try Self.require(!item.subject.isEmpty, "subject must not be empty")
            if let last, last.channel == item.channel, last.reasons == item.reasons {
                rowLabels.append(last.id)
            } else {
                let id = try channelReasonsID(item, seen: &labels)
                rowLabels.append(id)
                last = (item.channel, item.reasons, id)
            }
            buffer.append(contentsOf: item.subject.utf8)
            ends.append(buffer.count)
            buffer.append(contentsOf: item.payload.utf8)
            ends.append(buffer.count)
        }
        buffer.append(0)  // so that an empty last payload still has an address inside the buffer
        return try buffer.withUnsafeBufferPointer { bytes in
            var start = 0
            for r in 0..<rows {
                let p = Int32(4 + 3 * r)
                try st.bindNoCopy(p, bytes.baseAddress! + start, count: ends[2 * r] - start)
                try st.bind(p + 1, rowLabels[r])
                try st.bindNoCopy(p + 2, bytes.baseAddress! + ends[2 * r], count: ends[2 * r + 1] - ends[2 * r])
                start = ends[2 * r + 1]
            }
            try st.run()
            return db.changes
        }
    }

    /// Whether the recorded `subject` of the bound campaign belongs to `run`.
    private func isOwned(_ subject: String, by run: Int64) throws -> Bool {
        try selectOwner.bind(2, subject)
        defer { selectOwner.reset() }
        return try selectOwner.step() && selectOwner.int64(0) == run
    }

    /// The order to insert `items` in: nil when their subjects already ascend, else the indices
    /// sorted by subject, ties in item order. The answers do not depend on the order.
    static func keyOrder(_ items: [Item]) -> [Int]? {
        var ascending = true
        for i in items.indices.dropFirst() where items[i].subject < items[i - 1].subject {
            ascending = false
            break
        }
        if ascending { return nil }
        return items.indices.sorted { a, b in
            let x = items[a].subject, y = items[b].subject
            return x < y || (x == y && a < b)
        }
    }

    // MARK: Ids

    /// The id of `campaign`, made if `create` and missing; nil if missing and not `create`.
    /// Inside a transaction; the caller caches the id after it commits.
    func campaignID(_ campaign: String, create: Bool) throws -> Int64? {
        if let id = campaignIDs[campaign] { return id }
        try selectCampaign.bind(1, campaign)
        defer { selectCampaign.reset() }
        if try selectCampaign.step() { return selectCampaign.int64(0) }
        guard create else { return nil }
        try insertCampaign.bind(1, campaign)
        try insertCampaign.run()
        return db.lastInsertRowID
    }

    /// The id of the run, made if missing. Inside a transaction; the caller caches the id after
    /// it commits.
    func runRowID(_ key: RunKey) throws -> Int64 {
        if let id = runIDs[key] { return id }
        try selectRun.bind(1, key.campaign)
        try selectRun.bind(2, key.runID)
        defer { selectRun.reset() }
        if try selectRun.step() { return selectRun.int64(0) }
        try insertRun.bind(1, key.campaign)
        try insertRun.bind(2, key.runID)
        try insertRun.run()
        return db.lastInsertRowID
    }

    /// The id of the item's (channel, reasons), made if missing; validates the reasons. Inside
    /// a transaction; `seen` collects the ids to cache after it commits.
    private func channelReasonsID(_ item: Item, seen: inout [ChannelReasons: Int64]) throws -> Int64 {
        let key = ChannelReasons(channel: item.channel, reasons: try Self.joinReasons(item.reasons))
        if let id = channelReasonsIDs[key] ?? seen[key] { return id }
        try selectChannelReasons.bind(1, key.channel)
        try selectChannelReasons.bind(2, key.reasons)
        let id: Int64
        if try selectChannelReasons.step() {
            id = selectChannelReasons.int64(0)
            selectChannelReasons.reset()
        } else {
            selectChannelReasons.reset()
            try insertChannelReasons.bind(1, key.channel)
            try insertChannelReasons.bind(2, key.reasons)
            try insertChannelReasons.run()
            id = db.lastInsertRowID
        }
        seen[key] = id
        return id
    }

    // MARK: Helpers

    static func joinReasons(_ reasons: [String]) throws -> String {
        if reasons.count == 1, !reasons[0].utf8.contains(UInt8(ascii: "|")) { return reasons[0] }
        for r in reasons {
            try require(!r.utf8.contains(UInt8(ascii: "|")), "a reason must not contain '|'")
        }
        return reasons.joined(separator: "|")
    }

    static func require(_ condition: Bool, _ message: @autoclosure () -> String) throws {
        if !condition { throw LedgerError(.invalidArgument, message()) }
    }

    /// Seconds since 1970 UTC, truncated.
    static func epochSeconds(_ date: Date) -> Int64 {
        Int64(date.timeIntervalSince1970.rounded(.down))
    }
}

@available(*, unavailable, message: "one NotificationLedger per process, used from one task at a time")
extension NotificationLedger: Sendable {}

/// An error from the ledger itself (SQLite's own failures are ``SQLiteError``).
///
/// The message names what was wrong, never a subject or payload.
public struct LedgerError: Error, Sendable, Hashable, CustomStringConvertible {
    /// An open set of codes, so new ones can be added without breaking `switch`es.
    public struct Code: RawRepresentable, Sendable, Hashable {
        public let rawValue: String
        public init(rawValue: String) { self.rawValue = rawValue }
        /// An empty campaign, subject or run id, or a reason containing `|`.
        public static let invalidArgument = Code(rawValue: "invalid_argument")
        /// The file was written by a newer Warden.
        public static let schemaTooNew = Code(rawValue: "schema_too_new")
        /// A receipts file whose first line is not `subject,status,received_at`.
        public static let badReceiptsHeader = Code(rawValue: "bad_receipts_header")
        /// A receipts file that cannot be read.
        public static let unreadableFile = Code(rawValue: "unreadable_file")
    }

    public let code: Code
    public let message: String

    public init(_ code: Code, _ message: String) {
        self.code = code
        self.message = message
    }

    public var description: String { "\(code.rawValue): \(message)" }
}
