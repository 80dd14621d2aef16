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
