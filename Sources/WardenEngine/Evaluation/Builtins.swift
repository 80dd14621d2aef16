#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import WardenLang

extension Ops {
    /// Calls a builtin on already-evaluated, non-null arguments (the checker guarantees both).
    /// Timestamps given to date functions are converted to local dates by the caller's
    /// compiled code (`days_between`, `weekday`); `zone` is the zone `hour` and `date_of` use.
    static func call(_ fn: Builtin, _ a: Value, _ b: Value, zone: Zone) throws(EvalError) -> Value {
        switch (fn, a, b) {
        case (.len, .string(let s), _): return .int(Int64(s.unicodeScalars.count))
        case (.len, .list(let l), _): return .int(Int64(l.count))
        case (.lower, .string(let s), _): return .string(Text.lower(s))
        case (.upper, .string(let s), _): return .string(Text.upper(s))
        case (.trim, .string(let s), _): return .string(Text.trim(s))
        case (.nfkc, .string(let s), _): return .string(Text.nfkc(s))
        case (.normalize, .string(let s), _): return .string(Text.normalize(s))
        case (.removeWhitespace, .string(let s), _): return .string(Text.removeWhitespace(s))
        case (.foldWidth, .string(let s), _): return .string(Text.foldWidth(s))
        case (.startsWith, .string(let s), .string(let p)): return .bool(s.utf8.starts(with: p.utf8))
        case (.endsWith, .string(let s), .string(let p)): return .bool(s.utf8.reversed().starts(with: p.utf8.reversed()))
        case (.contains, .string(let s), .string(let p)): return .bool(p.isEmpty || containsBytes(s, p))
        case (.abs, .int(let n), _): return .int(n < 0 ? try negInt(n) : n)
        case (.abs, .money(let m), _): return .money(m.raw < 0 ? try negMoney(m) : m)
        case (.min, _, _): return try compare(a, b) <= 0 ? a : b
        case (.max, _, _): return try compare(a, b) >= 0 ? a : b
        case (.int, .money(let m), _): return .int(m.truncatedInteger)
        case (.int, .int, _): return a
        case (.decimal, .int(let n), _): return .money(try money(n))
        case (.decimal, .money, _): return a
        case (.dateOf, .int(let t), _): return .int(zone.localDays(ofUTC: t))
        case (.hour, .int(let t), _): return .int(Int64(zone.hour(ofUTC: t)))
        case (.weekday, .int(let d), _): return .int(Int64(Civil.weekday(days: d)))
        case (.daysBetween, .int(let x), .int(let y)): return .int(try subInt(y, x))
        case (.age, .int(let birth), .int(let on)): return .int(Int64(Civil.age(birthDays: birth, onDays: on)))
        case (.hours, .int(let s), _): return .int(s / 3600)
        case (.minutes, .int(let s), _): return .int(s / 60)
        case (.seconds, .int(let s), _): return .int(s)
        case (.parseDate, .string(let s), _): return Civil.parseDate(Substring(s).utf8).map { .int($0) } ?? .null
        case (.parseTimestamp, .string(let s), _):
            return Civil.parseLocalTimestamp(Substring(s).utf8).map { .int(zone.utc(fromLocal: $0)) } ?? .null
        case (.validUSCC, .string(let s), _): return .bool(Validators.isValidUSCC(s))
        case (.validResidentID, .string(let s), _): return .bool(Validators.isValidResidentID(s))
        case (.residentIDBirth, .string(let s), _): return Validators.residentIDBirthDays(s).map { .int($0) } ?? .null
        case (.luhn, .string(let s), _): return .bool(Validators.luhn(s))
        default: throw internalError(fn.rawValue)
        }
    }

    static func containsBytes(_ s: String, _ p: String) -> Bool {
        let hay = Array(s.utf8), needle = Array(p.utf8)
        guard needle.count <= hay.count else { return false }
        for i in 0...(hay.count - needle.count) where hay[i] == needle[0] {
            if hay[i..<i + needle.count].elementsEqual(needle) { return true }
        }
        return false
    }
}

/// A hashable wrapper that compares strings by scalars (as the language's `==` does), for
/// the hash sets and maps `in` and `m[k]` use. Swift's own `String ==` uses canonical
/// equivalence, which would make `in` disagree with `==`.
struct ExactKey: Hashable {
    let value: Value

    init(_ value: Value) { self.value = value }

    static func == (a: ExactKey, b: ExactKey) -> Bool {
        switch (a.value, b.value) {
        case (.null, .null): return true
        default: return Ops.equal(a.value, b.value)
        }
    }

    func hash(into hasher: inout Hasher) {
        switch value {
        case .string(let s):
            hasher.combine(0 as UInt8)
            var s = s
            s.withUTF8 { hasher.combine(bytes: UnsafeRawBufferPointer($0)) }
        case .int(let n): hasher.combine(1 as UInt8); hasher.combine(n)
        case .money(let m): hasher.combine(2 as UInt8); hasher.combine(m.raw)
        case .bool(let b): hasher.combine(b)
        case .null: hasher.combine(3 as UInt8)
        case .list(let l): hasher.combine(l.count)
        }
    }
}

/// The set an `in` over a constant list probes, laid out by content: enum members and small
/// ints as a bit mask, strings as a byte-hashed table, a few other values scanned in order,
/// anything else (lists, large mixed sets) as a hash set.
///
/// Every case's payload is plain data (raw pointers into storage the `Program` keeps alive),
/// so reading a set out of the program's table costs no retain: the probe is on the hot path
/// of every block-list rule.
enum ConstantSet: @unchecked Sendable {
    case bits(UInt64)
    case strings(StringTable)
    /// A few values, compared in order.
    case values(UnsafePointer<Value>, Int)
    /// Index into `ConstantSetStorage.hashed`.
    case hashed(Int)

