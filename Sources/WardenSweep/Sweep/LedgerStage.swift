import Foundation

/// Records notifications in the ledger on a thread of its own, so that SQLite's inserts (about
/// 0.7 µs of CPU a row, ~1.1 M rows/s on a quiet core) overlap with reading and evaluating
/// instead of stalling the coordinator.
///
/// The coordinator submits each batch's notification rows in input order; the stage records
/// them (one transaction per batch), writes the rows this run owns to their outputs and counts
/// them. Before a checkpoint the coordinator calls ``drain()``: after it returns the stage is
/// idle, the ledger holds every submitted row, and the coordinator may spill the notify outputs
/// and read ``counts`` (the lock orders those accesses after the stage's writes).
final class LedgerStage: @unchecked Sendable {
    typealias Work = [(emit: BatchResult.EmitRow, result: BatchResult)]

    private let lock = NSCondition()
    private var queue: [Work] = []
    private var busy = false
    private var closed = false
    private var failure: Error?
    private let finished = DispatchGroup()

    private let ledger: NotificationLedger
    private let campaign: String
    private let runID: String
    private let plan: SweepPlan
    private let outputs: [SortedOutput]
    /// Counts of the notify outputs, by output index; read only after ``drain()``.
    private(set) var counts: [Int: SweepCounts.OutputCounts]

    static let maxQueued = 2

    init(ledger: NotificationLedger, campaign: String, runID: String, plan: SweepPlan, outputs: [SortedOutput],
         counts: [Int: SweepCounts.OutputCounts]) {
        self.ledger = ledger
        self.campaign = campaign
        self.runID = runID
        self.plan = plan
        self.outputs = outputs
        self.counts = counts
        finished.enter()
        let thread = Thread { [self] in
            run()
            finished.leave()
        }
        thread.start()
    }

    /// Queues one batch's notifications (waits while the stage is `maxQueued` batches behind).
    func submit(_ work: Work) throws {
        lock.lock()
        defer { lock.unlock() }
        while queue.count >= LedgerStage.maxQueued && failure == nil { lock.wait() }
        if let failure { throw failure }
        queue.append(work)
        lock.broadcast()
    }

    /// Waits until every submitted batch is recorded and written.
    func drain() throws {
        lock.lock()
        defer { lock.unlock() }
        while (!queue.isEmpty || busy) && failure == nil { lock.wait() }
        if let failure { throw failure }
    }

    /// Drains, then stops the thread.
    func close() throws {
        defer {
            lock.lock()
            closed = true
            lock.broadcast()
            lock.unlock()
            finished.wait()
        }
        try drain()
    }

    private func run() {
        while true {
            lock.lock()
            while queue.isEmpty && !closed { lock.wait() }
            if queue.isEmpty {
                lock.unlock()
                return
            }
            let work = queue.removeFirst()
            busy = true
            lock.unlock()
            var error: Error? = nil
            do { try record(work) } catch let e { error = e }
            lock.lock()
            busy = false
            if let error, failure == nil { failure = error }
            lock.broadcast()
            lock.unlock()
        }
    }

    /// Records a batch in one transaction and writes the rows this run owns; the others were
    /// notified by an earlier run of the campaign.
    private func record(_ work: Work) throws {
        let items = work.map { emit, result in
            let o = plan.outputs[Int(emit.output)]
            let start = Int(o.hasSendFile ? emit.sendStart : emit.lineStart)
            let count = Int(o.hasSendFile ? emit.sendCount : emit.lineCount) - 1  // without the "\n"
            return NotificationLedger.Item(subject: emit.subject ?? "", channel: o.name,
                                           payload: String(decoding: result.arena[start..<(start + count)], as: UTF8.self),
                                           reasons: emit.reason.map { o.reasonsJoined ? $0.split(separator: "|").map(String.init) : [$0] } ?? [])
        }
        let fresh: [Bool]
        do {
            fresh = try ledger.recordBatch(items, campaign: campaign, runID: runID, now: Date())
        } catch {
            throw SweepError.io("notification ledger '\(ledger.path)': \(error)")
        }
        for ((emit, result), isNew) in zip(work, fresh) {
            let i = Int(emit.output)
            if isNew {
                try outputs[i].add(emit, from: result, plan: plan.outputs[i], counts: &counts[i, default: SweepCounts.OutputCounts()])
            } else {
                counts[i, default: SweepCounts.OutputCounts()].alreadyNotified += 1
            }
        }
    }
}

extension SortedOutput {
    /// Adds an emitted row (its bytes in the batch's arena) and counts it.
    func add(_ emit: BatchResult.EmitRow, from result: BatchResult, plan: SweepPlan.OutputPlan,
             counts: inout SweepCounts.OutputCounts) throws {
        try result.arena.withUnsafeBufferPointer { a in
            func slice(_ start: Int32, _ count: Int32) -> UnsafeBufferPointer<UInt8> {
                UnsafeBufferPointer(rebasing: a[Int(start)..<Int(start + count)])
            }
            try add(key: slice(emit.keyStart, emit.keyCount), line: slice(emit.lineStart, emit.lineCount),
                    send: slice(emit.sendStart, emit.sendCount))
        }
        counts.rows += 1
        if let r = emit.reason {
            if plan.reasonsJoined {
                for code in r.split(separator: "|") { counts.byReason[String(code), default: 0] += 1 }
            } else {
                counts.byReason[r, default: 0] += 1
            }
        }
        if let d = emit.days, let c = plan.dayColumn { counts.countDays(d, column: plan.columns[c].name) }
        if !plan.enumColumns.isEmpty {
            if counts.enumTallies.isEmpty { counts.enumTallies = plan.enumColumns.map { [Int](repeating: 0, count: $0.members.count) } }
            var enums = emit.enums
            withUnsafeBytes(of: &enums) { raw in
                let ordinals = raw.bindMemory(to: Int16.self)
                for k in 0..<plan.enumColumns.count where ordinals[k] >= 0 && Int(ordinals[k]) < counts.enumTallies[k].count {
                    counts.enumTallies[k][Int(ordinals[k])] += 1
                }
            }
        }
    }
}
