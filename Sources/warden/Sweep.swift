import ArgumentParser
import Foundation
import WardenSweep

struct SweepCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sweep",
        abstract: "Run a pack over a CSV file in streaming batches: outputs, rejects and a reconciled report in --out.",
        discussion: """
            Writes OUTPUT.csv per output the pack declares (sorted as declared; @pii columns masked, \
            complete in OUTPUT.send.csv), PACKAGE_rejects.csv (line_no, key, reason), report.json and \
            report.md. Checkpoints as it goes: a sweep killed at any moment finishes with --resume, \
            with outputs byte-identical to an uninterrupted run.
            """)

    @Option(help: "The rule pack.")
    var rules: String

    @Option(help: "CSV input with a header row, or a SQLite table: sqlite:PATH?table=TABLE (rows in rowid order; line_no is the rowid).")
    var input: String

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(name: .customLong("param"), help: "Override a param: --param name=value (repeatable).")
    var params: [String] = []

    @Option(name: .customLong("lookup"), help: "The file of a lookup table the pack declares: --lookup registry=registry.csv (repeatable). Only the rows whose key the input asks for are loaded.")
    var lookups: [String] = []

    @Option(help: "Write only these of the pack's outputs, comma-separated (default: all). The rules run the same; a notify output left out records nothing in the ledger.")
    var outputs: String?

    @Flag(help: "Finish the unfinished sweep in --out from its last checkpoint.")
    var resume = false

    @Option(help: "Process one shard of the key space, i/n (0-based): --shard 0/4.")
    var shard: String?

    @Option(help: "Notification campaign (required when the pack has a 'notify by' output).")
    var campaign: String?

    @Option(help: "Notification ledger, a SQLite file kept across runs (required with --campaign).")
    var ledger: String?

    @Option(help: "Rows per batch.")
    var batchRows = 8_192

    @Option(help: "Worker threads (default: one per core).")
    var workers: Int?

    @Option(help: "Seconds between checkpoints (0: after every batch).")
    var checkpointInterval = 2.0

    func run() throws {
        var options = SweepOptions(packPath: rules, inputPath: input, outDirectory: out)
        options.params = try parseParams(params)
        options.lookups = try parseLookups(lookups)
        options.outputs = try outputs.map { list in
            let names = list.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
            guard !names.isEmpty, !names.contains(where: \.isEmpty) else {
                throw ValidationError("--outputs expects output names separated by commas, got '\(list)'")
            }
            return names
        }
        options.resume = resume
        options.campaign = campaign
        options.ledgerPath = ledger
        options.batchRows = max(1, batchRows)
        if let workers { options.workers = max(1, workers) }
        options.checkpointInterval = checkpointInterval
        if let shard {
            let parts = shard.split(separator: "/")
            guard parts.count == 2, let i = Int(parts[0]), let n = Int(parts[1]), n > 0, (0..<n).contains(i) else {
                throw ValidationError("--shard expects i/n with 0 <= i < n, got '\(shard)'")
            }
            options.shard = (i, n)
        }
        let bar = isatty(STDERR_FILENO) == 1 ? ProgressBar() : nil
        if let bar { options.progress = { bar.update($0) } }
        let summary: SweepSummary
        do {
            summary = try Sweep.run(options)
        } catch let error as SweepError {
            bar?.clear()
            FileHandle.standardError.write(Data("warden sweep: error: \(error)\n".utf8))
            throw failure
        }
        bar?.clear()
        let r = summary.report
        var lines = [summary.alreadyComplete ? "warden sweep: already complete in \(out)" : "warden sweep: \(r.pack) over \(input)"]
        lines.append("  \(r.reconciliation)")
        for (name, o) in r.counts.outputs.sorted(by: { $0.key < $1.key }) {
            lines.append("  \(name): \(o.rows) rows" + (o.alreadyNotified > 0 ? " (\(o.alreadyNotified) already notified)" : ""))
        }
        lines.append(String(format: "  %.2f s, %.0f rows/s; report: %@/report.md", r.elapsedSeconds, r.rowsPerSecond, out))
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
        if !r.reconciled { throw failure }
    }
}

/// A one-line progress bar on standard error (only on a terminal).
final class ProgressBar: @unchecked Sendable {
    private var last = 0.0

    func update(_ p: SweepProgress) {
        guard p.elapsed - last >= 0.2 || p.bytesRead >= p.totalBytes else { return }
        last = p.elapsed
        let fraction = p.totalBytes > 0 ? min(1, Double(p.bytesRead) / Double(p.totalBytes)) : 0
        let width = 30
        let filled = Int(fraction * Double(width))
        let rate = p.elapsed > 0 ? Double(p.rows) / p.elapsed : 0
        let eta = fraction > 0 ? p.elapsed * (1 - fraction) / fraction : 0
        let bar = String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled)
        let line = String(format: "\r[%@] %3.0f%%  %d rows  %.0f rows/s  ETA %.0f s ", bar, fraction * 100, p.rows, rate, eta)
        FileHandle.standardError.write(Data(line.utf8))
    }

    func clear() {
        FileHandle.standardError.write(Data(("\r" + String(repeating: " ", count: 90) + "\r").utf8))
    }
}
