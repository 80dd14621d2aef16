import WardenEngine

/// `transactions.jsonl`: one week of a Chinese payment platform's traffic, the input of
/// `rules/payments.rules` (a port of tools/sample-transactions.py's model). Mostly small
/// wallet payments in the day with a long tail of larger transfers; a share of records (7.5%)
/// reshaped after one of 28 risk patterns; a few defective lines.
struct TransactionsGenerator: Sendable {
    let seed: UInt64
    let count: Int
    let merchants: Int
    let rates: DefectRates
    /// Accounts that pay in the week (A100000…); busy ones pay far more often.
    var population: Int { min(800_000, max(600, count / 3)) }
    static let risky = 0.075
    static let start = Int(Civil.days(year: 2024, month: 3, day: 1)) * 86400
    static let days = 7

    static let fxCurrencies = ["cny", "usd", "hkd", "eur", "jpy"]
    /// Booking rates to CNY ×10⁴.
    static let fx = [10000, 71980, 9203, 78120, 481]
    static let everydayMCC = Names.words("5812 5814 5411 5499 4121 5311 4900 5541 5732 7011 5999 4814 5912 8220 7832")
    static let everydayMCCWeights = Weighted([18, 14, 16, 8, 10, 6, 5, 4, 3, 3, 6, 4, 3, 2, 2])
    static let highRiskMCC = Names.words("7995 7801 5967 5816 6051 4829 6540 5993")
    static let benignMemos = Names.words(
        "午饭 晚饭 奶茶 咖啡 外卖 打车 地铁充值 超市购物 买菜 房租 三月房租 水电费 燃气费 物业费 话费充值 宽带续费 还你的钱 AA聚餐 生日红包 新年快乐 给妈妈的生活费 学费 培训班报名 电影票 健身卡 停车费 快递费 衣服 网购退款差价 装修定金 车位租金 孩子的书本费 医药费 体检 机票 酒店押金 货款 工资 报销 团购 lunch taxi rent\u{00A0}March thanks! 谢谢老板 🧧"
    ).map { $0 == Array("rent\u{00A0}March".utf8) ? Array("rent March".utf8) : $0 }
    static let gamblingMemos = ["百家乐充值", "澳门博彩", "下注 第8期", "彩票代购", "casino deposit", "六合彩", "时时彩 追号", "BET365 top up", "赌资 还款"].map { Array($0.utf8) }
    static let fraudMemos = ["刷单返利 第3单", "兼职押金", "收USDT 7.25", "代收代付 货款", "跑分 保证金", "垫付 任务单", "返利提现手续费", "泰达币 OTC"].map { Array($0.utf8) }
    static let blockedAccounts = Names.words("A900001 A900002 A900017 A910055 A920301 A920388")
    static let blockedDevices = Names.words("D-EMU-000001 D-EMU-000003 D-GC-7F3A91 D-ATO-55AA01")
    static let foreign = Names.words("US HK GB SG JP MY TH AU DE KR")
    static let currencyOfForeign = [1, 2, 1, 1, 4, 1, 1, 1, 3, 1]
    static let channels = ["alipay", "wechat", "unionpay", "bank_transfer", "card"]
    static let channelWeights = Weighted([42, 36, 8, 9, 5])
    static let kycWeights = Weighted([62, 28, 8, 2])  // 3, 2, 1, 0
    static let scenarios = [
        "night_large", "new_device_large", "ip_card_mismatch", "high_risk_mcc", "blocked_account",
        "blocked_device", "blocked_payee", "gambling_memo", "fraud_memo", "kyc_breach",
        "new_account_large", "structuring_cny", "structuring_usd", "cross_border_low_kyc",
        "failed_logins", "ato", "luhn_fail", "self_transfer_card", "odd_cents", "night_new_payee",
        "virtual_phone", "anonymising_ip", "velocity", "card_testing", "foreign_ip_wallet",
        "large_value", "shadow_turnover", "kyc_unknown",
    ]

    /// A paying account's stable attributes (the same in every record it appears in).
    struct Account {
        var id: Int
        var opened: Int
        var kyc: Int
        var phone: [UInt8]?
        var devices: [(id: Int, seen: Int)]
        var card: [UInt8]
        var payees: [Int]

