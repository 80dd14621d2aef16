import Foundation
import WardenEngine
import WardenLang

/// How to run a sweep (`warden sweep`'s options).
public struct SweepOptions: Sendable {
    public var packPath: String
    public var params: [String: String] = [:]
    /// A CSV file with a header row, or `sqlite:PATH?table=TABLE` (``SQLiteTableSource``).
    public var inputPath: String
    public var outDirectory: String
    /// Continue the unfinished sweep in `outDirectory` from its last checkpoint.
    public var resume = false
    /// Process only the rows whose key hashes to shard `index` of `count`.
    public var shard: (index: Int, count: Int)? = nil
    /// Notification campaign and ledger, required when the pack has a `notify by` output.
    public var campaign: String? = nil
    public var ledgerPath: String? = nil
    /// The file of each of the pack's `lookup` tables, by lookup name (`--lookup NAME=FILE`).
    public var lookups: [String: String] = [:]
    /// Write only these of the pack's outputs (`--outputs`); nil writes all. The rules run
    /// the same; rows for the others are dropped, and a notify output left out records nothing.
    public var outputs: [String]? = nil
    public var batchRows = 8_192
    public var workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
    /// Seconds between checkpoints (0: after every batch).
    public var checkpointInterval = 2.0
    /// Called on the coordinator thread after each batch.
    public var progress: (@Sendable (SweepProgress) -> Void)? = nil

    public init(packPath: String, inputPath: String, outDirectory: String) {
        self.packPath = packPath
        self.inputPath = inputPath
        self.outDirectory = outDirectory
    }
}

public struct SweepProgress: Sendable {
    public var bytesRead: Int64
    public var totalBytes: Int64
    public var rows: Int
    public var elapsed: Double
}

/// What a finished sweep wrote.
public struct SweepSummary: Sendable {
    public var report: SweepReport
    /// Whether this call found the sweep already finished (`--resume` after completion).
    public var alreadyComplete: Bool
}

/// A streaming sweep: CSV in, typed records, rejects, rules on every core, sorted outputs,
/// checkpoints, a reconciled report. See Documentation/Sweeps.md.
///
/// Threads: the calling thread reads batches and applies results in input order (duplicate
/// keys, rejects, outputs, ledger, checkpoints); `workers` threads decode and evaluate.
public enum Sweep {
    static let workDirectoryName = ".sweep"
    static let formatVersion = 1

