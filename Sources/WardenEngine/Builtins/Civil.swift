import Foundation

/// Calendar arithmetic on the proleptic Gregorian calendar, with days counted from 1970-01-01.
///
/// Dates are `Int64` day numbers (0 = 1970-01-01), instants are `Int64` epoch seconds, and a
/// "local timestamp" is wall-clock seconds since 1970-01-01 00:00:00 in no particular zone.
/// Nothing here calls Foundation; zones are resolved through ``Zone``'s precomputed table.
public enum Civil {
    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's `days_from_civil`).
    ///
    /// No validation: out-of-range months or days are not rejected, so check with
    /// ``isValidDate(year:month:day:)`` first when the input is untrusted.
    ///
    /// ```swift
    /// Civil.days(year: 2000, month: 3, day: 1)   // 11017
    /// ```
    /// - Complexity: O(1).
    public static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400                                           // [0, 399]
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1  // [0, 365]
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy                   // [0, 146096]
        return era * 146_097 + doe - 719_468
    }

    /// The proleptic Gregorian date of a day number (Howard Hinnant's `civil_from_days`).
    ///
    /// The inverse of ``days(year:month:day:)`` for valid dates.
    /// - Complexity: O(1).
    public static func civil(fromDays days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097                                       // [0, 146096]
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365  // [0, 399]
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)                 // [0, 365]
        let mp = (5 * doy + 2) / 153                                      // [0, 11]
        let d = doy - (153 * mp + 2) / 5 + 1                              // [1, 31]
        let m = mp < 10 ? mp + 3 : mp - 9                                 // [1, 12]
        let y = yoe + era * 400 + (m <= 2 ? 1 : 0)
        return (Int(y), Int(m), Int(d))
    }

    /// Whether `year` is a Gregorian leap year.
    public static func isLeapYear(_ year: Int) -> Bool {
        year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
    }

    /// Number of days in `month` (1–12) of `year`; 0 for a month outside 1–12.
    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 1, 3, 5, 7, 8, 10, 12: return 31
        case 4, 6, 9, 11: return 30
        case 2: return isLeapYear(year) ? 29 : 28
        default: return 0
        }
    }

    /// Whether the triple names a real date with year 1...9999.
    ///
    /// ```swift
    /// Civil.isValidDate(year: 2024, month: 2, day: 29)  // true
    /// Civil.isValidDate(year: 1900, month: 2, day: 29)  // false
    /// ```
    public static func isValidDate(year: Int, month: Int, day: Int) -> Bool {
        (1...9999).contains(year) && (1...12).contains(month)
            && day >= 1 && day <= daysInMonth(year: year, month: month)
    }

    /// Parses exactly `YYYY-MM-DD` naming a real date; anything else (short fields, extra
    /// characters, impossible dates, year 0000) is `nil`.
    ///
    /// ```swift
    /// Civil.parseDate("2024-02-29".utf8[...])  // 19782
    /// Civil.parseDate("2022-02-29".utf8[...])  // nil
    /// ```
    /// - Complexity: O(1); no allocation for native strings.
    public static func parseDate(_ s: Substring.UTF8View) -> Int64? {
        withBytes(s) { b in
            guard b.count == 10 else { return nil }
            return dateField(b)
        }
    }

    /// Parses exactly `YYYY-MM-DD HH:MM:SS` into zone-less wall-clock seconds since
    /// 1970-01-01 00:00:00.
    ///
    /// Hours 00–23, minutes and seconds 00–59, a real date. No `T`, no zone, no fraction.
    ///
    /// ```swift
    /// Civil.parseLocalTimestamp("1970-01-02 00:00:01".utf8[...])  // 86401
    /// ```
    /// - Complexity: O(1); no allocation for native strings.
    public static func parseLocalTimestamp(_ s: Substring.UTF8View) -> Int64? {
        withBytes(s) { b in
            guard b.count == 19, b[10] == UInt8(ascii: " ") else { return nil }
            guard let days = dateField(b), let secs = timeField(b, at: 11) else { return nil }
            return days * 86_400 + secs
        }
    }

    /// Parses the lenient timestamp forms accepted in JSON input into UTC epoch seconds.
    ///
    /// Accepted: `YYYY-MM-DD HH:MM:SS` or `YYYY-MM-DDTHH:MM:SS`, then an optional fraction
    /// `.d…` (one or more digits, truncated to whole seconds), then an optional `Z` or
    /// `+HH:MM` / `-HH:MM` (hours 00–23, minutes 00–59). An explicit offset is applied as
    /// written; without one the wall clock is interpreted in `zone` via ``Zone/utc(fromLocal:)``
    /// (gaps and overlaps resolved as documented there). Lowercase `t`/`z` are rejected.
    ///
    /// ```swift
    /// Civil.parseTimestamp("2024-03-01T18:30:00Z".utf8[...], zone: .shanghai)    // 1709317800
    /// Civil.parseTimestamp("2024-03-02 02:30:00".utf8[...], zone: .shanghai)     // 1709317800
    /// ```
    /// - Complexity: O(n) in the fraction length, O(log t) in the zone's transitions.
    public static func parseTimestamp(_ s: Substring.UTF8View, zone: Zone) -> Int64? {
        withBytes(s) { parseTimestamp(utf8: $0, zone: zone) }
    }

    /// ``parseTimestamp(_:zone:)`` on UTF-8 bytes (the JSON decoder's form).
    public static func parseTimestamp(utf8 b: UnsafeBufferPointer<UInt8>, zone: Zone) -> Int64? {
        guard b.count >= 19, b[10] == UInt8(ascii: " ") || b[10] == UInt8(ascii: "T") else { return nil }
        guard let days = dateField(b), let secs = timeField(b, at: 11) else { return nil }
        var i = 19
        if i < b.count, b[i] == UInt8(ascii: ".") {
            i += 1
            let start = i
            while i < b.count, digit(b[i]) != nil { i += 1 }
            guard i > start else { return nil }
        }
        var offset: Int64? = nil
        if i < b.count {
            switch b[i] {
            case UInt8(ascii: "Z"):
                offset = 0
                i += 1
            case UInt8(ascii: "+"), UInt8(ascii: "-"):
                guard b.count - i == 6, b[i + 3] == UInt8(ascii: ":"),
                      let hh = twoDigits(b, i + 1), let mm = twoDigits(b, i + 4),
                      hh <= 23, mm <= 59
                else { return nil }
                let magnitude = Int64(hh * 3600 + mm * 60)
                offset = b[i] == UInt8(ascii: "-") ? -magnitude : magnitude
                i += 6
            default:
                return nil
            }
        }
        guard i == b.count else { return nil }
        let local = days * 86_400 + secs
        if let offset { return local - offset }
        return zone.utc(fromLocal: local)
    }

    /// Formats a day number as `YYYY-MM-DD` (years outside 0...9999 print with their sign
    /// and at least four digits).
    public static func formatDate(days: Int64) -> String {
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            return (y < 0 ? "-" : "") + pad(abs(y), 4) + "-" + pad(m, 2) + "-" + pad(d, 2)
        }
        return String(unsafeUninitializedCapacity: 10) { buf in
            writeDate(y, m, d, into: buf)
            return 10
        }
    }

    /// Appends ``formatDate(days:)``'s text to `out` as UTF-8, without making a `String` (a
    /// sweep writes millions of dates).
    package static func appendDate(days: Int64, to out: inout [UInt8]) {
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            out.append(contentsOf: formatDate(days: days).utf8)
            return
        }
        var text: (UInt64, UInt64) = (0, 0)  // 16 bytes of scratch, no allocation
        withUnsafeMutableBytes(of: &text) { raw in
            let buf = raw.bindMemory(to: UInt8.self)
            writeDate(y, m, d, into: buf)
            out.append(contentsOf: buf[0..<10])
        }
    }

    /// `YYYY-MM-DD` into `buf[0..<10]`, for a year in 0...9999.
    static func writeDate(_ y: Int, _ m: Int, _ d: Int, into buf: UnsafeMutableBufferPointer<UInt8>) {
        write4(y, into: buf, at: 0)
        buf[4] = UInt8(ascii: "-")
        write2(m, into: buf, at: 5)
        buf[7] = UInt8(ascii: "-")
        write2(d, into: buf, at: 8)
    }

    /// Formats an instant as the wall clock `YYYY-MM-DD HH:MM:SS` in `zone`.
    ///
    /// ```swift
    /// Civil.formatTimestamp(epochSeconds: 0, zone: .shanghai)  // "1970-01-01 08:00:00"
    /// ```
    public static func formatTimestamp(epochSeconds: Int64, zone: Zone) -> String {
        let local = epochSeconds + Int64(zone.offset(atUTC: epochSeconds))
        let days = floorDiv(local, 86_400)
        let secs = Int(local - days * 86_400)
        let (y, m, d) = civil(fromDays: days)
        guard (0...9999).contains(y) else {
            return formatDate(days: days) + " " + pad(secs / 3600, 2) + ":" + pad(secs / 60 % 60, 2) + ":"
                + pad(secs % 60, 2)
        }
        return String(unsafeUninitializedCapacity: 19) { buf in
            writeDate(y, m, d, into: buf)
            buf[10] = UInt8(ascii: " ")
            write2(secs / 3600, into: buf, at: 11)
            buf[13] = UInt8(ascii: ":")
            write2(secs / 60 % 60, into: buf, at: 14)
            buf[16] = UInt8(ascii: ":")
            write2(secs % 60, into: buf, at: 17)
            return 19
        }
    }

    /// ISO weekday of a day number: 1 = Monday … 7 = Sunday.
    ///
    /// ```swift
    /// Civil.weekday(days: 0)  // 4 (1970-01-01 was a Thursday)
    /// ```
    public static func weekday(days: Int64) -> Int {
        Int(floorMod(days + 3, 7)) + 1
    }

    /// Whole years from `birthDays` to `onDays`, as people count age.
    ///
    /// One less when this year's birthday is still ahead; a Feb 29 birthday is reached on
    /// Mar 1 in non-leap years. Negative when `onDays` precedes `birthDays` by a year or more
    /// (and 0 within the year before birth); callers wanting a clamp must apply it.
    ///
    /// ```swift
    /// // born 2004-02-29: on 2022-02-28 → 17, on 2022-03-01 → 18
    /// ```
    public static func age(birthDays: Int64, onDays: Int64) -> Int {
        let b = civil(fromDays: birthDays)
        let o = civil(fromDays: onDays)
        var years = o.year - b.year
        if (o.month, o.day) < (b.month, b.day) { years -= 1 }
        return years
    }

    // MARK: - Internals

    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let q = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q
    }

    static func floorMod(_ a: Int64, _ b: Int64) -> Int64 {
        let r = a % b
        return r != 0 && (r < 0) != (b < 0) ? r + b : r
    }

    /// Runs `body` over the view's bytes, contiguously when possible (always, for native
    /// strings); otherwise over a copy.
    @inline(__always)
    static func withBytes<R>(_ s: Substring.UTF8View, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.withContiguousStorageIfAvailable(body) { return r }
        return Array(s).withUnsafeBufferPointer(body)
    }

    @inline(__always)
    static func digit(_ c: UInt8) -> Int? {
        c &- UInt8(ascii: "0") < 10 ? Int(c &- UInt8(ascii: "0")) : nil
    }

    @inline(__always)
    static func twoDigits(_ b: UnsafeBufferPointer<UInt8>, _ i: Int) -> Int? {
        guard let h = digit(b[i]), let l = digit(b[i + 1]) else { return nil }
        return h * 10 + l
    }

    /// `YYYY-MM-DD` at offset 0 of `b` (which must hold at least 10 bytes) → day number.
    static func dateField(_ b: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard b[4] == UInt8(ascii: "-"), b[7] == UInt8(ascii: "-"),
              let y1 = twoDigits(b, 0), let y2 = twoDigits(b, 2),
              let m = twoDigits(b, 5), let d = twoDigits(b, 8)
        else { return nil }
        let y = y1 * 100 + y2
        guard isValidDate(year: y, month: m, day: d) else { return nil }
        return days(year: y, month: m, day: d)
    }

    /// `HH:MM:SS` at offset `i` of `b` (which must hold `i + 8` bytes) → seconds of day.
    static func timeField(_ b: UnsafeBufferPointer<UInt8>, at i: Int) -> Int64? {
        guard b[i + 2] == UInt8(ascii: ":"), b[i + 5] == UInt8(ascii: ":"),
              let h = twoDigits(b, i), let m = twoDigits(b, i + 3), let s = twoDigits(b, i + 6),
              h <= 23, m <= 59, s <= 59
        else { return nil }
        return Int64(h * 3600 + m * 60 + s)
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    @inline(__always)
    static func write2(_ n: Int, into buf: UnsafeMutableBufferPointer<UInt8>, at i: Int) {
        buf[i] = UInt8(ascii: "0") + UInt8(n / 10)
        buf[i + 1] = UInt8(ascii: "0") + UInt8(n % 10)
    }

    @inline(__always)
    static func write4(_ n: Int, into buf: UnsafeMutableBufferPointer<UInt8>, at i: Int) {
        write2(n / 100, into: buf, at: i)
        write2(n % 100, into: buf, at: i + 2)
    }
}

