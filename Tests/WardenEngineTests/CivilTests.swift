import Foundation
import Testing
@testable import WardenEngine

@Suite("Civil")
struct CivilTests {
    static let london = Zone(identifier: "Europe/London")!
    static let newYork = Zone(identifier: "America/New_York")!

    /// Wall-clock seconds of a local date and time.
    static func local(_ y: Int, _ mo: Int, _ d: Int, _ h: Int = 0, _ mi: Int = 0, _ s: Int = 0) -> Int64 {
        Civil.days(year: y, month: mo, day: d) * 86_400 + Int64(h * 3600 + mi * 60 + s)
    }

    // MARK: Day numbers

    @Test("known day numbers", arguments: [
        (1970, 1, 1, 0 as Int64),
        (1969, 12, 31, -1),
        (2000, 3, 1, 11_017),
        (2024, 2, 29, 19_782),
        (1949, 12, 31, -7306),
        (1900, 1, 1, -25_567),
        (2100, 12, 31, 47_846),
        (1, 1, 1, -719_162),
    ])
    func knownDays(_ y: Int, _ m: Int, _ d: Int, _ expected: Int64) {
        #expect(Civil.days(year: y, month: m, day: d) == expected)
        let back = Civil.civil(fromDays: expected)
        #expect(back.year == y && back.month == m && back.day == d)
    }

    @Test("days and civil round-trip over every day of 1900–2100")
    func roundTrip() {
        var expected = Civil.days(year: 1900, month: 1, day: 1)
        for y in 1900...2100 {
            for m in 1...12 {
                for d in 1...Civil.daysInMonth(year: y, month: m) {
                    let n = Civil.days(year: y, month: m, day: d)
                    #expect(n == expected)
                    let c = Civil.civil(fromDays: n)
                    #expect(c.year == y && c.month == m && c.day == d)
                    expected += 1
                }
            }
        }
        #expect(expected == Civil.days(year: 2101, month: 1, day: 1))
    }

    @Test("leap years", arguments: [(2000, true), (1900, false), (2024, true), (2023, false), (2100, false), (1600, true)])
    func leapYears(_ year: Int, _ leap: Bool) {
        #expect(Civil.isLeapYear(year) == leap)
        #expect(Civil.isValidDate(year: year, month: 2, day: 29) == leap)
    }

    @Test("isValidDate", arguments: [
        (2022, 1, 31, true), (2022, 4, 31, false), (2022, 4, 30, true), (2022, 2, 28, true),
        (2022, 2, 29, false), (2022, 13, 1, false), (2022, 0, 1, false), (2022, 1, 0, false),
        (0, 1, 1, false), (1, 1, 1, true), (9999, 12, 31, true), (10000, 1, 1, false),
    ])
    func validDates(_ y: Int, _ m: Int, _ d: Int, _ valid: Bool) {
        #expect(Civil.isValidDate(year: y, month: m, day: d) == valid)
    }

    @Test("weekday", arguments: [
        (1970, 1, 1, 4), (2022, 12, 31, 6), (2023, 1, 1, 7), (2024, 1, 1, 1),
        (1949, 10, 1, 6), (1900, 1, 1, 1), (1969, 12, 29, 1),
    ])
    func weekday(_ y: Int, _ m: Int, _ d: Int, _ expected: Int) {
        #expect(Civil.weekday(days: Civil.days(year: y, month: m, day: d)) == expected)
    }

