/// A company name as table indices: region + brand (字号) + industry + organisational form.
struct CompanyName: Equatable {
    enum Form: Equatable { case plain, bracketed, shop }
    var region: Int
    var brand: (Int, Int, Int)   // third < 0: two-character brand
    var latin: Int               // < 0: none; else a Latin/digit brand part after the brand
    var industry: Int
    var suffix: Int
    var form: Form

    static func == (a: CompanyName, b: CompanyName) -> Bool {
        a.region == b.region && a.brand == b.brand && a.latin == b.latin && a.industry == b.industry
            && a.suffix == b.suffix && a.form == b.form
    }

    init(_ r: inout RNG, region: Int, individual: Bool, forceLatin: Bool = false, forceBracket: Bool = false) {
        self.region = region
        brand = (r.below(Names.brandChars.count), r.below(Names.brandChars.count),
                 r.chance(0.15) ? r.below(Names.brandChars.count) : -1)
        latin = forceLatin || r.chance(0.06) ? r.below(Names.latinBrands.count) : -1
        industry = r.below(Names.industries.count)
        suffix = Names.suffixWeights.pick(&r)
        form = individual ? .shop : forceBracket || r.chance(0.15) ? .bracketed : .plain
        if individual { industry = r.below(Names.shopTypes.count) }
    }

    /// A real change of name: one brand character or the industry differs.
    func renamed(_ r: inout RNG) -> CompanyName {
        var n = self
        repeat {
            if r.chance(0.5) { n.brand.1 = r.below(Names.brandChars.count) }
            else { n.industry = r.below(form == .shop ? Names.shopTypes.count : Names.industries.count) }
        } while n == self
        return n
    }

    var hasLatin: Bool { latin >= 0 }

    /// The canonical (registry) spelling: full-width brackets, half-width Latin and digits.
    func write(_ out: ByteBuffer) {
        let reg = Names.regions[region]
        let brandChars = { (o: ByteBuffer) in
            o.bytes(Names.brandChars[brand.0]); o.bytes(Names.brandChars[brand.1])
            if brand.2 >= 0 { o.bytes(Names.brandChars[brand.2]) }
            if latin >= 0 { o.bytes(Names.latinBrands[latin]) }
        }
        switch form {
        case .plain:
            out.bytes(reg.city)
            if !Names.municipalities.contains(reg.code / 10000) { out.bytes(Names.shi) }
            brandChars(out)
            out.bytes(Names.industries[industry])
            out.bytes(Names.suffixes[suffix])
        case .bracketed:
            brandChars(out)
            out.bytes(Names.open); out.bytes(reg.city); out.bytes(Names.close)
            out.bytes(Names.industries[industry])
            out.bytes(Names.suffixes[suffix])
        case .shop:
            out.bytes(reg.district)
            brandChars(out)
            out.bytes(Names.shopTypes[industry])
        }
    }
}

/// How an extract spells a name that the registry spells canonically.
enum NameStyle {
    case canonical
    case fullWidth       // ASCII letters and digits as full-width forms (Ａ, ８)
    case asciiBrackets   // （…） written (…)
    case spaces(UInt64)  // an ASCII space or U+3000 inserted, or trailing space
}

extension CompanyName {
    func write(_ out: ByteBuffer, style: NameStyle) {
        let start = out.count
        write(out)
        switch style {
        case .canonical: break
        case .fullWidth:
            let raw = Array(UnsafeBufferPointer(start: out.base + start, count: out.count - start))
            out.count = start
            for b in raw {
                if b > 0x20 && b < 0x7F {
                    let cp = 0xFF01 + Int(b) - 0x21
                    out.byte(0xEF); out.byte(UInt8(0x80 | ((cp >> 6) & 0x3F))); out.byte(UInt8(0x80 | (cp & 0x3F)))
                } else {
                    out.byte(b)
                }
            }
        case .asciiBrackets:
            let raw = Array(UnsafeBufferPointer(start: out.base + start, count: out.count - start))
            out.count = start
            var i = 0
            while i < raw.count {
                if i + 2 < raw.count && raw[i] == 0xEF && raw[i + 1] == 0xBC && (raw[i + 2] == 0x88 || raw[i + 2] == 0x89) {
                    out.byte(raw[i + 2] == 0x88 ? UInt8(ascii: "(") : UInt8(ascii: ")"))
                    i += 3
                } else {
                    out.byte(raw[i]); i += 1
                }
            }
        case .spaces(let h):
            insertSpace(out, from: start, hash: h)
        }
    }
}

