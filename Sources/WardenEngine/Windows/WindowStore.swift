import Synchronization
import WardenLang

// Velocity-window state: hand-written rather than a library's, because it is on the payment
// path (every event updates every window of its pack) and its semantics must be exact and
// written down. Documentation/Windows.md is the user-facing account of the same rules.

/// The state of a pack's velocity windows (`window txns_1h = count() by account_id over 1h`),
/// shared by every thread that evaluates the pack.
///
/// ## Semantics
/// - **Event time.** An event's time is its own timestamp (the input's first non-optional
///   `timestamp` field), never the clock.
/// - **The current event counts.** An event's window value covers the events of its key with
///   a time in `(t − D, t]` — the event itself included — where `t` is its time and `D` the
///   window's duration. `txns_1h > 10` means "this is at least the eleventh in an hour".
///   Every evaluated event is observed, whatever its decision: a blocked attempt counts.
/// - **Out of order.** An event may arrive up to `lateTolerance` seconds behind the newest event
///   of its key and is placed in time order; its window is `(t − D, t]` over the events stored,
///   so a later-arriving earlier event does not see events after it. An event further behind is
///   *late*: its value is computed the same way from what is still stored, it is not stored
///   itself, and ``Observation/late`` says so.
/// - **sum and distinct.** `sum(f)` adds `f` over the window (a null `f` adds nothing; ints,
///   durations and decimals are summed exactly in 128 bits, and a total beyond the type's
///   range saturates at its bound rather than wrapping);
///   `distinct(f)` counts the different non-null values of `f` (compared by their text).
/// - **Memory.** A key's events older than `newest − D − lateTolerance` are dropped as new
///   events arrive; a key with nothing left is removed by a sweep that runs when a lock
///   stripe's key count has doubled since the last sweep, or two window lengths of event time
///   have passed (sweeping costs O(1) per new key and per event). A window keeps at
///   most `max_keys` keys (the pack's, else ``Options/defaultMaxKeys``): when full, expired keys
///   are removed first, then the eighth of keys seen least recently (by their newest event),
///   counted in ``evictions``.
/// - **Restart.** ``snapshot()`` / ``restore(_:)`` carry every stored event across a restart
///   (``WindowSnapshotFile`` keeps them in SQLite).
///
/// Windows are matched by *identity* (aggregate, fields and types, duration, key cap, time
/// field) — a reloaded pack whose window is unchanged keeps its state
/// (``init(program:options:previous:)``), and identical windows of one pack share one state.
///
/// ```swift
/// let store = WindowStore(program: pack.program)
/// let values = store.observe(record).values        // updates every window, returns its values
/// let decision = evaluator.evaluate(record, windows: values)
/// ```
public final class WindowStore: Sendable {
    public struct Options: Sendable {
        /// Seconds an event may arrive behind the newest event of its key and still be stored.
        public var lateTolerance: Int64 = 300
        /// The key cap of a window without `max_keys`.
        public var defaultMaxKeys = 1_000_000
        /// Lock stripes per window: threads observing different keys rarely wait on each other.
        public var stripes = 64

        public init() {}
    }

    /// What observing one event gave.
    public struct Observation: Sendable {
        /// The window values, in `Program.windows` order.
        public var values: [Value]
        /// The event was more than `lateTolerance` behind its key's newest event in some window.
        public var late: Bool
    }

    public let options: Options
    /// One state per distinct window: two identical windows in a pack share one, observed once.
    let states: [WindowState]
    /// For each of `Program.windows`, its index in `states`.
    let stateOf: [Int]
    let timeField: Int?
    /// The distinct `by` fields, and for each window the index of its field among them: windows
    /// keyed by the same field (account_id, mostly) hash the key once per event.
    let keyFields: [Int]
    let keyGroup: [Int]

    /// The state for `program`'s windows; windows identical to one of `previous` share its state.
    public init(program: Program, options: Options = Options(), previous: WindowStore? = nil) {
        self.options = options
        let fields = program.fields
        var states: [WindowState] = []
        stateOf = program.windows.map { w in
            let identity = WindowState.identity(w, fields: fields, options: options)
            if let i = states.firstIndex(where: { $0.identity == identity }) { return i }
            states.append(previous?.states.first { $0.identity == identity }
                          ?? WindowState(w, identity: identity, options: options))
            return states.count - 1
        }
        self.states = states
        timeField = program.windows.first?.time
        var byFields: [Int] = []
        keyGroup = states.map { w in
            if let i = byFields.firstIndex(of: w.by) { return i }
            byFields.append(w.by)
            return byFields.count - 1
        }
        keyFields = byFields
    }

