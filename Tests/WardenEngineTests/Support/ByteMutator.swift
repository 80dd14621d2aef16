/// SplitMix64: a tiny deterministic generator, so a failing mutant reproduces from its seed
/// and iteration.
struct SplitMix64: RandomNumberGenerator {
    var state: UInt64

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// Mutates bytes the ways fuzzers find parser bugs with: a range deleted, a range duplicated
/// elsewhere, two bytes swapped, a random byte or a printable one inserted, a fragment of the
/// input's own syntax inserted. Used by the front-end and record-decoder mutation tests.
struct ByteMutator {
    /// Pieces of syntax worth inserting (tokens, escapes, bad UTF-8).
    let fragments: [[UInt8]]
    /// At most this many edits per mutant.
    let maxEdits: Int

    func mutate(_ input: [UInt8], using g: inout SplitMix64) -> [UInt8] {
        var bytes = input
        for _ in 0..<Int.random(in: 1...maxEdits, using: &g) {
            let at = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &g)
            switch Int.random(in: 0..<6, using: &g) {
            case 0 where !bytes.isEmpty:
                bytes.removeSubrange(at..<min(bytes.count, at + Int.random(in: 1...12, using: &g)))
            case 1 where !bytes.isEmpty:
                let end = min(bytes.count, at + Int.random(in: 1...40, using: &g))
                bytes.insert(contentsOf: bytes[at..<end], at: Int.random(in: 0...bytes.count, using: &g))
            case 2 where bytes.count > 2:
                bytes.swapAt(at, Int.random(in: 0..<bytes.count, using: &g))
            case 3:
                bytes.insert(UInt8.random(in: 0...255, using: &g), at: at)
            case 4 where !bytes.isEmpty:
                bytes[at] = UInt8.random(in: 0x20...0x7E, using: &g)
            default:
                bytes.insert(contentsOf: fragments[Int.random(in: 0..<fragments.count, using: &g)], at: at)
            }
        }
        return bytes
    }
}
