/// Why ``CSVReader`` could not give a row as well-formed CSV.
///
/// A flagged row is still returned, with its line number, so the sweep can write it to its
/// rejects file and go on; only I/O errors throw. An open set of codes (a struct, not an enum)
/// so that reasons can be added without breaking code that switches over them.
///
/// Fields of a flagged row are a best effort, meant for the rejects file's key column:
/// - ``malformedQuotes`` and ``rowTooLong`` (when the first line fits): the row is cut at the
///   end of its first physical line, its fields are that line split at every comma with no
///   quote processing, and the reader resumes on the next physical line;
/// - ``rowTooLong`` whose first line is itself too long: no fields;
/// - ``invalidUTF8``: the fields as parsed, with their bytes unchanged.
public struct CSVRowIssue: Hashable, Sendable, CustomStringConvertible {
    /// Stable small number, `0` is never used (it means "no issue" inside a batch).
    public let rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    /// A quote inside an unquoted field, bytes between a closing quote and the next comma or
    /// line end, or a quoted field still open at the end of the file.
    public static let malformedQuotes = CSVRowIssue(rawValue: 1)
    /// The row's bytes are not valid UTF-8 (overlong forms, surrogates and truncated
    /// sequences included).
    public static let invalidUTF8 = CSVRowIssue(rawValue: 2)
    /// The row is longer than ``CSVReader/maxRowBytes`` (line terminator excluded); for a row
    /// with malformed quoting, its first line is, or the fault lies more than that many bytes
    /// in. (Defined so that the verdict never depends on where the reader's chunks end.) A
    /// quote opened and never closed is usually caught here, a limit's length after it.
    public static let rowTooLong = CSVRowIssue(rawValue: 3)

    /// The reason code a rejects file shows: `MALFORMED_QUOTES`, `INVALID_UTF8`, `ROW_TOO_LONG`.
    public var reasonCode: String {
        switch rawValue {
        case 1: "MALFORMED_QUOTES"
        case 2: "INVALID_UTF8"
        case 3: "ROW_TOO_LONG"
        default: "CSV_ISSUE_\(rawValue)"
        }
    }

    public var description: String { reasonCode }
}

/// An I/O failure while reading a CSV file: the only error ``CSVReader`` throws.
public struct CSVReaderError: Error, CustomStringConvertible, Sendable {
    /// The file being read.
    public let path: String
    /// The system call that failed (`open`, `read`, `lseek`).
    public let operation: String
    /// The `errno` it left.
    public let code: Int32

    public var description: String { "cannot \(operation) '\(path)': errno \(code)" }
}
