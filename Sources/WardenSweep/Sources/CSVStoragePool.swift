import Foundation

/// A `malloc`ed block and its size in bytes.
struct RawBlock: @unchecked Sendable {
    var pointer: UnsafeMutableRawPointer
    var bytes: Int
}

/// The memory of one ``CSVBatch``.
struct CSVBatchStorage: Sendable {
    var raw, rowFields, bounds, rowBounds, lines, issues: RawBlock

    func free() {
        for block in [raw, rowFields, bounds, rowBounds, lines, issues] { Foundation.free(block.pointer) }
    }
}

/// Batches hand their memory back here when they are freed (on whatever thread), and the
/// reader builds its next batches in it: a sweep allocates a few batches' worth of memory once
/// instead of every batch. Fresh `malloc` memory of batch size comes from `mmap` and costs a
/// page fault per 4 KiB: measured at ~8% of the scan at 8,192 rows per batch and half the
/// throughput at 65,536 rows per batch.
final class CSVStoragePool: @unchecked Sendable {
    /// Freed storage kept for reuse; more than this (many batches in flight) is freed.
    static let capacity = 8

    private let lock = NSLock()
    private var free: [CSVBatchStorage] = []

    func take() -> CSVBatchStorage? {
        lock.lock()
        defer { lock.unlock() }
        return free.popLast()
    }

    func give(_ storage: CSVBatchStorage) {
        lock.lock()
        if free.count < Self.capacity {
            free.append(storage)
            lock.unlock()
        } else {
            lock.unlock()
            storage.free()
        }
    }

    deinit {
        for s in free { s.free() }
    }
}