    /// Adds the event to every window and returns its window values. A record whose time or key
    /// is null (cannot happen for a checked pack's records) gets zeros and changes nothing.
    public func observe(_ record: Record) -> Observation {
        guard let tf = timeField, case .int(let t) = record.values[tf] else {
            return Observation(values: stateOf.map { states[$0].zero }, late: false)
        }
        var late = false
        var observed: [Value] = []
        observed.reserveCapacity(states.count)
        withUnsafeTemporaryAllocation(of: WindowKey?.self, capacity: keyFields.count) { keys in
            for (i, f) in keyFields.enumerated() {
                (keys.baseAddress! + i).initialize(to: WindowState.keyText(record.values[f]).map(WindowKey.init))
            }
            defer { _ = keys.baseAddress!.deinitialize(count: keyFields.count) }
            for (w, window) in states.enumerated() {
                guard let key = keys[keyGroup[w]] else {
                    observed.append(window.zero)
                    continue
                }
                let (v, wasLate) = window.observe(record, time: t, key: key)
                observed.append(v)
                late = late || wasLate
            }
        }
        return Observation(values: states.count == stateOf.count ? observed : stateOf.map { observed[$0] }, late: late)
    }

    /// Whether the pack has no windows (observing is then a no-op).
    public var isEmpty: Bool { states.isEmpty }

    /// Keys holding state, per window (in `Program.windows` order).
    public var keyCounts: [Int] { stateOf.map { states[$0].keyCount } }

    /// Keys evicted because a window was full, per window.
    public var evictions: [Int] { stateOf.map { states[$0].evicted.load(ordering: .relaxed) } }

    /// Every stored event, for ``WindowSnapshotFile``.
    public func snapshot() -> [WindowSnapshot] { states.map { $0.snapshot() } }

    /// Puts back events from a snapshot into the windows with the same identity (others are
    /// ignored: their definition changed). Returns the number of events restored.
    @discardableResult
    public func restore(_ snapshots: [WindowSnapshot]) -> Int {
        var restored = 0
        for s in snapshots {
            guard let w = states.first(where: { $0.identity == s.identity }) else { continue }
            restored += w.restore(s)
        }
        return restored
    }
}

/// One window's stored events: key → (time, value) pairs in time order.
public struct WindowSnapshot: Sendable, Equatable {
    public var identity: String
    public var keys: [(key: String, events: [(time: Int64, value: Int64)])]

    public static func == (a: WindowSnapshot, b: WindowSnapshot) -> Bool {
        a.identity == b.identity && a.keys.count == b.keys.count
            && zip(a.keys, b.keys).allSatisfy { x, y in
                x.key == y.key && x.events.count == y.events.count
                    && zip(x.events, y.events).allSatisfy { $0.time == $1.time && $0.value == $1.value }
            }
    }
}

/// A window key with its hash computed once (stripe choice and dictionary lookup share it).
struct WindowKey: Hashable, Sendable {
    let text: String
    let hash: Int

    init(_ text: String) {
        self.text = text
        hash = text.hashValue
    }

    func hash(into hasher: inout Hasher) { hasher.combine(hash) }
    static func == (a: WindowKey, b: WindowKey) -> Bool { a.hash == b.hash && a.text == b.text }
}

/// The events of one key, in time order from `head`. Only touched under its stripe's lock,
/// which is what makes the unchecked `Sendable` true.
final class KeySeries: @unchecked Sendable {
    struct Event {
        var time: Int64
        /// The summed amount, or the distinct value's hash.
        var value: Int64
        /// The sum of the values up to and including this one (128 bits: never overflows), so
        /// a window's sum is one subtraction.
        var cumulative: Int128
    }

    /// One array (one allocation) per key: most keys hold a handful of events.
    var events: [Event] = []
    var head = 0

    var count: Int { events.count - head }
    var newest: Int64 { events.last?.time ?? Int64.min }

    /// Index of the first event (from head) with time > t.
    func upperBound(_ t: Int64) -> Int {
        var lo = head, hi = events.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if events[mid].time <= t { lo = mid + 1 } else { hi = mid }
        }
        return lo
    }

    func insert(_ t: Int64, _ v: Int64) {
        if t >= newest {
            events.append(Event(time: t, value: v, cumulative: (events.last?.cumulative ?? 0) + Int128(v)))
        } else {
            let i = upperBound(t)  // after the events with the same time: arrival order kept
            events.insert(Event(time: t, value: v, cumulative: 0), at: i)
            let before = i > 0 ? events[i - 1].cumulative : (events.count > 1 ? events[1].cumulative - Int128(events[1].value) : 0)
            for j in i..<events.count { events[j].cumulative = (j > i ? events[j - 1].cumulative : before) + Int128(events[j].value) }
        }
    }

    /// The sum of the values of events `lo..<hi` (valid after compaction: the running total
    /// before `lo` is read off event `lo` itself).
    func sum(_ lo: Int, _ hi: Int) -> Int128 {
        guard hi > lo else { return 0 }
        return events[hi - 1].cumulative - (events[lo].cumulative - Int128(events[lo].value))
    }

    /// Drops events with time <= `cutoff`; compacts once half the storage is dead.
    func expire(through cutoff: Int64) {
        while head < events.count && events[head].time <= cutoff { head += 1 }
        if head > 32 && head * 2 > events.count {
            events.removeFirst(head)
            head = 0
        }
    }
}

