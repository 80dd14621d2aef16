import Foundation

/// Splits a JSON array into the byte ranges of its elements without decoding them, so each
/// element of a batch goes to the engine's single-pass record decoder, which reports its own
/// errors (and field names) per element.
///
/// Only the array's structure is checked here: brackets, commas, strings and nesting. An element
/// that is itself malformed inside balanced brackets (`{"a": }`) is returned as a range and
/// fails in the record decoder, at its index.
///
/// - Complexity: O(n) in the body size; no allocation beyond the result.
enum JSONArrayElements {
    struct Failure: Error, Equatable {
        var message: String
        var offset: Int
    }

    static func split(_ b: UnsafeRawBufferPointer) throws(Failure) -> [Range<Int>] {
        var i = 0
        let n = b.count
        func skipSpace() {
            while i < n, b[i] == 0x20 || b[i] == 0x0A || b[i] == 0x0D || b[i] == 0x09 { i += 1 }
        }
        skipSpace()
        guard i < n, b[i] == UInt8(ascii: "[") else {
            throw Failure(message: "the body must be a JSON array of events", offset: i)
        }
        i += 1
        var out: [Range<Int>] = []
        skipSpace()
        if i < n, b[i] == UInt8(ascii: "]") {
            i += 1
            skipSpace()
            guard i == n else { throw Failure(message: "unexpected data after the array", offset: i) }
            return out
        }
        while true {
            skipSpace()
            let start = i
            try skipValue(b, &i)
            out.append(start..<i)
            skipSpace()
            guard i < n else { throw Failure(message: "unterminated array", offset: i) }
            if b[i] == UInt8(ascii: ",") {
                i += 1
                continue
            }
            guard b[i] == UInt8(ascii: "]") else {
                throw Failure(message: "expected ',' or ']' after element \(out.count - 1)", offset: i)
            }
            i += 1
            skipSpace()
            guard i == n else { throw Failure(message: "unexpected data after the array", offset: i) }
            return out
        }
    }

    /// Moves `i` past one value: a string, a bracketed value with balanced nesting, or a scalar.
    private static func skipValue(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(Failure) {
        let n = b.count
        guard i < n else { throw Failure(message: "unterminated array", offset: i) }
        switch b[i] {
        case UInt8(ascii: "\""):
            try skipString(b, &i)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            // Depth only: a mismatched pair (`{]`) leaves the element unbalanced or ends it where
            // the array's own syntax then fails, or reaches the record decoder, which rejects it.
            var depth = 0
            repeat {
                switch b[i] {
                case UInt8(ascii: "\""):
                    try skipString(b, &i)
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                default:
                    break
                }
                i += 1
            } while depth > 0 && i < n
            guard depth == 0 else { throw Failure(message: "unterminated element", offset: i) }
        default:
            let start = i
            while i < n, b[i] != UInt8(ascii: ","), b[i] != UInt8(ascii: "]"), b[i] != 0x20, b[i] != 0x0A,
                  b[i] != 0x0D, b[i] != 0x09 {
                i += 1
            }
            if i == start { throw Failure(message: "expected a value", offset: i) }
        }
    }

    /// Moves `i` past the string starting at `b[i]`: `memchr` to each quote, then a quote preceded
    /// by an odd number of backslashes is escaped and the search goes on.
    private static func skipString(_ b: UnsafeRawBufferPointer, _ i: inout Int) throws(Failure) {
        let start = i
        guard let base = b.baseAddress else { throw Failure(message: "unterminated string", offset: start) }
        var from = i + 1
        while from < b.count {
            guard let hit = memchr(base + from, Int32(UInt8(ascii: "\"")), b.count - from) else { break }
            let q = base.distance(to: UnsafeRawPointer(hit))
            var backslashes = 0
            while q - 1 - backslashes > start, b[q - 1 - backslashes] == UInt8(ascii: "\\") { backslashes += 1 }
            if backslashes % 2 == 0 {
                i = q + 1
                return
            }
            from = q + 1
        }
        throw Failure(message: "unterminated string", offset: start)
    }
}
