import Foundation
import WardenEngine

/// A finished sweep's report: `report.json` for machines, `report.md` for people.
public struct SweepReport: Codable, Sendable {
    public var pack: String
    public var packVersion: String?
    public var packPath: String
    public var input: String
    /// Every parameter's value in effect (defaults and overrides).
    public var params: [String: String]
    public var shard: String?
    public var campaign: String?
    /// The pack's outputs left out with `--outputs` (absent or empty: all were written).
    public var outputsLeftOut: [String]?
    public var counts: SweepCounts
    /// Output files written, relative to the output directory.
    public var files: [String]
    public var reach: [Reach]
    public var elapsedSeconds: Double
    /// Of which reading and evaluating the input; the rest merged the sorted outputs.
    public var scanSeconds: Double
    public var resumes: Int
    /// `input rows = accepted + rejected (+ other shards)`, with the numbers.
    public var reconciliation: String
    public var reconciled: Bool
    /// Each output's rows by the members of its enum columns: output → column → member → rows.
    public var outputsByColumn: [String: [String: [String: Int]]]
    /// What loading each lookup table did (empty for a pack without lookups).
    public var lookups: [LookupSummary]

    init(pack: CompiledPack, plan: SweepPlan, options: SweepOptions, state: Checkpoint, files: [String], reach: [Reach],
         lookups: [LookupSummary] = []) {
        self.lookups = lookups
        let checked = pack.checked
        self.pack = checked.packageName
        packVersion = checked.version
        packPath = options.packPath
        input = options.inputPath
        var params: [String: String] = [:]
        for (i, p) in checked.params.enumerated() {
            params[p.name] = ValueText.plain(pack.paramValues[i], p.type, zone: plan.zone)
        }
        self.params = params
        shard = options.shard.map { "\($0.index)/\($0.count)" }
        campaign = options.campaign
        let leftOut = checked.outputs.map(\.name).filter { name in !plan.outputs.contains { $0.name == name } }
        outputsLeftOut = leftOut.isEmpty ? nil : leftOut
        counts = state.counts
        self.files = files
        self.reach = reach
        elapsedSeconds = state.elapsedSeconds
        scanSeconds = state.scanSeconds
        resumes = state.resumes
        var byColumn: [String: [String: [String: Int]]] = [:]
        for o in plan.outputs {
            guard let tallies = state.counts.outputs[o.name]?.enumTallies, !tallies.isEmpty else { continue }
            for (k, column) in o.enumColumns.enumerated() where k < tallies.count {
                var members: [String: Int] = [:]
                for (m, n) in tallies[k].enumerated() where n > 0 && m < column.members.count { members[column.members[m]] = n }
                byColumn[o.name, default: [:]][column.name] = members
            }
        }
        outputsByColumn = byColumn
        let c = state.counts
        reconciled = c.reconciles
        reconciliation = "input \(c.inputRows) = accepted \(c.accepted) + rejected \(c.rejected)"
            + (c.otherShard > 0 ? " + other shards \(c.otherShard)" : "") + (reconciled ? "" : "  (DOES NOT RECONCILE)")
    }

    static func read(_ path: String) throws -> SweepReport {
        guard let data = FileManager.default.contents(atPath: path) else { throw SweepError.io("cannot read '\(path)'") }
        return try JSONDecoder().decode(SweepReport.self, from: data)
    }

    func write(directory: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        try SweepFiles.writeAtomically(Array(try encoder.encode(self)) + [0x0A], to: directory + "/report.json")
        try SweepFiles.writeAtomically(Array(markdown.utf8), to: directory + "/report.md")
    }

    /// Rows per second over the whole sweep.
    public var rowsPerSecond: Double { elapsedSeconds > 0 ? Double(counts.inputRows) / elapsedSeconds : 0 }