    public static func run(_ options: SweepOptions) throws -> SweepSummary {
        let started = Date()
        // glibc gives each thread its own malloc arena (64 MiB reservations that fill with
        // batches freed on other threads); two keep the sweep's peak RSS near its real needs.
        #if os(Linux)
        _ = glibcMallopt(-8, 2)  // M_ARENA_MAX
        #endif
        let out = options.outDirectory
        // The pack as written (lookups recording the keys asked for): enough to check the
        // options and the checkpoint before any input or table is read.
        let declared = try loadPack(options, lookups: .recording)
        let work = out + "/" + workDirectoryName
        let checkpointPath = work + "/checkpoint.json"
        try checkLookupOptions(declared, options)
        try checkOutputOptions(declared, options)
        let fingerprint = try Sweep.fingerprint(pack: declared, options: options)
        let needsLedger = declared.checked.outputs.contains { $0.notifyBy != nil && options.outputs?.contains($0.name) != false }
        if needsLedger && (options.campaign == nil || options.ledgerPath == nil) {
            throw SweepError.setup("pack '\(declared.checked.packageName)' has a notify output: give --campaign NAME and --ledger PATH, so that rerunning the campaign notifies nobody twice")
        }

        var checkpoint: Checkpoint? = nil
        if SweepFiles.exists(checkpointPath) {
            let found = try Checkpoint.read(checkpointPath)
            if options.resume {
                guard found.fingerprint == fingerprint else {
                    throw SweepError.checkpointMismatch("the unfinished sweep in '\(out)' was started with a different pack, parameters, input, shard, campaign, lookup files or --outputs; rerun it with those, or remove '\(out)'")
                }
                if found.phase == .done, let report = try? SweepReport.read(out + "/report.json") {
                    return SweepSummary(report: report, alreadyComplete: true)
                }
                checkpoint = found
                checkpoint?.resumes += 1
            } else if found.phase != .done {
                throw SweepError.setup("'\(out)' holds an unfinished sweep: rerun with --resume to finish it (outputs identical to an uninterrupted run), or remove '\(out)'")
            }
        }
        if checkpoint == nil {
            SweepFiles.remove(work)
            // A finished sweep's directory is overwritten: the lists of outputs this run leaves
            // out (`--outputs`) must not stay beside a report that says they were not written.
            for o in declared.checked.outputs where options.outputs?.contains(o.name) == false {
                SweepFiles.remove(out + "/" + o.name + ".csv")
                SweepFiles.remove(out + "/" + o.name + ".send.csv")
            }
        }
        try SweepFiles.makeDirectory(work)
        // Lookup tables are loaded on every run, a resumed one too (the same rows: loading is
        // deterministic); their set-aside rows go to the work directory until the outputs move.
        let (pack, lookupSummaries) = try loadLookups(declared, options, rejectsDirectory: work)

        // Offset 0 is the checkpoint written before the first batch: start from the beginning.
        let resumeAt = checkpoint.flatMap { $0.inputOffset > 0 ? $0 : nil }
        let reader: RowSource
        let totalBytes: Int64
        let expectedRows: Int
        if let (path, table) = try SQLiteTableSource.parse(options.inputPath) {
            let source = try SQLiteTableSource(path: path, table: table, after: resumeAt?.inputOffset ?? 0)
            reader = source
            totalBytes = source.maxRowID
            expectedRows = Int(source.maxRowID)
        } else {
            do {
                reader = try resumeAt.map { try CSVReader(path: options.inputPath, resumeAt: $0.inputOffset, lineNumber: $0.nextLine) }
                    ?? CSVReader(path: options.inputPath)
            } catch {
                throw SweepError.io("\(error)")
            }
            totalBytes = SweepFiles.fileSize(options.inputPath) ?? 0
            expectedRows = Sweep.estimateRows(options.inputPath, totalBytes: totalBytes)
        }
        guard !reader.header.isEmpty else { throw SweepError.setup("'\(options.inputPath)' is empty: no header row") }
        let plan = try SweepPlan(pack: pack, header: reader.header, outputs: options.outputs.map(Set.init))

        let elapsedBefore = checkpoint?.elapsedSeconds ?? 0
        var state = checkpoint ?? Checkpoint(fingerprint: fingerprint, runID: UUID().uuidString.lowercased())
        if checkpoint == nil {
            // The run id is durable before the ledger hears of it: a run killed before its first
            // real checkpoint resumes under the same id and gets its own subjects back, where a
            // new id would find them "already notified" and leave them out of the list.
            try state.write(checkpointPath)
            FaultInjection.point("started")
        }
        let runner = try SweepRunner(plan: plan, options: options, state: state, work: work, totalBytes: totalBytes,
                                     expectedRows: expectedRows)

        if state.phase == .scanning {
            try runner.scan(reader: reader, started: started) { try $0.write(checkpointPath) }
            state = runner.state
            state.scanSeconds = state.elapsedSeconds
            state.phase = .merging
            try state.write(checkpointPath)
        } else {
            state = runner.state
        }
        // Merging: every output from its runs (outputs in parallel: each is its own files),
        // then the rejects file, then the report.
        let packageName = pack.checked.packageName
        let failures = MergeFailures()
        let outputs = runner.outputs
        DispatchQueue.concurrentPerform(iterations: plan.outputs.count) { i in
            let o = plan.outputs[i]
            do {
                try outputs[i].merge(into: out + "/" + o.name + ".csv", sendPath: o.hasSendFile ? out + "/" + o.name + ".send.csv" : nil)
                FaultInjection.point("merged")
            } catch {
                failures.record(error)
            }
        }
        if let error = failures.first { throw error }
        var files: [String] = []
        for o in plan.outputs {
            files.append(o.name + ".csv")
            if o.hasSendFile { files.append(o.name + ".send.csv") }
        }
        let rejectsName = packageName + "_rejects.csv"
        try runner.finishRejects(into: out + "/" + rejectsName)
        files.append(rejectsName)
        state.elapsedSeconds = elapsedBefore + Date().timeIntervalSince(started)
        var reach: [Reach] = []
        if let ledger = runner.ledger, let campaign = options.campaign { reach.append(try ledger.reach(campaign: campaign)) }
        for name in lookupSummaries.map({ lookupRejectsName($0.name) }) {
            try SweepFiles.rename(work + "/" + name, to: out + "/" + name)
            files.append(name)
        }
        let report = SweepReport(pack: pack, plan: plan, options: options, state: state, files: files, reach: reach,
                                 lookups: lookupSummaries)
        try report.write(directory: out)
        FaultInjection.point("reported")
        state.phase = .done
        try state.write(checkpointPath)
        for file in (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? [] where file != "checkpoint.json" {
            SweepFiles.remove(work + "/" + file)
        }
        return SweepSummary(report: report, alreadyComplete: false)
    }

    static func loadPack(_ options: SweepOptions, lookups: LookupProvider) throws -> CompiledPack {
        do throws(PackError) {
            return try CompiledPack.load(path: options.packPath, params: options.params, lookups: lookups)
        } catch {
            throw SweepError.setup(error.rendered)
        }
    }

    /// Every `--lookup` names a declared lookup, and every declared lookup has its file.
    static func checkLookupOptions(_ pack: CompiledPack, _ options: SweepOptions) throws {
        let declared = pack.checked.lookups
        for name in options.lookups.keys.sorted() where !declared.contains(where: { $0.name == name }) {
            throw SweepError.setup("--lookup \(name): pack '\(pack.checked.packageName)' declares no lookup '\(name)'"
                + (declared.isEmpty ? "" : " (its lookups: \(declared.map(\.name).joined(separator: ", ")))"))
        }
        for l in declared where options.lookups[l.name] == nil {
            throw SweepError.setup("pack '\(pack.checked.packageName)' looks rows up in '\(l.name)': give its file with --lookup \(l.name)=FILE (declared as \"\(l.path)\")")
        }
    }

    /// The pack compiled against its lookup tables: it first learns the keys its input asks for
    /// (`recording` is the pack compiled with recording tables), then loads those rows of each
    /// table (see ``LookupLoader``). A pack without lookups is simply compiled.
    static func loadLookups(_ recording: CompiledPack, _ options: SweepOptions,
                            rejectsDirectory: String) throws -> (CompiledPack, [LookupSummary]) {
        let declared = recording.checked.lookups
        if declared.isEmpty { return (try loadPack(options, lookups: .tables([:])), []) }
        let reader = try openInput(options.inputPath)
        guard !reader.header.isEmpty else { throw SweepError.setup("'\(options.inputPath)' is empty: no header row") }
        let keys = try LookupLoader.collectKeys(plan: try SweepPlan(pack: recording, header: reader.header), reader: reader,
                                                shard: options.shard, batchRows: options.batchRows)
        var tables: [String: LookupTable] = [:]
        var summaries: [LookupSummary] = []
        for (i, l) in declared.enumerated() {
            let (table, summary) = try LookupLoader.load(l, path: options.lookups[l.name]!, wanted: keys[i],
                                                         zone: recording.program.zone,
                                                         rejectsPath: rejectsDirectory + "/" + lookupRejectsName(l.name))
            tables[l.name] = table
            summaries.append(summary)
        }
        return (try loadPack(options, lookups: .tables(tables)), summaries)
    }

    /// Every `--outputs` name is an output the pack declares.
    static func checkOutputOptions(_ pack: CompiledPack, _ options: SweepOptions) throws {
        let declared = pack.checked.outputs.map(\.name)
        if let chosen = options.outputs, chosen.isEmpty {
            throw SweepError.setup("--outputs names no output (pack '\(pack.checked.packageName)' declares \(declared.joined(separator: ", ")))")
        }
        for name in options.outputs ?? [] where !declared.contains(name) {
            throw SweepError.setup("--outputs \(name): pack '\(pack.checked.packageName)' declares no output '\(name)'"
                + (declared.isEmpty ? "" : " (its outputs: \(declared.joined(separator: ", ")))"))
        }
    }

    static func lookupRejectsName(_ lookup: String) -> String { "lookup_\(lookup)_rejects.csv" }

    /// A reader over the whole input, from its first row.
    static func openInput(_ input: String) throws -> RowSource {
        if let (path, table) = try SQLiteTableSource.parse(input) {
            return try SQLiteTableSource(path: path, table: table, after: 0)
        }
        do {
            return try CSVReader(path: input)
        } catch {
            throw SweepError.io("\(error)")
        }
    }

    /// Rows in the file, estimated from the line length in its first MiB (10 % over).
    static func estimateRows(_ path: String, totalBytes: Int64) -> Int {
        guard let source = try? FileSource(path: path), let head = try? source.read(prefix: 1 << 20), !head.isEmpty else { return 1024 }
        let lines = max(1, head.reduce(0) { $0 + ($1 == 0x0A ? 1 : 0) })
        return Int(Double(totalBytes) / (Double(head.count) / Double(lines)) * 1.1)
    }

    /// What a checkpoint must match to be resumed: the pack text, its parameters, the input
    /// (path, size and modification time), the shard, the campaign and the outputs chosen.
    static func fingerprint(pack: CompiledPack, options: SweepOptions) throws -> String {
        var st = stat()
        let path = try SQLiteTableSource.parse(options.inputPath)?.path ?? options.inputPath
        guard stat(path, &st) == 0 else { throw SweepError.io("cannot read '\(path)': \(SweepFiles.lastError)") }
        var h = FNV1a()
        func mix<C: Collection<UInt8>>(_ bytes: C) {
            h.combine(bytes)
            h.endPart()
        }
        func mix(_ s: String) { mix(s.utf8) }
        mix("v\(formatVersion)")
        mix(pack.source.bytes)
        for (k, v) in options.params.sorted(by: { $0.key < $1.key }) { mix(k + "=" + v) }
        mix((options.inputPath as NSString).standardizingPath)
        mix("\(st.st_size) \(st.st_mtim.tv_sec) \(st.st_mtim.tv_nsec)")
        mix(options.shard.map { "\($0.index)/\($0.count)" } ?? "-")
        mix(options.campaign ?? "-")
        // Only a proper subset of the outputs changes the fingerprint: naming them all is the
        // default, and checkpoints written before `--outputs` existed still resume.
        if let chosen = options.outputs.map(Set.init), chosen != Set(pack.checked.outputs.map(\.name)) {
            mix("outputs " + chosen.sorted().joined(separator: ","))
        }
        for (name, file) in options.lookups.sorted(by: { $0.key < $1.key }) {
            guard stat(file, &st) == 0 else { throw SweepError.io("cannot read lookup '\(name)' file '\(file)': \(SweepFiles.lastError)") }
            mix("\(name)=\((file as NSString).standardizingPath) \(st.st_size) \(st.st_mtim.tv_sec) \(st.st_mtim.tv_nsec)")
        }
        return String(h.value, radix: 16)
    }
}

#if os(Linux)
/// glibc's `mallopt` (declared in malloc.h, which the Glibc module does not import).
@_silgen_name("mallopt")
private func glibcMallopt(_ parameter: Int32, _ value: Int32) -> Int32
#endif

/// The first error of the parallel merges.
final class MergeFailures: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var first: Error?

