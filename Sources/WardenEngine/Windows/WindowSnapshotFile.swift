import Foundation

/// Window state on disk: a SQLite file holding every stored event of each pack's windows, so a
/// restarted engine does not forget the last hours of velocity.
///
/// ``save(_:pack:)`` replaces the pack's events in one transaction (a crash mid-save leaves the
/// previous snapshot); ``load(pack:)`` reads them back for ``WindowStore/restore(_:)``. Events
/// are `(time, value)` pairs per window identity and key: the value is the summed amount or
/// the distinct value's 64-bit hash, never the raw field. The keys are account, card or device
/// ids, and a hash of a low-entropy value (an ID number) can be reversed by trying them all:
/// treat the file as personal data.
///
/// ```swift
/// let file = try WindowSnapshotFile(path: "state/windows.sqlite")
/// store.restore(try file.load(pack: "payments"))
/// try file.save(store.snapshot(), pack: "payments")   // periodically and at shutdown
/// ```
public final class WindowSnapshotFile: @unchecked Sendable {
    // One connection, used under `lock`: saves come from a timer and from shutdown.
    private let db: SQLiteConnection
    private let lock = NSLock()
    public let path: String

    public init(path: String) throws {
        self.path = path
        db = try SQLiteConnection(path: path, synchronous: .normal)
        try db.execute("""
            CREATE TABLE IF NOT EXISTS window_events (
              pack TEXT NOT NULL, window TEXT NOT NULL, key TEXT NOT NULL, t INTEGER NOT NULL, v INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS window_events_by_pack ON window_events(pack, window, key, t);
            CREATE TABLE IF NOT EXISTS window_snapshots (pack TEXT PRIMARY KEY, saved_at INTEGER NOT NULL, events INTEGER NOT NULL);
            """)
    }

    /// Replaces `pack`'s stored events with `snapshots`. Returns the number of events written.
    @discardableResult
    public func save(_ snapshots: [WindowSnapshot], pack: String, now: Date = Date()) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        return try db.transaction {
            let delete = try db.prepare("DELETE FROM window_events WHERE pack = ?", persistent: false)
            try delete.bind(1, pack)
            try delete.run()
            let insert = try db.prepare("INSERT INTO window_events (pack, window, key, t, v) VALUES (?, ?, ?, ?, ?)",
                                        persistent: false)
            var n = 0
            for s in snapshots {
                for (key, events) in s.keys {
                    for e in events {
                        try insert.bind(1, pack)
                        try insert.bind(2, s.identity)
                        try insert.bind(3, key)
                        try insert.bind(4, e.time)
                        try insert.bind(5, e.value)
                        try insert.run()
                        n += 1
                    }
                }
            }
            let meta = try db.prepare("INSERT OR REPLACE INTO window_snapshots (pack, saved_at, events) VALUES (?, ?, ?)",
                                      persistent: false)
            try meta.bind(1, pack)
            try meta.bind(2, Int64(now.timeIntervalSince1970))
            try meta.bind(3, Int64(n))
            try meta.run()
            return n
        }
    }

    /// `pack`'s stored events, one ``WindowSnapshot`` per window identity.
    public func load(pack: String) throws -> [WindowSnapshot] {
        lock.lock()
        defer { lock.unlock() }
        let select = try db.prepare("SELECT window, key, t, v FROM window_events WHERE pack = ? ORDER BY window, key, t",
                                    persistent: false)
        try select.bind(1, pack)
        var out: [WindowSnapshot] = []
        while try select.step() {
            let window = select.text(0), key = select.text(1)
            let event = (time: select.int64(2), value: select.int64(3))
            if out.last?.identity != window { out.append(WindowSnapshot(identity: window, keys: [])) }
            if out[out.count - 1].keys.last?.key == key {
                out[out.count - 1].keys[out[out.count - 1].keys.count - 1].events.append(event)
            } else {
                out[out.count - 1].keys.append((key, [event]))
            }
        }
        return out
    }
}