/// One window's state: keys spread over lock stripes.
final class WindowState: Sendable {
    struct Stripe: Sendable {
        var keys: [WindowKey: KeySeries] = [:]
        var newest = Int64.min
        /// Keys left by the last sweep for expired keys, and the event time it ran at: the next
        /// runs when the stripe has doubled since, or two window lengths of event time passed.
        var keysAfterPurge = 0
        var purgedAt = Int64.min
    }

    let identity: String
    let aggregate: WindowAggregate
    let field: Int?
    let by: Int
    let seconds: Int64
    let decimal: Bool
    let tolerance: Int64
    let stripeCap: Int
    /// One lock per stripe (a class: a `Mutex` cannot sit in an array).
    final class StripeLock: Sendable {
        let state = Mutex(Stripe())
        func withLock<R>(_ body: (inout Stripe) -> R) -> R { state.withLock { body(&$0) } }
    }
    let stripes: [StripeLock]
    let evicted = Atomic<Int>(0)

    var zero: Value { decimal ? .money(Money(raw: 0)) : .int(0) }

    /// What must not change for a reloaded (or restored) window to keep its state: aggregate,
    /// fields and their types, duration, key cap and the event-time field.
    static func identity(_ w: CheckedPack.Window, fields: [Program.Field], options: WindowStore.Options) -> String {
        let field = w.field.map { "\(fields[$0].name): \(fields[$0].type.unwrapped)" } ?? ""
        return "\(w.aggregate.rawValue)(\(field)) by \(fields[w.by].name) over \(w.seconds)s"
            + " max_keys \(w.maxKeys ?? options.defaultMaxKeys) at \(fields[w.time].name)"
    }

    init(_ w: CheckedPack.Window, identity: String, options: WindowStore.Options) {
        self.identity = identity
        aggregate = w.aggregate
        field = w.field
        by = w.by
        seconds = w.seconds
        decimal = w.type == .decimal
        tolerance = options.lateTolerance
        // Small caps get fewer stripes, so each stripe's share of the cap stays meaningful.
        let n = max(1, min(options.stripes, (w.maxKeys ?? options.defaultMaxKeys) / 256))
        stripeCap = max(1, (w.maxKeys ?? options.defaultMaxKeys) / n)
        stripes = (0..<n).map { _ in StripeLock() }
    }

    var keyCount: Int { stripes.reduce(0) { n, s in n + s.withLock { $0.keys.count } } }

    /// The key text of a field value (strings as they are; other values in their plain form).
    static func keyText(_ v: Value) -> String? {
        switch v {
        case .null: return nil
        case .string(let s): return s
        case .int(let n): return String(n)
        case .money(let m): return m.description
        case .bool(let b): return b ? "true" : "false"
        case .list: return nil
        }
    }

    /// The stored value of the event: the summed amount, or the hash of the distinct value.
    func eventValue(_ record: Record) -> Int64? {
        guard let f = field else { return 0 }
        let v = record.values[f]
        switch aggregate {
        case .count: return 0
        case .sum:
            switch v {
            case .int(let n): return n
            case .money(let m): return m.raw
            default: return nil
            }
        case .distinct:
            return WindowState.keyText(v).map { Int64(bitPattern: WindowState.stableHash($0)) }
        }
    }

    /// FNV-1a over the text: the same in every process, so snapshots restore.
    static func stableHash(_ s: String) -> UInt64 {
        FNV1a.hash(s.utf8)
    }

