/// How many of a campaign's notified subjects the receipts show were reached.
///
/// Each count is of distinct subjects; a subject can be in several (bounced on SMS, then
/// delivered and confirmed). `reached` ≤ `notified` always: a receipt is only stored for a
/// subject the campaign notified.
public struct Reach: Sendable, Hashable, Codable {
    /// An exact ratio, kept unreduced so it reads as counts (`90/100`, not `9/10`).
    public struct Ratio: Sendable, Hashable, Codable, CustomStringConvertible {
        public var numerator: Int
        public var denominator: Int

        public init(numerator: Int, denominator: Int) {
            self.numerator = numerator
            self.denominator = denominator
        }

        /// The ratio as a percentage with one decimal, rounded half up (`2/3` → `66.7%`),
        /// computed in integers; `n/a` when the denominator is 0.
        public var percentage: String {
            guard denominator > 0 else { return "n/a" }
            let tenths = (2 * 1_000 * numerator + denominator) / (2 * denominator)
            return "\(tenths / 10).\(tenths % 10)%"
        }

        public var description: String { "\(numerator)/\(denominator)" }
    }

    public var campaign: String
    /// Subjects recorded in the campaign.
    public var notified: Int
    /// Subjects with a `delivered`, `read` or `confirmed` receipt.
    public var reached: Int
    /// Subjects with a `confirmed` receipt.
    public var confirmed: Int
    /// Subjects with a `bounced` receipt.
    public var bounced: Int
    /// Subjects with a `failed` receipt.
    public var failed: Int
    /// `reached / notified`.
    public var ratio: Ratio
    /// `ratio` as a percentage with one decimal, e.g. `90.0%` (stored so it is in the JSON).
    public var percentage: String

    public init(campaign: String, notified: Int, reached: Int, confirmed: Int, bounced: Int, failed: Int) {
        self.campaign = campaign
        self.notified = notified
        self.reached = reached
        self.confirmed = confirmed
        self.bounced = bounced
        self.failed = failed
        ratio = Ratio(numerator: reached, denominator: notified)
        percentage = ratio.percentage
    }
}

extension NotificationLedger {
    static let reachSQL = """
        SELECT
            (SELECT count(*) FROM notifications WHERE campaign = ?1),
            count(DISTINCT subject) FILTER (WHERE status IN ('delivered', 'read', 'confirmed')),
            count(*) FILTER (WHERE status = 'confirmed'),
            count(*) FILTER (WHERE status = 'bounced'),
            count(*) FILTER (WHERE status = 'failed')
        FROM receipts WHERE campaign = ?1
        """

    /// The campaign's reach from the receipts imported so far.
    ///
    /// ```swift
    /// let r = try ledger.reach(campaign: "registration-2023")
    /// print("\(r.reached) of \(r.notified) reached (\(r.percentage))")  // 90 of 100 reached (90.0%)
    /// ```
    /// - Complexity: O(notified + receipts) for the campaign: one pass over each, by key.
    public func reach(campaign: String) throws -> Reach {
        // Outside a transaction: a lookup and one query, each its own consistent read.
        guard let id = try campaignID(campaign, create: false) else {
            return Reach(campaign: campaign, notified: 0, reached: 0, confirmed: 0, bounced: 0, failed: 0)
        }
        let st = selectReach
        try st.bind(1, id)
        defer { st.reset() }
        _ = try st.step()  // an aggregate always returns one row
        return Reach(
            campaign: campaign, notified: Int(st.int64(0)), reached: Int(st.int64(1)),
            confirmed: Int(st.int64(2)), bounced: Int(st.int64(3)), failed: Int(st.int64(4)))
    }
}
