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

/// The set an `in` over a constant list probes, laid out by size: enum members and small ints
/// as a bit mask, a handful of values as a list scanned in order (cheaper than hashing), and
/// anything larger (block lists) as a hash set.
enum ConstantSet: Sendable {
    case bits(UInt64)
    case small([Value])
    case strings(StringTable)
    case hashed(Set<ExactKey>)

    init(_ items: [Value]) {
        let ints = items.compactMap { v -> Int64? in if case .int(let n) = v { return n }; return nil }
        if ints.count == items.count, ints.allSatisfy({ (0..<64).contains($0) }) {
            self = .bits(ints.reduce(0) { $0 | 1 << UInt64($1) })
        } else if items.count <= (ints.isEmpty ? 4 : 8) {
            // A scan beats hashing for a few values; strings hash sooner (each compare is a memcmp).
            self = .small(items)
        } else if items.allSatisfy({ if case .string = $0 { return true }; return false }) {
            self = .strings(StringTable(items.compactMap { if case .string(let s) = $0 { return s }; return nil }))
        } else {
            self = .hashed(Set(items.map { ExactKey($0) }))
        }
    }

    /// Membership by the language's equality; null is in no set.
    @inline(__always)
    func contains(_ v: Value) -> Bool {
        switch self {
        case .bits(let mask):
            if case .int(let n) = v, n >= 0 && n < 64 { return mask & (1 << UInt64(n)) != 0 }
            return false
        case .small(let items):
            return items.contains { Ops.equal($0, v) }
        case .strings(let table):
            if case .string(let s) = v { return table.contains(s) }
            return false
        case .hashed(let set):
            return !v.isNull && set.contains(ExactKey(v))
        }
    }
}

/// An immutable set of strings compared by UTF-8 bytes, for block lists: open addressing
/// over a cheap byte hash (FNV-1a). Hand-written because `Set<String>` hashes with SipHash
/// and canonical equivalence, several times the cost of this on the hot path, and compares
/// by a rule the language does not use.
struct StringTable: Sendable {
    let bytes: [UInt8]
    let starts: [Int]
    /// Entry index + 1, or 0 for an empty bucket; the count is a power of two.
    let buckets: [Int32]

    init(_ strings: [String]) {
        var bytes: [UInt8] = [], starts = [0]
        var unique: [String] = []
        var seen = Set<[UInt8]>()
        for s in strings where seen.insert(Array(s.utf8)).inserted {
            unique.append(s)
            bytes.append(contentsOf: s.utf8)
            starts.append(bytes.count)
        }
        var capacity = 8
        while capacity < unique.count * 2 { capacity *= 2 }
        var buckets = [Int32](repeating: 0, count: capacity)
        for (i, s) in unique.enumerated() {
            var b = Int(StringTable.hash(Array(s.utf8)) & UInt64(capacity - 1))
            while buckets[b] != 0 { b = (b + 1) & (capacity - 1) }
            buckets[b] = Int32(i + 1)
        }
        self.bytes = bytes
        self.starts = starts
        self.buckets = buckets
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
            let mask = buckets.count - 1
            var b = Int(StringTable.hash(key) & UInt64(mask))
            while true {
                let entry = Int(buckets[b])
                if entry == 0 { return false }
                let start = starts[entry - 1], end = starts[entry]
                if end - start == key.count {
                    let same = bytes.withUnsafeBufferPointer { all in
                        key.count == 0 || memcmp(all.baseAddress! + start, key.baseAddress!, key.count) == 0
                    }
                    if same { return true }
                }
                b = (b + 1) & mask
            }
        }
    }
}
