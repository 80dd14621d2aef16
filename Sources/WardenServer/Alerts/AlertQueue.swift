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
                if s.count > 0 {
                    let end = min(s.items.count, s.head + max)
                    let batch = Array(s.items[s.head..<end])
                    s.head = end
                    if s.head == s.items.count {
                        s.items.removeAll(keepingCapacity: s.items.count <= 4096)
                        s.head = 0
                    } else if s.head > 4096, s.head * 2 > s.items.count {
                        s.items.removeFirst(s.head)
                        s.head = 0
                    }
                    return .some(batch)
                }
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
        state.withLock { s in
            guard s.count > 0 else { return [] }
            let end = min(s.items.count, s.head + max)
            let batch = Array(s.items[s.head..<end])
            s.head = end
            if s.head == s.items.count {
                s.items.removeAll(keepingCapacity: s.items.count <= 4096)
                s.head = 0
            }
            return batch
        }
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
