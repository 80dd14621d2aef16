import CSQLite

// A deliberately small wrapper over the SQLite C API: a connection, prepared statements,
// transactions, and errors that carry SQLite's own message. It exists so the ledger reads
// like SQL instead of pointer juggling; it is not a general database library (no GRDB: the
// raw API costs nothing over C, GRDB's statement API about 2x per row, and a clean release
// build 2 minutes more; see reference/swift-on-this-machine.md section 1).
//
// Neither class is Sendable: one connection belongs to one task or thread at a time, which is
// why the connection is opened with SQLITE_OPEN_NOMUTEX.

/// `SQLITE_TRANSIENT` (SQLite copies a bound value before the bind call returns). The C macro
/// contains a cast, so Swift does not import it.
package let SQLITE_TRANSIENT_SWIFT = unsafeBitCast(-1 as Int, to: sqlite3_destructor_type.self)

/// An error reported by SQLite: its result codes, its message, and the SQL text of the
/// statement that failed.
///
/// Bound values never appear here (they may be personal data); `sql` holds the statement text
/// with its `?` placeholders only.
///
/// ```swift
/// do { try ledger.record(...) } catch let e as SQLiteError where e.code == SQLITE_BUSY { ... }
/// ```
public struct SQLiteError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The primary result code (`SQLITE_BUSY`, `SQLITE_CONSTRAINT`, ...).
    public var code: Int32 { extendedCode & 0xFF }
    /// The extended result code (`SQLITE_CONSTRAINT_PRIMARYKEY`, ...).
    public let extendedCode: Int32
    /// SQLite's message for the failure (`sqlite3_errmsg`), e.g. `database is locked`.
    public let message: String
    /// The statement or pragma that failed, if any.
    public let sql: String?

    package init(extendedCode: Int32, message: String, sql: String?) {
        self.extendedCode = extendedCode
        self.message = message
        self.sql = sql
    }

    public var description: String {
        let name = String(cString: sqlite3_errstr(extendedCode))
        var s = "SQLite error \(extendedCode) (\(name)): \(message)"
        if let sql { s += " [in: \(sql)]" }
        return s
    }
}

/// How hard SQLite works to make a commit survive a power loss (`PRAGMA synchronous`).
public enum SQLiteSynchronous: String, Sendable {
    /// WAL + NORMAL: a commit survives the process being killed; a power loss or OS crash may
    /// roll back the last transactions (never corrupts). No fsync per commit.
    case normal = "NORMAL"
    /// WAL + FULL: every commit is fsynced before it returns, so it survives a power loss too.
    case full = "FULL"
}

/// One SQLite connection, opened in WAL mode. Not thread-safe: use it from one task at a time.
package final class SQLiteConnection {
    package let handle: OpaquePointer
    package let path: String
    private var begin: SQLiteStatement?
    private var commit: SQLiteStatement?
    private var rollback: SQLiteStatement?

    /// Opens (creating if needed) the database at `path` with `journal_mode=WAL`, the given
    /// `synchronous` level, a busy timeout, and foreign keys enforced.
    ///
    /// A database that cannot use WAL (`:memory:`) keeps its own journal mode.
    package init(path: String, synchronous: SQLiteSynchronous = .normal, busyTimeoutMilliseconds: Int32 = 5_000)
        throws
    {
        var db: OpaquePointer?
        let flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX
        let rc = sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? String(cString: sqlite3_errstr(rc))
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(extendedCode: rc, message: message + " (opening \(path))", sql: nil)
        }
        self.handle = db
        self.path = path
        sqlite3_extended_result_codes(db, 1)
        sqlite3_busy_timeout(db, busyTimeoutMilliseconds)
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=\(synchronous.rawValue)")
        try execute("PRAGMA foreign_keys=ON")
    }

    deinit {
        // Finalize our own statements first; close_v2 defers the close until any statement
        // still held elsewhere is finalized, so an escaped statement is never left dangling.
        begin = nil
        commit = nil
        rollback = nil
        sqlite3_close_v2(handle)
    }

    /// Runs one or more SQL statements that take no parameters (schema, pragmas), discarding
    /// any rows.
    package func execute(_ sql: String) throws {
        var errmsg: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &errmsg)
        if rc != SQLITE_OK {
            let message = errmsg.map { String(cString: $0) } ?? String(cString: sqlite3_errmsg(handle))
            sqlite3_free(errmsg)
            throw SQLiteError(extendedCode: sqlite3_extended_errcode(handle), message: message, sql: sql)
        }
    }

    /// Compiles one statement. `persistent` hints SQLite that it will be reused many times
    /// (`SQLITE_PREPARE_PERSISTENT`), which keeps it out of the lookaside allocator.
    package func prepare(_ sql: String, persistent: Bool = true) throws -> SQLiteStatement {
        var stmt: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let rc = sqlite3_prepare_v3(handle, sql, -1, flags, &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, sql: sql) }
        return SQLiteStatement(handle: stmt, connection: self, sql: sql)
    }

    /// Rows changed by the most recent INSERT, UPDATE or DELETE on this connection. An upsert
    /// whose DO UPDATE ran counts 1 even if it wrote the same values; one whose WHERE was false
    /// counts 0.
    package var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the most recent successful INSERT on this connection.
    package var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Whether no transaction is open.
    package var isAutocommit: Bool { sqlite3_get_autocommit(handle) != 0 }

    /// Runs `body` inside `BEGIN IMMEDIATE ... COMMIT`; rolls back if `body` or the commit
    /// throws, so the transaction's writes land all together or not at all.
    ///
    /// IMMEDIATE takes the write lock up front, so two processes writing the same file queue
    /// on the busy timeout instead of failing with a deadlock when a reader upgrades.
    package func transaction<R>(_ body: () throws -> R) throws -> R {
        if begin == nil {
            begin = try prepare("BEGIN IMMEDIATE")
            commit = try prepare("COMMIT")
            rollback = try prepare("ROLLBACK")
        }
        try begin!.run()
        do {
            let result = try body()
            try commit!.run()
            return result
        } catch {
            // Some errors (IOERR, FULL, NOMEM, BUSY in places) already rolled SQLite back.
            if !isAutocommit { try? rollback!.run() }
            throw error
        }
    }

    package func error(_ rc: Int32, sql: String?) -> SQLiteError {
        SQLiteError(
            extendedCode: sqlite3_extended_errcode(handle) == 0 ? rc : sqlite3_extended_errcode(handle),
            message: String(cString: sqlite3_errmsg(handle)), sql: sql)
    }
}