    func record(_ error: Error) {
        lock.lock()
        if first == nil { first = error }
        lock.unlock()
    }
}

/// The coordinator's state during one sweep.
final class SweepRunner {
    let plan: SweepPlan
    let options: SweepOptions
    private(set) var state: Checkpoint
    let work: String
    let totalBytes: Int64
    let outputs: [SortedOutput]
    /// The rejects file being written (`nil` once merging has renamed it into place).
    let rejects: FileSink?
    let keys: KeyIndex?
    let ledger: NotificationLedger?
    /// Records notifications on its own thread while scanning.
    private var ledgerStage: LedgerStage?
    private var pendingNotifications: LedgerStage.Work = []
    /// Scratch for ``apply(_:)``: whether each row of the batch repeats an accepted key.
    private var isDuplicate: [Bool] = []
    /// Per-output counts, by output index (kept out of `state` so that counting a row mutates
    /// in place instead of copying a dictionary entry); folded into `state` at checkpoints.
    private var outputCounts: [SweepCounts.OutputCounts]

    init(plan: SweepPlan, options: SweepOptions, state: Checkpoint, work: String, totalBytes: Int64, expectedRows: Int) throws {
        self.plan = plan
        self.options = options
        self.state = state
        self.work = work
        self.totalBytes = totalBytes
        let resuming = state.inputOffset > 0 || state.phase != .scanning
        // Forget whatever the dead process wrote after its last checkpoint.
        let keep = Set(state.outputs.values.flatMap(\.runs))
        for file in (try? FileManager.default.contentsOfDirectory(atPath: work)) ?? [] where file.hasSuffix(".run") && !keep.contains(file) {
            SweepFiles.remove(work + "/" + file)
        }
        outputCounts = plan.outputs.map { state.counts.outputs[$0.name] ?? SweepCounts.OutputCounts() }
        outputs = plan.outputs.map { o in
            SortedOutput(name: o.name, directory: work, header: o.headerLine, hasSendFile: o.hasSendFile,
                         runs: state.outputs[o.name]?.runs ?? [], rowCount: state.outputs[o.name]?.rows ?? 0)
        }
        let scanning = state.phase == .scanning
        if scanning || SweepFiles.exists(work + "/rejects.part") {
            let sink = try FileSink(path: work + "/rejects.part", truncate: !resuming, truncateTo: resuming ? state.rejectsLength : nil)
            if !resuming { try sink.write(Array("line_no,\(plan.keyName),reason\n".utf8)) }
            rejects = sink
        } else {
            rejects = nil
        }
        if scanning, plan.duplicate != nil {
            // Size the table from the input's first MiB; it doubles if that guessed low.
            let estimate = expectedRows / (options.shard?.count ?? 1)
            keys = try KeyIndex(logPath: work + "/keys.log", expectedKeys: estimate, resumeLength: resuming ? state.keyLogLength : nil)
        } else {
            keys = nil
        }
        if let path = options.ledgerPath, plan.outputs.contains(where: { $0.notifyBy != nil }) {
            do {
                ledger = try NotificationLedger(path: path)
            } catch {
                throw SweepError.io("cannot open the notification ledger '\(path)': \(error)")
            }
        } else {
            ledger = nil
        }
    }