    @Test("age", arguments: [
        ((2004, 2, 29), (2022, 2, 28), 17),  // Feb 29 birthday not reached on Feb 28…
        ((2004, 2, 29), (2022, 3, 1), 18),   // …but on Mar 1 of a non-leap year
        ((2004, 2, 29), (2024, 2, 28), 19),
        ((2004, 2, 29), (2024, 2, 29), 20),
        ((1990, 6, 15), (2020, 6, 14), 29),
        ((1990, 6, 15), (2020, 6, 15), 30),
        ((1990, 6, 15), (1990, 6, 15), 0),
        ((2006, 12, 31), (2024, 12, 30), 17),
        ((2006, 12, 31), (2024, 12, 31), 18),
        ((2000, 6, 1), (1999, 6, 1), -1),
    ])
    func age(_ birth: (Int, Int, Int), _ on: (Int, Int, Int), _ expected: Int) {
        let b = Civil.days(year: birth.0, month: birth.1, day: birth.2)
        let o = Civil.days(year: on.0, month: on.1, day: on.2)
        #expect(Civil.age(birthDays: b, onDays: o) == expected)
    }

    // MARK: Parsing

    @Test("parseDate accepts real dates", arguments: [
        ("1970-01-01", 0 as Int64), ("2024-02-29", 19_782), ("1900-01-01", -25_567),
        ("0001-01-01", -719_162), ("9999-12-31", 2_932_896),
    ])
    func parseDate(_ s: String, _ expected: Int64) {
        #expect(Civil.parseDate(s.utf8[...]) == expected)
    }

    @Test("parseDate rejects everything else", arguments: [
        "2022-02-29", "2022-13-01", "2022-1-01", "2022-01-1", "0000-01-01", "2022/01/01",
        "2022-01-01 ", " 2022-01-01", "2022-00-10", "2022-01-00", "2022-04-31", "２022-01-01",
        "22-01-01", "2022-01-01T00:00:00", "", "+022-01-01", "2022-01-0a",
    ])
    func parseDateRejects(_ s: String) {
        #expect(Civil.parseDate(s.utf8[...]) == nil)
    }

    @Test("parseDate reads a substring in place")
    func parseDateSubstring() {
        let line = "date=2024-02-29;"
        let slice = line.dropFirst(5).dropLast()
        #expect(Civil.parseDate(slice.utf8) == 19_782)
    }

    @Test("parseLocalTimestamp accepts exactly YYYY-MM-DD HH:MM:SS", arguments: [
        ("1970-01-01 00:00:00", 0 as Int64),
        ("1970-01-02 00:00:01", 86_401),
        ("2022-01-01 23:59:59", local(2022, 1, 1, 23, 59, 59)),
        ("1969-12-31 23:59:59", -1),
    ])
    func parseLocal(_ s: String, _ expected: Int64) {
        #expect(Civil.parseLocalTimestamp(s.utf8[...]) == expected)
    }

    @Test("parseLocalTimestamp rejects other forms", arguments: [
        "2022-01-01 24:00:00", "2022-01-01T10:00:00", "2022-01-01 10:00:00Z", "2022-01-01 10:00:00+08:00",
        "2022-01-01 10:00:00.000", "2022-01-01 10:60:00", "2022-01-01 10:00:60", "2022-01-01  10:00:00",
        "2022-01-01 1:00:00", "2022-02-29 10:00:00", "2022-01-01", "2022-01-01 10:00", "2022-01-01 10:00:00 ",
    ])
    func parseLocalRejects(_ s: String) {
        #expect(Civil.parseLocalTimestamp(s.utf8[...]) == nil)
    }

    @Test("parseTimestamp lenient forms", arguments: [
        ("2024-03-01T18:30:00Z", Zone.shanghai, 1_709_317_800 as Int64),
        ("2024-03-01 18:30:00Z", .shanghai, 1_709_317_800),
        ("2024-03-02T02:30:00+08:00", .utc, 1_709_317_800),
        ("2024-03-01T13:30:00-05:00", .shanghai, 1_709_317_800),
        ("2024-03-01T18:30:00+00:00", .shanghai, 1_709_317_800),
        ("2024-03-01T18:30:00-00:00", .shanghai, 1_709_317_800),
        ("2024-03-01T18:30:00.999Z", .shanghai, 1_709_317_800),      // fraction truncated
        ("2024-03-01T18:30:00.999-00:00", .shanghai, 1_709_317_800),
        ("2024-03-02 02:30:00", .shanghai, 1_709_317_800),           // no offset: wall clock in zone
        ("2024-03-02T02:30:00.123456789", .shanghai, 1_709_317_800),
        ("2024-03-01T18:30:00.5", .utc, 1_709_317_800),
        ("2024-03-01T18:30:00", .shanghai, 1_709_317_800 - 28_800),
        ("1969-12-31T23:59:59Z", .shanghai, -1),
    ])
    func parseTimestamp(_ s: String, _ zone: Zone, _ expected: Int64) {
        #expect(Civil.parseTimestamp(s.utf8[...], zone: zone) == expected)
    }

