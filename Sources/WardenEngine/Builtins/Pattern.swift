import CPCRE2

/// A compiled PCRE2 pattern: immutable and shareable across threads (PCRE2 compiled code is read-only).
///
/// The pattern is compiled once with `PCRE2_UTF | PCRE2_UCP`, so `\w`, `\d`, `\s` and `(?i)`
/// follow Unicode properties and work on Chinese text, then JIT-compiled when the platform
/// supports it (falling back to the interpreter otherwise). Matching needs per-thread scratch
/// state, so it goes through a ``PatternMatcher`` made by ``makeMatcher()``.
///
/// ```swift
/// let gambling = try Pattern("(?i)casino|博彩|赌")
/// let matcher = gambling.makeMatcher()          // one per thread, reused
/// matcher.matches("Macau CASINO Ltd")           // .match
/// ```
public final class Pattern: @unchecked Sendable {
    /// Why a pattern did not compile: PCRE2's message and the byte offset in the pattern where it stopped.
    public struct CompileError: Error, Sendable, Equatable {
        /// PCRE2's message, e.g. "missing closing parenthesis".
        public let message: String
        /// Byte offset in the UTF-8 pattern at which PCRE2 detected the error.
        public let offset: Int

        public init(message: String, offset: Int) {
            self.message = message
            self.offset = offset
        }
    }

    /// The pattern text as written.
    public let source: String
    /// The PCRE2 `match_limit` applied by every matcher of this pattern.
    public let matchLimit: UInt32
    /// Whether the pattern was JIT-compiled; if not, matching uses the (slower) interpreter.
    public let isJITCompiled: Bool

    /// The `pcre2_code_8 *`. Never mutated after `init`, which is what makes sharing safe.
    let code: OpaquePointer

    /// Compiles with PCRE2_UTF | PCRE2_UCP (so \w, \d, (?i) work on Chinese text), then JIT-compiles (falls back to the interpreter if JIT is unavailable).
    ///
    /// - Parameters:
    ///   - pattern: PCRE2 syntax. A Swift `String` is valid UTF-8, so PCRE2's UTF check of the pattern is skipped.
    ///   - matchLimit: PCRE2 `match_limit` for every match; exceeding it yields ``MatchResult/limitExceeded``.
    /// - Throws: ``CompileError`` with PCRE2's message and the byte offset of the error.
    public init(_ pattern: String, matchLimit: UInt32 = Limits.regexMatchLimit) throws(CompileError) {
        self.source = pattern
        self.matchLimit = matchLimit
        var errorCode: Int32 = 0
        var errorOffset = 0
        let options = UInt32(PCRE2_UTF) | UInt32(PCRE2_UCP) | UInt32(PCRE2_NO_UTF_CHECK)
        var text = pattern
        let compiled = text.withUTF8 { buffer in
            withNonNullBase(buffer) { base, count in
                pcre2_compile_8(base, count, options, &errorCode, &errorOffset, nil)
            }
        }
        guard let compiled else {
            throw CompileError(message: pcre2ErrorMessage(errorCode), offset: errorOffset)
        }
        self.code = compiled
        self.isJITCompiled = pcre2_jit_compile_8(compiled, UInt32(PCRE2_JIT_COMPLETE)) == 0
    }

    deinit {
        pcre2_code_free_8(code)
    }

    /// A matcher owns PCRE2 match data and a match context; create one per thread and reuse it.
    ///
    /// - Complexity: O(1), a few small allocations (plus the JIT stack's virtual memory); do it once per thread, not per match.
    public func makeMatcher() -> PatternMatcher {
        PatternMatcher(pattern: self)
    }
}

/// The outcome of one search.
public enum MatchResult: Sendable, Equatable {
    /// The pattern occurs in the subject.
    case match
    /// The pattern does not occur in the subject.
    case noMatch
    /// The search was stopped by a resource limit (match limit, heap limit, depth limit or JIT stack);
    /// the answer is unknown. Treat as a rule error, never as "no match".
    case limitExceeded
    /// Any other PCRE2 error code, e.g. invalid UTF-8 in a byte subject (-3 ... -21).
    case error(Int32)
}

/// Not Sendable: owns mutable match data. Reuse across calls on one thread.
///
/// Holds the PCRE2 match data (one ovector pair: only "does it match" is asked), a match context
/// carrying the match and heap limits, and a ``Limits/jitStackBytes`` JIT stack. All are freed in `deinit`.
public final class PatternMatcher {
    /// The pattern this matcher searches for.
    public let pattern: Pattern

    private let matchData: OpaquePointer      // pcre2_match_data_8 *
    private let matchContext: OpaquePointer   // pcre2_match_context_8 *
    private let jitStack: OpaquePointer?      // pcre2_jit_stack_8 *, only when JIT compiled

