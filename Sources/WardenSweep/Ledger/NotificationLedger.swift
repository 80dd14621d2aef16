import CSQLite
import Foundation
import WardenEngine

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
/// Times are stored as UTC `YYYY-MM-DDTHH:MM:SSZ`, so text order is time order. `reasons` is
/// stored joined with `|`, as in the sweeps' CSV outputs.
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

    /// The schema version this code writes; a file with a newer one is refused.
    public static let schemaVersion: Int64 = 1

    /// The database file.
    public let path: String

    let db: SQLiteConnection
    /// Inserts a notification; on a (campaign, subject) conflict it rewrites `run_id` with
    /// itself only when the existing row has the same run id, so `changes` is 1 exactly when
    /// the item is new or was recorded by this run. One statement, one B-tree probe.
    let insertNotification: SQLiteStatement
    let selectNotified: SQLiteStatement
    let selectReceipt: SQLiteStatement
    let insertReceipt: SQLiteStatement
    let updateReceipt: SQLiteStatement
    let selectReach: SQLiteStatement

    /// Opens the ledger at `path`, creating the file and the schema if missing.
    ///
    /// `synchronous` is `.normal` by default (a commit survives `kill -9`, not necessarily a
    /// power loss); pass `.full` when the notification output is handed to a sender before
    /// the machine could lose power, so that a notification sent is a notification recorded.
    /// With batches of thousands that costs one fsync per batch.
    ///
    /// - Throws: ``SQLiteError`` if the file cannot be opened or is not a database;
    ///   ``LedgerError`` `.schemaTooNew` if a newer Warden wrote it.
    public init(path: String, synchronous: SQLiteSynchronous = .normal) throws {
        self.path = path
        let db = try SQLiteConnection(path: path, synchronous: synchronous)
        try Self.createOrCheckSchema(db, path: path)
        self.db = db
        insertNotification = try db.prepare(
            """
            INSERT INTO notifications(campaign, subject, channel, payload, reasons, first_sent_at, run_id)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
            ON CONFLICT (campaign, subject) DO UPDATE SET run_id = run_id WHERE run_id = excluded.run_id
            """)
        selectNotified = try db.prepare("SELECT 1 FROM notifications WHERE campaign = ?1 AND subject = ?2")
        selectReceipt = try db.prepare(
            "SELECT received_at FROM receipts WHERE campaign = ?1 AND subject = ?2 AND status = ?3")
        insertReceipt = try db.prepare(
            "INSERT INTO receipts(campaign, subject, status, received_at) VALUES (?1, ?2, ?3, ?4)")
        updateReceipt = try db.prepare(
            "UPDATE receipts SET received_at = ?4 WHERE campaign = ?1 AND subject = ?2 AND status = ?3")
        selectReach = try db.prepare(Self.reachSQL)
    }

    static func createOrCheckSchema(_ db: SQLiteConnection, path: String) throws {
        try db.transaction {
            try db.execute(schema)
            let version = try db.prepare("SELECT max(version) FROM schema_version", persistent: false)
            _ = try version.step()
            let found = sqlite3_column_type(version.handle, 0) == SQLITE_NULL ? nil : version.int64(0)
            version.reset()
            switch found {
            case nil:
                try db.execute("INSERT INTO schema_version(version) VALUES (\(schemaVersion))")
            case let v? where v > schemaVersion:
                throw LedgerError(
                    .schemaTooNew,
                    "ledger \(path) has schema version \(v); this Warden understands up to \(schemaVersion)")
            default:
                break  // migrations from older versions go here, inside this transaction
            }
        }
    }

    /// Version 1.
    ///
    /// - `notifications` is keyed by (campaign, subject): that key *is* "never notify twice".
    ///   `run_id` is the run that first recorded the row (what makes a resume exact).
    /// - `receipts` is keyed by (campaign, subject, status) and references its notification, so
    ///   a receipt for someone never notified cannot be stored; re-importing keeps the earliest
    ///   `received_at`, which makes imports idempotent and independent of file order.
    /// - `receipts` is WITHOUT ROWID (small rows; its key is the only index it needs).
    ///   `notifications` deliberately is not: subjects arrive in whatever order the sweep's
    ///   input has, and a random-order insert dirties a page of the key's B-tree per row. With
    ///   rowids the wide columns (payload) append to the table in arrival order and only the
    ///   narrow key index takes the random writes: 1M random-order subjects in 10k batches
    ///   recorded at 110–120k/s against 63–67k/s WITHOUT ROWID (sorted input: 460k vs 520k/s).
    static let schema = """
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
        """

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
    /// All items get the same `first_sent_at` (`now`, to the second, UTC).
    ///
    /// - Complexity: O(n log N) for n items in a ledger of N notifications; one B-tree insert
    ///   per item, no allocation per item beyond SQLite's copies of the bound text.
    ///   Measured (release, 2-core VM): 400–460k new items/s while the ledger
    ///   is small or subjects arrive in key order; 110–120k/s for 1M subjects in random order in
    ///   batches of 10k and about 210k/s in batches of 50k, since each commit rewrites the key
    ///   index pages it touched — prefer large batches. Replays (resume or rerun) 320–600k/s.
    public func recordBatch(_ items: [Item], campaign: String, runID: String, now: Date) throws -> [Bool] {
        try Self.require(!campaign.isEmpty, "campaign must not be empty")
        try Self.require(!runID.isEmpty, "run id must not be empty")
        var result = [Bool]()
        result.reserveCapacity(items.count)
        let st = insertNotification
        try db.transaction {
            try st.bind(1, campaign)
            try st.bind(6, Self.utcText(now))
            try st.bind(7, runID)
            for item in items {
                try Self.require(!item.subject.isEmpty, "subject must not be empty")
                try st.bind(2, item.subject)
                try st.bind(3, item.channel)
                try st.bind(4, item.payload)
                try st.bind(5, try Self.joinReasons(item.reasons))
                try st.run()
                result.append(db.changes == 1)
            }
        }
        return result
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

    /// `YYYY-MM-DDTHH:MM:SSZ`, truncated to the second.
    static func utcText(_ date: Date) -> String {
        utcText(epochSeconds: Int64(date.timeIntervalSince1970.rounded(.down)))
    }

    static func utcText(epochSeconds: Int64) -> String {
        var s = Civil.formatTimestamp(epochSeconds: epochSeconds, zone: .utc)
        if let space = s.firstIndex(of: " ") { s.replaceSubrange(space...space, with: "T") }
        return s + "Z"
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
