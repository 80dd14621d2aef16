import Foundation

/// String builtins: Unicode normalisation, whitespace handling, case, and masking.
///
/// Every function works on Unicode scalars (never grapheme clusters) and returns its input
/// unchanged, without allocating, when there is nothing to do.
public enum Text {
    /// Unicode Normalization Form KC (compatibility decomposition, canonical composition).
    ///
    /// Folds full-width forms, half-width katakana, circled digits, ligatures and the like to
    /// their plain equivalents. ASCII input is returned as is.
    ///
    /// ```swift
    /// Text.nfkc("（北京）科技有限公司")  // "(北京)科技有限公司"
    /// Text.nfkc("ＡＢＣ１２３")          // "ABC123"
    /// ```
    /// - Complexity: O(n). ASCII is returned without allocating; text made only of ASCII, CJK
    ///   ideographs, CJK punctuation and full-width ASCII (typical Chinese names) skips
    ///   Foundation, as NFKC there reduces to ``foldWidth(_:)``.
    public static func nfkc(_ s: String) -> String {
        if isASCII(s) { return s }
        if s.unicodeScalars.allSatisfy(isNFKCFoldWidthOnly) { return foldWidth(s) }
        // NFKD then canonical composition, rather than `precomposedStringWithCompatibilityMapping`:
        // on Linux (Swift 6.3.1) the one-step call leaves a half-width voiced mark uncomposed
        // ("ｶﾞ" → "カ\u{3099}" instead of "ガ"); the two steps are NFKC by definition.
        return s.decomposedStringWithCompatibilityMapping.precomposedStringWithCanonicalMapping
    }

    /// Deletes every scalar with the Unicode `White_Space` property.
    ///
    /// That is tab, LF, VT, FF, CR, space, U+0085, U+00A0, U+1680, U+2000–200A, U+2028, U+2029,
    /// U+202F, U+205F and U+3000. Zero-width characters such as U+200B and U+FEFF are not
    /// `White_Space` and are kept.
    ///
    /// ```swift
    /// Text.removeWhitespace("北京 某某　科技")  // "北京某某科技"
    /// ```
    /// - Complexity: O(n).
    public static func removeWhitespace(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isWhiteSpace) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars where !isWhiteSpace(scalar) { out.append(scalar) }
        return String(out)
    }

    /// The comparison key for names: ``nfkc(_:)`` then ``removeWhitespace(_:)``.
    ///
    /// ```swift
    /// Text.normalize("北京 某某　科技\t有限公司")  // "北京某某科技有限公司"
    /// ```
    public static func normalize(_ s: String) -> String {
        removeWhitespace(nfkc(s))
    }

    /// Folds full-width ASCII (U+FF01–FF5E) to ASCII (U+0021–007E) and U+3000 to a space;
    /// nothing else changes (unlike ``nfkc(_:)``, half-width katakana and circled digits stay).
    ///
    /// ```swift
    /// Text.foldWidth("ＡＢＣ　１２３")  // "ABC 123"
    /// ```
    /// - Complexity: O(n).
    public static func foldWidth(_ s: String) -> String {
        guard s.unicodeScalars.contains(where: isWide) else { return s }
        var out = String.UnicodeScalarView()
        for scalar in s.unicodeScalars {
            let v = scalar.value
            if v == 0x3000 {
                out.append(" ")
            } else if (0xFF01...0xFF5E).contains(v) {
                out.append(Unicode.Scalar(v - 0xFEE0)!)
            } else {
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// Full Unicode lowercase mapping (`"ÀB"` → `"àb"`), locale-independent.
    public static func lower(_ s: String) -> String { s.lowercased() }

    /// Full Unicode uppercase mapping (`"straße"` → `"STRASSE"`), locale-independent.
    public static func upper(_ s: String) -> String { s.uppercased() }

    /// Strips leading and trailing `White_Space` scalars (including U+3000 and U+00A0).
    ///
    /// ```swift
    /// Text.trim("\u{3000} a b \n")  // "a b"
    /// ```
    /// - Complexity: O(n) in the whitespace stripped, plus a copy when anything is.
    public static func trim(_ s: String) -> String {
        let scalars = s.unicodeScalars
        guard let first = scalars.firstIndex(where: { !isWhiteSpace($0) }) else { return "" }
        let last = scalars.lastIndex(where: { !isWhiteSpace($0) })!
        if first == scalars.startIndex && scalars.index(after: last) == scalars.endIndex { return s }
        return String(scalars[first...last])
    }

    /// Masks personal data for display in logs and explanations.
    ///
    /// By scalar count n: n ≥ 11 keeps the first 3 and last 4 scalars; 2 ≤ n ≤ 10 keeps the
    /// first; n = 1 gives `"*"`; empty stays empty. Every other scalar becomes `*`.
    ///
    /// ```swift
    /// Text.mask("13812345678")         // "138****5678"
    /// Text.mask("11010519491231002X")  // "110***********002X"
    /// Text.mask("张三")                 // "张*"
    /// ```
    /// - Complexity: O(n).
    public static func mask(_ s: String) -> String {
        if isASCII(s) {
            // Phone and ID numbers: one byte per scalar, no scalar decoding needed.
            let n = s.utf8.count
            let (head, tail) = n >= 11 ? (3, 4) : n >= 2 ? (1, 0) : (0, 0)
            return String(unsafeUninitializedCapacity: n) { buf in
                for (i, b) in s.utf8.enumerated() { buf[i] = i < head || i >= n - tail ? b : UInt8(ascii: "*") }
                return n
            }
        }
        let n = s.unicodeScalars.count
        let (head, tail) = n >= 11 ? (3, 4) : n >= 2 ? (1, 0) : (0, 0)
        var out = String.UnicodeScalarView()
        for (i, scalar) in s.unicodeScalars.enumerated() {
            out.append(i < head || i >= n - tail ? scalar : "*")
        }
        return String(out)
    }

    // MARK: - Internals

    @inline(__always)
    static func isASCII(_ s: String) -> Bool {
        s.utf8.allSatisfy { $0 < 0x80 }
    }

    /// The Unicode `White_Space` property, with an ASCII shortcut.
    @inline(__always)
    static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        if v < 0x80 { return v == 0x20 || (0x09...0x0D).contains(v) }
        // The White_Space property's whole non-ASCII list (Unicode 15), as a switch: the
        // property lookup was the top cost of name normalisation.
        switch v {
        case 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000: return true
        default: return false
        }
    }

    /// Scalars whose NFKC image is their ``foldWidth(_:)`` image and that never take part in
    /// canonical composition: ASCII, U+3000–3029, CJK Ext. A and unified ideographs, U+FF01–FF5E.
    /// (U+302A–302F are combining marks; U+3036, 3038–303A have compatibility mappings.)
    @inline(__always)
    static func isNFKCFoldWidthOnly(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0..<0x80, 0x3000...0x3029, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E: return true
        default: return false
        }
    }

    @inline(__always)
    static func isWide(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v == 0x3000 || (0xFF01...0xFF5E).contains(v)
    }
}