/// An IANA time zone with its UTC offsets precomputed, so lookups never call Foundation.
///
/// The table covers 1900-01-01 to 2100-01-01 UTC: instants before it use the 1900 offset,
/// instants after it the offset in force on 2100-01-01 (so DST is not modelled past 2100).
/// Equality and hashing use ``identifier`` only.
///
/// ```swift
/// let london = Zone(identifier: "Europe/London")!
/// london.offset(atUTC: 1_720_000_000)  // 3600 (BST, July 2024)
/// ```
public struct Zone: Sendable, Hashable {
    /// The identifier as given to ``init(identifier:)`` (e.g. `Asia/Shanghai`, `UTC`, `+08:00`).
    public let identifier: String
    /// Period start instants, ascending; `starts[0]` is a sentinel for "the beginning of time".
    let starts: [Int64]
    /// `offsets[k]` is in force from `starts[k]` up to `starts[k + 1]`; seconds east of UTC.
    let offsets: [Int32]
    /// The last period's start and offset (`starts.last`, `offsets.last`): instants after the
    /// last transition, nearly all of them in zones without DST today, skip the search.
    let lastStart: Int64
    let lastOffset: Int32

    /// China Standard Time with its historical DST (1919, 1940–1949, 1986–1991) and LMT before 1901.
    public static let shanghai: Zone = Zone(identifier: "Asia/Shanghai")
        ?? Zone(identifier: "Asia/Shanghai", transitions: shanghaiFallback, initial: 29_143)
    /// Coordinated Universal Time.
    public static let utc = Zone(fixed: "UTC", offset: 0)

