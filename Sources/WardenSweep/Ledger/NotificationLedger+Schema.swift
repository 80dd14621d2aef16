import WardenEngine
import CSQLite

extension NotificationLedger {
    /// Creates the schema in a new file, checks an existing one, migrates an older one; all in
    /// one IMMEDIATE transaction, so two processes opening a new or old file do not both do it.
    ///
    /// After a migration the file is compacted (`VACUUM`, then the WAL checkpointed and
    /// truncated): the migration leaves the old tables' pages free and a WAL as large as
    /// everything it wrote. A dormancy sweep's ledger of 4.3M notifications: 20 s to migrate,
    /// 2 s to compact, 896 → 318 MiB; free disk of about twice the old file is needed meanwhile,
    /// and memory stays near the page cache's 16 MiB (58 MiB peak RSS). Compacting is skipped if
    /// it fails (another process reading the file, say): the free pages are then reused by
    /// later rows.
    static func createOrCheckSchema(_ db: SQLiteConnection, path: String) throws {
        let migrated = try db.transaction { () throws -> Bool in
            switch try storedVersion(db) {
            case nil:
                try db.execute(schema)
                try db.execute("INSERT INTO schema_version(version) VALUES (\(schemaVersion))")
                return false
            case let v? where v > schemaVersion:
                throw LedgerError(
                    .schemaTooNew,
                    "ledger \(path) has schema version \(v); this Warden understands up to \(schemaVersion)")
            case 1:
                try migrateFromVersion1(db)
                return true
            default:
                return false  // the current version
            }
        }
        if migrated {
            try? db.execute("VACUUM")
            try? db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
    }

    /// The file's schema version, or nil for a file without one (a new file).
    static func storedVersion(_ db: SQLiteConnection) throws -> Int64? {
        let exists = try db.prepare(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'", persistent: false)
        guard try exists.step() else { return nil }
        let version = try db.prepare("SELECT max(version) FROM schema_version", persistent: false)
        _ = try version.step()
        return sqlite3_column_type(version.handle, 0) == SQLITE_NULL ? nil : version.int64(0)
    }

    /// Version 2.
    ///
    /// - `notifications` is keyed by (campaign, subject): that key *is* "never notify twice".
    ///   `run` is the run that first recorded the row (what makes a resume exact).
    /// - A row holds small integers where version 1 repeated text: the campaign, the run and
    ///   the (channel, reasons) pair are numbered in their own tables, `first_sent_at` is
    ///   seconds since 1970 UTC. With the key index gone (below) that more than halves the
    ///   file: 4.3M notifications with 60-byte payloads take 922 MiB in version 1, 416 MiB here.
    /// - `notifications` is WITHOUT ROWID: the key is the table, one B-tree written per row
    ///   instead of a table plus a key index. The cost is for subjects arriving in random order:
    ///   each insert then dirties a page of the whole table, payloads included, where version 1
    ///   dirtied a page of the narrow key index only (see ``recordBatch(_:campaign:runID:now:)``
    ///   for the figures). Sweeps read sorted inputs in the common case.
    /// - `receipts` is keyed by (campaign, subject, status) and references its notification, so
    ///   a receipt for someone never notified cannot be stored; re-importing keeps the earliest
    ///   `received_at` (seconds since 1970 UTC), which makes imports idempotent and independent
    ///   of file order.
    /// - `notifications_readable` shows the rows with names and UTC times, for people querying
    ///   the file (`SELECT * FROM notifications_readable WHERE campaign = 'dormancy-2022'`).
    ///
    /// Only the ledger writes these tables, and it never deletes or renumbers a campaign, run
    /// or (channel, reasons) row, which is what lets it cache their ids.
    static let schema = """
        CREATE TABLE schema_version (
            version INTEGER NOT NULL
        );
        """ + tables

    /// ``schema`` but `schema_version`.
    static let tables = """
        CREATE TABLE campaigns (
            id   INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE
        );
        CREATE TABLE runs (
            id       INTEGER PRIMARY KEY,
            campaign INTEGER NOT NULL REFERENCES campaigns (id),
            run_id   TEXT NOT NULL,
            UNIQUE (campaign, run_id)
        );
        CREATE TABLE channel_reasons (
            id      INTEGER PRIMARY KEY,
            channel TEXT NOT NULL,
            reasons TEXT NOT NULL,
            UNIQUE (channel, reasons)
        );
        CREATE TABLE notifications (
            campaign        INTEGER NOT NULL,  -- campaigns.id
            subject         TEXT NOT NULL,
            run             INTEGER NOT NULL,  -- runs.id
            first_sent_at   INTEGER NOT NULL,  -- seconds since 1970 UTC
            channel_reasons INTEGER NOT NULL,  -- channel_reasons.id
            payload         TEXT NOT NULL,
            PRIMARY KEY (campaign, subject)
        ) WITHOUT ROWID;
        CREATE TABLE receipts (
            campaign    INTEGER NOT NULL,
            subject     TEXT NOT NULL,
            status      TEXT NOT NULL CHECK (status IN ('delivered', 'read', 'confirmed', 'bounced', 'failed')),
            received_at INTEGER NOT NULL,  -- seconds since 1970 UTC
            PRIMARY KEY (campaign, subject, status),
            FOREIGN KEY (campaign, subject) REFERENCES notifications (campaign, subject)
        ) WITHOUT ROWID;
        CREATE VIEW notifications_readable AS
            SELECT c.name AS campaign, n.subject, r.run_id,
                   strftime('%Y-%m-%dT%H:%M:%SZ', n.first_sent_at, 'unixepoch') AS first_sent_at,
                   l.channel, l.reasons, n.payload
            FROM notifications n
            JOIN campaigns c ON c.id = n.campaign
            JOIN runs r ON r.id = n.run
            JOIN channel_reasons l ON l.id = n.channel_reasons;
        """

    /// Version 1 → 2, inside the open transaction: the old tables are renamed aside, the new
    /// ones made and filled in key order (campaign ids are given in name order, so the old key
    /// order is the new one), the old ones dropped. Anything failing — a time that does not
    /// parse gives a NULL and fails its NOT NULL — rolls the whole migration back.
    ///
    /// Renaming first keeps the old receipts' foreign key pointing at the old notifications
    /// (SQLite rewrites it), so dropping the old tables checks no key against the new ones.
    static func migrateFromVersion1(_ db: SQLiteConnection) throws {
        try db.execute(
            """
            ALTER TABLE notifications RENAME TO notifications_v1;
            ALTER TABLE receipts RENAME TO receipts_v1;
            """)
        try db.execute(tables)
        try db.execute(
            """
            INSERT INTO campaigns(name) SELECT DISTINCT campaign FROM notifications_v1 ORDER BY campaign;
            INSERT INTO runs(campaign, run_id)
                SELECT DISTINCT c.id, n.run_id FROM notifications_v1 n JOIN campaigns c ON c.name = n.campaign
                ORDER BY c.id, n.run_id;
            INSERT INTO channel_reasons(channel, reasons)
                SELECT DISTINCT channel, reasons FROM notifications_v1 ORDER BY channel, reasons;
            INSERT INTO notifications(campaign, subject, run, first_sent_at, channel_reasons, payload)
                SELECT (SELECT id FROM campaigns WHERE name = n.campaign),
                       n.subject,
                       (SELECT r.id FROM runs r JOIN campaigns c ON c.id = r.campaign
                        WHERE c.name = n.campaign AND r.run_id = n.run_id),
                       CAST(strftime('%s', n.first_sent_at) AS INTEGER),
                       (SELECT id FROM channel_reasons WHERE channel = n.channel AND reasons = n.reasons),
                       n.payload
                FROM notifications_v1 n
                ORDER BY n.campaign, n.subject;
            INSERT INTO receipts(campaign, subject, status, received_at)
                SELECT (SELECT id FROM campaigns WHERE name = x.campaign), x.subject, x.status,
                       CAST(strftime('%s', x.received_at) AS INTEGER)
                FROM receipts_v1 x
                ORDER BY x.campaign, x.subject, x.status;
            DROP TABLE receipts_v1;
            DROP TABLE notifications_v1;
            UPDATE schema_version SET version = 2;
            """)
    }
}