    init(pattern: Pattern) {
        self.pattern = pattern
        guard let matchData = pcre2_match_data_create_8(1, nil),
              let matchContext = pcre2_match_context_create_8(nil)
        else { fatalError("PCRE2 could not allocate match data (out of memory)") }
        self.matchData = matchData
        self.matchContext = matchContext
        _ = pcre2_set_match_limit_8(matchContext, pattern.matchLimit)
        _ = pcre2_set_heap_limit_8(matchContext, Limits.regexHeapLimitKiB)
        if pattern.isJITCompiled {
            let stack = pcre2_jit_stack_create_8(32 * 1024, Limits.jitStackBytes, nil)
            // If the stack cannot be created PCRE2 keeps its 32 KiB default: deep patterns then
            // report .limitExceeded (-46), which is safe.
            if let stack { pcre2_jit_stack_assign_8(matchContext, nil, UnsafeMutableRawPointer(stack)) }
            self.jitStack = stack
        } else {
            self.jitStack = nil
        }
    }

    deinit {
        pcre2_match_data_free_8(matchData)
        pcre2_match_context_free_8(matchContext)
        if let jitStack { pcre2_jit_stack_free_8(jitStack) }
    }

    /// Unanchored search (like `contains`) of `subject` (UTF-8 bytes). Uses pcre2_jit_match_8 when JIT compiled, else pcre2_match_8. Match limit and heap limit applied through the match context. JIT stack: assign a 512 KiB JIT stack (pcre2_jit_stack_create_8) so deep patterns don't hit -46.
    ///
    /// A Swift `String` is valid UTF-8, so PCRE2's UTF check is skipped (`PCRE2_NO_UTF_CHECK`).
    ///
    /// - Complexity: O(n) for typical patterns on n bytes; never more than the pattern's match limit.
    public func matches(_ subject: String) -> MatchResult {
        var subject = subject
        return subject.withUTF8 { run($0, trustedUTF8: true) }
    }

    /// Unanchored search of raw bytes, which may be invalid UTF-8.
    ///
    /// The bytes are UTF-checked by PCRE2 (invalid UTF-8 gives ``MatchResult/error(_:)`` with a
    /// negative UTF error code). Because `pcre2_jit_match_8` skips that check, this entry always goes
    /// through `pcre2_match_8`, which validates and then runs the JIT code when there is some.
    ///
    /// - Complexity: O(n) UTF check plus the search.
    public func matches(utf8 subject: UnsafeBufferPointer<UInt8>) -> MatchResult {
        run(subject, trustedUTF8: false)
    }

    @inline(__always)
    private func run(_ subject: UnsafeBufferPointer<UInt8>, trustedUTF8: Bool) -> MatchResult {
        let rc = withNonNullBase(subject) { base, count -> Int32 in
            if trustedUTF8 && pattern.isJITCompiled {
                return pcre2_jit_match_8(pattern.code, base, count, 0, 0, matchData, matchContext)
            }
            let options = trustedUTF8 ? UInt32(PCRE2_NO_UTF_CHECK) : 0
            return pcre2_match_8(pattern.code, base, count, 0, options, matchData, matchContext)
        }
        return Self.result(rc)
    }

    @inline(__always)
    static func result(_ rc: Int32) -> MatchResult {
        if rc >= 0 { return .match }  // 0 means "matched, ovector too small"
        switch rc {
        case PCRE2_ERROR_NOMATCH: return .noMatch
        case PCRE2_ERROR_MATCHLIMIT, PCRE2_ERROR_HEAPLIMIT, PCRE2_ERROR_DEPTHLIMIT,
             PCRE2_ERROR_JIT_STACKLIMIT, PCRE2_ERROR_NOMEMORY:
            return .limitExceeded
        default: return .error(rc)
        }
    }
}

@available(*, unavailable, message: "a PatternMatcher owns mutable match data; make one per thread with Pattern.makeMatcher()")
extension PatternMatcher: Sendable {}

/// PCRE2 (10.42) rejects a NULL pointer even with length 0, which is what an empty Swift buffer has.
@inline(__always)
private func withNonNullBase<R>(
    _ buffer: UnsafeBufferPointer<UInt8>, _ body: (UnsafePointer<UInt8>, Int) -> R
) -> R {
    if let base = buffer.baseAddress { return body(base, buffer.count) }
    var empty: UInt8 = 0
    return withUnsafePointer(to: &empty) { body($0, 0) }
}

/// PCRE2's text for an error code.
private func pcre2ErrorMessage(_ code: Int32) -> String {
    var buffer = [UInt8](repeating: 0, count: 256)
    let length = buffer.withUnsafeMutableBufferPointer {
        pcre2_get_error_message_8(code, $0.baseAddress, $0.count)
    }
    guard length > 0 else { return "PCRE2 error \(code)" }
    return String(decoding: buffer[..<Int(length)], as: UTF8.self)
}
