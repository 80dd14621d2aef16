import CSQLite
import Foundation

/// Where a sweep reads rows from: a CSV file or a SQLite table, both giving ``CSVBatch``es
/// (rows of byte fields with line numbers), so decoding, rejects and everything after them
/// are the same code for both.
protocol RowSource: AnyObject {
    /// Column names, in order.
    var header: [String] { get }
    /// Up to `maxRows` rows; nil at the end.
    func nextBatch(maxRows: Int) throws -> CSVBatch?
}

extension CSVReader: RowSource {}

/// Reads a SQLite table in rowid order as batches of text cells: `--input sqlite:PATH?table=T`.
///
/// Each column's value is taken as text (`sqlite3_column_text`: an INTEGER `1` reads `1`, a REAL
/// `12.5` reads `12.5`) and NULL as an empty cell, then decoded exactly as a CSV cell is, so a
/// table and a CSV export of it give the same sweep. A row's "line number" is its rowid (the
/// rejects file's `line_no`); a batch's offsets are rowids too, so a checkpoint resumes after
/// the last rowid applied. Text that is not valid UTF-8 flags the row ``CSVRowIssue/invalidUTF8``.
/// The database is opened read-only and left as it is.
final class SQLiteTableSource: RowSource {
    let path: String
    let table: String
    let header: [String]
    /// The largest rowid (progress and table sizing).
    let maxRowID: Int64
    private let db: OpaquePointer
    private let statement: OpaquePointer
    private let pool = CSVStoragePool()
    /// Set once the query returned SQLITE_DONE (stepping again would restart it).
    private var exhausted = false

    /// Parses `sqlite:PATH?table=T`; nil when `spec` is not a SQLite source.
    static func parse(_ spec: String) throws -> (path: String, table: String)? {
        guard spec.hasPrefix("sqlite:") else { return nil }
        let rest = spec.dropFirst("sqlite:".count)
        guard let q = rest.firstIndex(of: "?"), rest[rest.index(after: q)...].hasPrefix("table="),
              !rest[..<q].isEmpty else {
            throw SweepError.setup("a SQLite input is written sqlite:PATH?table=TABLE, got '\(spec)'")
        }
        let table = String(rest[rest.index(q, offsetBy: "?table=".count)...])
        guard !table.isEmpty else { throw SweepError.setup("'\(spec)' names no table") }
        return (String(rest[..<q]), table)
    }

    /// Opens the table; reading starts after rowid `after`.
    init(path: String, table: String, after: Int64 = 0) throws {
        self.path = path
        self.table = table
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let handle else {
            let message = handle.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"
            sqlite3_close(handle)
            throw SweepError.io("cannot open SQLite database '\(path)': \(message)")
        }
        db = handle
        let quoted = "\"" + table.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        func prepare(_ sql: String) throws -> OpaquePointer {
            var st: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &st, nil) == SQLITE_OK, let st else {
                let message = String(cString: sqlite3_errmsg(handle))
                sqlite3_close(handle)
                throw SweepError.setup("cannot read table '\(table)' of '\(path)': \(message)")
            }
            return st
        }
        let max = try prepare("SELECT max(rowid) FROM \(quoted)")
        maxRowID = sqlite3_step(max) == SQLITE_ROW ? sqlite3_column_int64(max, 0) : 0
        sqlite3_finalize(max)
        let select = try prepare("SELECT rowid, * FROM \(quoted) WHERE rowid > ?1 ORDER BY rowid")
        sqlite3_bind_int64(select, 1, after)
        statement = select
        header = (1..<sqlite3_column_count(select)).map { String(cString: sqlite3_column_name(select, $0)) }
    }

    deinit {
        sqlite3_finalize(statement)
        sqlite3_close(db)
    }

    func nextBatch(maxRows: Int) throws -> CSVBatch? {
        guard !exhausted else { return nil }
        var b = CSVBatchBuilder(expectedRows: maxRows, expectedBytes: maxRows * 128, reusing: pool.take())
        let columns = Int32(header.count)
        var first: Int64 = -1, last: Int64 = 0
        while b.rowCount < maxRows {
            let rc = sqlite3_step(statement)
            if rc == SQLITE_DONE {
                exhausted = true
                break
            }
            guard rc == SQLITE_ROW else {
                throw SweepError.io("reading table '\(table)' of '\(path)': \(String(cString: sqlite3_errmsg(db)))")
            }
            let rowid = sqlite3_column_int64(statement, 0)
            if first < 0 { first = rowid }
            last = rowid
            let m = b.mark
            let rowStart = b.rawCount
            var issue: UInt8 = 0
            for c in 1...columns {
                let start = b.rawCount
                if let text = sqlite3_column_text(statement, c) {
                    let n = Int(sqlite3_column_bytes(statement, c))
                    let bytes = UnsafeBufferPointer(start: text, count: n)
                    if issue == 0 && String(validating: bytes, as: UTF8.self) == nil { issue = CSVRowIssue.invalidUTF8.rawValue }
                    b.raw.append(bytes)
                }
                b.addField(start, b.rawCount)
            }
            b.finishRow(fieldsFrom: m.fields, start: rowStart, end: b.rawCount, line: Int(rowid), issue: issue)
        }
        guard b.rowCount > 0 else { return nil }
        return CSVBatch(builder: b, startOffset: first, endOffset: last, nextLineNumber: Int(last) + 1, pool: pool)
    }
}
