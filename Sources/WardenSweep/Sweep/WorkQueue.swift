import Foundation

/// The hand-off between the sweep's coordinator and its workers: a FIFO of batches to
/// evaluate, and their results taken back strictly in sequence order.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSCondition()
    private var pending: [BatchResult] = []
    private var done: [Int: BatchResult] = [:]
    private var closed = false

    /// Queues a batch for a worker.
    func submit(_ work: BatchResult) {
        lock.lock()
        pending.append(work)
        lock.broadcast()
        lock.unlock()
    }

    /// A worker's next batch; nil once the queue is closed and empty.
    func next() -> BatchResult? {
        lock.lock()
        defer { lock.unlock() }
        while pending.isEmpty && !closed { lock.wait() }
        return pending.isEmpty ? nil : pending.removeFirst()
    }

    /// A worker hands back a processed batch.
    func finish(_ work: BatchResult) {
        lock.lock()
        done[work.sequence] = work
        lock.broadcast()
        lock.unlock()
    }

    /// Waits for batch `sequence` to be processed and takes it.
    func take(_ sequence: Int) -> BatchResult {
        lock.lock()
        defer { lock.unlock() }
        while done[sequence] == nil { lock.wait() }
        return done.removeValue(forKey: sequence)!
    }

    /// Lets the workers finish once the queue drains.
    func close() {
        lock.lock()
        closed = true
        lock.broadcast()
        lock.unlock()
    }
}
