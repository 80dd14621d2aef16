/// Every count a sweep's report shows, kept in its checkpoint so a resumed sweep reports the
/// whole run.
public struct SweepCounts: Codable, Sendable, Equatable {
    /// Data rows read (the header excluded).
    public var inputRows = 0
    public var accepted = 0
    public var rejected = 0
    /// Rows left to another `--shard`.
    public var otherShard = 0
    public var rejectedByReason: [String: Int] = [:]
    /// Records on which a rule failed to evaluate (the rule did not hit), by rule id.
    public var evaluationErrors: [String: Int] = [:]
    public var outputs: [String: OutputCounts] = [:]

    public struct OutputCounts: Codable, Sendable, Equatable {
        /// Rows written to the output.
        public var rows = 0
        /// Rows by the value of the output's `reason` column.
        public var byReason: [String: Int] = [:]
        /// Notify outputs: rows left out because the campaign had already notified the subject.
        public var alreadyNotified = 0
        /// The day column's distribution: counts per bucket of ``SweepCounts/dayBuckets``.
        public var dayColumn: String? = nil
        public var dayBuckets: [Int] = []
        public var dayMin: Int64? = nil
        public var dayMax: Int64? = nil
        /// Rows per member of each enum column (in the output's enum-column order, by ordinal);
        /// the report shows them by name.
        public var enumTallies: [[Int]] = []

        public init() {}

        mutating func countDays(_ days: Int64, column: String) {
            dayColumn = column
            if dayBuckets.isEmpty { dayBuckets = [Int](repeating: 0, count: SweepCounts.dayBuckets.count) }
            dayBuckets[SweepCounts.dayBuckets.lastIndex { days >= $0.lower } ?? 0] += 1
            dayMin = min(dayMin ?? days, days)
            dayMax = max(dayMax ?? days, days)
        }
    }

    /// Lower bounds of the day-distribution buckets: under 180 days, 180–364, 1–2 years, …
    public static let dayBuckets: [(lower: Int64, label: String)] = [
        (Int64.min, "< 180 days"), (180, "180–364 days"), (365, "1–2 years"), (730, "2–3 years"),
        (1095, "3–5 years"), (1825, "5–10 years"), (3650, "10 years or more"),
    ]

    public init() {}

    /// `input = accepted + rejected + other shards`: every row accounted for exactly once.
    public var reconciles: Bool {
        inputRows == accepted + rejected + otherShard && rejected == rejectedByReason.values.reduce(0, +)
    }
}