        init(seed: UInt64, index i: Int, population n: Int) {
            var r = RNG(seed: seed, stream: .txnAccount, index: i)
            id = 100_000 + i
            let start = TransactionsGenerator.start
            if r.chance(0.04) {
                opened = start - r.below(12) * 86400 - r.below(86400)
            } else {
                opened = start - r.int(60..<2900) * 86400 - r.below(86400)
            }
            kyc = 3 - TransactionsGenerator.kycWeights.pick(&r)
            let x = r.unit()
            if x < 0.05 { phone = nil }
            else {
                let b = ByteBuffer(capacity: 16)
                Identity.mobile(b, &r, virtual: x < 0.065)
                phone = Array(UnsafeBufferPointer(start: b.base, count: b.count))
            }
            let openedAt = opened
            var devs: [(id: Int, seen: Int)] = []
            for _ in 0..<[1, 1, 1, 2, 2, 3][r.below(6)] {
                let id = r.below(1_000_000)
                devs.append((id, max(openedAt, start - r.int(2..<900) * 86400 - r.below(86400))))
            }
            devices = devs
            card = luhnComplete(Array(("62" + ["2202", "2848", "1700", "2588"][r.below(4)]).utf8), 19, &r)
            var ps: [Int] = []
            for _ in 0..<r.int(1..<5) { ps.append(100_000 + r.below(n)) }
            payees = ps
        }
    }

    struct Record {
        var txnID = 0
        var account = 0
        var cardNo: [UInt8]? = nil
        var cardCountry: [UInt8]? = nil
        var device: [UInt8] = []
        var amount = 0          // cents (or yen ×100)
        var currency = 0
        var amountCNY = 0
        var channel = 0
        var mcc: [UInt8] = []
        var merchant = 0
        var created = 0
        var ipCountry: [UInt8] = Array("CN".utf8)
        var ipRisk = "clean"
        var accountOpened = 0
        var deviceFirstSeen: Int? = nil
        var kyc = 0
        var memo: [UInt8]? = nil
        var payee: [UInt8]? = nil
        var payeeCount = 0
        var phone: [UInt8]? = nil
        var failedLogins = 0
        var count1h = 0
        var amount24h = 0
        var crossBorder = false
        var accountLiteral: [UInt8]? = nil  // a block-listed or null account id
    }

    func generate(_ range: Range<Int>, _ out: ByteBuffer) {
        for n in range { line(n + 1, out) }
    }

    private func line(_ n: Int, _ out: ByteBuffer) {
        var r = RNG(seed: seed, stream: .txn, index: n)
        var d = RNG(seed: seed, stream: .txnDefect, index: n)
        // Busy accounts pay more: a skewed pick over the population.
        let ai = min(population - 1, Int(Double(population) * pow(r.unit(), 1.5)))
        let acct = Account(seed: seed, index: ai, population: population)
        var rec = base(n, acct, &r)
        if r.chance(Self.risky) {
            let name = Self.scenarios[r.below(Self.scenarios.count)]
            scenario(name, acct, &rec, &r)
        }
        let x = d.unit()
        let mj = rates[.txnMalformedJSON], mf = rates[.txnMissingField], bv = rates[.txnBadValue]
        let start = out.count
        if x < mj {
            write(rec, out, defect: nil)
            out.count -= 1
            if d.chance(0.5) {
                // The writer died mid-line: cut at a character boundary near the middle.
                var cut = start + (out.count - start) / 2
                while (out.base[cut] & 0xC0) == 0x80 { cut -= 1 }
                out.count = cut
            } else {
                out.text(" {\"txn_id\"")  // trailing garbage
            }
            out.byte(10)
        } else if x < mj + mf {
            write(rec, out, defect: d.chance(0.5) ? "missing_field" : "null_required")
        } else if x < mj + mf + bv {
            write(rec, out, defect: ["non_numeric_amount", "unknown_channel", "bad_timestamp"][d.below(3)])
        } else {
            write(rec, out, defect: nil)
        }
    }

    private func everydayTime(_ r: inout RNG) -> Int {
        Self.start + r.below(Self.days) * 86400 + Dates.hourWeights.pick(&r) * 3600 + r.below(3600)
    }

    private func everydayAmount(_ r: inout RNG, kyc: Int) -> Int {
        var a = Int((r.lognormal(4.1, 1.45) * 100).rounded())
        if r.chance(0.35) { a = roundHalfEven(a, 100) * 100 }
        a = max(a, 50)
        let cap = [20_000, 100_000, 4_800_000, 4_800_000][kyc]
        return min(a, cap)
    }

