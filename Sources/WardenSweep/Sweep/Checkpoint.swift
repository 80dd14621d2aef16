import Foundation

/// Where a sweep is, written atomically (temporary file, fsync, rename) after everything it
/// points to is durable. A sweep killed at any moment resumes from its last checkpoint and
/// writes exactly the outputs an uninterrupted run writes.
struct Checkpoint: Codable, Sendable {
    enum Phase: String, Codable, Sendable {
        /// Reading the input; outputs accumulate as sorted runs.
        case scanning
        /// Input done; merging runs into the final files.
        case merging
        /// Report written.
        case done
    }
    struct OutputState: Codable, Sendable {
        var runs: [String]
        var rows: Int
    }

    var version = Sweep.formatVersion
    /// Pack, parameters, input, shard and campaign (see `Sweep.fingerprint`).
    var fingerprint: String
    /// The run id the notification ledger knows this run by.
    var runID: String
    var phase = Phase.scanning
    /// Where the next unread row starts, and its physical line number.
    var inputOffset: Int64 = 0
    var nextLine = 2
    var rejectsLength: Int64 = 0
    var keyLogLength: Int64 = 0
    var outputs: [String: OutputState] = [:]
    var counts = SweepCounts()
    /// Seconds spent by every process that worked on this sweep.
    var elapsedSeconds = 0.0
    /// Of which reading and evaluating the input (the rest is merging and reporting).
    var scanSeconds = 0.0
    /// How many times the sweep was resumed.
    var resumes = 0

    init(fingerprint: String, runID: String) {
        self.fingerprint = fingerprint
        self.runID = runID
    }

    static func read(_ path: String) throws -> Checkpoint {
        guard let data = FileManager.default.contents(atPath: path) else { throw SweepError.io("cannot read '\(path)'") }
        do {
            let c = try JSONDecoder().decode(Checkpoint.self, from: data)
            guard c.version == Sweep.formatVersion else {
                throw SweepError.checkpointMismatch("'\(path)' was written by another version of warden (format \(c.version))")
            }
            return c
        } catch let e as SweepError {
            throw e
        } catch {
            throw SweepError.io("'\(path)' is not a sweep checkpoint: \(error)")
        }
    }

    func write(_ path: String) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted]
        let data = try encoder.encode(self)
        try SweepFiles.writeAtomically(Array(data), to: path)
    }
}
