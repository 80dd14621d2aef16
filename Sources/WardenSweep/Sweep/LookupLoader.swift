import Foundation
import WardenEngine
import WardenLang

/// What loading one `lookup` table did, for the report.
public struct LookupSummary: Codable, Sendable, Equatable {
    public var name: String
    public var file: String
    /// Data rows in the file (the header excluded).
    public var rowsRead = 0
    /// Distinct keys the input asked for, and how many of them have a row.
    public var keysWanted = 0
    public var keysFound = 0
    /// Rows whose key was wanted (usable or set aside).
    public var rowsMatched = 0
    /// Matched rows that lost to another row of the same key (`latest by`, or a later row).
    public var rowsSuperseded = 0
    /// Matched rows (and unreadable rows) set aside, by reason; listed in the lookup's rejects file.
    public var setAsideByReason: [String: Int] = [:]
    public var seconds = 0.0

    public var setAside: Int { setAsideByReason.values.reduce(0, +) }
}

/// Loads a sweep's lookup tables in two passes, so memory is bounded by the input, not by the
/// table (a registry snapshot has tens of millions of rows; the merchants ask for 60,000):
///
/// 1. ``collectKeys(plan:reader:shard:batchRows:)`` runs the pack over the input with recording
///    tables: every key a rule asks for is noted (rows that a reject sets aside ask for none).
/// 2. ``load(_:path:wanted:zone:rejectsPath:)`` streams the table file once, decodes only the rows
///    whose key was noted, keeps one row per key (`latest by`: the greatest value, a later row
///    winning a tie; otherwise the later row) and builds an immutable ``LookupTable``.
///
/// A table row is *set aside* (listed in `lookup_NAME_rejects.csv` with its line and reason,
/// counted in the report) when its key is wanted but a cell does not decode as the lookup's
/// field type, or its column count differs from the header's; rows the reader cannot parse at
/// all are listed whatever their key. A set-aside row never becomes the key's record: an older
/// valid row does, or none.
public enum LookupLoader {
    /// Pass 1: the keys each of the pack's lookups is asked for over the whole input, in
    /// declaration order. `plan.pack` must be compiled with `.recording` tables.
    static func collectKeys(plan: SweepPlan, reader: RowSource, shard: (index: Int, count: Int)?,
                            batchRows: Int) throws -> [[Value]] {
        let worker = SweepWorker(plan: plan, shard: shard)
        var sequence = 0
        while let batch = try reader.nextBatch(maxRows: batchRows) {
            worker.process(BatchResult(sequence: sequence, batch: batch))
            sequence += 1
        }
        return plan.pack.program.lookups.map(\.recordedKeys)
    }

    /// Every lookup table of `pack` from its file (`files`: lookup name → CSV path), whole: for
    /// `warden eval`, whose input is not known in advance. Memory follows the tables; a sweep
    /// loads only the rows its input asks for instead. Rows set aside are counted, not listed.
    public static func loadWhole(_ pack: CompiledPack, files: [String: String]) throws -> ([String: LookupTable], [LookupSummary]) {
        var tables: [String: LookupTable] = [:]
        var summaries: [LookupSummary] = []
        for name in files.keys.sorted() where !pack.checked.lookups.contains(where: { $0.name == name }) {
            throw SweepError.setup("--lookup \(name): pack '\(pack.checked.packageName)' declares no lookup '\(name)'")
        }
        for l in pack.checked.lookups {
            guard let path = files[l.name] else {
                throw SweepError.setup("pack '\(pack.checked.packageName)' looks rows up in '\(l.name)': give its file with --lookup \(l.name)=FILE")
            }
            let (table, summary) = try load(l, path: path, wanted: nil, zone: pack.program.zone, rejectsPath: "/dev/null")
            tables[l.name] = table
            summaries.append(summary)
        }
        return (tables, summaries)
    }

