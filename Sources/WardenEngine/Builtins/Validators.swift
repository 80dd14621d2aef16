/// Check-digit validators for Chinese registration numbers and card numbers.
///
/// Each validator reads the string's UTF-8 bytes exactly as given — no trimming, no case
/// folding, no allocation — so callers normalise first if they want leniency.
public enum Validators {
    /// Whether `s` is a well-formed Unified Social Credit Code (统一社会信用代码, GB 32100-2015).
    ///
    /// 18 characters: positions 1–2 and 9–18 from the alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY`
    /// (value = index; no I, O, S, V, Z), positions 3–8 digits. The 18th is the check character
    /// `alphabet[(31 − S mod 31) mod 31]` with `S = Σ value(cᵢ)·(3^(i−1) mod 31)` over the first 17
    /// (weights 1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28). Only the format
    /// and check character are verified, not that the code was ever issued.
    ///
    /// ```swift
    /// Validators.isValidUSCC("91350100M000100Y43")  // true (the standard's worked example)
    /// Validators.isValidUSCC("91350100M000100Y4Z")  // false
    /// ```
    /// - Complexity: O(1); reads at most 19 bytes.
    public static func isValidUSCC(_ s: String) -> Bool {
        var sum = 0
        var i = 0
        for c in s.utf8 {
            guard i < 18 else { return false }
            let value: Int
            if i >= 2 && i <= 7 {
                guard c &- UInt8(ascii: "0") < 10 else { return false }
                value = Int(c &- UInt8(ascii: "0"))
            } else {
                guard let v = usccValue(c) else { return false }
                value = v
            }
            if i == 17 {
                guard value == (31 - sum % 31) % 31 else { return false }
            } else {
                sum += value * usccWeights[i]
            }
            i += 1
        }
        return i == 18
    }

    /// Whether `s` is a valid 18-digit resident identity number (居民身份号码, GB 11643-1999).
    ///
    /// 17 digits then a check character (a digit or uppercase `X`; lowercase `x` is invalid),
    /// verified with ISO 7064 MOD 11-2: weights 7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2,
    /// check = `"10X98765432"[sum % 11]`. Digits 7–14 must be a real date `YYYYMMDD` with year
    /// ≥ 1900. The region code and a birth date in the future are not checked.
    ///
    /// ```swift
    /// Validators.isValidResidentID("11010519491231002X")  // true (the standard's example)
    /// ```
    /// - Complexity: O(1); reads at most 19 bytes.
    public static func isValidResidentID(_ s: String) -> Bool {
        residentIDBirthDays(s) != nil
    }

    /// The birth date of a valid resident identity number, as days since 1970-01-01.
    ///
    /// `nil` exactly when ``isValidResidentID(_:)`` is false.
    ///
    /// ```swift
    /// Validators.residentIDBirthDays("11010519491231002X")  // -7306 (1949-12-31)
    /// ```
    public static func residentIDBirthDays(_ s: String) -> Int64? {
        var sum = 0
        var i = 0
        var year = 0, month = 0, day = 0
        for c in s.utf8 {
            guard i < 18 else { return nil }
            let d = c &- UInt8(ascii: "0")
            if i == 17 {
                let expected = idCheckChars[sum % 11]
                guard c == expected else { return nil }
                i += 1
                continue
            }
            guard d < 10 else { return nil }
            let v = Int(d)
            sum += v * idWeights[i]
            switch i {
            case 6...9: year = year * 10 + v
            case 10...11: month = month * 10 + v
            case 12...13: day = day * 10 + v
            default: break
            }
            i += 1
        }
        guard i == 18, year >= 1900, Civil.isValidDate(year: year, month: month, day: day) else {
            return nil
        }
        return Civil.days(year: year, month: month, day: day)
    }

    /// Whether `s` passes the Luhn (mod 10) check used by payment card numbers.
    ///
    /// `s` must be ASCII digits only — spaces, dashes or any other byte make it false — and at
    /// least 2 digits long.
    ///
    /// ```swift
    /// Validators.luhn("79927398713")  // true
    /// Validators.luhn("79927398710")  // false
    /// ```
    /// - Complexity: O(n); no allocation.
    public static func luhn(_ s: String) -> Bool {
        var sum = 0
        var count = 0
        for c in s.utf8.reversed() {
            let d = c &- UInt8(ascii: "0")
            guard d < 10 else { return false }
            var v = Int(d)
            if count & 1 == 1 {
                v *= 2
                if v > 9 { v -= 9 }
            }
            sum += v
            count += 1
        }
        return count >= 2 && sum % 10 == 0
    }

    // MARK: - Tables

    /// Value of a byte in the USCC alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY`, nil outside it.
    @inline(__always)
    static func usccValue(_ c: UInt8) -> Int? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return Int(c - UInt8(ascii: "0"))
        case UInt8(ascii: "A")...UInt8(ascii: "H"): return Int(c - UInt8(ascii: "A")) + 10  // 10–17
        case UInt8(ascii: "J")...UInt8(ascii: "N"): return Int(c - UInt8(ascii: "J")) + 18  // 18–22
        case UInt8(ascii: "P")...UInt8(ascii: "R"): return Int(c - UInt8(ascii: "P")) + 23  // 23–25
        case UInt8(ascii: "T"), UInt8(ascii: "U"): return Int(c - UInt8(ascii: "T")) + 26   // 26–27
        case UInt8(ascii: "W")...UInt8(ascii: "Y"): return Int(c - UInt8(ascii: "W")) + 28  // 28–30
        default: return nil
        }
    }

    /// 3^(i−1) mod 31 for i = 1…17.
    static let usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]

    static let idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]

    static let idCheckChars: [UInt8] = Array("10X98765432".utf8)
}
