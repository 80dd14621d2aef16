import ArgumentParser
import Foundation

/// `warden-datagen`: deterministic, realistic datasets for Warden's sweeps and benchmarks.
/// See Documentation/Datasets.md for the files, their columns and every defect.
@main
struct WardenDatagen: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden-datagen",
        abstract: "Generate accounts.csv, merchants.csv, registry.csv and transactions.jsonl.",
        discussion: "Output is byte-identical for the same seed and sizes. Defects: "
            + Defect.allCases.map { "\($0.rawValue) (\($0.defaultRate))" }.joined(separator: ", "))

    enum File: String, ExpressibleByArgument, CaseIterable {
        case accounts, merchants, registry, transactions
    }

    @Option(help: "Output directory (created if missing).")
    var out: String

    @Option(help: "Seed; the same seed and sizes give the same bytes.")
    var seed: UInt64 = 1

    @Option(help: "Accounts (personal and merchant, split 1,790,000 : 50,000 at any size).")
    var accounts: Int = 1_840_000

    @Option(help: "Merchants.")
    var merchants: Int = 60_000

    @Option(help: "Registry rows (companies with history have several).")
    var registry: Int = 2_000_000

    @Option(help: "Transactions.")
    var transactions: Int = 1_000_000

    @Option(help: "Generate only this file (repeatable).")
    var only: [File] = []

    @Option(name: .customLong("defect-rate"), help: "Override a defect rate: NAME=RATE (0.002 or 0.2%); repeatable.")
    var defectRates: [String] = []

    @Flag(help: "No per-file summary on stderr.")
    var quiet = false

    func validate() throws {
        for (name, v) in [("accounts", accounts), ("merchants", merchants), ("registry", registry), ("transactions", transactions)]
        where v < 0 || v > 1_000_000_000 {
            throw ValidationError("--\(name) must be between 0 and 1,000,000,000")
        }
        _ = try DefectRates(overrides: defectRates)
    }

    func run() throws {
        let rates = try DefectRates(overrides: defectRates)
        try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        let files = only.isEmpty ? File.allCases : File.allCases.filter(only.contains)
        let seed = self.seed
        var all: [FileStats] = []
        for f in files {
            let path = (out as NSString).appendingPathComponent(f == .transactions ? "transactions.jsonl" : "\(f.rawValue).csv")
            let stats: FileStats
            switch f {
            case .accounts:
                let g = AccountsGenerator(seed: seed, count: accounts,
                                          merchantAccounts: Int((Double(accounts) * 50_000 / 1_840_000).rounded()),
                                          merchants: merchants, rates: rates)
                stats = try writeChunked(path: path, header: AccountsGenerator.header, units: accounts, chunk: 16_384) { _, range, buf in
                    g.generate(range, buf)
                }
            case .merchants:
                let g = MerchantsGenerator(seed: seed, count: merchants, rates: rates)
                stats = try writeChunked(path: path, header: MerchantsGenerator.header, units: merchants, chunk: 4096) { _, range, buf in
                    g.generate(range, buf)
                }
            case .registry:
                let g = RegistryGenerator(seed: seed, rows: registry, merchants: merchants, rates: rates)
                stats = try writeChunked(path: path, header: RegistryGenerator.header, units: g.entities, chunk: 8192) { _, range, buf in
                    g.generate(range, buf)
                }
            case .transactions:
                let g = TransactionsGenerator(seed: seed, count: transactions, merchants: merchants, rates: rates)
                stats = try writeChunked(path: path, header: "", units: transactions, chunk: 8192) { _, range, buf in
                    g.generate(range, buf)
                }
            }
            all.append(stats)
            if !quiet {
                let lines = f == .transactions ? stats.lines : stats.lines - 1
                let mb = Double(stats.bytes) / 1_000_000
                FileHandle.standardError.write(Data(String(
                    format: "%@: %d %@, %.1f MB in %.2f s (%.0f rows/s, %.0f MB/s)\n",
                    stats.path, lines, f == .transactions ? "lines" : "rows", mb, stats.seconds,
                    Double(lines) / max(stats.seconds, 1e-9), mb / max(stats.seconds, 1e-9)).utf8))
            }
        }
    }
}