    /// Reads the input to its end, evaluating on the workers and applying results in order,
    /// checkpointing every `checkpointInterval` seconds (and at the end).
    func scan(reader: RowSource, started: Date, saveCheckpoint: (Checkpoint) throws -> Void) throws {
        let queue = WorkQueue()
        let plan = self.plan
        let shard = options.shard
        var threads: [Thread] = []
        let finished = DispatchGroup()
        for _ in 0..<options.workers {
            finished.enter()
            let t = Thread {
                let worker = SweepWorker(plan: plan, shard: shard)
                while let work = queue.next() {
                    worker.process(work)
                    queue.finish(work)
                }
                finished.leave()
            }
            t.stackSize = 8 << 20
            threads.append(t)
            t.start()
        }
        if let ledger, let campaign = options.campaign {
            var counts: [Int: SweepCounts.OutputCounts] = [:]
            for (i, o) in plan.outputs.enumerated() where o.notifyBy != nil { counts[i] = outputCounts[i] }
            ledgerStage = LedgerStage(ledger: ledger, campaign: campaign, runID: state.runID, plan: plan, outputs: outputs, counts: counts)
        }
        defer {
            queue.close()
            finished.wait()
            try? ledgerStage?.close()
        }
        let maxInFlight = options.workers * 2 + 1
        var submitted = 0, applied = 0, atEnd = false
        var lastCheckpoint = Date()
        let elapsedBefore = state.elapsedSeconds
        while true {
            while !atEnd && submitted - applied < maxInFlight {
                let batch: CSVBatch?
                do { batch = try reader.nextBatch(maxRows: options.batchRows) } catch { throw SweepError.io("\(error)") }
                if let batch {
                    queue.submit(BatchResult(sequence: submitted, batch: batch))
                    submitted += 1
                } else {
                    atEnd = true
                }
            }
            if applied == submitted { break }
            let result = queue.take(applied)
            applied += 1
            try apply(result)
            state.inputOffset = result.batch.endOffset
            state.nextLine = result.batch.nextLineNumber
            let now = Date()
            if now.timeIntervalSince(lastCheckpoint) >= options.checkpointInterval || (atEnd && applied == submitted) {
                try checkpoint(elapsed: elapsedBefore + now.timeIntervalSince(started), save: saveCheckpoint)
                lastCheckpoint = now
            }
            options.progress?(SweepProgress(bytesRead: result.batch.endOffset, totalBytes: totalBytes,
                                            rows: state.counts.inputRows, elapsed: elapsedBefore + now.timeIntervalSince(started)))
        }
        state.elapsedSeconds = elapsedBefore + Date().timeIntervalSince(started)
        foldCounts()
    }

