/// Every resource limit of the engine, in one place (in the manner of SQLite's `sqliteLimit.h`).
///
/// Each limit bounds the work or memory that one untrusted input (a rule pack, an event, a
/// request line) can cost. Change a value here, never inline at the use site.
public enum Limits {
    /// PCRE2 `match_limit`: caps backtracking steps per match, so a catastrophic pattern such as
    /// `^(\w+\s?)*$` stops (with `MatchResult.limitExceeded`) within microseconds.
    public static let regexMatchLimit: UInt32 = 100_000
    /// PCRE2 `heap_limit` in KiB: caps the backtracking memory of the interpreter (unused by JIT).
    public static let regexHeapLimitKiB: UInt32 = 20_000
    /// Size of the JIT stack given to each matcher; PCRE2's 32 KiB default makes deep patterns fail with -46.
    public static let jitStackBytes: Int = 512 * 1024
    /// Deepest nesting of arrays and objects accepted in a JSON document; deeper input is an error, not a stack overflow.
    public static let maxJSONDepth: Int = 64
    /// Longest JSON line (one event) accepted by `warden eval` and the HTTP scorer, in bytes.
    public static let maxJSONLineBytes: Int = 1 << 20
}
