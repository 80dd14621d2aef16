import Foundation
import Synchronization
import WardenLang

/// The real-time engine a payment service embeds: named packs, each compiled once and shared by
/// every thread, hot reload with atomic swap, velocity windows, and one call per event.
///
/// - **Thread-safe.** ``score(pack:json:explain:)`` may be called from any number of threads
///   at once. Each call takes the pack's current snapshot once and uses it for decoding, windows,
///   evaluation and rendering, so a decision comes wholly from one version of the pack.
/// - **Hot reload.** ``load(name:path:params:)`` and ``reload(name:)`` compile the new pack on
///   the caller's thread, off the scoring path, and swap it in atomically. A pack that fails to
///   compile throws ``PackError`` with every diagnostic, and the old one keeps serving. Windows
///   whose definition did not change keep their state across a reload.
/// - **Never a crash on data.** A rule that fails to evaluate does not hit; its error is in the
///   decision, which is *flagged*. The pack's policy decides what that means: without
///   `on_error` it fails open (the action the other rules give), with `on_error review` it
///   fails closed (at least `review`). Shadow rules are evaluated and reported, and never
///   change the action or score.
///
/// ```swift
/// let engine = try Engine()
/// try engine.load(name: "payments", path: "rules/payments.rules")
/// switch engine.score(pack: "payments", json: Array(body)) {
/// case .success(let scored): print(scored.action, scored.decision.score, scored.json())
/// case .failure(let error): print(error)            // unknown pack, malformed JSON, bad field
/// }
/// ```
public final class Engine: Sendable {
    /// How the engine keeps window state.
    public struct Options: Sendable {
        public var windows = WindowStore.Options()
        /// SQLite file the window state is saved to and restored from (nil: memory only).
        public var windowSnapshotPath: String? = nil

        public init() {}
    }

    /// What a loaded pack is, for `GET /v1/rules` and logs.
    public struct PackInfo: Sendable, Codable, Equatable {
        public var name: String
        public var package: String
        public var version: String?
        /// FNV-1a 64 of the pack text, its param overrides and its named lists' values, in hex:
        /// two loads with the same hash run the same rules on the same lists.
        public var contentHash: String
        public var path: String
        public var rules: Int
        public var windows: [String]
        /// Seconds since 1970 when this version was swapped in.
        public var loadedAt: Double
        /// How many times this name was loaded (1 for the first load).
        public var generation: Int
    }

    /// One version of one pack: everything a call needs, immutable.
    final class Snapshot: Sendable {
        let pack: CompiledPack
        let info: PackInfo
        let params: [String: String]
        let windows: WindowStore
        let evaluators: EvaluatorPool

        init(pack: CompiledPack, info: PackInfo, params: [String: String], windows: WindowStore) {
            self.pack = pack
            self.info = info
            self.params = params
            self.windows = windows
            evaluators = EvaluatorPool(pack: pack)
        }
    }

    public let options: Options
    private let packs = Mutex<[String: Snapshot]>([:])
    /// Serialises loads and reloads (not scoring): two reloads of one name never interleave.
    private let loading = Mutex<Void>(())
    private let snapshotFile: WindowSnapshotFile?
    private let reloads = Mutex<[String: (ok: Int, failed: Int)]>([:])
    private let restoreFailures = Mutex<[String]>([])

    /// Loads that succeeded and failed, by pack name (for metrics).
    public var reloadCounts: [String: (ok: Int, failed: Int)] { reloads.withLock { $0 } }

    /// Window snapshots that could not be restored (the pack then started with empty windows),
    /// one message each: a service logs and alerts on these.
    public var windowRestoreFailures: [String] { restoreFailures.withLock { $0 } }

    public init(options: Options = Options()) throws {
        self.options = options
        snapshotFile = try options.windowSnapshotPath.map { try WindowSnapshotFile(path: $0) }
    }

    // MARK: Loading

