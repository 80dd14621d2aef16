/// FNV-1a, 64 bits: a fast, stable (same in every process) hash for fingerprints — of a pack
/// version, of a sweep's inputs, of a distinct window value — and for hash tables. Not a
/// cryptographic hash.
///
/// ```swift
/// var h = FNV1a()
/// h.combine("payments".utf8)
/// h.endPart()                       // parts are separated: ("ab", "c") ≠ ("a", "bc")
/// h.combine(sourceBytes)
/// print(String(h.value, radix: 16))
/// ```
public struct FNV1a: Sendable {
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    @inline(__always)
    public mutating func combine<S: Sequence>(_ bytes: S) where S.Element == UInt8 {
        for b in bytes { value = (value ^ UInt64(b)) &* 0x100_0000_01b3 }
    }

    /// Ends one part of a multi-part input (mixes a byte UTF-8 text never contains).
    public mutating func endPart() { value = (value ^ 0xFF) &* 0x100_0000_01b3 }

    /// The hash of `bytes` alone.
    @inline(__always)
    public static func hash<S: Sequence>(_ bytes: S) -> UInt64 where S.Element == UInt8 {
        var h = FNV1a()
        h.combine(bytes)
        return h.value
    }
}