    private func base(_ n: Int, _ acct: Account, _ r: inout RNG) -> Record {
        var rec = Record()
        let t = everydayTime(&r)
        var amount = everydayAmount(&r, kyc: acct.kyc)
        let hour = (t % 86400) / 3600
        if hour < 6 { amount = min(amount, 300_000) }
        let channel = Self.channelWeights.pick(&r)
        let dev = acct.devices[r.below(acct.devices.count)]
        rec.txnID = 20_240_000 + n
        rec.account = acct.id
        rec.device = Array("D-".utf8) + pad6(dev.id)
        rec.amount = amount
        rec.amountCNY = amount
        rec.channel = channel
        rec.mcc = Self.everydayMCC[Self.everydayMCCWeights.pick(&r)]
        rec.merchant = Int(Double(max(1, merchants)) * pow(r.unit(), 3))
        rec.created = t
        rec.accountOpened = acct.opened
        rec.deviceFirstSeen = dev.seen
        rec.kyc = acct.kyc
        rec.memo = r.chance(0.55) ? r.pick(Self.benignMemos) : nil
        rec.phone = acct.phone
        rec.failedLogins = [0, 1, 2][Weighted.failed.pick(&r)]
        rec.count1h = [0, 1, 2, 3, 5, 8][Weighted.count1h.pick(&r)]
        rec.amount24h = Int((r.lognormal(5, 1.2) * 100).rounded())
        if channel == 2 || channel == 4 {
            rec.cardNo = acct.card
            rec.cardCountry = Array("CN".utf8)
        }
        if channel == 3 || (channel <= 1 && r.chance(0.25)) {
            var payee = acct.payees[r.below(acct.payees.count)]
            if payee == acct.id { payee += 1 }
            rec.payee = Array("A".utf8) + pad6(payee)
            rec.payeeCount = [0, 1, 2, 5, 12][Weighted.payeeCount.pick(&r)]
            if rec.payeeCount == 0 && hour < 6 { rec.payeeCount = 2 }
            rec.mcc = Array("6012".utf8)
        }
        if acct.kyc >= 2 && (channel <= 1 || channel == 4) && r.chance(0.03) {
            let ci = r.below(Self.foreign.count)
            let cur = Self.currencyOfForeign[ci]
            var local: Int
            if cur == 4 {  // yen: whole units
                local = roundHalfEven(amount * 10000, Self.fx[cur] * 100) * 100
            } else {
                local = roundHalfEven(amount * 10000, Self.fx[cur])
            }
            local = max(local, 100)
            rec.amount = local
            rec.currency = cur
            rec.amountCNY = roundHalfEven(local * Self.fx[cur], 10000)
            rec.crossBorder = true
            if r.chance(0.5) {
                rec.ipCountry = Self.foreign[ci]
                if rec.cardCountry != nil {
                    rec.cardCountry = r.chance(0.5) ? Self.foreign[ci] : Array("CN".utf8)
                    if rec.cardCountry! == Array("CN".utf8) { rec.ipCountry = Array("CN".utf8) }
                }
            }
        }
        return rec
    }

    private func night(_ r: inout RNG) -> Int {
        Self.start + r.below(Self.days) * 86400 + r.below(6) * 3600 + r.below(3600)
    }

    private func setAmount(_ rec: inout Record, _ cents: Int) {
        rec.amount = cents
        rec.currency = 0
        rec.amountCNY = cents
        rec.crossBorder = false
        rec.ipCountry = Array("CN".utf8)
    }

