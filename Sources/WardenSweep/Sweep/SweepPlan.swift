import WardenEngine
import WardenLang

/// What a sweep needs to know about its pack and its input, worked out once before any row is
/// read: which CSV column feeds which input field, which reject each field failure means, and
/// how each output is written.
struct SweepPlan: Sendable {
    let pack: CompiledPack
    let zone: Zone
    /// The header's fields.
    let header: [String]
    /// Input field `f` is read from column `fieldColumns[f]`.
    let fieldColumns: [Int]
    /// Reject reason codes: first the reader's and the built-in ones, then the pack's, each once.
    let reasons: [String]
    /// For each of the pack's rejects, its index in `reasons`.
    let rejectReason: [Int]
    /// For each input field, the index of the `on` reject naming it (nil: the built-in
    /// `BAD_FIELD`, tried before the pack's rejects).
    let fieldReject: [Int?]
    /// The reason of a wrong column count.
    let columnsReason: Int
    /// `reject … on duplicate FIELD`: its reason and field.
    let duplicate: (reason: Int, field: Int)?
    /// The column shown in the rejects file and used for `--shard` (the `@key` or duplicate field).
    let keyField: Int?
    let keyColumn: Int?
    /// The outputs written: the pack's, or those chosen with `--outputs`, in pack order.
    let outputs: [OutputPlan]
    /// For each of the program's outputs, its index in ``outputs``, or -1 when not written.
    let outputIndex: [Int]

    /// A class, not a struct: the row loops read it for every emitted row, and copying a struct
    /// of arrays and sets out of `outputs` retained each of them.
    final class OutputPlan: Sendable {
        let name: String
        let columns: [(name: String, type: ValueType)]
        let sortBy: [Int]
        let personal: Set<Int>
        let notifyBy: Int?
        /// Index of a column named `reason` (or else `reasons`), counted by value in the report.
        let reasonColumn: Int?
        /// The reason column is `reasons`, several codes joined with `|`: each code is counted.
        let reasonsJoined: Bool
        /// Int columns named `days_…` or `…_days`, given a distribution in the report.
        let dayColumn: Int?
        /// How each column is written, worked out once (the row loop does no type matching).
        let formats: [OutputText.Format]
        /// Enum columns (the first four), counted by member in the report.
        let enumColumns: [(index: Int, name: String, members: [String])]
        var hasSendFile: Bool { !personal.isEmpty }
        var headerLine: String { columns.map(\.name).joined(separator: ",") }

        init(name: String, columns: [(name: String, type: ValueType)], sortBy: [Int], personal: Set<Int>, notifyBy: Int?) {
            self.name = name
            self.columns = columns
            self.sortBy = sortBy
            self.personal = personal
            self.notifyBy = notifyBy
            reasonColumn = columns.firstIndex { $0.name == "reason" || $0.name == "reasons" }
            reasonsJoined = !columns.contains { $0.name == "reason" } && columns.contains { $0.name == "reasons" }
            dayColumn = columns.firstIndex { ($0.name.hasPrefix("days_") || $0.name.hasSuffix("_days")) && $0.type.unwrapped == .int }
            formats = columns.enumerated().map { OutputText.Format(type: $1.type, personal: personal.contains($0)) }
            enumColumns = Array(columns.enumerated().compactMap { i, c in
                if case .enumeration(let e) = c.type.unwrapped { return (i, c.name, e.members) }
                return nil
            }.prefix(4))
        }
    }

    static let builtinReasons = ["MALFORMED_QUOTES", "INVALID_UTF8", "ROW_TOO_LONG"]
    static let defaultColumnsReason = "BAD_COLUMN_COUNT"
    static let defaultFieldReason = "BAD_FIELD"

