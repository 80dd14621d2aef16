import WardenEngine

/// `rules/payments.rules` written by hand in Swift: the physical yardstick the engine is
/// measured against. It does the same work a careful engineer would (each shared value
/// computed once, cheap tests first), with the same library functions the engine calls
/// (PCRE2, NFKC, Luhn, zones), on a typed struct instead of a `Record`.
///
/// It must agree with the engine on every record (`WardenBenchmarksTests` checks the sample;
/// `warden-bench` checks every record it times). When the pack changes, change this too.
public struct HandWrittenPayments {
    /// A transaction decoded into native Swift types.
    public struct Txn {
        var txnID: String
        var accountID: String
        var cardNo: String?
        var cardCountry: String?
        var deviceID: String
        var amount: Money
        var currency: Int64
        var amountCNY: Money
        var channel: Int64
        var mcc: String
        var createdAt: Int64
        var ipCountry: String
        var ipRisk: Int64
        var accountOpenedAt: Int64
        var deviceFirstSeenAt: Int64?
        var kycLevel: Int64
        var memo: String?
        var payeeAccount: String?
        var payeeTxnCount: Int64
        var phone: String?
        var failedLogins24h: Int64
        var txnCount1h: Int64
        var amountCNY24h: Money
        var isCrossBorder: Bool
    }

    public struct Result: Equatable {
        /// 0 block, 1 review, 2 allow (the pack's decide order).
        public var action: Int
        public var score: Int64
        /// Bit i set when rule i (pack order) hit, shadow rules included.
        public var hits: UInt64
    }

    let slots: [String: Int]
    let blockedAccounts: Set<String>
    let blockedDevices: Set<String>
    let zone: Zone
    let gambling: PatternMatcher
    let fraudScheme: PatternMatcher
    let virtualOperator: PatternMatcher
    static let highRiskMCC: Set<String> = ["7995", "7801", "7802", "5967", "5816", "6051", "4829", "6540", "5993"]

    // Enum ordinals, in the pack's declaration order.
    static let cny: Int64 = 0, usd: Int64 = 1
    static let alipay: Int64 = 0, wechat: Int64 = 1, unionpay: Int64 = 2, bankTransfer: Int64 = 3, card: Int64 = 4
    static let clean: Int64 = 0