    /// Reshapes a record after one risk pattern (the Python model's `scenario`).
    private func scenario(_ name: String, _ acct: Account, _ rec: inout Record, _ r: inout RNG) {
        func big(_ lo: Int, _ hi: Int) -> Int { r.int(lo..<hi) * 100 + r.below(100) }
        switch name {
        case "night_large":
            rec.created = night(&r); setAmount(&rec, big(50000, 180000))
        case "new_device_large":
            rec.device = Array("D-".utf8) + pad6(r.below(1_000_000))
            rec.deviceFirstSeen = r.chance(0.5) ? nil : rec.created - r.int(3..<600) * 60
            setAmount(&rec, big(10000, 45000))
        case "ip_card_mismatch":
            rec.channel = 4
            rec.cardNo = luhnComplete(Array("4".utf8) + pad(r.below(100_000), 5), 16, &r)
            rec.cardCountry = r.pick(Names.words("US GB DE AU"))
            rec.ipCountry = Array("CN".utf8)
        case "high_risk_mcc": rec.mcc = r.pick(Self.highRiskMCC)
        case "blocked_account": rec.accountLiteral = r.pick(Self.blockedAccounts)
        case "blocked_device": rec.device = r.pick(Self.blockedDevices)
        case "blocked_payee":
            rec.channel = 3; rec.cardNo = nil; rec.cardCountry = nil
            rec.payee = r.pick(Self.blockedAccounts); rec.payeeCount = [0, 1, 3][r.below(3)]
        case "gambling_memo": rec.memo = r.pick(Self.gamblingMemos)
        case "fraud_memo": rec.memo = r.pick(Self.fraudMemos)
        case "kyc_breach":
            rec.kyc = r.below(2); setAmount(&rec, big(1001, 8000))
        case "new_account_large":
            let opened = rec.created - r.below(6) * 86400 - r.below(20) * 3600
            rec.accountOpened = opened; rec.deviceFirstSeen = opened
            setAmount(&rec, big(20000, 46000)); rec.kyc = 3
        case "structuring_cny":
            setAmount(&rec, big(49000, 50000)); rec.kyc = 3
        case "structuring_usd":
            rec.currency = 1; rec.amount = big(9500, 10000)
            rec.amountCNY = roundHalfEven(rec.amount * Self.fx[1], 10000)
            rec.crossBorder = true; rec.kyc = 3; rec.channel = 3
        case "cross_border_low_kyc":
            rec.crossBorder = true; rec.kyc = 1; rec.currency = 2
            rec.amount = r.int(50..<900) * 100
            rec.amountCNY = roundHalfEven(rec.amount * Self.fx[2], 10000)
        case "failed_logins": rec.failedLogins = r.int(5..<30)
        case "ato":
            rec.failedLogins = r.int(3..<9)
            rec.device = Array("D-".utf8) + pad6(r.below(1_000_000)); rec.deviceFirstSeen = nil
            setAmount(&rec, big(2000, 9000))
        case "luhn_fail":
            rec.channel = 4
            var good = luhnComplete(Array("622202".utf8), 19, &r)
            good[18] = 48 + UInt8((Int(good[18] - 48) + r.int(1..<10)) % 10)
            rec.cardNo = good; rec.cardCountry = Array("CN".utf8)
        case "self_transfer_card":
            rec.channel = r.chance(0.5) ? 4 : 2
            rec.cardNo = acct.card; rec.cardCountry = Array("CN".utf8)
            rec.payee = Array("A".utf8) + pad6(acct.id); rec.payeeCount = r.int(1..<20)
            setAmount(&rec, big(3000, 30000))
            rec.created = Self.start + r.below(Self.days) * 86400 + r.int(8..<22) * 3600 + r.below(3600)
        case "odd_cents":
            setAmount(&rec, r.int(1..<51) * 10000 + r.int(1..<10)); rec.kyc = 3
        case "night_new_payee":
            rec.channel = 3; rec.cardNo = nil; rec.cardCountry = nil
            rec.created = night(&r)
            rec.payee = Array("A".utf8) + pad6(r.int(300_000..<400_000)); rec.payeeCount = 0
            rec.mcc = Array("6012".utf8)
            setAmount(&rec, big(5000, 45000)); rec.kyc = 3
        case "virtual_phone":
            rec.phone = Array("+86".utf8) + r.pick(Names.words("170 171 165")) + pad(r.below(100_000_000), 8)
        case "anonymising_ip": rec.ipRisk = ["proxy", "tor", "hosting"][r.below(3)]
        case "velocity": rec.count1h = r.int(20..<60)
        case "card_testing":
            rec.channel = 4
            rec.cardNo = luhnComplete(Array("4".utf8) + pad(r.below(100_000), 5), 16, &r)
            rec.cardCountry = Array("CN".utf8)
            setAmount(&rec, r.int(1..<200)); rec.count1h = r.int(5..<40); rec.mcc = Array("5816".utf8)
        case "foreign_ip_wallet":
            rec.channel = r.below(2); rec.cardNo = nil; rec.cardCountry = nil
            rec.ipCountry = r.pick(Names.words("MY KH MM PH TH"))
            rec.crossBorder = false; rec.currency = 0; rec.amountCNY = rec.amount
        case "kyc_unknown": rec.kyc = [4, 9, -1][r.below(3)]
        case "large_value":
            setAmount(&rec, big(500000, 900000)); rec.kyc = 3; rec.channel = 3
            rec.created = Self.start + r.below(Self.days) * 86400 + r.int(9..<17) * 3600
        case "shadow_turnover":
            let opened = rec.created - r.int(8..<29) * 86400
            rec.accountOpened = opened; rec.deviceFirstSeen = opened + 3600
            rec.amount24h = big(96000, 150000)
            setAmount(&rec, big(4000, 19000)); rec.kyc = 3
        default: fatalError(name)
        }
    }