    /// `outputs`: the names of the outputs to write (nil: all of them).
    init(pack: CompiledPack, header: [String], outputs chosen: Set<String>? = nil) throws {
        self.pack = pack
        zone = pack.program.zone
        self.header = header
        let checked = pack.checked
        var columns: [Int] = []
        var missing: [String] = []
        for f in checked.fields {
            guard ValueText.hasCellForm(f.type) else {
                throw SweepError.setup("input field '\(f.name)' has type \(f.type), which a CSV cell cannot carry")
            }
            if let c = header.firstIndex(of: f.name) { columns.append(c) } else { missing.append(f.name); columns.append(-1) }
        }
        guard missing.isEmpty else {
            throw SweepError.setup("the input's header lacks column(s) \(missing.joined(separator: ", ")) that input '\(checked.inputName)' declares (header: \(header.joined(separator: ",")))")
        }
        fieldColumns = columns

        var reasons = SweepPlan.builtinReasons
        func reason(_ code: String) -> Int {
            if let i = reasons.firstIndex(of: code) { return i }
            reasons.append(code)
            return reasons.count - 1
        }
        var columnsReason: Int? = nil
        var fieldReject = [Int?](repeating: nil, count: checked.fields.count)
        var duplicate: (Int, Int)? = nil
        var rejectReason: [Int] = []
        for (i, r) in checked.rejects.enumerated() {
            rejectReason.append(reason(r.code))
            switch r.check {
            case .columns: columnsReason = rejectReason[i]
            case .fields(let fs): for f in fs { fieldReject[f] = i }
            case .duplicate(let f): duplicate = (rejectReason[i], f)
            case .condition: break
            }
        }
        self.columnsReason = columnsReason ?? reason(SweepPlan.defaultColumnsReason)
        if fieldReject.enumerated().contains(where: { $0.element == nil && !ValueText.cellAlwaysDecodes(checked.fields[$0.offset].type) }) {
            _ = reason(SweepPlan.defaultFieldReason)
        }
        self.reasons = reasons
        self.rejectReason = rejectReason
        self.fieldReject = fieldReject
        self.duplicate = duplicate
        keyField = checked.keyField ?? duplicate?.1
        keyColumn = keyField.map { columns[$0] }
        let written = checked.outputs.filter { chosen?.contains($0.name) != false }
        outputs = written.map { o in
            OutputPlan(name: o.name, columns: o.columns, sortBy: o.sortBy, personal: o.personalColumns, notifyBy: o.notifyBy)
        }
        outputIndex = checked.outputs.map { o in written.firstIndex { $0.name == o.name } ?? -1 }
    }

    /// The name of the rejects file's key column.
    var keyName: String { keyField.map { pack.checked.fields[$0].name } ?? "key" }

    /// Whether the key column holds personal data (masked in the rejects file).
    var keyIsPersonal: Bool { keyField.map { pack.checked.fields[$0].isPersonal } ?? false }
}

/// What the workers made of one batch, in row order; the coordinator applies it in input order.
final class BatchResult: @unchecked Sendable {
    enum Status: UInt8 { case candidate, rejected, otherShard }
    let sequence: Int
    let batch: CSVBatch
    var status: [Status] = []
    /// Reason index (rejected rows).
    var reason: [Int32] = []
    /// ``KeyIndex/hash(_:)`` of the duplicate-checked field (candidate rows, when the pack has
    /// `on duplicate`), computed by the worker so the coordinator only probes.
    var keyHash: [UInt64] = []
    /// Emitted rows, grouped by input row in order.
    var emits: [EmitRow] = []
    /// Bytes the emits point into.
    var arena: [UInt8] = []
    /// Rule index → records on which it failed to evaluate.
    var errorCounts: [Int: Int] = [:]

    struct EmitRow {
        var row: Int32
        var output: Int32
        var keyStart: Int32, keyCount: Int32
        var lineStart: Int32, lineCount: Int32
        var sendStart: Int32, sendCount: Int32
        /// The notification subject (notify outputs).
        var subject: String?
        /// The value of the output's `reason` column.
        var reason: String?
        /// The value of the output's day column.
        var days: Int64?
        /// Ordinals of the output's ``SweepPlan/OutputPlan/enumColumns`` (-1: null).
        var enums: (Int16, Int16, Int16, Int16) = (-1, -1, -1, -1)
    }

    init(sequence: Int, batch: CSVBatch) {
        self.sequence = sequence
        self.batch = batch
    }
}

/// Decodes and evaluates batches; one per worker thread (it owns an `Evaluator`).
///
/// The row loop is the sweep's hot path (tens of millions of rows): it works on locals — the
/// batch's result arrays are moved out of the `BatchResult` and back, the per-field plan is
/// plain arrays — so that a row costs no exclusivity checks and no retains of the plan.
final class SweepWorker {
    let plan: SweepPlan
    let shard: (index: Int, count: Int)?
    private let evaluator: Evaluator
    private let placeholders: [Value]
    /// Per input field: how its cells decode, and the column it is read from.
    private let cellForms: [ValueText.CellForm]
    private let fieldColumns: [Int]
    /// Per input field: whether a pack reject names it (else a failure is the built-in BAD_FIELD).
    private let fieldRejected: [Bool]
    private let fieldReasonIndex: Int?