    /// Copies the outputs' counts into `state` (the ledger stage's after a drain).
    private func foldCounts() {
        for (i, o) in plan.outputs.enumerated() {
            state.counts.outputs[o.name] = o.notifyBy != nil ? ledgerStage?.counts[i] ?? outputCounts[i] : outputCounts[i]
        }
    }

    /// Applies one batch's results in row order.
    private func apply(_ result: BatchResult) throws {
        let batch = result.batch
        var e = 0
        // Duplicate keys first, in one tight pass over the batch (input order, so the first
        // accepted copy still wins): the table is far larger than the caches, and probing it
        // between the rows' other work left every probe a full miss to memory. Touching the
        // batch's home slots first lets those misses overlap.
        var duplicate: [Bool] = []
        swap(&duplicate, &isDuplicate)  // the scratch's storage, not a copy of it
        duplicate.removeAll(keepingCapacity: true)
        if let dup = plan.duplicate, let keys {
            keys.touch(hashes: result.keyHash)  // 0 for rows not candidates: slot 0, harmless
            let column = plan.fieldColumns[dup.field]
            for row in 0..<batch.count {
                var isNew = true
                if result.status[row] == .candidate { isNew = try keys.insert(batch.field(row, column), hash: result.keyHash[row]) }
                duplicate.append(!isNew)
            }
        }
        defer { isDuplicate = duplicate }
        for row in 0..<batch.count {
            state.counts.inputRows += 1
            switch result.status[row] {
            case .otherShard:
                state.counts.otherShard += 1
            case .rejected:
                try reject(row, batch, reason: Int(result.reason[row]))
            case .candidate:
                if let dup = plan.duplicate, !duplicate.isEmpty, duplicate[row] {
                    try reject(row, batch, reason: dup.reason)
                    while e < result.emits.count && result.emits[e].row == Int32(row) { e += 1 }
                    continue
                }
                state.counts.accepted += 1
                while e < result.emits.count && result.emits[e].row == Int32(row) {
                    try route(e, result)
                    e += 1
                }
            }
        }
        for (rule, n) in result.errorCounts {
            state.counts.evaluationErrors[plan.pack.program.rules[rule].id, default: 0] += n
        }
        if !pendingNotifications.isEmpty {
            try ledgerStage?.submit(pendingNotifications)
            pendingNotifications.removeAll(keepingCapacity: true)
        }
    }