    /// Loads `path` as pack `name` (replacing a loaded one atomically). Throws with every
    /// diagnostic when it does not compile; the previous version, if any, keeps serving.
    @discardableResult
    public func load(name: String, path: String, params: [String: String] = [:]) throws(PackError) -> PackInfo {
        try loading.withLock { _ throws(PackError) -> PackInfo in
            let previous = packs.withLock { $0[name] }
            let pack: CompiledPack
            do throws(PackError) {
                pack = try CompiledPack.load(path: path, params: params, windows: true)
            } catch {
                reloads.withLock { $0[name, default: (0, 0)].failed += 1 }
                throw error
            }
            let windows = WindowStore(program: pack.program, options: options.windows, previous: previous?.windows)
            if previous == nil, let file = snapshotFile {
                do {
                    windows.restore(try file.load(pack: name))
                } catch {
                    restoreFailures.withLock { $0.append("pack '\(name)': window state not restored from \(file.path): \(error)") }
                }
            }
            // The pack text, each param override, and each named list's values: what the rules run on.
            var hash = FNV1a()
            hash.combine(pack.source.bytes)
            hash.endPart()
            for (k, v) in params.sorted(by: { $0.key < $1.key }) {
                hash.combine(k.utf8)
                hash.endPart()
                hash.combine(v.utf8)
                hash.endPart()
            }
            for list in pack.lists {
                for item in list {
                    hash.combine(item.utf8)
                    hash.endPart()
                }
                hash.endPart()
            }
            let info = PackInfo(name: name, package: pack.checked.packageName, version: pack.checked.version,
                                contentHash: String(hash.value, radix: 16), path: path, rules: pack.program.rules.count,
                                windows: pack.program.windows.map(\.name), loadedAt: Date().timeIntervalSince1970,
                                generation: (previous?.info.generation ?? 0) + 1)
            let snapshot = Snapshot(pack: pack, info: info, params: params, windows: windows)
            packs.withLock { $0[name] = snapshot }
            reloads.withLock { $0[name, default: (0, 0)].ok += 1 }
            return info
        }
    }

    /// Reloads pack `name` from its file (same path and params).
    @discardableResult
    public func reload(name: String) throws(PackError) -> PackInfo {
        guard let current = packs.withLock({ $0[name] }) else {
            throw PackError(source: Source(path: name, text: ""), diagnostics: [], ioError: "no pack named '\(name)' is loaded")
        }
        return try load(name: name, path: current.info.path, params: current.params)
    }

    /// The loaded packs, by name.
    public var loaded: [PackInfo] { packs.withLock { $0.values.map(\.info) }.sorted { $0.name < $1.name } }

    /// The compiled pack currently serving `name`.
    public func pack(_ name: String) -> CompiledPack? { packs.withLock { $0[name]?.pack } }

    // MARK: Scoring

    /// Why an event was not scored.
    public enum ScoreError: Error, Sendable, Equatable, CustomStringConvertible {
        case unknownPack(String)
        /// The body is not a JSON object, or a field is missing or of the wrong type.
        case invalidRecord(RecordError)

        public var description: String {
            switch self {
            case .unknownPack(let p): return "no pack named '\(p)' is loaded"
            case .invalidRecord(let e): return e.field.map { "field '\($0)': \(e.reason)" } ?? e.reason
            }
        }
    }

    /// Decodes one event (a JSON object), updates the pack's windows and evaluates it.
    public func score(pack name: String, json: [UInt8], explain: Bool = false) -> Result<ScoredDecision, ScoreError> {
        guard let snapshot = packs.withLock({ $0[name] }) else { return .failure(.unknownPack(name)) }
        let record: Record
        do throws(RecordError) {
            record = try json.withUnsafeBufferPointer { b throws(RecordError) in try snapshot.pack.decodeRecord(utf8: b) }
        } catch {
            return .failure(.invalidRecord(error))
        }
        return .success(score(snapshot, record, explain: explain))
    }

    /// Decodes one event with the pack version serving `name` now, for ``score(_:explain:)``
    /// later (a caller that builds or reuses events): the event keeps that version, so a reload
    /// in between can never evaluate it against a different field layout.
    public func decode(pack name: String, json: [UInt8]) -> Result<DecodedEvent, ScoreError> {
        guard let snapshot = packs.withLock({ $0[name] }) else { return .failure(.unknownPack(name)) }
        do throws(RecordError) {
            let record = try json.withUnsafeBufferPointer { b throws(RecordError) in try snapshot.pack.decodeRecord(utf8: b) }
            return .success(DecodedEvent(snapshot: snapshot, record: record))
        } catch {
            return .failure(.invalidRecord(error))
        }
    }

    /// Updates the windows and evaluates a decoded event with the pack version that decoded it.
    public func score(_ event: DecodedEvent, explain: Bool = false) -> ScoredDecision {
        score(event.snapshot, event.record, explain: explain)
    }

