import Dispatch
import WardenEngine

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A growable byte buffer written to directly (no `String` on the hot path), reused across
/// chunks. One buffer is only ever touched by one thread at a time.
final class ByteBuffer: @unchecked Sendable {
    private(set) var base: UnsafeMutablePointer<UInt8>
    var count = 0
    /// Line ends in the buffer, counted after a chunk is generated.
    var lines = 0
    private var capacity: Int

    init(capacity: Int = 1 << 20) {
        self.capacity = capacity
        base = .allocate(capacity: capacity)
    }

    deinit { base.deallocate() }

    @inline(__always)
    func reserve(_ n: Int) {
        if count + n > capacity { grow(count + n) }
    }

    private func grow(_ needed: Int) {
        var c = capacity * 2
        while c < needed { c *= 2 }
        let b = UnsafeMutablePointer<UInt8>.allocate(capacity: c)
        b.update(from: base, count: count)
        base.deallocate()
        base = b
        capacity = c
    }

    @inline(__always)
    func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always)
    func bytes(_ a: [UInt8]) {
        reserve(a.count)
        a.withUnsafeBufferPointer { p in
            (base + count).update(from: p.baseAddress!, count: p.count)
        }
        count += a.count
    }

    func bytes(_ p: UnsafePointer<UInt8>, _ n: Int) {
        reserve(n)
        (base + count).update(from: p, count: n)
        count += n
    }

    /// ASCII text (headers, fixed tokens): off the hot path.
    func text(_ s: String) {
        var s = s
        s.withUTF8 { p in if p.count > 0 { bytes(p.baseAddress!, p.count) } }
    }

    /// A non-negative or negative integer in decimal.
    @inline(__always)
    func int(_ v: Int) {
        reserve(21)
        var x = v
        if x < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
            x = -x
        }
        var tmp: (UInt64, UInt64, UInt64) = (0, 0, 0)
        let n = withUnsafeMutableBytes(of: &tmp) { raw -> Int in
            var i = 24
            repeat {
                i -= 1
                raw[i] = UInt8(ascii: "0") &+ UInt8(x % 10)
                x /= 10
            } while x > 0
            (base + count).update(from: raw.baseAddress!.assumingMemoryBound(to: UInt8.self) + i, count: 24 - i)
            return 24 - i
        }
        count += n
    }

    /// `v` in exactly `width` digits, zero-padded (v ≥ 0).
    @inline(__always)
    func padded(_ v: Int, _ width: Int) {
        reserve(width)
        var x = v
        var i = count + width
        while i > count {
            i -= 1
            base[i] = UInt8(ascii: "0") &+ UInt8(x % 10)
            x /= 10
        }
        count += width
    }

    /// `YYYY-MM-DD` for a day number (0 = 1970-01-01).
    @inline(__always)
    func date(_ days: Int) {
        let c = Civil.civil(fromDays: Int64(days))
        padded(c.year, 4); byte(UInt8(ascii: "-"))
        padded(c.month, 2); byte(UInt8(ascii: "-"))
        padded(c.day, 2)
    }

    /// `YYYY-MM-DD HH:MM:SS` for local wall-clock seconds since 1970-01-01 00:00:00.
    @inline(__always)
    func timestamp(_ seconds: Int) {
        let d = seconds >= 0 ? seconds / 86400 : (seconds - 86399) / 86400
        let s = seconds - d * 86400
        date(d)
        byte(UInt8(ascii: " "))
        padded(s / 3600, 2); byte(UInt8(ascii: ":"))
        padded(s / 60 % 60, 2); byte(UInt8(ascii: ":"))
        padded(s % 60, 2)
    }

    /// Cents as a decimal amount with two places: 12345 → `123.45`.
    @inline(__always)
    func money(_ cents: Int) {
        if cents < 0 { byte(UInt8(ascii: "-")) }
        let c = abs(cents)
        int(c / 100)
        byte(UInt8(ascii: "."))
        padded(c % 100, 2)
    }

    /// Makes the bytes written since `start` one RFC 4180 field: quoted (with `"` doubled)
    /// only when they contain a comma, a quote, CR or LF.
    func quoteField(from start: Int) {
        var needs = false
        var quotes = 0
        for i in start..<count {
            let b = base[i]
            if b == UInt8(ascii: ",") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") { needs = true }
            if b == UInt8(ascii: "\"") { needs = true; quotes += 1 }
        }
        guard needs else { return }
        let raw = Array(UnsafeBufferPointer(start: base + start, count: count - start))
        count = start
        reserve(raw.count + quotes + 2)
        byte(UInt8(ascii: "\""))
        for b in raw {
            if b == UInt8(ascii: "\"") { byte(b) }
            byte(b)
        }
        byte(UInt8(ascii: "\""))
    }

    /// A JSON string literal (quotes included), escaping only what JSON requires.
    func jsonString(_ a: [UInt8]) {
        byte(UInt8(ascii: "\""))
        for b in a {
            switch b {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"): byte(UInt8(ascii: "\\")); byte(b)
            case 0..<0x20:
                bytes(Array("\\u00".utf8)); byte(hexDigit(Int(b >> 4))); byte(hexDigit(Int(b & 15)))
            default: byte(b)
            }
        }
        byte(UInt8(ascii: "\""))
    }

    private func hexDigit(_ v: Int) -> UInt8 { Array("0123456789abcdef".utf8)[v] }
}

