/// The defects real extracts have, each with a default rate (a probability per row, or per
/// entity where the text says so). `--defect-rate NAME=RATE` overrides one; RATE is a
/// fraction (`0.002`) or a percentage (`0.2%`). Documentation/Datasets.md lists them all.
enum Defect: String, CaseIterable, Sendable {
    // accounts.csv
    case accountBadDate = "account-bad-date"
    case accountNegativeBalance = "account-negative-balance"
    case accountColumnCount = "account-column-count"
    case accountDuplicateID = "account-duplicate-id"
    case accountBadCheckDigit = "account-bad-check-digit"
    // merchants.csv
    case merchantBadUSCC = "merchant-bad-uscc"
    case merchantNameWidth = "merchant-name-width"
    case merchantNameBrackets = "merchant-name-brackets"
    case merchantNameSpaces = "merchant-name-spaces"
    case merchantNameChange = "merchant-name-change"
    case merchantRepChange = "merchant-rep-change"
    case merchantExpiredLicence = "merchant-expired-licence"
    case merchantNotInRegistry = "merchant-not-in-registry"
    case merchantBadDate = "merchant-bad-date"
    case merchantColumnCount = "merchant-column-count"
    case merchantDuplicateID = "merchant-duplicate-id"
    // registry.csv
    case registryStatusPunct = "registry-status-punct"
    case registryUnknownStatus = "registry-unknown-status"
    case registryTie = "registry-tie"
    case registryBadDate = "registry-bad-date"
    case registryColumnCount = "registry-column-count"
    // transactions.jsonl
    case txnMalformedJSON = "txn-malformed-json"
    case txnMissingField = "txn-missing-field"
    case txnBadValue = "txn-bad-value"

    var defaultRate: Double {
        switch self {
        case .accountBadDate: 0.001
        case .accountNegativeBalance: 0.0005
        case .accountColumnCount: 0.0002
        case .accountDuplicateID: 0.001
        case .accountBadCheckDigit: 0.001
        case .merchantBadUSCC: 0.006
        case .merchantNameWidth: 0.01
        case .merchantNameBrackets: 0.01
        case .merchantNameSpaces: 0.01
        case .merchantNameChange: 0.02
        case .merchantRepChange: 0.03
        case .merchantExpiredLicence: 0.04
        case .merchantNotInRegistry: 0.003
        case .merchantBadDate: 0.001
        case .merchantColumnCount: 0.0005
        case .merchantDuplicateID: 0.001
        case .registryStatusPunct: 0.03
        case .registryUnknownStatus: 0.005
        case .registryTie: 0.01
        case .registryBadDate: 0.0002
        case .registryColumnCount: 0.0001
        case .txnMalformedJSON: 0.0012
        case .txnMissingField: 0.0012
        case .txnBadValue: 0.0012
        }
    }
}

/// Rates in effect for one run.
struct DefectRates: Sendable {
    private var rates: [Double]

    init(overrides: [String]) throws {
        rates = Defect.allCases.map(\.defaultRate)
        for item in overrides {
            guard let eq = item.firstIndex(of: "="), let d = Defect(rawValue: String(item[..<eq])) else {
                throw DatagenError("--defect-rate expects NAME=RATE with NAME one of: "
                    + Defect.allCases.map(\.rawValue).joined(separator: ", ") + "; got '\(item)'")
            }
            var text = item[item.index(after: eq)...]
            var scale = 1.0
            if text.hasSuffix("%") { text = text.dropLast(); scale = 0.01 }
            guard let v = Double(text), v >= 0, v * scale <= 1 else {
                throw DatagenError("--defect-rate \(d.rawValue): '\(item[item.index(after: eq)...])' is not a rate in [0, 1]")
            }
            rates[Defect.allCases.firstIndex(of: d)!] = v * scale
        }
    }

    subscript(_ d: Defect) -> Double { rates[Defect.allCases.firstIndex(of: d)!] }
}

/// Malformed timestamps as upstream systems write them.
enum BadDates {
    /// Writes one malformed rendering of `seconds` (local wall clock).
    static func write(_ out: ByteBuffer, seconds: Int, _ r: inout RNG) {
        let d = seconds / 86400, s = seconds % 86400
        let c = Civil.civil(fromDays: Int64(d))
        func ymd(_ sep: UInt8) { out.padded(c.year, 4); out.byte(sep); out.padded(c.month, 2); out.byte(sep); out.padded(c.day, 2) }
        func hms() { out.padded(s / 3600, 2); out.byte(58); out.padded(s / 60 % 60, 2); out.byte(58); out.padded(s % 60, 2) }
        switch r.below(8) {
        case 0: ymd(UInt8(ascii: "/")); out.byte(32); hms()                           // 2019/03/05 10:22:01
        case 1: ymd(UInt8(ascii: "-")); out.byte(UInt8(ascii: "T")); hms()            // ISO 8601 T
        case 2: out.padded(c.year, 4); out.text("-02-30 "); hms()                      // no such day
        case 3: ymd(UInt8(ascii: "-"))                                                // date only
        case 4: out.padded(c.day, 2); out.byte(47); out.padded(c.month, 2); out.byte(47); out.padded(c.year, 4); out.byte(32); hms()
        case 5: out.text("0000-00-00 00:00:00")                                       // MySQL zero date
        case 6: ymd(UInt8(ascii: "-")); out.text(" 24:"); out.padded(s / 60 % 60, 2); out.text(":00")
        default: ymd(UInt8(ascii: "-")); out.byte(32); hms(); out.text(".000")         // fraction
        }
    }

    /// A malformed date (`YYYY-MM-DD` expected).
    static func writeDate(_ out: ByteBuffer, days: Int, _ r: inout RNG) {
        let c = Civil.civil(fromDays: Int64(days))
        switch r.below(4) {
        case 0: out.padded(c.year, 4); out.byte(47); out.padded(c.month, 2); out.byte(47); out.padded(c.day, 2)
        case 1: out.padded(c.year, 4); out.padded(c.month, 2); out.padded(c.day, 2)
        case 2: out.padded(c.year, 4); out.text("-13-01")
        default: out.padded(c.year, 4); out.text("年"); out.int(c.month); out.text("月"); out.int(c.day); out.text("日")
        }
    }
}

import WardenEngine

/// Fixed dates of the generated world.
enum Dates {
    /// The snapshot date the sweeps use (`as_of` = 2022-12-31).
    static let asOf = Int(Civil.days(year: 2022, month: 12, day: 31))
    /// First account opening.
    static let platformStart = Int(Civil.days(year: 2012, month: 1, day: 1))
    /// Earliest company registration.
    static let registryStart = Int(Civil.days(year: 1995, month: 1, day: 1))
    /// First merchant onboarding.
    static let onboardStart = Int(Civil.days(year: 2014, month: 6, day: 1))

    /// Seconds into a day, weighted to waking hours.
    static let hourWeights = Weighted([2, 1, 1, 1, 1, 1, 2, 5, 7, 7, 7, 9, 11, 9, 7, 7, 7, 8, 10, 11, 11, 10, 7, 4])
    static func daytime(_ r: inout RNG) -> Int { hourWeights.pick(&r) * 3600 + r.below(3600) }
}
