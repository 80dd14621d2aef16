/// Deterministic randomness: SplitMix64 seeded per row, so every row is a pure function of
/// (seed, stream, index) and chunks can be generated in any order, on any number of threads,
/// with byte-identical output. Never the system generator.
struct RNG {
    var state: UInt64

    init(state: UInt64) { self.state = state }

    /// The generator for row `index` of `stream` under `seed`.
    init(seed: UInt64, stream: Stream, index: Int) {
        state = mix(mix(seed ^ 0x5745_4152_4445_4E21, stream.rawValue), UInt64(truncatingIfNeeded: index))
    }

    @inline(__always)
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Uniform in `0..<n` (Lemire's multiply-high; the tiny bias is irrelevant here).
    @inline(__always)
    mutating func below(_ n: Int) -> Int {
        Int(truncatingIfNeeded: next().multipliedFullWidth(by: UInt64(n)).high)
    }

    /// Uniform in `range`.
    @inline(__always)
    mutating func int(_ range: Range<Int>) -> Int { range.lowerBound + below(range.count) }

    /// Uniform in [0, 1) with 53 bits.
    @inline(__always)
    mutating func unit() -> Double { Double(next() >> 11) * 0x1p-53 }

    @inline(__always)
    mutating func chance(_ p: Double) -> Bool { p > 0 && unit() < p }

    /// Standard normal (Box–Muller, one of the pair).
    mutating func normal() -> Double {
        let u = 1 - unit()
        let v = unit()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }

    mutating func lognormal(_ mu: Double, _ sigma: Double) -> Double { exp(mu + sigma * normal()) }

    mutating func exponential(mean: Double) -> Double { -log(1 - unit()) * mean }

    @inline(__always)
    mutating func pick<T>(_ a: [T]) -> T { a[below(a.count)] }
}

/// Independent streams: one per kind of row or entity.
enum Stream: UInt64 {
    case account = 1, accountDefect, merchant, merchantDefect, company, registryRows, registryDefect
    case txn, txnDefect, txnAccount, shuffle
}

/// SplitMix64's finaliser over a combination: a good 64-bit hash of (a, b).
@inline(__always)
func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var z = a &* 0x9E37_79B9_7F4A_7C15 ^ (b &+ 0x632B_E59B_D9B4_E019)
    z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
    z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
    return z ^ (z >> 31)
}

/// A discrete distribution given by integer weights; `pick` is a linear scan (tables are short).
struct Weighted: Sendable {
    let cumulative: [Int]
    let total: Int

    init(_ weights: [Int]) {
        var c: [Int] = []
        var t = 0
        for w in weights { t += w; c.append(t) }
        cumulative = c
        total = t
    }

    @inline(__always)
    func pick(_ r: inout RNG) -> Int {
        let x = r.below(total)
        var i = 0
        while cumulative[i] <= x { i += 1 }
        return i
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
