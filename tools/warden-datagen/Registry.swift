/// `registry.csv`: a company-registry snapshot. Companies ("entities") are laid out in slots;
/// our merchants occupy slots spread evenly through the file and everyone else is a company
/// that is not our merchant. A company with history has 2–4 rows (same USCC, different
/// `updated_at`), usually in time order, in a fifth of cases not.
struct RegistryGenerator: Sendable {
    static let header = "uscc,name,legal_rep,reg_status,abnormal_list,dishonest,updated_at"
    let seed: UInt64
    let merchants: Int
    let rates: DefectRates
    /// Number of companies, and rows of the last (truncated so the file has exactly `rows`).
    let entities: Int
    let lastRows: Int

    static let historyWeights = Weighted([75, 16, 6, 3])

    static func historyRows(seed: UInt64, entity j: Int) -> Int {
        var r = RNG(seed: seed, stream: .registryRows, index: j)
        return historyWeights.pick(&r) + 1
    }

    init(seed: UInt64, rows: Int, merchants: Int, rates: DefectRates) {
        self.seed = seed
        self.merchants = merchants
        self.rates = rates
        var total = 0, j = 0, last = 0
        while total < rows {
            last = min(Self.historyRows(seed: seed, entity: j), rows - total)
            total += last
            j += 1
        }
        if j < merchants {  // too few rows for every merchant: give each merchant its slot anyway
            while j < merchants { total += Self.historyRows(seed: seed, entity: j); j += 1 }
            last = Self.historyRows(seed: seed, entity: j - 1)
        }
        entities = j
        lastRows = last
    }

    private func slotStart(_ m: Int) -> Int { m * entities / merchants }

    private func slot(ofMerchant m: Int) -> Int {
        let a = slotStart(m), b = slotStart(m + 1)
        var r = RNG(seed: seed, stream: .shuffle, index: m)
        return a + r.below(max(1, b - a))
    }

    /// The merchant in slot `j`, if any.
    func merchant(atSlot j: Int) -> Int? {
        guard merchants > 0 else { return nil }
        var m = j * merchants / entities
        while m > 0 && slotStart(m) > j { m -= 1 }
        while m + 1 < merchants && slotStart(m + 1) <= j { m += 1 }
        return slot(ofMerchant: m) == j ? m : nil
    }

    func generate(_ range: Range<Int>, _ out: ByteBuffer) {
        for j in range { entity(j, out) }
    }

    private func entity(_ j: Int, _ out: ByteBuffer) {
        var c: Company
        if let m = merchant(atSlot: j) {
            let p = MerchantsGenerator.Profile(seed: seed, merchant: m, rates: rates)
            c = p.notInRegistry
                ? Company(seed: seed, stream: .company, index: j, merchant: false)
                : MerchantsGenerator.company(seed: seed, merchant: m, profile: p)
        } else {
            c = Company(seed: seed, stream: .company, index: j, merchant: false)
        }
        var r = RNG(seed: seed, stream: .registryRows, index: j)
        let k = j == entities - 1 ? lastRows : Self.historyWeights.pick(&r) + 1
        var d = RNG(seed: seed, stream: .registryDefect, index: j)
        let unknownLatest = d.chance(rates[.registryUnknownStatus])
        let tie = k >= 2 && d.chance(rates[.registryTie])

        // Statuses over time: a dead or troubled company was alive first.
        var statuses = [Int](repeating: c.status, count: k)
        let troubled = c.status >= 5
        for t in 0..<(k - 1) {
            statuses[t] = t == 0 || !troubled ? RegStatus.active[r.below(3)] : [6, 8, 10, 9][r.below(4)]
        }
        // Update times: sorted, after registration, the latest on or before as_of.
        var times = (0..<k).map { _ in
            (c.registeredDay + r.below(max(1, Dates.asOf - c.registeredDay + 1))) * 86400 + Dates.daytime(&r)
        }
        times.sort()
        if tie { times[k - 1] = times[k - 2] }
        let renameAt = c.oldName != nil && k >= 2 ? 1 + r.below(k - 1) : 0  // rows before it: old name
        let repAt = c.oldRep != nil && k >= 2 ? 1 + r.below(k - 1) : 0
        // File order: chronological, or (a fifth of histories, never ties) shuffled.
        var order = Array(0..<k)
        if k >= 2 && !tie && r.chance(0.2) { order.reverse() }

        for t in order {
            let dr = d.next()
            var rowRNG = RNG(state: dr)
            let latest = t == k - 1
            out.bytes(c.uscc)
            out.byte(44)
            let start = out.count
            (t < renameAt ? (c.oldName ?? c.name) : c.name).write(out)
            out.quoteField(from: start)
            out.byte(44)
            (t < repAt ? (c.oldRep ?? c.rep) : c.rep).write(out)
            out.byte(44)
            let s0 = out.count
            let status = latest && unknownLatest ? RegStatus.unknown[r.below(RegStatus.unknown.count)] : RegStatus.strings[statuses[t]]
            if rowRNG.chance(rates[.registryStatusPunct]) { Self.writeSloppy(status, out, &rowRNG) } else { out.bytes(status) }
            out.quoteField(from: s0)
            out.byte(44)
            out.byte(latest && c.abnormal ? 49 : 48)
            out.byte(44)
            out.byte(latest && c.dishonest ? 49 : 48)
            out.byte(44)
            if rowRNG.chance(rates[.registryBadDate]) { BadDates.write(out, seconds: times[t], &rowRNG) } else { out.timestamp(times[t]) }
            if rowRNG.chance(rates[.registryColumnCount]) { out.text(rowRNG.chance(0.5) ? ",," : ",0") }
            out.byte(10)
        }
    }

    /// A status as some provincial systems write it: an ASCII comma for the full-width one,
    /// or a stray space (ASCII or U+3000) before, after or inside.
    static func writeSloppy(_ s: [UInt8], _ out: ByteBuffer, _ r: inout RNG) {
        let commaAt = (0..<max(0, s.count - 2)).first { s[$0] == 0xEF && s[$0 + 1] == 0xBC && s[$0 + 2] == 0x8C }
        if let at = commaAt, r.chance(0.6) {
            out.bytes(Array(s[..<at]))
            out.byte(44)
            if r.chance(0.3) { out.byte(32) }
            out.bytes(Array(s[(at + 3)...]))
            return
        }
        switch r.below(4) {
        case 0: out.byte(32); out.bytes(s)
        case 1: out.bytes(s); out.byte(32)
        case 2: out.bytes(s); out.bytes([0xE3, 0x80, 0x80])
        default:
            let start = out.count
            out.bytes(s)
            insertSpace(out, from: start, hash: r.next() & ~3)  // kind 0: an ASCII space inside
        }
    }
}
