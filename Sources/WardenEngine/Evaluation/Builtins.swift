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
        // Switch on the function first, then read the payloads it needs: a `switch (fn, a, b)`
        // would copy (and retain) both arguments on every call.
        @inline(__always) func int(_ v: Value) throws(EvalError) -> Int64 {
            guard case .int(let n) = v else { throw internalError(fn.rawValue) }
            return n
        }
        @inline(__always) func string(_ v: Value) throws(EvalError) -> String {
            guard case .string(let s) = v else { throw internalError(fn.rawValue) }
            return s
        }
        switch fn {
        case .len:
            if case .list(let l) = a { return .int(Int64(l.count)) }
            return .int(Int64(try string(a).unicodeScalars.count))
        case .lower: return .string(Text.lower(try string(a)))
        case .upper: return .string(Text.upper(try string(a)))
        case .trim: return .string(Text.trim(try string(a)))
        case .nfkc: return .string(Text.nfkc(try string(a)))
        case .normalize: return .string(Text.normalize(try string(a)))
        case .removeWhitespace: return .string(Text.removeWhitespace(try string(a)))
        case .foldWidth: return .string(Text.foldWidth(try string(a)))
        case .startsWith: return .bool(try string(a).utf8.starts(with: try string(b).utf8))
        case .endsWith: return .bool(try string(a).utf8.reversed().starts(with: try string(b).utf8.reversed()))
        case .contains:
            let p = try string(b), s = try string(a)
            return .bool(p.isEmpty || containsBytes(s, p))
        case .abs:
            if case .money(let m) = a { return .money(m.raw < 0 ? try negMoney(m) : m) }
            let n = try int(a)
            return .int(n < 0 ? try negInt(n) : n)
        case .min: return try compare(a, b) <= 0 ? a : b
        case .max: return try compare(a, b) >= 0 ? a : b
        case .int:
            if case .money(let m) = a { return .int(m.truncatedInteger) }
            return .int(try int(a))
        case .decimal:
            if case .money = a { return a }
            return .money(try money(try int(a)))
        case .dateOf: return .int(zone.localDays(ofUTC: try int(a)))
        case .hour: return .int(Int64(zone.hour(ofUTC: try int(a))))
        case .weekday: return .int(Int64(Civil.weekday(days: try int(a))))
        case .daysBetween: return .int(try subInt(try int(b), try int(a)))
        case .age: return .int(Int64(Civil.age(birthDays: try int(a), onDays: try int(b))))
        case .hours: return .int(try int(a) / 3600)
        case .minutes: return .int(try int(a) / 60)
        case .seconds: return .int(try int(a))
        case .parseDate: return Civil.parseDate(Substring(try string(a)).utf8).map { .int($0) } ?? .null
        case .parseTimestamp:
            return Civil.parseLocalTimestamp(Substring(try string(a)).utf8).map { .int(zone.utc(fromLocal: $0)) } ?? .null
        case .validUSCC: return .bool(Validators.isValidUSCC(try string(a)))
        case .validResidentID: return .bool(Validators.isValidResidentID(try string(a)))
        case .residentIDBirth: return Validators.residentIDBirthDays(try string(a)).map { .int($0) } ?? .null
        case .luhn: return .bool(Validators.luhn(try string(a)))
        case .join:
            guard case .list(let items) = a else { throw internalError(fn.rawValue) }
            var out = ""
            for (i, item) in items.enumerated() {
                if i > 0 { out += try string(b) }
                out += try string(item)
            }
            return .string(out)
        case .translate:
            // A constant map arrives as its flat key/value list; maps here are small tables of
            // texts, so a linear search is cheaper than hashing.
            guard case .list(let items) = a, case .list(let pairs) = b else { throw internalError(fn.rawValue) }
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items {
                var i = 0
                while i + 1 < pairs.count && !equal(pairs[i], item) { i += 2 }
                guard i + 1 < pairs.count else {
                    throw EvalError(.missingMapEntry, "translate: the map has no entry for an element of the list")
                }
                out.append(pairs[i + 1])
            }
            return .list(out)
        case .hit, .tagged: throw internalError(fn.rawValue)
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

/// Owns the memory of a program's constant sets and maps (immutable once the program is built).
final class ConstantSetStorage: @unchecked Sendable {
    private var allocations: [UnsafeMutableRawPointer] = []
    private var valueArrays: [(UnsafeMutablePointer<Value>, Int)] = []
    var hashed: [Set<ExactKey>] = []
    /// The maps ``ConstantMap/hashed(_:)`` refers to.
    var maps: [[ExactKey: Value]] = []

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
    static func hash<C: Collection>(_ bytes: C) -> UInt64 where C.Element == UInt8 { FNV1a.hash(bytes) }

    func contains(_ s: String) -> Bool {
        // Native strings (all the VM sees) lend their bytes in place; `var s = s` then
        // `withUTF8` made a copy, a retain and a release, per probe.
        if let found = s.utf8.withContiguousStorageIfAvailable({ find($0) }) { return found }
        var copy = s
        return copy.withUTF8 { find($0) }
    }

    private func find(_ key: UnsafeBufferPointer<UInt8>) -> Bool {
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
