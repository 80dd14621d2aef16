import Testing
@testable import WardenEngine

@Suite("Validators")
struct ValidatorsTests {
    // MARK: USCC (GB 32100-2015)

    /// Published codes whose check character the algorithm confirms: the standard's worked
    /// example (91350100M000100Y43) and codes of registered organisations quoted in public code.
    static let publishedUSCC = [
        "91350100M000100Y43",  // GB 32100-2015 worked example
        "91440300708461136T",
        "91110108551385082Q",
        "91110105771583283D",
        "91110000802100433B",
        "91110108740084270C",
        "91110108735106340Y",
        "91110228397176695A",
        "91440300359143307G",
        "51610700305332460K",  // social organisation (5), not a company
        "11610923MB2900168E",  // government body (1)
        "1134082855783407XL",  // 'X' inside the subject code
        "112302070019030687",  // all digits
        "91341000MA2N0ABGXX",  // check character 'X'
    ]

    @Test("published USCCs are valid", arguments: publishedUSCC)
    func validUSCC(_ code: String) {
        #expect(Validators.isValidUSCC(code))
    }

    @Test("invalid USCCs are rejected", arguments: [
        "91350100M000100Y4Z",   // the standard's counter-example: check should be 3
        "91350100M000100Y44",   // wrong check digit
        "91350100M000100Y42",
        "91350100M000101Y43",   // one body character changed
        "92350100M000100Y43",   // first character changed
        "91350100M000100Y4",    // 17 characters
        "91350100M000100Y430",  // 19 characters
        "91350100m000100y43",   // lowercase
        " 91350100M000100Y43",  // leading space: no trimming
        "91350100M000100Y43 ",  // trailing space
        "91350A00M000100Y43",   // letter in the region code (positions 3-8)
        "",
        "９１350100M000100Y43",   // full-width digits: no folding
        "91350200M000000510",   // quoted online as an example, fails its check (should be D)
        "91350128M00000019A",   // likewise (should be F)
    ])
    func invalidUSCC(_ code: String) {
        #expect(!Validators.isValidUSCC(code))
    }

    @Test("letters I O Z S V are outside the USCC alphabet", arguments: ["I", "O", "Z", "S", "V"])
    func excludedLetters(_ letter: String) {
        // Put the letter in a subject-code position and in the check position: never valid.
        #expect(!Validators.isValidUSCC("91350100" + letter + "000100Y43"))
        #expect(!Validators.isValidUSCC("91350100M000100Y4" + letter))
    }

    @Test("USCC character values follow the alphabet")
    func alphabetValues() {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(Validators.usccValue(byte) == alphabet.firstIndex(of: byte), "byte \(byte)")
        }
    }

    @Test("every single-character substitution of a valid USCC is rejected")
    func usccSubstitutions() {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for code in Self.publishedUSCC {
            let chars = Array(code)
            for i in chars.indices {
                for c in alphabet where c != chars[i] {
                    var mutated = chars
                    mutated[i] = c
                    #expect(!Validators.isValidUSCC(String(mutated)), "\(String(mutated))")
                }
            }
        }
    }

    // MARK: Resident identity number (GB 11643-1999)

    @Test("resident IDs", arguments: [
        ("11010519491231002X", true),   // GB 11643-1999 example
        ("110101199003074477", true),
        ("110101200002290018", true),   // 2000-02-29, a leap day
        ("11010519491231002x", false),  // lowercase x
        ("110105194912310021", false),  // wrong check digit
        ("11010519491231003X", false),  // one digit changed
        ("21010519491231002X", false),  // region changed
        ("11010519491231002", false),   // 17 characters
        ("11010519491231002X0", false), // 19 characters
        ("110105194912310", false),     // old 15-digit form not accepted
        ("440524188001010014", false),  // GB 11643 example born 1880: check digit fine, year < 1900
        ("110101190002290011", false),  // 1900-02-29 does not exist (checksum correct)
        ("110101202302300010", false),  // Feb 30 (checksum correct)
        ("110101199013074470", false),  // month 13 (checksum correct)
        ("1101011990030744X7", false),  // X not in the last place
        (" 11010519491231002X", false),
        ("", false),
    ])
    func residentID(_ id: String, _ valid: Bool) {
        #expect(Validators.isValidResidentID(id) == valid)
        #expect((Validators.residentIDBirthDays(id) != nil) == valid)
    }

    @Test("birth date of a resident ID")
    func birthDays() {
        #expect(Validators.residentIDBirthDays("11010519491231002X") == -7306)  // 1949-12-31
        #expect(Validators.residentIDBirthDays("110101200002290018") == Civil.days(year: 2000, month: 2, day: 29))
        #expect(Validators.residentIDBirthDays("110101199003074477") == Civil.days(year: 1990, month: 3, day: 7))
        #expect(Validators.residentIDBirthDays("11010519491231002x") == nil)
    }

    @Test("every single-digit substitution of a valid resident ID is rejected")
    func residentIDSubstitutions() {
        let id = Array("11010519491231002X")
        for i in id.indices {
            for c in Array("0123456789X") where c != id[i] {
                var mutated = id
                mutated[i] = c
                #expect(!Validators.isValidResidentID(String(mutated)), "\(String(mutated))")
            }
        }
    }

    // MARK: Luhn

    @Test("luhn", arguments: [
        ("79927398713", true),       // the textbook example
        ("79927398710", false),
        ("79927398711", false),
        ("4111111111111111", true),  // Visa test number
        ("4111111111111112", false),
        ("5555555555554444", true),  // Mastercard test number
        ("378282246310005", true),   // Amex test number (odd length)
        ("6011111111111117", true),  // Discover test number
        ("00", true),
        ("18", true),
        ("0", false),                // fewer than 2 digits
        ("", false),
        ("4111 1111 1111 1111", false),
        ("4111-1111-1111-1111", false),
        ("７9927398713", false),       // full-width digit
        ("7992739871a", false),
    ])
    func luhn(_ number: String, _ valid: Bool) {
        #expect(Validators.luhn(number) == valid)
    }
}
