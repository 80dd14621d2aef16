import Synchronization
import WardenLang

/// The rows of one `lookup` table (e.g. the company registry), keyed by the lookup's key field:
/// immutable and `Sendable`, shared by every evaluator of a pack.
///
/// A sweep does not load a whole registry: it first runs the pack over its input with a
/// *recording* table (``recording(name:fieldCount:)``), which notes every key the rules ask
/// for and answers "no row", then loads only the rows with those keys (memory bounded by the
/// input, not by the table) and builds the table with `loadedKeys` set. Asking that table for
/// a key outside `loadedKeys` is runtime error `R0109`, never a silent miss: a rule that asks
/// for a key only after another lookup found a row cannot be prefetched this way, and must not
/// quietly read "not in the registry".
///
/// ```swift
/// let table = LookupTable(name: "registry", fieldCount: 2,
///                         rows: [["91350100M000100Y43", "存续"]].map { $0.map(Value.string) },
///                         keyField: 0, loadedKeys: nil)
/// let pack = try CompiledPack.load(path: "rules/registration.rules", lookups: .tables(["registry": table]))
/// ```
public final class LookupTable: Sendable {
    public let name: String
    public let fieldCount: Int
    /// Row-major field values, `fieldCount` per row.
    let values: [Value]
    let index: [ExactKey: Int]
    let loadedKeys: Set<ExactKey>?
    let recorder: KeyRecorder?

    /// A table over `rows` (each `fieldCount` values, in the lookup's field order), keyed by
    /// field `keyField`; a later row replaces an earlier one with the same key (order rows
    /// first: see `latest by`). `loadedKeys`: the only keys the rows were loaded for (nil: the
    /// whole table).
    public init(name: String, fieldCount: Int, rows: [[Value]], keyField: Int, loadedKeys: [Value]?) {
        self.name = name
        self.fieldCount = fieldCount
        var values: [Value] = []
        var index: [ExactKey: Int] = [:]
        values.reserveCapacity(rows.count * fieldCount)
        for row in rows {
            precondition(row.count == fieldCount, "a lookup row has one value per field")
            let key = ExactKey(row[keyField])
            if let existing = index[key] {
                let start = existing * fieldCount
                values.replaceSubrange(start..<start + fieldCount, with: row)
            } else {
                index[key] = values.count / fieldCount
                values.append(contentsOf: row)
            }
        }
        self.values = values
        self.index = index
        self.loadedKeys = loadedKeys.map { Set($0.map(ExactKey.init)) }
        self.recorder = nil
    }

    private init(recordingName name: String, fieldCount: Int) {
        self.name = name
        self.fieldCount = fieldCount
        values = []
        index = [:]
        loadedKeys = nil
        recorder = KeyRecorder()
    }

    /// A table with no rows that remembers every key asked of it (see the type's discussion).
    public static func recording(name: String, fieldCount: Int) -> LookupTable {
        LookupTable(recordingName: name, fieldCount: fieldCount)
    }

    /// The keys asked of a recording table so far (unordered).
    public var recordedKeys: [Value] {
        recorder?.keys.withLock { $0.map(\.value) } ?? []
    }

    /// `latest by`'s order: whether `a` comes before `b` (values of one non-optional ordered
    /// type). Of several rows with one key the greatest is the record, a later row winning a tie:
    /// the sweep's loader and rule tests both decide with this.
    public static func precedes(_ a: Value, _ b: Value) -> Bool {
        ((try? Ops.compare(a, b)) ?? 0) < 0
    }

    /// The number of distinct keys with a row.
    public var count: Int { index.count }

    /// The row holding `key`, as an opaque `.int` handle for ``field(_:_:)``, or `.null`.
    func find(_ key: Value) throws(EvalError) -> Value {
        if let recorder {
            recorder.keys.withLock { _ = $0.insert(ExactKey(key)) }
            return .null
        }
        if let row = index[ExactKey(key)] { return .int(Int64(row)) }
        if let loadedKeys, !loadedKeys.contains(ExactKey(key)) {
            throw EvalError(.lookupKeyNotLoaded,
                            "lookup '\(name)' was not loaded for this key (a key that depends on another lookup's row cannot be prefetched)")
        }
        return .null
    }

    /// Field `f` of the row `row` returned by ``find(_:)`` (null for a null row).
    @inline(__always)
    func field(_ row: Value, _ f: Int) -> Value {
        guard case .int(let r) = row else { return .null }
        return values[Int(r) * fieldCount + f]
    }
}

/// The keys a recording ``LookupTable`` was asked for.
final class KeyRecorder: Sendable {
    let keys = Mutex<Set<ExactKey>>([])
}