    @Test("parseTimestamp rejects", arguments: [
        "2024-03-01T18:30:00.Z", "2024-03-01T18:30:00.", "2024-03-01T18:30:00+0800", "2024-03-01T18:30:00+08",
        "2024-03-01", "2024-03-01T18:30", "2024-03-01t18:30:00Z", "2024-03-01T18:30:00z", "2024-03-01T24:00:00Z",
        "2024-02-30T00:00:00Z", "2024-03-01T18:30:00Z ", "2024-03-01T18:30:00+08:00x", "2024-03-01T18:30:00+24:00",
        "2024-03-01T18:30:00+08:60", "2024-03-01_18:30:00", "2024-03-01T18:30:00ZZ", "",
    ])
    func parseTimestampRejects(_ s: String) {
        #expect(Civil.parseTimestamp(s.utf8[...], zone: .shanghai) == nil)
    }

    @Test("parseTimestamp without an offset uses the zone's gap and overlap rule")
    func parseTimestampDST() {
        // London 2024-03-31 01:30 does not exist (clocks 01:00 GMT → 02:00 BST): earlier offset (GMT).
        #expect(Civil.parseTimestamp("2024-03-31 01:30:00".utf8[...], zone: Self.london) == 1_711_848_600)
        // London 2024-10-27 01:30 happens twice: earlier offset (BST) → 00:30Z.
        #expect(Civil.parseTimestamp("2024-10-27 01:30:00".utf8[...], zone: Self.london) == 1_729_989_000)
    }

    // MARK: Formatting

    @Test("formatDate")
    func formatDate() {
        #expect(Civil.formatDate(days: 0) == "1970-01-01")
        #expect(Civil.formatDate(days: -1) == "1969-12-31")
        #expect(Civil.formatDate(days: -25_567) == "1900-01-01")
        #expect(Civil.formatDate(days: -719_162) == "0001-01-01")
        #expect(Civil.formatDate(days: 2_932_896) == "9999-12-31")
        #expect(Civil.formatDate(days: 2_932_897) == "10000-01-01")
        #expect(Civil.formatDate(days: Civil.days(year: -1, month: 3, day: 4)) == "-0001-03-04")
    }

    @Test("formatDate and parseDate round-trip over 1900–2100")
    func formatParseRoundTrip() {
        for n in Civil.days(year: 1900, month: 1, day: 1)...Civil.days(year: 2100, month: 12, day: 31) {
            let s = Civil.formatDate(days: n)
            #expect(Civil.parseDate(s.utf8[...]) == n)
        }
    }

    @Test("formatTimestamp")
    func formatTimestamp() {
        #expect(Civil.formatTimestamp(epochSeconds: 0, zone: .shanghai) == "1970-01-01 08:00:00")
        #expect(Civil.formatTimestamp(epochSeconds: 1_709_317_800, zone: .shanghai) == "2024-03-02 02:30:00")
        #expect(Civil.formatTimestamp(epochSeconds: 1_709_317_800, zone: .utc) == "2024-03-01 18:30:00")
        #expect(Civil.formatTimestamp(epochSeconds: -1, zone: .utc) == "1969-12-31 23:59:59")
        #expect(Civil.formatTimestamp(epochSeconds: 1_720_000_000, zone: Self.london) == "2024-07-03 10:46:40")
        let wall = "2024-07-03 10:46:40"
        #expect(Civil.parseTimestamp(wall.utf8[...], zone: Self.london) == 1_720_000_000)
    }