    static let tableStart: Int64 = -2_208_988_800  // 1900-01-01T00:00:00Z
    static let tableEnd: Int64 = 4_102_444_800     // 2100-01-01T00:00:00Z
    static let sentinel: Int64 = Int64.min / 4

    /// Builds the zone's offset table.
    ///
    /// Accepts `UTC`, a fixed offset `+HH:MM` / `-HH:MM` (up to ±18:00), or any identifier
    /// Foundation's `TimeZone(identifier:)` knows; Foundation is consulted here once, never
    /// afterwards. Returns `nil` for an unknown identifier.
    public init?(identifier: String) {
        if identifier == "UTC" {
            self.init(fixed: identifier, offset: 0)
            return
        }
        if let fixed = Zone.parseFixedOffset(identifier) {
            self.init(fixed: identifier, offset: fixed)
            return
        }
        guard let tz = TimeZone(identifier: identifier) else { return nil }
        var transitions: [(Int64, Int32)] = []
        var cursor = Date(timeIntervalSince1970: TimeInterval(Zone.tableStart))
        let end = Date(timeIntervalSince1970: TimeInterval(Zone.tableEnd))
        let initial = Int32(tz.secondsFromGMT(for: cursor))
        while let next = tz.nextDaylightSavingTimeTransition(after: cursor), next < end, next > cursor {
            transitions.append((Int64(next.timeIntervalSince1970.rounded(.down)), Int32(tz.secondsFromGMT(for: next))))
            cursor = next
        }
        self.init(identifier: identifier, transitions: transitions, initial: initial)
    }

