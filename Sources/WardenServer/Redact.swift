import WardenEngine

/// Masking for what the service logs. Record values are never logged; this is the second line
/// of defence for free text that might carry one (an error message quoting a URL or a body).
enum Redact {
    /// Masks every run of 11 or more digits (optionally ending in `X`/`x`, as resident ID
    /// numbers do) with ``Text/mask(_:)``: phone numbers, ID numbers, card numbers.
    ///
    /// ```swift
    /// Redact.numbers(in: "phone 13812345678 failed")   // "phone 138****5678 failed"
    /// ```
    static func numbers(in text: String) -> String {
        var digits = 0
        for b in text.utf8 {
            if b &- 0x30 < 10 {
                digits += 1
                if digits >= 11 { break }
            } else {
                digits = 0
            }
        }
        guard digits >= 11 else { return text }
        var out = ""
        var run = ""
        func flush() {
            out += run.count >= 11 ? Text.mask(run) : run
            run = ""
        }
        for c in text {
            if c.isASCII, c.isNumber {
                run.append(c)
            } else if (c == "X" || c == "x"), !run.isEmpty {
                run.append(c)
                flush()
            } else {
                flush()
                out.append(c)
            }
        }
        flush()
        return out
    }
}