/// What one file's generation produced.
struct FileStats {
    var path: String
    var lines = 0
    var bytes = 0
    var seconds = 0.0
}

/// Writes `units` units of work as `chunk`-sized pieces, generated in parallel batches and
/// written strictly in chunk order. `generate(chunkIndex, range, buffer)` must depend only
/// on its arguments, so the bytes never depend on the thread count or scheduling.
func writeChunked(
    path: String, header: String, units: Int, chunk: Int,
    generate: @escaping @Sendable (Int, Range<Int>, ByteBuffer) -> Void
) throws -> FileStats {
    let start = monotonicSeconds()
    guard let file = fopen(path, "wb") else { throw DatagenError("cannot create \(path)") }
    defer { fclose(file) }
    var stats = FileStats(path: path)
    if !header.isEmpty {  // JSON Lines have none
        let head = Array((header + "\n").utf8)
        fwrite(head, 1, head.count, file)
        stats.bytes += head.count
        stats.lines += 1
    }

    let chunks = (units + chunk - 1) / chunk
    let width = max(1, activeProcessorCount()) * 4
    let buffers = (0..<width).map { _ in ByteBuffer(capacity: 1 << 22) }
    var first = 0
    while first < chunks {
        let n = min(width, chunks - first)
        let base = first
        DispatchQueue.concurrentPerform(iterations: n) { k in
            let c = base + k
            let buffer = buffers[k]
            buffer.count = 0
            generate(c, (c * chunk)..<min(units, (c + 1) * chunk), buffer)
            var lines = 0
            for i in 0..<buffer.count where buffer.base[i] == UInt8(ascii: "\n") { lines += 1 }
            buffer.lines = lines
        }
        for k in 0..<n {
            let b = buffers[k]
            guard fwrite(b.base, 1, b.count, file) == b.count else { throw DatagenError("write failed: \(path)") }
            stats.bytes += b.count
            stats.lines += b.lines
        }
        first += n
    }
    stats.seconds = monotonicSeconds() - start
    return stats
}

struct DatagenError: Error, CustomStringConvertible {
    let description: String
    init(_ d: String) { description = d }
}

func monotonicSeconds() -> Double {
    var t = timespec()
    clock_gettime(CLOCK_MONOTONIC, &t)
    return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
}

func activeProcessorCount() -> Int { Int(sysconf(Int32(_SC_NPROCESSORS_ONLN))) }