    init(fixed identifier: String, offset: Int32) {
        self.identifier = identifier
        self.starts = [Zone.sentinel]
        self.offsets = [offset]
        lastStart = Zone.sentinel
        lastOffset = offset
    }

    /// Builds from `(start, offset)` pairs in ascending order, dropping no-op transitions.
    init(identifier: String, transitions: [(Int64, Int32)], initial: Int32) {
        var starts: [Int64] = [Zone.sentinel]
        var offsets: [Int32] = [initial]
        for (start, offset) in transitions where offset != offsets[offsets.count - 1] {
            starts.append(start)
            offsets.append(offset)
        }
        self.identifier = identifier
        self.starts = starts
        self.offsets = offsets
        lastStart = starts[starts.count - 1]
        lastOffset = offsets[offsets.count - 1]
    }

    public static func == (a: Zone, b: Zone) -> Bool { a.identifier == b.identifier }
    public func hash(into hasher: inout Hasher) { hasher.combine(identifier) }

    /// Seconds east of UTC in force at an instant.
    /// - Complexity: O(1) for single-offset zones, else O(log t) over the transitions.
    @inline(__always)
    public func offset(atUTC epochSeconds: Int64) -> Int {
        if epochSeconds >= lastStart { return Int(lastOffset) }
        return Int(offsets[period(atUTC: epochSeconds)])
    }