    // MARK: Zones

    @Test("hour and local date in Shanghai")
    func shanghai() {
        let t: Int64 = 1_709_317_800  // 2024-03-01T18:30:00Z
        #expect(Zone.shanghai.hour(ofUTC: t) == 2)
        #expect(Zone.shanghai.localDays(ofUTC: t) == Civil.days(year: 2024, month: 3, day: 2))
        #expect(Zone.shanghai.offset(atUTC: t) == 28_800)
        #expect(Zone.utc.hour(ofUTC: t) == 18)
        #expect(Zone.utc.hour(ofUTC: -1) == 23)
        #expect(Zone.utc.localDays(ofUTC: -1) == -1)
        // China observed DST 1986–1991: 1986-05-04 02:00 CST became 03:00 CDT.
        #expect(Zone.shanghai.offset(atUTC: 515_527_199) == 28_800)
        #expect(Zone.shanghai.offset(atUTC: 515_527_200) == 32_400)
        #expect(Zone.shanghai.offset(atUTC: 700_000_000) == 28_800)  // 1992
    }

    @Test("Europe/London offsets")
    func london() {
        #expect(Self.london.offset(atUTC: 1_720_000_000) == 3600)  // July 2024, BST
        #expect(Self.london.offset(atUTC: 1_704_067_200) == 0)     // 2024-01-01, GMT
        #expect(Self.london.offset(atUTC: 1_711_846_799) == 0)     // 2024-03-31 00:59:59Z
        #expect(Self.london.offset(atUTC: 1_711_846_800) == 3600)  // 2024-03-31 01:00:00Z
        #expect(Self.london.hour(ofUTC: 1_711_846_800) == 2)
    }

    @Test("utc(fromLocal:) in gaps, overlaps and ordinary times")
    func utcFromLocal() {
        let london = Self.london
        #expect(london.utc(fromLocal: Self.local(2024, 3, 31, 0, 59, 59)) == 1_711_846_799)
        #expect(london.utc(fromLocal: Self.local(2024, 3, 31, 1, 30)) == 1_711_848_600)  // gap → GMT
        #expect(london.utc(fromLocal: Self.local(2024, 3, 31, 2, 0)) == 1_711_846_800)
        #expect(london.utc(fromLocal: Self.local(2024, 10, 27, 0, 59, 59)) == 1_729_987_199)
        #expect(london.utc(fromLocal: Self.local(2024, 10, 27, 1, 0)) == 1_729_987_200)   // overlap → BST
        #expect(london.utc(fromLocal: Self.local(2024, 10, 27, 1, 59, 59)) == 1_729_990_799)
        #expect(london.utc(fromLocal: Self.local(2024, 10, 27, 2, 0)) == 1_729_994_400)
        #expect(Zone.shanghai.utc(fromLocal: Self.local(2024, 3, 2, 2, 30)) == 1_709_317_800)
        #expect(Zone.utc.utc(fromLocal: 12_345) == 12_345)
    }

    @Test("utc(fromLocal:) inverts the offset except in the second half of an overlap",
          arguments: ["Europe/London", "America/New_York", "Asia/Shanghai", "Australia/Lord_Howe"])
    func localRoundTrip(_ id: String) throws {
        let zone = try #require(Zone(identifier: id))
        var t: Int64 = -2_208_988_800  // 1900
        while t < 4_102_444_800 {      // 2100
            let wall = t + Int64(zone.offset(atUTC: t))
            let u = zone.utc(fromLocal: wall)
            if u != t {
                // Only legal when `wall` also happened earlier, under the earlier offset.
                #expect(u < t && u + Int64(zone.offset(atUTC: u)) == wall, "\(id) t=\(t)")
            }
            t += 1_800 + 7  // every ~30 min, drifting across minutes
        }
    }

