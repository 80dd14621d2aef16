/// Identifiers with real check characters, phone numbers and person names.
enum Identity {
    /// GB 11643 weights and check characters (ISO 7064 MOD 11-2).
    static let idWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let idCheck = Array("10X98765432".utf8)

    /// Writes an 18-character resident identity number; `corrupt` writes a wrong check character.
    static func residentID(_ out: ByteBuffer, region: Int, birthDays: Int, r: inout RNG, corrupt: Bool) {
        let start = out.count
        out.padded(region, 6)
        out.date(birthDays)  // YYYY-MM-DD, then squeeze the dashes out below
        // Remove the two dashes in place: YYYY-MM-DD → YYYYMMDD.
        let p = out.base + start + 6
        p[4] = p[5]; p[5] = p[6]; p[6] = p[8]; p[7] = p[9]
        out.count -= 2
        out.padded(r.below(1000), 3)
        var sum = 0
        for i in 0..<17 { sum += Int(out.base[start + i] &- 48) * idWeights[i] }
        var check = idCheck[sum % 11]
        if corrupt { check = wrong(check, among: idCheck, &r) }
        out.byte(check)
    }

    /// The USCC alphabet (GB 32100-2015): no I, O, S, V, Z.
    static let usccAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    static let usccWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    /// GB 11714 organisation-code weights.
    static let orgWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// An 18-character Unified Social Credit Code with correct check characters: registration
    /// authority 9 (market regulation), type 1 (company) or 2 (individual business), the region
    /// code, a GB 11714 organisation code (itself check-digited), and the GB 32100 check.
    static func uscc(region: Int, individual: Bool, r: inout RNG) -> [UInt8] {
        var c = [UInt8](repeating: 0, count: 18)
        c[0] = UInt8(ascii: "9")
        c[1] = individual ? UInt8(ascii: "2") : UInt8(ascii: "1")
        var x = region
        for i in (2...7).reversed() { c[i] = 48 + UInt8(x % 10); x /= 10 }
        // Organisation code: older companies have 8 digits, newer ones "MA" + 6 characters.
        if r.chance(0.4) {
            for i in 8..<16 { c[i] = 48 + UInt8(r.below(10)) }
        } else {
            c[8] = UInt8(ascii: "M"); c[9] = UInt8(ascii: "A")
            for i in 10..<16 { c[i] = r.chance(0.8) ? 48 + UInt8(r.below(10)) : usccAlphabet[10 + r.below(21)] }
        }
        var s = 0
        for i in 0..<8 {
            let b = c[8 + i]
            s += (b <= 57 ? Int(b - 48) : Int(b - 55)) * orgWeights[i]
        }
        let oc = 11 - s % 11
        // A check of 10 is written X; such codes exist, but X is in the USCC alphabet too.
        c[16] = oc == 11 ? UInt8(ascii: "0") : oc == 10 ? UInt8(ascii: "X") : 48 + UInt8(oc)
        var sum = 0
        for i in 0..<17 { sum += value(c[i]) * usccWeights[i] }
        c[17] = usccAlphabet[(31 - sum % 31) % 31]
        return c
    }

    static func value(_ b: UInt8) -> Int { usccAlphabet.firstIndex(of: b)! }

    /// A different character from `alphabet` than `c`.
    static func wrong(_ c: UInt8, among alphabet: [UInt8], _ r: inout RNG) -> UInt8 {
        var x = alphabet[r.below(alphabet.count)]
        while x == c { x = alphabet[r.below(alphabet.count)] }
        return x
    }

    /// A mainland mobile number, 11 digits.
    static func mobile(_ out: ByteBuffer, _ r: inout RNG, virtual: Bool = false) {
        out.bytes(virtual ? r.pick(Names.virtualPrefixes) : r.pick(Names.mobilePrefixes))
        out.padded(r.below(100_000_000), 8)
    }
}

/// A person's name as table indices, rendered on demand.
struct PersonName: Equatable {
    var surname: Int     // < 0: compound surname -surname-1
    var given1: Int
    var given2: Int      // < 0: one-character given name

    init(_ r: inout RNG) {
        surname = r.chance(0.01) ? -1 - r.below(Names.compoundSurnames.count) : Names.surnameWeights.pick(&r)
        given1 = r.below(Names.givenChars.count)
        given2 = r.chance(0.7) ? r.below(Names.givenChars.count) : -1
    }

    func write(_ out: ByteBuffer) {
        out.bytes(surname < 0 ? Names.compoundSurnames[-surname - 1] : Names.surnames[surname])
        out.bytes(Names.givenChars[given1])
        if given2 >= 0 { out.bytes(Names.givenChars[given2]) }
    }

    /// Another person (a legal-representative change).
    func changed(_ r: inout RNG) -> PersonName {
        var p = PersonName(&r)
        while p == self { p = PersonName(&r) }
        return p
    }
}
