import ArgumentParser
import Foundation
import WardenSweep

struct Notify: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The notification ledger: import delivery receipts, show a campaign's reach.",
        subcommands: [Receipts.self, Reach.self])

    struct Receipts: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import delivery receipts (CSV: subject,status,received_at) for a campaign and print its reach.")

        @Option(help: "The campaign the receipts belong to.")
        var campaign: String

        @Option(help: "Receipts CSV with header subject,status,received_at (status: delivered, read, confirmed, bounced, failed).")
        var input: String

        @Option(help: "The notification ledger (SQLite) the sweeps wrote.")
        var ledger: String

        func run() throws {
            do {
                let l = try NotificationLedger(path: ledger)
                let imported = try l.importReceipts(campaign: campaign, csvPath: input)
                var text = "warden notify receipts: \(imported.rows) rows: \(imported.inserted) new, \(imported.updated) updated, \(imported.unchanged) unchanged, \(imported.unknownSubject) for subjects the campaign never notified, \(imported.rejected) rejected\n"
                for bad in imported.badRows.prefix(20) { text += "  \(input):\(bad.line): \(bad.reason)\n" }
                let reach = try l.reach(campaign: campaign)
                text += "reach \(campaign): \(reach.reached)/\(reach.notified) notified reached (\(reach.percentage)); confirmed \(reach.confirmed), bounced \(reach.bounced), failed \(reach.failed)\n"
                FileHandle.standardOutput.write(Data(text.utf8))
            } catch {
                FileHandle.standardError.write(Data("warden notify receipts: error: \(error)\n".utf8))
                throw failure
            }
        }
    }

    struct Reach: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a campaign's reach as JSON.")

        @Option(help: "The campaign.")
        var campaign: String

        @Option(help: "The notification ledger (SQLite).")
        var ledger: String

        func run() throws {
            do {
                let reach = try NotificationLedger(path: ledger).reach(campaign: campaign)
                let encoder = JSONEncoder()
                encoder.outputFormatting = [.sortedKeys]
                FileHandle.standardOutput.write(try encoder.encode(reach) + Data("\n".utf8))
            } catch {
                FileHandle.standardError.write(Data("warden notify reach: error: \(error)\n".utf8))
                throw failure
            }
        }
    }
}