    /// The UTC instant of a wall-clock time in this zone.
    ///
    /// In an overlap (clocks turned back, the wall clock happens twice) the earlier offset —
    /// the one in force before the transition — wins, giving the earlier instant. In a gap
    /// (clocks turned forward, the wall clock never happens) the earlier offset is also used,
    /// which lands the same distance past the transition as the wall clock was past its start:
    /// London 2024-03-31 01:30 (skipped) → 01:30Z, i.e. 02:30 BST. This matches java.time's
    /// `ZonedDateTime.ofLocal` without a preferred offset.
    /// - Complexity: O(1) for single-offset zones, else O(log t).
    public func utc(fromLocal localSeconds: Int64) -> Int64 {
        // Past the last transition by more than any offset: its offset, as the scan finds.
        if localSeconds >= lastStart + 2 * 86_400 { return localSeconds - Int64(lastOffset) }
        // Any period whose local span can hold `localSeconds` starts within a day of it
        // (offsets are under ±26 h), so scan forward from the period a day and more earlier.
        var k = period(atUTC: localSeconds - 2 * 86_400)
        let n = starts.count
        while k < n {
            let o = Int64(offsets[k])
            let localStart = k == 0 ? Int64.min : starts[k] + o
            let localEnd = k + 1 < n ? starts[k + 1] + o : Int64.max
            if localSeconds < localStart {
                // Fell into the gap before period k: use the earlier offset (period k − 1).
                return localSeconds - Int64(offsets[k - 1])
            }
            if localSeconds < localEnd { return localSeconds - o }
            k += 1
        }
        return localSeconds - Int64(offsets[n - 1])
    }

    /// The local calendar date (days since 1970-01-01) of an instant.
    @inline(__always)
    public func localDays(ofUTC epochSeconds: Int64) -> Int64 {
        Civil.floorDiv(epochSeconds + Int64(offset(atUTC: epochSeconds)), 86_400)
    }

    /// The local hour, 0–23, of an instant.
    @inline(__always)
    public func hour(ofUTC epochSeconds: Int64) -> Int {
        Int(Civil.floorMod(epochSeconds + Int64(offset(atUTC: epochSeconds)), 86_400) / 3600)
    }

    /// Index of the last period starting at or before `t`.
    @inline(__always)
    func period(atUTC t: Int64) -> Int {
        var lo = 0, hi = starts.count  // invariant: starts[lo] <= t (sentinel), answer in [lo, hi)
        while hi - lo > 1 {
            let mid = (lo + hi) / 2
            if starts[mid] <= t { lo = mid } else { hi = mid }
        }
        return lo
    }

    /// `+HH:MM` / `-HH:MM` with |offset| ≤ 18:00 → seconds east of UTC.
    static func parseFixedOffset(_ s: String) -> Int32? {
        let b = Array(s.utf8)
        guard b.count == 6, b[0] == UInt8(ascii: "+") || b[0] == UInt8(ascii: "-"), b[3] == UInt8(ascii: ":") else {
            return nil
        }
        guard let h = b.withUnsafeBufferPointer({ Civil.twoDigits($0, 1) }),
              let m = b.withUnsafeBufferPointer({ Civil.twoDigits($0, 4) }),
              m <= 59, h * 60 + m <= 18 * 60
        else { return nil }
        let magnitude = Int32(h * 3600 + m * 60)
        return b[0] == UInt8(ascii: "-") ? -magnitude : magnitude
    }

    /// Asia/Shanghai from tzdata (1900–2100), used only if Foundation cannot load the zone;
    /// a test keeps it equal to Foundation's table.
    static let shanghaiFallback: [(Int64, Int32)] = [
        (-2_177_481_943, 28_800),
        (-1_600_675_200, 32_400), (-1_585_904_400, 28_800),
        (-933_667_200, 32_400), (-922_093_200, 28_800),
        (-908_870_400, 32_400), (-888_829_200, 28_800),
        (-881_049_600, 32_400), (-767_869_200, 28_800),
        (-745_833_600, 32_400), (-733_827_600, 28_800),
        (-716_889_600, 32_400), (-699_613_200, 28_800),
        (-683_884_800, 32_400), (-670_669_200, 28_800),
        (-652_348_800, 32_400), (-650_019_600, 28_800),
        (515_527_200, 32_400), (527_014_800, 28_800),
        (545_162_400, 32_400), (558_464_400, 28_800),
        (577_216_800, 32_400), (589_914_000, 28_800),
        (608_666_400, 32_400), (621_968_400, 28_800),
        (640_116_000, 32_400), (653_418_000, 28_800),
        (671_565_600, 32_400), (684_867_600, 28_800),
    ]
}