    /// Builds the set, keeping its memory in `storage`.
    static func make(_ items: [Value], storage: ConstantSetStorage) -> ConstantSet {
        let ints = items.compactMap { v -> Int64? in if case .int(let n) = v { return n }; return nil }
        let strings = items.compactMap { v -> String? in if case .string(let s) = v { return s }; return nil }
        if ints.count == items.count, ints.allSatisfy({ (0..<64).contains($0) }) {
            return .bits(ints.reduce(0) { $0 | 1 << UInt64($1) })
        }
        if strings.count == items.count {
            return .strings(storage.table(strings))
        }
        if items.count <= 8 {
            return .values(storage.values(items), items.count)
        }
        storage.hashed.append(Set(items.map { ExactKey($0) }))
        return .hashed(storage.hashed.count - 1)
    }

    /// Membership by the language's equality; null is in no set.
    @inline(__always)
    func contains(_ v: Value, _ storage: ConstantSetStorage) -> Bool {
        switch self {
        case .bits(let mask):
            if case .int(let n) = v, n >= 0 && n < 64 { return mask & (1 << UInt64(n)) != 0 }
            return false
        case .strings(let table):
            if case .string(let s) = v { return table.contains(s) }
            return false
        case .values(let items, let count):
            for i in 0..<count where Ops.equal(items[i], v) { return true }
            return false
        case .hashed(let index):
            return !v.isNull && storage.hashed[index].contains(ExactKey(v))
        }
    }
}

/// Owns the memory of a program's constant sets (immutable once the program is built).
final class ConstantSetStorage: @unchecked Sendable {
    private var allocations: [UnsafeMutableRawPointer] = []
    private var valueArrays: [(UnsafeMutablePointer<Value>, Int)] = []
    var hashed: [Set<ExactKey>] = []

    func table(_ strings: [String]) -> StringTable {
        var bytes: [UInt8] = [], starts = [0]
        var seen = Set<[UInt8]>()
        for s in strings where seen.insert(Array(s.utf8)).inserted {
            bytes.append(contentsOf: s.utf8)
            starts.append(bytes.count)
        }
        let count = starts.count - 1
        var capacity = 8
        while capacity < count * 2 { capacity *= 2 }
        let b = copy(bytes), st = copy(starts)
        let buckets = UnsafeMutablePointer<Int32>.allocate(capacity: capacity)
        buckets.initialize(repeating: 0, count: capacity)
        allocations.append(UnsafeMutableRawPointer(buckets))
        for i in 0..<count {
            var slot = Int(StringTable.hash(bytes[starts[i]..<starts[i + 1]]) & UInt64(capacity - 1))
            while buckets[slot] != 0 { slot = (slot + 1) & (capacity - 1) }
            buckets[slot] = Int32(i + 1)
        }
        return StringTable(bytes: b, starts: st, buckets: buckets, mask: capacity - 1)
    }

    func values(_ items: [Value]) -> UnsafePointer<Value> {
        let p = UnsafeMutablePointer<Value>.allocate(capacity: items.count)
        p.initialize(from: items, count: items.count)
        valueArrays.append((p, items.count))
        return UnsafePointer(p)
    }

    private func copy<T>(_ items: [T]) -> UnsafePointer<T> {
        let p = UnsafeMutablePointer<T>.allocate(capacity: max(1, items.count))
        p.initialize(from: items, count: items.count)
        allocations.append(UnsafeMutableRawPointer(p))
        return UnsafePointer(p)
    }

    deinit {
        for (p, n) in valueArrays {
            p.deinitialize(count: n)
            p.deallocate()
        }
        // The other allocations hold trivial types (bytes, ints).
        for a in allocations { a.deallocate() }
    }
}

/// An immutable set of strings compared by UTF-8 bytes, for block lists: open addressing
/// over a cheap byte hash (FNV-1a). Hand-written because `Set<String>` hashes with SipHash and
/// canonical equivalence — several times this cost on the hot path, and a different notion of
/// equality from the language's. Raw pointers into `ConstantSetStorage`.
struct StringTable: @unchecked Sendable {
    let bytes: UnsafePointer<UInt8>
    let starts: UnsafePointer<Int>
    /// Entry index + 1, or 0 for an empty bucket; mask + 1 buckets, a power of two.
    let buckets: UnsafePointer<Int32>
    let mask: Int

    init(bytes: UnsafePointer<UInt8>, starts: UnsafePointer<Int>, buckets: UnsafeMutablePointer<Int32>, mask: Int) {
        self.bytes = bytes
        self.starts = starts
        self.buckets = UnsafePointer(buckets)
        self.mask = mask
    }

    @inline(__always)
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in bytes { h = (h ^ UInt64(b)) &* 0x100_0000_01b3 }
        return h
    }

    func contains(_ s: String) -> Bool {
        var s = s
        return s.withUTF8 { key in
            var slot = Int(StringTable.hash(key) & UInt64(mask))
            while true {
                let entry = Int(buckets[slot])
                if entry == 0 { return false }
                let start = starts[entry - 1], end = starts[entry]
                if end - start == key.count && (key.count == 0 || memcmp(bytes + start, key.baseAddress!, key.count) == 0) {
                    return true
                }
                slot = (slot + 1) & mask
            }
        }
    }
}