/// A prepared statement. Bindings survive `reset()`, so values shared by every row of a batch
/// are bound once. Holds its connection alive.
package final class SQLiteStatement {
    package let handle: OpaquePointer
    package let connection: SQLiteConnection
    package let sql: String

    init(handle: OpaquePointer, connection: SQLiteConnection, sql: String) {
        self.handle = handle
        self.connection = connection
        self.sql = sql
    }

    deinit { sqlite3_finalize(handle) }

    /// Binds text to the 1-based parameter `index`; SQLite copies the bytes.
    @inline(__always)
    package func bind(_ index: Int32, _ text: String) throws {
        var text = text
        let rc = text.withUTF8 { u -> Int32 in
            guard let base = u.baseAddress else {
                // An empty string has no storage; binding a nil pointer would bind NULL.
                return sqlite3_bind_text(handle, index, "", 0, SQLITE_TRANSIENT_SWIFT)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: u.count) {
                sqlite3_bind_text(handle, index, $0, Int32(u.count), SQLITE_TRANSIENT_SWIFT)
            }
        }
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    /// Binds text SQLite does not copy (`SQLITE_STATIC`): `bytes` must stay valid and unchanged
    /// until the statement has been stepped and reset, and every such parameter must be bound
    /// again before the statement is stepped after that.
    @inline(__always)
    package func bindNoCopy(_ index: Int32, _ bytes: UnsafePointer<UInt8>, count: Int) throws {
        let rc = bytes.withMemoryRebound(to: CChar.self, capacity: count) {
            sqlite3_bind_text(handle, index, $0, Int32(count), nil)
        }
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    @inline(__always)
    package func bind(_ index: Int32, _ value: Int64) throws {
        let rc = sqlite3_bind_int64(handle, index, value)
        if rc != SQLITE_OK { throw connection.error(rc, sql: sql) }
    }

    /// Steps once: `true` if a row is available, `false` when done. On error the statement is
    /// reset and the error thrown.
    @inline(__always)
    package func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let error = connection.error(rc, sql: sql)
        sqlite3_reset(handle)
        throw error
    }

    /// Resets to run again; bindings are kept. (The result code of `sqlite3_reset` repeats the
    /// last step's error, which `step()` already threw.)
    @inline(__always)
    package func reset() { sqlite3_reset(handle) }

    /// Steps to completion and resets: for statements that return no rows.
    @inline(__always)
    package func run() throws {
        defer { sqlite3_reset(handle) }
        while try step() {}
    }

    @inline(__always)
    package func int64(_ column: Int32) -> Int64 { sqlite3_column_int64(handle, column) }

    /// The column as text (empty for NULL).
    package func text(_ column: Int32) -> String {
        guard let p = sqlite3_column_text(handle, column) else { return "" }
        let n = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }
}
