import Synchronization

/// A bounded multi-producer, single-consumer queue. Producers never wait: ``offer(_:)`` fails
/// when the queue is full (the caller writes the alert to the dead-letter file instead). The
/// consumer takes everything waiting, up to a batch size, in one call.
final class AlertQueue<Element: Sendable>: Sendable {
    private struct State {
        var items: [Element] = []
        var head = 0
        var waiter: CheckedContinuation<Void, Never>? = nil
        var finished = false
        var count: Int { items.count - head }

        /// Removes up to `max` of the oldest elements; the storage is reset when empty and
        /// compacted once most of it is dead.
        mutating func dequeue(max: Int) -> [Element] {
            let end = min(items.count, head + max)
            let batch = Array(items[head..<end])
            head = end
            if head == items.count {
                items.removeAll(keepingCapacity: items.count <= 4096)
                head = 0
            } else if head > 4096, head * 2 > items.count {
                items.removeFirst(head)
                head = 0
            }
            return batch
        }
    }

    let capacity: Int
    private let state = Mutex(State())

    init(capacity: Int) {
        self.capacity = capacity
    }

    enum Offer { case enqueued, full, finished }

    /// Adds `element` unless the queue is full or finished. Never blocks.
    func offer(_ element: Element) -> Offer {
        let (result, waiter): (Offer, CheckedContinuation<Void, Never>?) = state.withLock { s in
            if s.finished { return (.finished, nil) }
            if s.count >= capacity { return (.full, nil) }
            s.items.append(element)
            let w = s.waiter
            s.waiter = nil
            return (.enqueued, w)
        }
        waiter?.resume()
        return result
    }

    /// Waits until something is queued, then takes up to `max` elements (oldest first). Returns
    /// nil once the queue is finished and empty. One consumer only.
    func take(max: Int) async -> [Element]? {
        while true {
            let taken: [Element]?? = state.withLock { s in
                if s.count > 0 { return .some(s.dequeue(max: max)) }
                return s.finished ? .some(nil) : nil
            }
            if let result = taken { return result }
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                let resumeNow = state.withLock { s in
                    if s.count > 0 || s.finished { return true }
                    s.waiter = c
                    return false
                }
                if resumeNow { c.resume() }
            }
        }
    }

    /// Takes up to `max` elements if any are queued; never waits.
    func poll(max: Int) -> [Element] {
        state.withLock { s in s.count > 0 ? s.dequeue(max: max) : [] }
    }

    /// No more offers are accepted; ``take(max:)`` drains what is queued, then returns nil.
    func finish() {
        let waiter = state.withLock { s in
            s.finished = true
            let w = s.waiter
            s.waiter = nil
            return w
        }
        waiter?.resume()
    }

    var count: Int { state.withLock { $0.count } }
}
