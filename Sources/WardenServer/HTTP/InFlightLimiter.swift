import Synchronization

/// Bounds how many scoring requests are handled at once. There is no queue: a request over the
/// limit is refused at once (503 with `Retry-After`), so overload never builds an unbounded
/// backlog or unbounded latency.
package final class InFlightLimiter: Sendable {
    package let limit: Int
    private let count = Atomic<Int>(0)

    package init(limit: Int) {
        self.limit = limit
    }

    /// Takes a slot if one is free. Pair every `true` with one ``release()``.
    package func tryAcquire() -> Bool {
        let now = count.wrappingAdd(1, ordering: .acquiring).newValue
        if now > limit {
            count.wrappingSubtract(1, ordering: .releasing)
            return false
        }
        return true
    }

    package func release() {
        count.wrappingSubtract(1, ordering: .releasing)
    }

    /// Slots taken now.
    package var current: Int { max(0, count.load(ordering: .relaxed)) }
}