    func score(_ snapshot: Snapshot, _ record: Record, explain: Bool) -> ScoredDecision {
        snapshot.evaluators.with { evaluator in
            // A record a `reject … when` sets aside is not an event: it updates no window.
            if evaluator.firstRejection(record) != nil {
                return ScoredDecision(snapshot: snapshot, record: record, decision: evaluator.evaluate(record), late: false)
            }
            if snapshot.windows.isEmpty {
                return ScoredDecision(snapshot: snapshot, record: record, decision: evaluator.evaluate(record, explain: explain),
                                      late: false)
            }
            let observed = snapshot.windows.observe(record)
            let decision = evaluator.evaluate(record, windows: observed.values, explain: explain)
            return ScoredDecision(snapshot: snapshot, record: record, decision: decision, late: observed.late,
                                  windows: observed.values)
        }
    }

    // MARK: Window state

    /// Saves every pack's window state to the snapshot file (no-op without one).
    @discardableResult
    public func saveWindows() throws -> Int {
        guard let file = snapshotFile else { return 0 }
        var n = 0
        for (name, snapshot) in packs.withLock({ Array($0) }) {
            n += try file.save(snapshot.windows.snapshot(), pack: name)
        }
        return n
    }

    /// Keys holding window state, per pack and window.
    public var windowKeys: [String: [String: Int]] {
        var out: [String: [String: Int]] = [:]
        for (name, s) in packs.withLock({ Array($0) }) {
            out[name] = Dictionary(uniqueKeysWithValues: zip(s.pack.program.windows.map(\.name), s.windows.keyCounts))
        }
        return out
    }
}

/// Evaluators of one pack version, lent to one thread at a time (an `Evaluator` owns scratch
/// registers). The lock is held only to take or return one.
final class EvaluatorPool: Sendable {
    /// An evaluator in the pool: only ever used by the one thread that took it out.
    struct Lent: @unchecked Sendable {
        let evaluator: Evaluator
    }

    private let pack: CompiledPack
    // A futex-based `Mutex` rather than `NSLock`: it is taken twice per event.
    private let free = Mutex<[Lent]>([])

    init(pack: CompiledPack) { self.pack = pack }

    func with<R>(_ body: (Evaluator) -> R) -> R {
        let e = free.withLock { $0.popLast() } ?? Lent(evaluator: pack.makeEvaluator())
        defer { free.withLock { $0.append(e) } }
        return body(e.evaluator)
    }
}

/// An event decoded by one version of a pack (``Engine/decode(pack:json:)``).
public struct DecodedEvent: Sendable {
    let snapshot: Engine.Snapshot
    public let record: Record
    /// The pack version that decoded it (and will evaluate it).
    public var info: Engine.PackInfo { snapshot.info }
}

/// One event's decision, with the pack version that made it.
public struct ScoredDecision: Sendable {
    /// The pack version that made the decision (one reference: cheap to pass around).
    let snapshot: Engine.Snapshot
    public var pack: CompiledPack { snapshot.pack }
    public var info: Engine.PackInfo { snapshot.info }
    public let record: Record
    public let decision: Decision
    /// Some window saw the event more than the late tolerance behind its key's newest event.
    public let late: Bool
    /// The event's window values, in `Program.windows` order.
    public var windows: [Value] = []

    public var action: String { pack.actionName(decision) }
    /// A rule or decide entry failed to evaluate: the action follows the pack's `on_error`.
    public var flagged: Bool { !decision.errors.isEmpty }

    /// Whether this decision becomes an alert: an action other than the pack's mildest (the
    /// last `decide` entry: `review`, `block`), a hit of a rule tagged `"alert"` (shadow rules
    /// included), or a flagged decision.
    public var alerts: Bool {
        let program = pack.program
        if decision.reject == nil, decision.action >= 0, decision.action < program.actions.count - 1 { return true }
        if flagged { return true }
        return decision.hits.contains { program.rules[$0.rule].tags.contains("alert") }
    }

    /// The decision as JSON: `{"pack":…,"version":…,"key":…,"action":…,"score":N,"hits":[…],…}`;
    /// with `masked`, personal data (`@pii` fields in explanations, `@pii` output columns) is
    /// masked, as alerts and logs need.
    public func json(masked: Bool = false) -> String {
        var w = JSONWriter()
        writeJSON(into: &w, masked: masked)
        return w.string
    }

    /// The decision with `@pii` output columns masked (explanations already mask `@pii` fields).
    func maskedDecision() -> Decision {
        var d = decision
        let outputs = pack.checked.outputs
        for i in d.emits.indices {
            let personal = outputs[d.emits[i].output].personalColumns
            for c in personal where c < d.emits[i].values.count {
                if case .string(let s) = d.emits[i].values[c] { d.emits[i].values[c] = .string(Text.mask(s)) }
            }
        }
        return d
    }
}