    /// One JSON line, fields in the pack's input order, `", "` and `": "` separators.
    private func write(_ rec: Record, _ out: ByteBuffer, defect: String?) {
        var first = true
        func key(_ k: String) {
            out.text(first ? "{\"" : ", \""); first = false
            out.text(k); out.text("\": ")
        }
        func str(_ k: String, _ v: [UInt8]?) {
            key(k)
            if let v { out.jsonString(v) } else { out.text("null") }
        }
        func money(_ k: String, _ cents: Int) { key(k); out.byte(34); out.money(cents); out.byte(34) }
        func ts(_ k: String, _ s: Int?) {
            key(k)
            if let s { out.byte(34); out.timestamp(s); out.byte(34) } else { out.text("null") }
        }
        key("txn_id"); out.text("\"T"); out.int(rec.txnID); out.byte(34)
        if defect == "null_required" { key("account_id"); out.text("null") }
        else if let lit = rec.accountLiteral { str("account_id", lit) }
        else { key("account_id"); out.text("\"A"); out.padded(rec.account, 6); out.byte(34) }
        str("card_no", rec.cardNo)
        str("card_country", rec.cardCountry)
        if defect != "missing_field" { str("device_id", rec.device) }
        if defect == "non_numeric_amount" { key("amount"); out.text("\"12O.00\"") } else { money("amount", rec.amount) }
        key("currency"); out.byte(34); out.text(Self.fxCurrencies[rec.currency]); out.byte(34)
        money("amount_cny", rec.amountCNY)
        key("channel"); out.byte(34); out.text(defect == "unknown_channel" ? "paypal" : Self.channels[rec.channel]); out.byte(34)
        str("mcc", rec.mcc)
        key("merchant_id"); out.text("\"M"); out.int(1_000_000 + rec.merchant); out.byte(34)
        if defect == "bad_timestamp" { key("created_at"); out.text("\"2024-02-30 25:10:00\"") } else { ts("created_at", rec.created) }
        str("ip_country", rec.ipCountry)
        key("ip_risk"); out.byte(34); out.text(rec.ipRisk); out.byte(34)
        ts("account_opened_at", rec.accountOpened)
        ts("device_first_seen_at", rec.deviceFirstSeen)
        key("kyc_level"); out.int(rec.kyc)
        str("memo", rec.memo)
        str("payee_account", rec.payee)
        key("payee_txn_count"); out.int(rec.payeeCount)
        str("phone", rec.phone)
        key("failed_logins_24h"); out.int(rec.failedLogins)
        key("txn_count_1h"); out.int(rec.count1h)
        money("amount_cny_24h", rec.amount24h)
        key("is_cross_border"); out.text(rec.crossBorder ? "true" : "false")
        out.text("}\n")
    }
}

extension Weighted {
    static let failed = Weighted([90, 7, 3])
    static let count1h = Weighted([55, 25, 12, 5, 2, 1])
    static let payeeCount = Weighted([15, 20, 15, 25, 25])
}

/// Round `a / b` to the nearest integer, ties to even (Python's Decimal default), a, b > 0.
func roundHalfEven(_ a: Int, _ b: Int) -> Int {
    let q = a / b, rem = a % b
    if rem * 2 > b || (rem * 2 == b && q % 2 == 1) { return q + 1 }
    return q
}

func pad(_ v: Int, _ width: Int) -> [UInt8] {
    var a = [UInt8](repeating: 48, count: width)
    var x = v
    for i in (0..<width).reversed() { a[i] = 48 + UInt8(x % 10); x /= 10 }
    return a
}

func pad6(_ v: Int) -> [UInt8] { pad(v, 6) }

/// `prefix` + random digits + the Luhn check digit, `length` digits in all.
func luhnComplete(_ prefix: [UInt8], _ length: Int, _ r: inout RNG) -> [UInt8] {
    var body = prefix
    while body.count < length - 1 { body.append(48 + UInt8(r.below(10))) }
    var sum = 0
    for (i, c) in body.reversed().enumerated() {
        var v = Int(c - 48)
        if i % 2 == 0 { v *= 2; if v > 9 { v -= 9 } }
        sum += v
    }
    body.append(48 + UInt8((10 - sum % 10) % 10))
    return body
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
