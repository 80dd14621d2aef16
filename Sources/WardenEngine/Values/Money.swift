/// An exact decimal with 4 fractional digits, stored as an `Int64` count of 1/10000 units.
///
/// Money is never binary floating point. Range ±922,337,203,685,477.5807. Every operation
/// reports overflow instead of wrapping; `*` and `/` round half to even at 4 places.
public struct Money: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value × 10⁴.
    public var raw: Int64

    public static let scale: Int64 = 10_000

    public init(raw: Int64) { self.raw = raw }

    /// An int as money; nil when it does not fit.
    public init?(exactly n: Int64) {
        let (r, o) = n.multipliedReportingOverflow(by: Money.scale)
        if o { return nil }
        raw = r
    }

    /// Parses `-123.45`, `+7`, `0.1234`: digits with an optional sign and at most 4 fractional
    /// digits. Exponents, grouping and more precision are rejected (a payment amount is exact or wrong).
    public init?<S: StringProtocol>(parsing text: S) {
        var text = String(text)
        guard let m = text.withUTF8({ Money(utf8: $0) }) else { return nil }
        self = m
    }

    /// ``init(parsing:)`` on UTF-8 bytes (the JSON decoder's form).
    public init?(utf8 s: UnsafeBufferPointer<UInt8>) {
        var k = 0
        var negative = false
        if let first = s.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            k = 1
        }
        var whole: Int64 = 0, fraction: Int64 = 0, fractionDigits = 0, wholeDigits = 0
        var seenDot = false
        while k < s.count {
            let c = s[k]
            k += 1
            if c == UInt8(ascii: ".") {
                if seenDot { return nil }
                seenDot = true
                continue
            }
            let d = c &- UInt8(ascii: "0")
            guard d < 10 else { return nil }
            if seenDot {
                fractionDigits += 1
                if fractionDigits > 4 { return nil }
                fraction = fraction * 10 + Int64(d)
            } else {
                wholeDigits += 1
                let (m, o1) = whole.multipliedReportingOverflow(by: 10)
                let (a, o2) = m.addingReportingOverflow(Int64(d))
                if o1 || o2 { return nil }
                whole = a
            }
        }
        if wholeDigits == 0 || (seenDot && fractionDigits == 0) { return nil }
        for _ in fractionDigits..<4 { fraction *= 10 }
        let (w, o1) = whole.multipliedReportingOverflow(by: Money.scale)
        let (r, o2) = w.addingReportingOverflow(fraction)
        if o1 || o2 { return nil }
        raw = negative ? -r : r
    }

    public static func < (a: Money, b: Money) -> Bool { a.raw < b.raw }

    /// At least 2 fractional digits, more only when they are not zero: `20.50`, `0.125`, `-3.00`.
    public var description: String {
        let negative = raw < 0
        let magnitude = raw.magnitude
        let whole = magnitude / UInt64(Money.scale)
        var fraction = String(magnitude % UInt64(Money.scale))
        fraction = String(repeating: "0", count: 4 - fraction.count) + fraction
        while fraction.count > 2 && fraction.hasSuffix("0") { fraction.removeLast() }
        return (negative ? "-" : "") + "\(whole).\(fraction)"
    }

    public func adding(_ o: Money) -> Money? {
        let (r, overflow) = raw.addingReportingOverflow(o.raw)
        return overflow ? nil : Money(raw: r)
    }

    public func subtracting(_ o: Money) -> Money? {
        let (r, overflow) = raw.subtractingReportingOverflow(o.raw)
        return overflow ? nil : Money(raw: r)
    }

    /// `self × o`, rounded half to even at 4 places.
    public func multiplied(by o: Money) -> Money? {
        let product = raw.multipliedFullWidth(by: o.raw)
        return Money.divideRounded(high: product.high, low: product.low, by: Money.scale)
    }

    /// `self ÷ o`, rounded half to even at 4 places; nil on overflow (division by zero is the caller's check).
    public func divided(by o: Money) -> Money? {
        guard o.raw != 0 else { return nil }
        let scaled = raw.multipliedFullWidth(by: Money.scale)
        return Money.divideRounded(high: scaled.high, low: scaled.low, by: o.raw)
    }

    /// The 128-bit value `high:low` divided by `divisor`, rounded half to even; nil when the
    /// quotient does not fit in 64 bits.
    static func divideRounded(high: Int64, low: UInt64, by divisor: Int64) -> Money? {
        // Work on magnitudes so the rounding rule is symmetric around zero.
        let negative = (high < 0) != (divisor < 0)
        var (h, l) = (UInt64(bitPattern: high), low)
        if high < 0 {
            // Two's complement negate of the 128-bit value.
            h = ~h
            l = ~l
            let (nl, carry) = l.addingReportingOverflow(1)
            l = nl
            if carry { h &+= 1 }
        }
        let d = divisor.magnitude
        guard h < d else { return nil }
        let (q, r) = d.dividingFullWidth((high: h, low: l))
        var quotient = q
        let twice = r.multipliedReportingOverflow(by: 2)
        if twice.overflow || twice.partialValue > d || (twice.partialValue == d && quotient % 2 == 1) {
            quotient += 1
        }
        guard quotient <= UInt64(Int64.max) + (negative ? 1 : 0) else { return nil }
        return Money(raw: negative ? Int64(truncatingIfNeeded: 0 &- quotient) : Int64(quotient))
    }

    /// Whole units, truncated toward zero.
    public var truncatedInteger: Int64 { raw / Money.scale }
}
