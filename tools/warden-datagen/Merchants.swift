/// `merchants.csv`: our merchants as onboarding recorded them. The registry's view of the
/// same companies (`registry.csv`) is derived from the same per-merchant model, so every
/// difference between the two files is one the defect table put there.
struct MerchantsGenerator: Sendable {
    static let header = "merchant_id,name,uscc,legal_rep,license_expiry,contact_phone,contact_email,onboarded_at,status"
    let seed: UInt64
    let count: Int
    let rates: DefectRates

    /// Per-merchant decisions shared by merchants.csv, registry.csv and accounts.csv.
    struct Profile {
        var width = false, brackets = false, spaces = false, renamed = false, repChanged = false
        var notInRegistry = false, badUSCC = false
        init(seed: UInt64, merchant m: Int, rates: DefectRates) {
            var d = RNG(seed: seed, stream: .merchantDefect, index: m)
            // One name-spelling defect at most, so each rate is what it says.
            let x = d.unit()
            let w = rates[.merchantNameWidth], b = rates[.merchantNameBrackets], s = rates[.merchantNameSpaces]
            width = x < w
            brackets = !width && x < w + b
            spaces = !width && !brackets && x < w + b + s
            renamed = d.chance(rates[.merchantNameChange])
            repChanged = d.chance(rates[.merchantRepChange])
            notInRegistry = d.chance(rates[.merchantNotInRegistry])
            badUSCC = d.chance(rates[.merchantBadUSCC])
        }
    }

    static func company(seed: UInt64, merchant m: Int, rates: DefectRates) -> Company {
        let p = Profile(seed: seed, merchant: m, rates: rates)
        return company(seed: seed, merchant: m, profile: p)
    }

    static func company(seed: UInt64, merchant m: Int, profile p: Profile) -> Company {
        Company(seed: seed, stream: .merchant, index: m, merchant: true, forceLatin: p.width,
                forceBracket: p.brackets, renamed: p.renamed, repChanged: p.repChanged)
    }

    func generate(_ range: Range<Int>, _ out: ByteBuffer) {
        var duplicates: [Int] = []
        for m in range {
            var e = RNG(seed: seed, stream: .merchantDefect, index: m)
            e.state ^= 0xD0B1E
            if e.chance(rates[.merchantDuplicateID]) { duplicates.append(m) }
            row(m, out, e: &e, copy: false)
        }
        for m in duplicates {
            var e = RNG(seed: seed, stream: .merchantDefect, index: m)
            e.state ^= 0xC0FFEE
            row(m, out, e: &e, copy: true)
        }
    }

    private func row(_ m: Int, _ out: ByteBuffer, e: inout RNG, copy: Bool) {
        let p = Profile(seed: seed, merchant: m, rates: rates)
        let c = Self.company(seed: seed, merchant: m, profile: p)
        var r = RNG(seed: seed, stream: .merchant, index: m)
        r.state ^= 0x4D45_5243  // a different walk from the registry facts
        let badDate = e.chance(rates[.merchantBadDate])
        let columns = e.chance(rates[.merchantColumnCount])
        let expired = e.chance(rates[.merchantExpiredLicence])

        out.byte(UInt8(ascii: "M"))
        out.int(1_000_000 + m)
        out.byte(44)
        // name
        let start = out.count
        let name = p.renamed ? c.oldName! : c.name
        if p.width { name.write(out, style: .fullWidth) }
        else if p.brackets { name.write(out, style: .asciiBrackets) }
        else if p.spaces { name.write(out, style: .spaces(e.next())) }
        else { name.write(out) }
        if copy { out.text(e.chance(0.5) ? "（分公司）" : "") }
        out.quoteField(from: start)
        out.byte(44)
        // uscc
        var uscc = c.uscc
        if p.badUSCC {
            switch e.below(10) {
            case 0: uscc[8 + e.below(9)] = Array("IOSVZ".utf8)[e.below(5)]       // forbidden letter
            case 1: uscc.removeLast()                                           // 17 characters
            case 2: uscc.append(uscc[17])                                       // 19 characters
            default: uscc[17] = Identity.wrong(uscc[17], among: Identity.usccAlphabet, &e)
            }
        }
        out.bytes(uscc)
        out.byte(44)
        (p.repChanged ? c.oldRep! : c.rep).write(out)
        out.byte(44)
        // licence expiry: 长期 for many; otherwise a date, expired only as a defect.
        let onboard = max(c.registeredDay + 30, Dates.onboardStart) + r.below(max(1, Dates.asOf - max(c.registeredDay + 30, Dates.onboardStart)))
        let expiryDay: Int
        if expired {
            expiryDay = Dates.asOf - 1 - r.below(1500)
        } else if r.chance(0.45) {
            expiryDay = -1
        } else {
            expiryDay = Dates.asOf + r.below(8000)
        }
        let badOnboard = badDate && e.chance(0.5)
        if badDate && !badOnboard && expiryDay >= 0 { BadDates.writeDate(out, days: expiryDay, &e) }
        else if badDate && !badOnboard { out.text("长期有效") }
        else if expiryDay < 0 { out.text("长期") }
        else { out.date(expiryDay) }
        out.byte(44)
        if r.chance(0.8) { Identity.mobile(out, &r) } else {
            out.bytes(r.pick(Names.areaCodes)); out.byte(45); out.padded(60_000_000 + r.below(30_000_000), 8)
        }
        out.byte(44)
        if !r.chance(0.02) {
            if r.chance(0.4) { out.int(10_000_000 + r.below(2_000_000_000)); out.text("@qq.com") }
            else {
                for _ in 0..<(5 + r.below(6)) { out.byte(UInt8(ascii: "a") + UInt8(r.below(26))) }
                if r.chance(0.5) { out.int(r.below(1000)) }
                out.byte(64); out.bytes(r.pick(Names.mailDomains))
            }
        }
        out.byte(44)
        let onboardedAt = (min(onboard, Dates.asOf)) * 86400 + Dates.daytime(&r)
        if badOnboard { BadDates.write(out, seconds: onboardedAt, &e) } else { out.timestamp(onboardedAt) }
        if columns { out.byte(10); return }  // status column missing
        out.byte(44)
        let st = r.below(100)
        let status = st < 94 ? "active" : st < 98 ? "suspended" : "closed"
        // A later duplicate always differs at least in its status.
        out.text(copy ? (status == "closed" ? "active" : "closed") : status)
        out.byte(10)
    }
}
