#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import WardenLang

/// The semantics of every operator and builtin, shared by the compiled VM and the reference
/// evaluator: the two differ in how they walk a pack, never in what an operation means.
enum Ops {
    typealias Result = Swift.Result<Value, EvalError>

    static func internalError(_ what: String) -> EvalError {
        EvalError(.internalError, "unexpected operand for \(what)")
    }

    // MARK: Int

    @inline(__always)
    static func addInt(_ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
        let (r, o) = a.addingReportingOverflow(b)
        if o { throw EvalError(.integerOverflow, "integer overflow in '+'") }
        return r
    }

    @inline(__always)
    static func subInt(_ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
        let (r, o) = a.subtractingReportingOverflow(b)
        if o { throw EvalError(.integerOverflow, "integer overflow in '-'") }
        return r
    }

    @inline(__always)
    static func mulInt(_ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
        let (r, o) = a.multipliedReportingOverflow(by: b)
        if o { throw EvalError(.integerOverflow, "integer overflow in '*'") }
        return r
    }

    /// Truncates toward zero.
    static func divInt(_ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
        if b == 0 { throw EvalError(.divisionByZero, "division by zero") }
        let (r, o) = a.dividedReportingOverflow(by: b)
        if o { throw EvalError(.integerOverflow, "integer overflow in '/'") }
        return r
    }

    /// The result has the sign of the dividend.
    static func modInt(_ a: Int64, _ b: Int64) throws(EvalError) -> Int64 {
        if b == 0 { throw EvalError(.divisionByZero, "remainder by zero") }
        let (r, o) = a.remainderReportingOverflow(dividingBy: b)
        if o { return 0 }
        return r
    }

    static func negInt(_ a: Int64) throws(EvalError) -> Int64 {
        if a == .min { throw EvalError(.integerOverflow, "integer overflow in '-'") }
        return -a
    }

    // MARK: Money

    static func money(_ n: Int64) throws(EvalError) -> Money {
        guard let m = Money(exactly: n) else { throw EvalError(.decimalOverflow, "int does not fit in a decimal") }
        return m
    }

    static func addMoney(_ a: Money, _ b: Money) throws(EvalError) -> Money {
        guard let r = a.adding(b) else { throw EvalError(.decimalOverflow, "decimal overflow in '+'") }
        return r
    }

    static func subMoney(_ a: Money, _ b: Money) throws(EvalError) -> Money {
        guard let r = a.subtracting(b) else { throw EvalError(.decimalOverflow, "decimal overflow in '-'") }
        return r
    }

    static func mulMoney(_ a: Money, _ b: Money) throws(EvalError) -> Money {
        guard let r = a.multiplied(by: b) else { throw EvalError(.decimalOverflow, "decimal overflow in '*'") }
        return r
    }

    static func divMoney(_ a: Money, _ b: Money) throws(EvalError) -> Money {
        if b.raw == 0 { throw EvalError(.divisionByZero, "division by zero") }
        guard let r = a.divided(by: b) else { throw EvalError(.decimalOverflow, "decimal overflow in '/'") }
        return r
    }

    static func negMoney(_ a: Money) throws(EvalError) -> Money {
        if a.raw == .min { throw EvalError(.decimalOverflow, "decimal overflow in '-'") }
        return Money(raw: -a.raw)
    }

    // MARK: Dates

    static let minDay = Civil.days(year: 1, month: 1, day: 1)
    static let maxDay = Civil.days(year: 9999, month: 12, day: 31)

    static func checkDay(_ d: Int64) throws(EvalError) -> Int64 {
        if d < minDay || d > maxDay { throw EvalError(.dateOutOfRange, "date outside years 1–9999") }
        return d
    }

    // MARK: Comparison

    /// Orders two values of one ordered type (int-like, money, string by Unicode scalars).
    static func compare(_ a: Value, _ b: Value) throws(EvalError) -> Int {
        switch (a, b) {
        case (.int(let x), .int(let y)): return x < y ? -1 : x == y ? 0 : 1
        case (.money(let x), .money(let y)): return x.raw < y.raw ? -1 : x.raw == y.raw ? 0 : 1
        case (.string(let x), .string(let y)): return compareScalars(x, y)
        default: throw internalError("comparison")
        }
    }

    /// Compares strings by Unicode scalar values (UTF-8 byte order is the same order), not by
    /// Swift's canonical-equivalence `<`.
    static func compareScalars(_ x: String, _ y: String) -> Int {
        var a = x.utf8.makeIterator(), b = y.utf8.makeIterator()
        while true {
            switch (a.next(), b.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case (let p?, let q?): if p != q { return p < q ? -1 : 1 }
            }
        }
    }

    /// Equality as the language defines it: exact, by scalars for strings; null equals nothing.
    @inline(__always)
    static func equal(_ a: Value, _ b: Value) -> Bool {
        // One switch on `a`, then a test of `b`: no tuple of copies (and no retains) as
        // `switch (a, b)` would make.
        switch a {
        case .null: return false
        case .bool(let x): if case .bool(let y) = b { return x == y }
        case .int(let x): if case .int(let y) = b { return x == y }
        case .money(let x): if case .money(let y) = b { return x == y }
        case .string(let x): if case .string(let y) = b { return sameBytes(x, y) }
        case .list(let x):
            if case .list(let y) = b { return x.count == y.count && zip(x, y).allSatisfy { equal($0, $1) } }
        }
        return false
    }

    /// Byte-for-byte equality of two strings' UTF-8 (scalar equality), with `memcmp`.
    @inline(__always)
    static func sameBytes(_ x: String, _ y: String) -> Bool {
        // UTF-8 counts of native strings are O(1): most unequal strings stop here.
        guard x.utf8.count == y.utf8.count else { return false }
        // In place when both are native (no copy, retain or release); else through copies.
        if let same = x.utf8.withContiguousStorageIfAvailable({ a in
            y.utf8.withContiguousStorageIfAvailable { b in a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0 }
        }), let same { return same }
        var x = x, y = y
        return x.withUTF8 { a in
            y.withUTF8 { b in a.count == b.count && (a.count == 0 || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0) }
        }
    }

    // MARK: Regex

    static func matches(_ matcher: PatternMatcher, _ subject: String) throws(EvalError) -> Bool {
        switch matcher.matches(subject) {
        case .match: return true
        case .noMatch: return false
        case .limitExceeded:
            throw EvalError(.regexLimit, "regex /\(matcher.pattern.source)/ stopped at its match limit")
        case .error(let code):
            throw EvalError(.regexError, "regex /\(matcher.pattern.source)/ failed with PCRE2 error \(code)")
        }
    }
}