    /// Pass 2: the rows of `path` whose key is in `wanted` (nil: every row), as the lookup's table.
    static func load(_ lookup: CheckedPack.Lookup, path: String, wanted: [Value]?, zone: Zone,
                     rejectsPath: String) throws -> (LookupTable, LookupSummary) {
        let started = Date()
        var summary = LookupSummary(name: lookup.name, file: path)
        let reader: CSVReader
        do {
            reader = try CSVReader(path: path)
        } catch {
            throw SweepError.io("lookup '\(lookup.name)': \(error)")
        }
        var columns: [Int] = []
        var missing: [String] = []
        for f in lookup.fields {
            if let c = reader.columnIndex(f.name) { columns.append(c) } else { missing.append(f.name) }
        }
        guard missing.isEmpty else {
            throw SweepError.setup("lookup '\(lookup.name)': '\(path)' has no column \(missing.map { "'\($0)'" }.joined(separator: ", ")) (header: \(reader.header.joined(separator: ",")))")
        }
        let keyColumn = columns[lookup.key]
        let keyType = lookup.fields[lookup.key].type
        // Wanted keys by their text: a string key is compared as the cell's bytes, with no
        // decoding for the (many) rows nobody asked for.
        var wantedText = Set<String>(minimumCapacity: wanted?.count ?? 0)
        for k in wanted ?? [] where !k.isNull { wantedText.insert(ValueText.plain(k, keyType, zone: zone)) }
        summary.keysWanted = wantedText.count
        let stringKey = keyType.unwrapped == .string
        // How each column's cells decode, worked out once for the whole table.
        let keyForm = ValueText.CellForm(keyType)
        let forms = lookup.fields.map { ValueText.CellForm($0.type) }

        let rejects = try FileSink(path: rejectsPath, truncate: true)
        try rejects.write(Array("line_no,\(lookup.fields[lookup.key].name),reason\n".utf8))
        func setAside(_ line: Int, _ key: String, _ reason: String) throws {
            summary.setAsideByReason[reason, default: 0] += 1
            var bytes = Array("\(line),".utf8)
            OutputText.appendField(key, to: &bytes)
            bytes.append(UInt8(ascii: ","))
            OutputText.appendField(reason, to: &bytes)
            bytes.append(0x0A)
            try rejects.write(bytes)
        }

        struct Best {
            var values: [Value]
            var order: Value
        }
        var best: [String: Best] = [:]
        best.reserveCapacity(wantedText.count)
        while let batch = try reader.nextBatch(maxRows: 8_192) {
            for row in 0..<batch.count {
                summary.rowsRead += 1
                let line = batch.lineNumber(row)
                if let issue = batch.issue(row) {
                    let key = batch.fieldCount(row) > keyColumn ? batch.string(row, keyColumn) : ""
                    try setAside(line, key, SweepPlan.builtinReasons[Int(issue.rawValue) - 1])
                    continue
                }
                guard batch.fieldCount(row) > keyColumn else { continue }
                let cell = batch.field(row, keyColumn)
                let key: String
                if stringKey {
                    key = String(decoding: cell, as: UTF8.self)
                } else {
                    guard case .success(let v) = keyForm.decode(cell, zone: zone) else { continue }
                    key = ValueText.plain(v, keyType, zone: zone)
                }
                guard wanted == nil || wantedText.contains(key) else { continue }
                summary.rowsMatched += 1
                guard batch.fieldCount(row) == reader.header.count else {
                    try setAside(line, key, SweepPlan.defaultColumnsReason)
                    continue
                }
                var values: [Value] = []
                values.reserveCapacity(columns.count)
                var bad: String? = nil
                for (f, c) in columns.enumerated() {
                    switch forms[f].decode(batch.field(row, c), zone: zone) {
                    case .success(let v): values.append(v)
                    case .failure:
                        bad = bad ?? lookup.fields[f].name
                        values.append(.null)
                    }
                }
                if let bad {
                    try setAside(line, key, "BAD_FIELD:" + bad)
                    continue
                }
                let order = lookup.latestBy.map { values[$0] } ?? .null
                if let current = best[key] {
                    summary.rowsSuperseded += 1
                    // The greatest `latest by` wins; on a tie (or without `latest by`) the later row.
                    if LookupTable.precedes(order, current.order) { continue }
                }
                best[key] = Best(values: values, order: order)
            }
        }
        try rejects.close(sync: false)
        summary.keysFound = best.count
        if wanted == nil { summary.keysWanted = best.count }  // a whole table: every key it has
        summary.seconds = Date().timeIntervalSince(started)
        let table = LookupTable(name: lookup.name, fieldCount: lookup.fields.count, rows: best.values.map(\.values),
                                keyField: lookup.key, loadedKeys: wanted)
        return (table, summary)
    }
}