/// Inserts an ASCII space, a U+3000 ideographic space, or a trailing space into the text
/// written since `start`, at a character boundary chosen by `hash`.
func insertSpace(_ out: ByteBuffer, from start: Int, hash h: UInt64) {
    let raw = Array(UnsafeBufferPointer(start: out.base + start, count: out.count - start))
    var boundaries: [Int] = []
    for (i, b) in raw.enumerated() where i > 0 && (b & 0xC0) != 0x80 { boundaries.append(i) }
    out.count = start
    let kind = h % 4
    let at = kind == 3 || boundaries.isEmpty ? raw.count : boundaries[Int((h >> 8) % UInt64(boundaries.count))]
    out.bytes(Array(raw[..<at]))
    if kind == 1 { out.bytes([0xE3, 0x80, 0x80]) } else { out.byte(UInt8(ascii: " ")) }
    out.bytes(Array(raw[at...]))
}

/// Registry status strings exactly as registries publish them.
enum RegStatus {
    static let strings = [
        "存续", "在业", "在营", "开业", "迁入", "迁出", "停业", "歇业", "清算", "吊销", "吊销，未注销", "吊销，已注销", "注销", "撤销",
    ].map { Array($0.utf8) }
    /// Strings outside the mapping table (real ones from provincial systems, and junk).
    static let unknown = ["存续（在营、开业、在册）", "正常", "待迁入", "其他", "登记成立", "注吊销"].map { Array($0.utf8) }
    static let active = [0, 1, 2, 3, 4]
    /// Indices that make the registration check deregister a merchant.
    static let dead: Set<Int> = [9, 10, 11, 12, 13]
    /// Latest status of our merchants (weights sum to 9,630): 11.7% in the deregister family,
    /// calibrated so ~7,000 of 60,000 merchants come out `deregister`.
    static let merchantWeights = Weighted([6280, 1200, 350, 300, 100, 80, 70, 40, 80, 140, 360, 90, 500, 40])
    /// Latest status of companies in general: far more dead ones.
    static let companyWeights = Weighted([5000, 1000, 200, 300, 100, 150, 100, 50, 150, 400, 700, 300, 1400, 100])
}

/// Everything the registry knows about one company, a pure function of (seed, stream, index).
struct Company {
    var uscc: [UInt8]
    var individual: Bool
    var name: CompanyName
    var oldName: CompanyName?
    var rep: PersonName
    var oldRep: PersonName?
    var registeredDay: Int
    var status: Int          // index into RegStatus.strings
    var abnormal: Bool
    var dishonest: Bool

    init(seed: UInt64, stream: Stream, index: Int, merchant: Bool, forceLatin: Bool = false,
         forceBracket: Bool = false, renamed: Bool? = nil, repChanged: Bool? = nil) {
        var r = RNG(seed: seed, stream: stream, index: index)
        let region = Names.regionWeights.pick(&r)
        individual = r.chance(merchant ? 0.12 : 0.10) && !forceBracket  // shops have no （city）
        uscc = Identity.uscc(region: Names.regions[region].code, individual: individual, r: &r)
        name = CompanyName(&r, region: region, individual: individual, forceLatin: forceLatin, forceBracket: forceBracket)
        rep = PersonName(&r)
        registeredDay = Dates.registryStart + Int(Double(Dates.asOf - Dates.registryStart) * pow(r.unit(), 0.6))
        status = (merchant ? RegStatus.merchantWeights : RegStatus.companyWeights).pick(&r)
        abnormal = r.chance(merchant ? 0.03 : 0.05)
        dishonest = r.chance(merchant ? 0.005 : 0.01)
        if renamed ?? r.chance(0.03) { oldName = name; name = name.renamed(&r) }
        if repChanged ?? r.chance(0.04) { oldRep = rep; rep = rep.changed(&r) }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