    init(plan: SweepPlan, shard: (index: Int, count: Int)?) {
        self.plan = plan
        self.shard = shard
        evaluator = plan.pack.makeEvaluator()
        let fields = plan.pack.checked.fields
        // Type-correct stand-ins for fields that failed to decode. Rules and `when` rejects may
        // read them only after the field's own reject, which then wins, so their value never
        // decides anything; they only keep every instruction well-typed.
        placeholders = fields.map { f in
            if f.type.isOptional { return .null }
            switch f.type {
            case .string: return .string("")
            case .decimal: return .money(Money(raw: 0))
            case .bool: return .bool(false)
            default: return .int(0)
            }
        }
        cellForms = fields.map { ValueText.CellForm($0.type) }
        fieldColumns = plan.fieldColumns
        fieldRejected = plan.fieldReject.map { $0 != nil }
        fieldReasonIndex = plan.reasons.firstIndex(of: SweepPlan.defaultFieldReason)
    }

    /// What one row's evaluation appends to, moved out of the ``BatchResult`` for the batch.
    private struct Scratch {
        var record: Record
        var failed: [Bool]
        var emits: [BatchResult.EmitRow] = []
        var arena: [UInt8] = []
        var errorCounts: [Int: Int] = [:]
        /// The current record's emitted rows (reused: no array per emitted row).
        var emissions = Emissions()
    }

    func process(_ result: BatchResult) {
        let batch = result.batch
        let n = batch.count
        var status = result.status, reasons = result.reason, keyHash = result.keyHash
        var scratch = Scratch(record: Record(values: placeholders), failed: [Bool](repeating: false, count: placeholders.count),
                              emits: result.emits, arena: result.arena, errorCounts: result.errorCounts)
        (result.status, result.reason, result.keyHash, result.emits, result.arena) = ([], [], [], [], [])
        status.reserveCapacity(n)
        reasons.reserveCapacity(n)
        let duplicateColumn = plan.duplicate.map { fieldColumns[$0.field] }
        for row in 0..<n {
            if let (index, count) = shard {
                let key: UnsafeBufferPointer<UInt8> = plan.keyColumn.flatMap { c in
                    batch.fieldCount(row) > c ? batch.field(row, c) : nil } ?? UnsafeBufferPointer(start: nil, count: 0)
                if Int(KeyIndex.hash(key) % UInt64(count)) != index {
                    status.append(.otherShard)
                    reasons.append(-1)
                    if duplicateColumn != nil { keyHash.append(0) }
                    continue
                }
            }
            let reason = evaluate(row, batch, &scratch)
            status.append(reason == nil ? .candidate : .rejected)
            reasons.append(Int32(reason ?? -1))
            if let duplicateColumn {
                keyHash.append(reason == nil ? KeyIndex.hash(batch.field(row, duplicateColumn)) : 0)
            }
        }
        (result.status, result.reason, result.keyHash) = (status, reasons, keyHash)
        (result.emits, result.arena, result.errorCounts) = (scratch.emits, scratch.arena, scratch.errorCounts)
    }