    private func reject(_ row: Int, _ batch: CSVBatch, reason: Int) throws {
        state.counts.rejected += 1
        state.counts.rejectedByReason[plan.reasons[reason], default: 0] += 1
        var line: [UInt8] = []
        OutputText.appendInt(Int64(batch.lineNumber(row)), to: &line)
        line.append(UInt8(ascii: ","))
        if let c = plan.keyColumn, batch.fieldCount(row) > c {
            let key = batch.field(row, c)
            if plan.keyIsPersonal {
                OutputText.appendField(Text.mask(String(decoding: key, as: UTF8.self)), to: &line)
            } else {
                OutputText.appendField(key, to: &line)
            }
        }
        line.append(UInt8(ascii: ","))
        OutputText.appendField(plan.reasons[reason], to: &line)
        line.append(0x0A)
        try rejects?.write(line)
    }

    /// Sends emitted row `e` to its output, or, for a notify output, to the batch's notifications.
    private func route(_ e: Int, _ result: BatchResult) throws {
        let i = Int(result.emits[e].output)
        if plan.outputs[i].notifyBy != nil {
            pendingNotifications.append((result.emits[e], result))
        } else {
            try outputs[i].add(result.emits[e], from: result, plan: plan.outputs[i], counts: &outputCounts[i])
        }
    }

    /// Makes everything up to the last applied batch durable, then records where that is.
    private func checkpoint(elapsed: Double, save: (Checkpoint) throws -> Void) throws {
        try ledgerStage?.drain()
        foldCounts()
        for (i, o) in outputs.enumerated() {
            try o.spill()
            state.outputs[plan.outputs[i].name] = Checkpoint.OutputState(runs: o.runs, rows: o.rowCount)
        }
        try rejects?.sync()
        state.rejectsLength = rejects?.length ?? 0
        state.keyLogLength = try keys?.checkpoint() ?? 0
        state.elapsedSeconds = elapsed
        FaultInjection.point("spilled")
        try save(state)
        FaultInjection.point("checkpoint")
    }

    func finishRejects(into path: String) throws {
        // The part file is renamed once: a merge resumed after that finds it already in place.
        guard let rejects else { return }
        try rejects.close(sync: true)
        try SweepFiles.rename(work + "/rejects.part", to: path)
    }
}