    public init(pack: CompiledPack) throws {
        slots = Dictionary(uniqueKeysWithValues: pack.program.fields.enumerated().map { ($1.name, $0) })
        blockedAccounts = Set(pack.lists[pack.checked.lists.firstIndex { $0.name == "blocked_accounts" }!])
        blockedDevices = Set(pack.lists[pack.checked.lists.firstIndex { $0.name == "blocked_devices" }!])
        zone = pack.program.zone
        gambling = try Pattern("(?i)casino|baccarat|bet365|博彩|赌|彩票|下注|百家乐|六合彩|时时彩").makeMatcher()
        fraudScheme = try Pattern("(?i)usdt|泰达币|跑分|刷单|返利|兼职|代收|代付|垫付").makeMatcher()
        virtualOperator = try Pattern(#"^(\+?86)?1(70|71|62|65|67)\d{8}$"#).makeMatcher()
    }

    /// Converts an engine record into the typed struct (outside any timed loop).
    public func txn(_ r: Record) -> Txn {
        func v(_ name: String) -> Value { r.values[slots[name]!] }
        func s(_ name: String) -> String { if case .string(let x) = v(name) { return x }; return "" }
        func os(_ name: String) -> String? { if case .string(let x) = v(name) { return x }; return nil }
        func i(_ name: String) -> Int64 { if case .int(let x) = v(name) { return x }; return 0 }
        func oi(_ name: String) -> Int64? { if case .int(let x) = v(name) { return x }; return nil }
        func m(_ name: String) -> Money { if case .money(let x) = v(name) { return x }; return Money(raw: 0) }
        func b(_ name: String) -> Bool { if case .bool(let x) = v(name) { return x }; return false }
        return Txn(txnID: s("txn_id"), accountID: s("account_id"), cardNo: os("card_no"), cardCountry: os("card_country"),
                   deviceID: s("device_id"), amount: m("amount"), currency: i("currency"), amountCNY: m("amount_cny"),
                   channel: i("channel"), mcc: s("mcc"), createdAt: i("created_at"), ipCountry: s("ip_country"),
                   ipRisk: i("ip_risk"), accountOpenedAt: i("account_opened_at"),
                   deviceFirstSeenAt: oi("device_first_seen_at"), kycLevel: i("kyc_level"), memo: os("memo"),
                   payeeAccount: os("payee_account"), payeeTxnCount: i("payee_txn_count"), phone: os("phone"),
                   failedLogins24h: i("failed_logins_24h"), txnCount1h: i("txn_count_1h"),
                   amountCNY24h: m("amount_cny_24h"), isCrossBorder: b("is_cross_border"))
    }

    @inline(__always) static func yuan(_ n: Int64) -> Money { Money(raw: n * Money.scale) }
    @inline(__always) static func cents(_ n: Int64) -> Money { Money(raw: n * 100) }

    /// Evaluates the 28 rules and the decide policy.
    public func evaluate(_ t: Txn) -> Result {
        var hits: UInt64 = 0
        var score: Int64 = 0
        var block = false
        @inline(__always) func hit(_ rule: Int, _ points: Int64, shadow: Bool = false) {
            hits |= 1 << UInt64(rule)
            if !shadow { score += points }
        }
        let hour = zone.hour(ofUTC: t.createdAt)
        let night = hour <= 5
        let deviceIsNew = t.deviceFirstSeenAt.map { t.createdAt - $0 < 86_400 } ?? true
        let accountAgeDays = zone.localDays(ofUTC: t.createdAt) - zone.localDays(ofUTC: t.accountOpenedAt)
        let newPayee = t.payeeAccount != nil && t.payeeTxnCount == 0
        let amountCNY = t.amountCNY

        if blockedAccounts.contains(t.accountID) { hit(0, 100); block = true }
        if blockedDevices.contains(t.deviceID) { hit(1, 100); block = true }
        if let payee = t.payeeAccount, blockedAccounts.contains(payee) { hit(2, 100); block = true }
        if night && amountCNY >= Self.yuan(50_000) { hit(3, 40) }
        if t.channel == Self.bankTransfer && night && newPayee && amountCNY >= Self.yuan(5_000) { hit(4, 35) }
        if t.currency == Self.cny && t.amount >= Self.yuan(49_000) && t.amount < Self.yuan(50_000) { hit(5, 35) }
        if t.isCrossBorder && t.currency == Self.usd && t.amount >= Self.yuan(9_500) && t.amount < Self.yuan(10_000) {
            hit(6, 35)
        }
        if amountCNY >= Self.yuan(500_000) { hit(7, 20) }
        if t.currency == Self.cny && t.amount >= Self.yuan(100) && t.amount <= Self.yuan(5_000) {
            let whole = t.amount.raw / Money.scale
            let fraction = t.amount.raw - whole * Money.scale
            if whole % 100 == 0 && fraction >= 100 && fraction <= 900 { hit(8, 20) }
        }
        if deviceIsNew && amountCNY >= Self.yuan(10_000) { hit(9, 30) }
        if t.failedLogins24h >= 3 && deviceIsNew && amountCNY >= Self.yuan(2_000) { hit(10, 35) }
        if t.failedLogins24h >= 5 { hit(11, 25) }
        if accountAgeDays < 7 && amountCNY >= Self.yuan(20_000) { hit(12, 30) }
        let kycLimit: Money? = t.kycLevel == 0 ? Self.yuan(200) : t.kycLevel == 1 ? Self.yuan(1_000)
            : t.kycLevel == 2 ? Self.yuan(50_000) : nil
        if let limit = kycLimit, amountCNY > limit { hit(13, 40) }
        if t.kycLevel < 0 || t.kycLevel > 3 { hit(14, 40) }
        if t.isCrossBorder && t.kycLevel < 2 { hit(15, 40) }
        if let phone = t.phone, virtualOperator.matches(phone) == .match { hit(16, 15) }
        if t.txnCount1h >= 20 { hit(17, 25) }
        if let country = t.cardCountry, country != t.ipCountry { hit(18, 25) }
        if t.ipRisk != Self.clean { hit(19, 25) }
        if t.ipCountry != "CN" && (t.channel == Self.alipay || t.channel == Self.wechat) && !t.isCrossBorder { hit(20, 15) }
        if let card = t.cardNo, !Validators.luhn(Text.normalize(card)) { hit(21, 50) }
        if t.channel == Self.card && amountCNY <= Self.cents(200) && t.txnCount1h >= 5 { hit(22, 30) }
        if let payee = t.payeeAccount, payee == t.accountID, t.channel == Self.card || t.channel == Self.unionpay {
            hit(23, 40)
        }
        if Self.highRiskMCC.contains(t.mcc) { hit(24, 30) }
        if let memo = t.memo {
            let normalized = Text.normalize(memo)
            if gambling.matches(normalized) == .match { hit(25, 50) }
            if fraudScheme.matches(normalized) == .match { hit(26, 45) }
        }
        if accountAgeDays < 30, let total = t.amountCNY24h.adding(amountCNY), total >= Self.yuan(100_000) {
            hit(27, 40, shadow: true)
        }
        let action = block || score >= 80 ? 0 : score >= 40 ? 1 : 2
        return Result(action: action, score: score, hits: hits)
    }

    /// The engine's decision in the same shape, for agreement checks.
    public static func result(of d: Decision) -> Result {
        Result(action: d.action, score: d.score, hits: d.hits.reduce(0) { $0 | 1 << UInt64($1.rule) })
    }
}