    public var markdown: String {
        var md = "# Sweep report: \(pack)\(packVersion.map { " \($0)" } ?? "")\n\n"
        md += "| | |\n|---|---|\n"
        md += "| Pack | `\(packPath)` |\n| Input | `\(input)` |\n"
        if let shard { md += "| Shard | \(shard) |\n" }
        if let campaign { md += "| Campaign | \(campaign) |\n" }
        if let left = outputsLeftOut, !left.isEmpty {
            md += "| Outputs left out (`--outputs`) | \(left.map { "`\($0)`" }.joined(separator: ", ")) |\n"
        }
        for (k, v) in params.sorted(by: { $0.key < $1.key }) { md += "| Param `\(k)` | \(v) |\n" }
        md += "| Elapsed | \(String(format: "%.2f", elapsedSeconds)) s (\(Int(rowsPerSecond)) rows/s; scan \(String(format: "%.2f", scanSeconds)) s, merge \(String(format: "%.2f", elapsedSeconds - scanSeconds)) s)"
            + (resumes > 0 ? ", resumed \(resumes) time\(resumes == 1 ? "" : "s")" : "") + " |\n\n"

        md += "## Reconciliation\n\n`\(reconciliation)` — \(reconciled ? "every input row is accounted for exactly once" : "**rows are unaccounted for**")\n\n"
        md += "| Rows | Count |\n|---|---:|\n"
        md += "| Input rows | \(counts.inputRows) |\n| Accepted | \(counts.accepted) |\n| Rejected | \(counts.rejected) |\n"
        if counts.otherShard > 0 { md += "| Other shards | \(counts.otherShard) |\n" }
        if !counts.rejectedByReason.isEmpty {
            md += "\n## Rejected, by reason\n\n| Reason | Rows |\n|---|---:|\n"
            for (r, n) in counts.rejectedByReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) { md += "| `\(r)` | \(n) |\n" }
        }
        if !counts.evaluationErrors.isEmpty {
            md += "\n## Evaluation errors (the rule did not hit)\n\n| Rule | Records |\n|---|---:|\n"
            for (r, n) in counts.evaluationErrors.sorted(by: { $0.key < $1.key }) { md += "| `\(r)` | \(n) |\n" }
        }
        for l in lookups {
            md += "\n## Lookup \(l.name): `\(l.file)`\n\n| | |\n|---|---:|\n"
            md += "| Rows read | \(l.rowsRead) |\n| Keys asked for | \(l.keysWanted) |\n| Keys found | \(l.keysFound) |\n"
            md += "| Rows with a key asked for | \(l.rowsMatched) |\n| Of which superseded by a later record | \(l.rowsSuperseded) |\n"
            md += "| Rows set aside (`\(Sweep.lookupRejectsName(l.name))`) | \(l.setAside) |\n"
            md += "| Load time | \(String(format: "%.2f", l.seconds)) s |\n"
            for (r, n) in l.setAsideByReason.sorted(by: { $0.key < $1.key }) { md += "| Set aside: `\(r)` | \(n) |\n" }
        }
        md += "\n## Outputs\n\n"
        for (name, o) in counts.outputs.sorted(by: { $0.key < $1.key }) {
            md += "### \(name): \(o.rows) row\(o.rows == 1 ? "" : "s")\n\n"
            if o.alreadyNotified > 0 { md += "\(o.alreadyNotified) left out: the campaign had already notified them.\n\n" }
            for (column, members) in (outputsByColumn[name] ?? [:]).sorted(by: { $0.key < $1.key }) {
                md += "| \(column) | Rows |\n|---|---:|\n"
                for (m, n) in members.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) { md += "| \(m) | \(n) |\n" }
                md += "\n"
            }
            if !o.byReason.isEmpty {
                md += "| Reason | Rows |\n|---|---:|\n"
                for (r, n) in o.byReason.sorted(by: { ($1.value, $0.key) < ($0.value, $1.key) }) { md += "| `\(r)` | \(n) |\n" }
                md += "\n"
            }
            if let column = o.dayColumn, !o.dayBuckets.isEmpty {
                md += "`\(column)`: min \(o.dayMin ?? 0), max \(o.dayMax ?? 0)\n\n| \(column) | Rows |\n|---|---:|\n"
                for (i, n) in o.dayBuckets.enumerated() where n > 0 { md += "| \(SweepCounts.dayBuckets[i].label) | \(n) |\n" }
                md += "\n"
            }
        }
        for r in reach {
            md += "## Notification reach: \(r.campaign)\n\n"
            md += "Notified \(r.notified), reached \(r.reached) (\(r.percentage)); confirmed \(r.confirmed), bounced \(r.bounced), failed \(r.failed).\n\n"
        }
        md += "## Files\n\n" + files.map { "- `\($0)`\n" }.joined()
        return md
    }
}