    @Test("offset table agrees with Foundation.TimeZone",
          arguments: ["Asia/Shanghai", "Europe/London", "America/New_York", "Asia/Kolkata", "Australia/Lord_Howe"])
    func agreesWithFoundation(_ id: String) throws {
        let zone = try #require(Zone(identifier: id))
        let tz = try #require(TimeZone(identifier: id))
        var t: Int64 = -2_208_988_800
        while t < 4_102_444_800 {
            #expect(zone.offset(atUTC: t) == tz.secondsFromGMT(for: Date(timeIntervalSince1970: Double(t))), "\(id) t=\(t)")
            t += 86_400 * 3 + 3_607
        }
    }

    /// Past the last transition the offset is the last period's without a search; at the
    /// edges of that shortcut the answers are the search's (Shanghai's last change: 1991).
    @Test func lastPeriodShortcut() throws {
        let zone = Zone.shanghai
        let last = zone.lastStart
        #expect(zone.offset(atUTC: last - 1) == Int(zone.offsets[zone.offsets.count - 2]))
        #expect(zone.offset(atUTC: last) == 28_800)
        for local in [last + 2 * 86_400 - 1, last + 2 * 86_400, last + 3 * 86_400] {
            #expect(zone.utc(fromLocal: local) == local - 28_800)
        }
        // London changes twice a year up to the table's end: ordinary times still search.
        #expect(Self.london.utc(fromLocal: Self.local(2024, 7, 1, 12, 0)) == Self.local(2024, 7, 1, 11, 0))
    }

    @Test("appendDate writes formatDate's text", arguments: [-800_000, -719_528, -1, 0, 19_357, 2_932_896, 2_932_897] as [Int64])
    func appendDate(_ days: Int64) {
        var bytes: [UInt8] = []
        Civil.appendDate(days: days, to: &bytes)
        #expect(String(decoding: bytes, as: UTF8.self) == Civil.formatDate(days: days))
    }

    @Test("the built-in Shanghai table matches Foundation's")
    func shanghaiFallback() throws {
        let built = Zone(identifier: "Asia/Shanghai", transitions: Zone.shanghaiFallback, initial: 29_143)
        let foundation = try #require(Zone(identifier: "Asia/Shanghai"))
        #expect(built.starts == foundation.starts)
        #expect(built.offsets == foundation.offsets)
    }

    @Test("zone identifiers", arguments: [
        ("UTC", 0 as Int?), ("Asia/Shanghai", 28_800), ("+08:00", 28_800), ("-05:30", -19_800),
        ("+00:00", 0), ("+18:00", 64_800), ("+18:01", nil), ("+8:00", nil), ("+0800", nil),
        ("Nowhere/Nothing", nil), ("", nil),
    ])
    func identifiers(_ id: String, _ offsetIn2024: Int?) {
        let zone = Zone(identifier: id)
        #expect(zone?.offset(atUTC: 1_704_067_200) == offsetIn2024)
        if let zone { #expect(zone.identifier == id) }
    }

    @Test("zones compare and hash by identifier")
    func equality() {
        #expect(Zone(identifier: "Asia/Shanghai") == Zone.shanghai)
        #expect(Zone(identifier: "UTC") == Zone.utc)
        #expect(Zone(identifier: "+08:00") != Zone.shanghai)
        let set: Set<Zone> = [.shanghai, Zone(identifier: "Asia/Shanghai")!, .utc]
        #expect(set.count == 2)
    }

    @Test("single-offset zones keep one period")
    func fixedZones() {
        #expect(Zone.utc.offsets.count == 1)
        #expect(Zone(identifier: "+08:00")!.offsets == [28_800])
        #expect(Zone(identifier: "Asia/Kolkata")!.offsets.count > 1)  // LMT and 1940s changes
    }
}
