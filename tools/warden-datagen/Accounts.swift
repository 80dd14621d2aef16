/// `accounts.csv`: payment accounts as of 2022-12-31, ordered by opening (account ids are
/// issued in sequence). Activity is skewed: a fifth never transacted, most of the rest follow a
/// log-normal transaction rate, so many are idle and a long tail is very busy.
struct AccountsGenerator: Sendable {
    static let header = "account_id,kind,owner_id,opened_at,last_customer_txn_at,last_login_at,balance_cents,frozen,open_dispute,phone"
    let seed: UInt64
    let count: Int
    let merchantAccounts: Int
    let merchants: Int
    let rates: DefectRates

    /// Accounts whose kind is `merchant` are spread evenly through the file.
    func merchantOrdinal(_ i: Int) -> Int? {
        let a = i * merchantAccounts / count, b = (i + 1) * merchantAccounts / count
        return b > a ? a : nil
    }

    func generate(_ range: Range<Int>, _ out: ByteBuffer) {
        var duplicates: [Int] = []
        for i in range {
            var d = RNG(seed: seed, stream: .accountDefect, index: i)
            if d.chance(rates[.accountDuplicateID]) { duplicates.append(i) }
            row(i, out, d: &d, copy: false)
        }
        // Later copies of duplicated ids, at the end of their chunk, with different values.
        for i in duplicates {
            var d = RNG(seed: seed, stream: .accountDefect, index: i)
            _ = d.next()
            row(i, out, d: &d, copy: true)
        }
    }

    private func row(_ i: Int, _ out: ByteBuffer, d: inout RNG, copy: Bool) {
        var r = RNG(seed: seed, stream: .account, index: i)
        let ordinal = merchantOrdinal(i)
        let merchant = ordinal != nil
        let asOf = Dates.asOf

        // Opening: the platform grew, so later years open more accounts (ids rise with time).
        let span = Double(asOf - Dates.platformStart)
        let u = (Double(i) + r.unit()) / Double(count)
        let k = 1.8
        let openDay = Dates.platformStart + min(Int(span), Int(span * log1p(u * expm1(k)) / k))
        let opened = openDay * 86400 + Dates.daytime(&r)
        let age = asOf - openDay

        // Last customer-initiated transaction.
        var lastTxn: Int? = nil
        if !r.chance(merchant ? 0.057 : 0.2865) {
            let perYear = merchant ? r.lognormal(log(120), 2.4) : r.lognormal(log(1.2), 2.1)
            let gap = r.exponential(mean: 365 / perYear)
            let day: Int
            if gap > Double(age) {
                day = openDay + min(age, Int(r.exponential(mean: 20)))  // used once, early on
            } else {
                day = asOf - Int(gap)
            }
            lastTxn = max(opened + 60, day * 86400 + Dates.daytime(&r))
        }
        let reference = (lastTxn ?? opened) / 86400
        let inactive = asOf - reference
        let idle = inactive >= (merchant ? 180 : 365)

        // Logins: often right before the last payment, sometimes later (the app was opened).
        var login: Int? = nil
        if !r.chance(merchant ? 0.02 : 0.07) {
            let ref = lastTxn ?? opened
            if r.chance(0.35) {
                let day = asOf - Int(r.exponential(mean: 120))
                login = max(ref, day * 86400 + Dates.daytime(&r))
            } else {
                login = max(opened, ref - r.below(900))
            }
        }

        var balance: Int
        if merchant {
            balance = r.chance(idle ? 0.40 : 0.05) ? 0 : Int(r.lognormal(log(idle ? 20_000 : 400_000), 2.0))
        } else {
            balance = r.chance(idle ? 0.55 : 0.15) ? 0 : Int(r.lognormal(log(idle ? 800 : 50_000), idle ? 1.6 : 2.0))
        }
        var frozen = r.chance(merchant ? 0.01 : 0.006)
        var dispute = r.chance(idle ? 0.002 : (merchant ? 0.02 : 0.004))

        // A later duplicate copy differs: moved balance, a new login, or a flag flipped.
        if copy {
            switch d.below(3) {
            case 0: balance = balance + 100 + d.below(50_000)
            case 1: login = asOf * 86400 + Dates.daytime(&d) - 86400 * d.below(30)
            default: frozen.toggle(); dispute = dispute || d.chance(0.3)
            }
        }

        let badDate = d.chance(rates[.accountBadDate])
        let negative = d.chance(rates[.accountNegativeBalance])
        let columns = d.chance(rates[.accountColumnCount])
        let badCheck = d.chance(rates[.accountBadCheckDigit])
        let badField = badDate ? d.below(10) : -1  // 0-4 opened_at, 5-7 last txn, 8-9 login

        out.byte(UInt8(ascii: "A"))
        out.int(100_000_000 + i)
        out.byte(44)
        out.text(merchant ? "merchant" : "personal")
        out.byte(44)
        if let ordinal {
            let m = merchants > 0 ? ordinal % merchants : ordinal
            var uscc = MerchantsGenerator.company(seed: seed, merchant: m, rates: rates).uscc
            if badCheck { uscc[17] = Identity.wrong(uscc[17], among: Identity.usccAlphabet, &d) }
            out.bytes(uscc)
        } else {
            let region = Names.regions[Names.regionWeights.pick(&r)].code
            let years = 18 + Int(57 * pow(r.unit(), 1.4))
            let birth = min(openDay - 16 * 365, asOf - years * 365 - r.below(365))
            Identity.residentID(out, region: region, birthDays: birth, r: &r, corrupt: badCheck)
        }
        out.byte(44)
        if badField >= 0 && badField < 5 { BadDates.write(out, seconds: opened, &d) } else { out.timestamp(opened) }
        out.byte(44)
        if let lastTxn {
            if badField >= 5 && badField < 8 { BadDates.write(out, seconds: lastTxn, &d) } else { out.timestamp(lastTxn) }
        } else if badField >= 5 && badField < 8 {
            BadDates.write(out, seconds: opened, &d)
        }
        out.byte(44)
        if let login {
            if badField >= 8 { BadDates.write(out, seconds: login, &d) } else { out.timestamp(login) }
        } else if badField >= 8 {
            BadDates.write(out, seconds: opened, &d)
        }
        out.byte(44)
        out.int(negative ? -(1 + d.below(500_000)) : balance)
        out.byte(44)
        out.byte(frozen ? 49 : 48)
        out.byte(44)
        out.byte(dispute ? 49 : 48)
        if columns && d.chance(0.5) {
            out.byte(10)  // the phone column is missing: 9 fields
            return
        }
        out.byte(44)
        if !r.chance(merchant ? 0.01 : 0.02) {
            if r.chance(0.03) { out.text("+86") }
            Identity.mobile(out, &r, virtual: r.chance(0.015))
        }
        if columns {
            out.text(",备用")  // an unquoted comma from a free-text column: 11 fields
        }
        out.byte(10)
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