    func observe(_ record: Record, time t: Int64, key: WindowKey) -> (Value, Bool) {
        let v = eventValue(record)
        let stripe = stripes[Int(UInt64(truncatingIfNeeded: key.hash) % UInt64(stripes.count))]
        return stripe.withLock { s in
            if t > s.newest { s.newest = t }
            if s.purgedAt == Int64.min {
                s.purgedAt = t
            } else if s.keys.count > 64 && s.newest &- s.purgedAt >= 2 * seconds {
                purge(&s)
            }
            let series: KeySeries
            if let existing = s.keys[key] {
                series = existing
            } else {
                if s.keys.count >= stripeCap {
                    makeRoom(&s)
                } else if s.keys.count >= 2 * max(64, s.keysAfterPurge) {
                    purge(&s)
                }
                series = KeySeries()
                s.keys[key] = series
            }
            let late = series.count > 0 && t < series.newest - tolerance
            if !late {
                series.insert(t, v ?? 0)
                series.expire(through: series.newest - seconds - tolerance)
            }
            return (aggregateValue(series, at: t, including: late ? v : nil, late: late), late)
        }
    }

    /// The window value of an event at `t` over the stored events in (t − D, t]; a late event
    /// (not stored) adds itself.
    func aggregateValue(_ series: KeySeries, at t: Int64, including own: Int64?, late: Bool) -> Value {
        let hi = series.upperBound(t)
        let lo = series.upperBound(t - seconds)
        switch aggregate {
        case .count:
            return .int(Int64(hi - lo + (late ? 1 : 0)))
        case .sum:
            // Saturated at the type's bounds rather than wrapped: a window holding more than
            // ±922 trillion CNY still compares as huge, never as negative.
            let exact = series.sum(lo, hi) + Int128(late ? (own ?? 0) : 0)
            let total = exact > Int128(Int64.max) ? Int64.max : exact < Int128(Int64.min) ? Int64.min : Int64(exact)
            return decimal ? .money(Money(raw: total)) : .int(total)
        case .distinct:
            // Sorted in a stack buffer and counted once each: no allocation per event.
            let n = hi - lo + 1
            let distinct = withUnsafeTemporaryAllocation(of: Int64.self, capacity: n) { buffer -> Int in
                var k = 0
                for i in lo..<hi where series.events[i].value != WindowState.nullMarker {
                    buffer[k] = series.events[i].value
                    k += 1
                }
                if late, let own, own != WindowState.nullMarker {
                    buffer[k] = own
                    k += 1
                }
                var used = UnsafeMutableBufferPointer(rebasing: buffer[0..<k])
                used.sort()
                var count = 0
                for i in 0..<k where i == 0 || used[i] != used[i - 1] { count += 1 }
                return count
            }
            return .int(Int64(distinct))
        }
    }

    /// Stored for an event whose distinct field was null (never counted).
    static let nullMarker: Int64 = 0

    /// Removes keys whose every event has expired.
    func purge(_ s: inout Stripe) {
        s.purgedAt = s.newest
        let cutoff = s.newest - seconds - tolerance
        let expired = s.keys.compactMap { key, series in series.newest > cutoff ? nil : key }
        for key in expired { s.keys.removeValue(forKey: key) }
        s.keysAfterPurge = s.keys.count
    }

    /// At the key cap: expired keys go first, then the eighth seen least recently.
    func makeRoom(_ s: inout Stripe) {
        purge(&s)
        guard s.keys.count >= stripeCap else { return }
        let drop = max(1, s.keys.count / 8)
        let oldest = s.keys.map { ($0.key, $0.value.newest) }.sorted { $0.1 < $1.1 }.prefix(drop)
        for (k, _) in oldest { s.keys.removeValue(forKey: k) }
        s.keysAfterPurge = s.keys.count
        evicted.add(drop, ordering: .relaxed)
    }

    func snapshot() -> WindowSnapshot {
        var keys: [(key: String, events: [(time: Int64, value: Int64)])] = []
        for stripe in stripes {
            stripe.withLock { s in
                for (k, series) in s.keys where series.count > 0 {
                    keys.append((k.text, series.events[series.head...].map { ($0.time, $0.value) }))
                }
            }
        }
        keys.sort { $0.key < $1.key }
        return WindowSnapshot(identity: identity, keys: keys)
    }

    func restore(_ snapshot: WindowSnapshot) -> Int {
        var n = 0
        for (text, events) in snapshot.keys {
            let key = WindowKey(text)
            let stripe = stripes[Int(UInt64(truncatingIfNeeded: key.hash) % UInt64(stripes.count))]
            stripe.withLock { s in
                let series = s.keys[key] ?? KeySeries()
                for e in events.sorted(by: { $0.time < $1.time }) {
                    series.insert(e.time, e.value)
                    if e.time > s.newest { s.newest = e.time }
                    n += 1
                }
                if series.count > 0 {
                    series.expire(through: series.newest - seconds - tolerance)
                    s.keys[key] = series
                }
            }
        }
        return n
    }
}

extension CheckedPack.Window {
    /// The window's value before any event: 0 of its type.
    public var zero: Value { type == .decimal ? .money(Money(raw: 0)) : .int(0) }
}