    /// Decodes and evaluates one row; returns its reject reason, or nil (emits appended).
    private func evaluate(_ row: Int, _ batch: CSVBatch, _ scratch: inout Scratch) -> Int? {
        if let issue = batch.issue(row) {
            return Int(issue.rawValue) - 1  // the reader's reasons come first in `plan.reasons`
        }
        if batch.fieldCount(row) != plan.header.count { return plan.columnsReason }
        var anyFailed = false, unnamedFailure = false
        let zone = plan.zone
        cellForms.withUnsafeBufferPointer { forms in
            for f in 0..<forms.count {
                switch forms[f].decode(batch.field(row, fieldColumns[f]), zone: zone) {
                case .success(let v):
                    scratch.record.values[f] = v
                    scratch.failed[f] = false
                case .failure:
                    scratch.record.values[f] = placeholders[f]
                    scratch.failed[f] = true
                    anyFailed = true
                    if !fieldRejected[f] { unnamedFailure = true }
                }
            }
        }
        // A field no reject names fails with the built-in BAD_FIELD, before the pack's rejects.
        if unnamedFailure { return fieldReasonIndex }
        if anyFailed {
            // Rejected either way: the first in source order of the failed fields' rejects and a
            // `when` reject that holds. The rules never run on the placeholders (no lookups
            // asked for, no errors counted).
            var first = evaluator.firstRejection(scratch.record) ?? plan.rejectReason.count
            for f in 0..<cellForms.count where scratch.failed[f] { first = min(first, plan.fieldReject[f]!) }
            return plan.rejectReason[first]
        }
        let decision = evaluator.evaluate(scratch.record, emittingInto: &scratch.emissions)
        for e in decision.errors where e.rule >= 0 { scratch.errorCounts[e.rule, default: 0] += 1 }
        if let r = decision.reject { return plan.rejectReason[r] }
        if scratch.emissions.count > 0 { appendEmits(row: row, line: batch.lineNumber(row), &scratch) }
        return nil
    }

    private func appendEmits(row: Int, line: Int, _ scratch: inout Scratch) {
        // Moved out while the rows are formatted into the rest of the scratch (no copy).
        var emissions = Emissions()
        swap(&emissions, &scratch.emissions)
        defer { swap(&emissions, &scratch.emissions) }
        for ordinal in 0..<emissions.count {
            let index = plan.outputIndex[emissions.output(ordinal)]
            if index < 0 { continue }  // not written (`--outputs`)
            emissions.values(ordinal).withUnsafeBufferPointer { values in
                appendEmit(values, output: index, row: row, line: line, ordinal: ordinal, &scratch)
            }
        }
    }

    /// Formats one emitted row: its sort key, its line (and complete line for a send file) into
    /// the arena, and what the coordinator counts.
    private func appendEmit(_ values: UnsafeBufferPointer<Value>, output index: Int, row: Int, line: Int, ordinal: Int,
                            _ scratch: inout Scratch) {
        let output = plan.outputs[index]
        var e = BatchResult.EmitRow(row: Int32(row), output: Int32(index), keyStart: 0, keyCount: 0,
                                    lineStart: 0, lineCount: 0, sendStart: 0, sendCount: 0)
        let arenaStart = scratch.arena.count
        for c in output.sortBy { OutputText.appendSortKey(values[c], to: &scratch.arena) }
        OutputText.appendBigEndian(UInt64(line), to: &scratch.arena)
        OutputText.appendBigEndian(UInt64(ordinal), to: &scratch.arena)
        e.keyStart = Int32(arenaStart)
        e.keyCount = Int32(scratch.arena.count - arenaStart)
        e.lineStart = Int32(scratch.arena.count)
        appendLine(values, output, masked: true, to: &scratch.arena)
        e.lineCount = Int32(scratch.arena.count) - e.lineStart
        e.sendStart = Int32(scratch.arena.count)
        if output.hasSendFile { appendLine(values, output, masked: false, to: &scratch.arena) }
        e.sendCount = Int32(scratch.arena.count) - e.sendStart
        if let s = output.notifyBy, case .string(let subject) = values[s] { e.subject = subject }
        if let r = output.reasonColumn {
            switch values[r] {
            case .null: break
            case .string(let s): e.reason = s
            case let v: e.reason = ValueText.plain(v, output.columns[r].type, zone: plan.zone)
            }
        }
        if let d = output.dayColumn, case .int(let days) = values[d] { e.days = days }
        withUnsafeMutableBytes(of: &e.enums) { raw in
            let ordinals = raw.bindMemory(to: Int16.self)
            for (k, c) in output.enumColumns.enumerated() {
                if case .int(let o) = values[c.index] { ordinals[k] = Int16(truncatingIfNeeded: o) }
            }
        }
        scratch.emits.append(e)
    }

    private func appendLine(_ values: UnsafeBufferPointer<Value>, _ output: SweepPlan.OutputPlan, masked: Bool, to out: inout [UInt8]) {
        let zone = plan.zone
        output.formats.withUnsafeBufferPointer { formats in
            for i in 0..<values.count {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                OutputText.append(values[i], formats[i], zone: zone, masking: masked, to: &out)
            }
        }
        out.append(0x0A)
    }
}
