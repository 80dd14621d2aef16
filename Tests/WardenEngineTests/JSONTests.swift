import Testing
@testable import WardenEngine

struct JSONTests {
    struct Valid: CustomTestStringConvertible, Sendable {
        let input: String
        let expected: JSONValue
        var testDescription: String { input.count > 60 ? String(input.prefix(60)) + "…" : input }
    }

    static let valid: [Valid] = [
        Valid(input: "null", expected: .null),
        Valid(input: " \t\r\n true \n", expected: .bool(true)),
        Valid(input: "false", expected: .bool(false)),
        Valid(input: "0", expected: .number("0")),
        Valid(input: "-0", expected: .number("-0")),
        Valid(input: "50000.00", expected: .number("50000.00")),
        Valid(input: "-1e3", expected: .number("-1e3")),
        Valid(input: "1E+10", expected: .number("1E+10")),
        Valid(input: "0.5e-7", expected: .number("0.5e-7")),
        // Big lexemes are kept exactly: no Double rounding anywhere.
        Valid(input: "123456789012345678901234567890.123456789012345678901",
              expected: .number("123456789012345678901234567890.123456789012345678901")),
        Valid(input: "9007199254740993", expected: .number("9007199254740993")),
        Valid(input: #""""#, expected: .string("")),
        Valid(input: #""plain""#, expected: .string("plain")),
        Valid(input: #""\" \\ \/ \b \f \n \r \t""#, expected: .string("\" \\ / \u{08} \u{0C} \n \r \t")),
        Valid(input: #""\u0041\u00e9\u4e2d\u0000""#, expected: .string("Aé中\u{0}")),
        Valid(input: #""\uD83D\uDE00 \ud834\udd1e""#, expected: .string("😀 𝄞")),
        Valid(input: #""张三 收款 ¥50,000 😀""#, expected: .string("张三 收款 ¥50,000 😀")),
        Valid(input: #""混合\n中文""#, expected: .string("混合\n中文")),
        Valid(input: "[]", expected: .array([])),
        Valid(input: "{}", expected: .object([])),
        Valid(input: "[ 1 , [ 2 , [ ] ] , { } ]",
              expected: .array([.number("1"), .array([.number("2"), .array([])]), .object([])])),
        Valid(input: #"{"amount":"50000.00","payee":{"name":"李四","country":"CN"},"tags":["new",null,true]}"#,
              expected: .object([
                  (key: "amount", value: .string("50000.00")),
                  (key: "payee", value: .object([(key: "name", value: .string("李四")), (key: "country", value: .string("CN"))])),
                  (key: "tags", value: .array([.string("new"), .null, .bool(true)])),
              ])),
        Valid(input: #"{"z":1,"a":2}"#, expected: .object([(key: "z", value: .number("1")), (key: "a", value: .number("2"))])),
        Valid(input: #"{"a":1,"A":2,"a ":3}"#,
              expected: .object([(key: "a", value: .number("1")), (key: "A", value: .number("2")), (key: "a ", value: .number("3"))])),
        Valid(input: String(repeating: "[", count: 64) + String(repeating: "]", count: 64),
              expected: (0..<63).reduce(JSONValue.array([])) { inner, _ in .array([inner]) }),
    ]

    @Test(arguments: valid)
    func parsesValidDocument(_ c: Valid) throws {
        #expect(try JSONParser.parse(c.input) == c.expected)
    }

    struct Invalid: CustomTestStringConvertible, Sendable {
        let input: String
        let message: String
        let offset: Int
        let line: Int
        let column: Int
        var testDescription: String { "\(input.count > 40 ? String(input.prefix(40)) + "…" : input) → \(message)" }
    }

    static let invalid: [Invalid] = [
        Invalid(input: "", message: "unexpected end of input", offset: 0, line: 1, column: 1),
        Invalid(input: "  \n ", message: "unexpected end of input", offset: 4, line: 2, column: 2),
        Invalid(input: #"{"a":1} x"#, message: "trailing characters after JSON value", offset: 8, line: 1, column: 9),
        Invalid(input: "1 2", message: "trailing characters after JSON value", offset: 2, line: 1, column: 3),
        Invalid(input: #"{"a":1 "b":2}"#, message: "expected ',' or '}' after object member", offset: 7, line: 1, column: 8),
        Invalid(input: "[1 2]", message: "expected ',' or ']' after array element", offset: 3, line: 1, column: 4),
        Invalid(input: "{\n  \"amount\": 1,\n  \"amount\": 2\n}", message: #"duplicate key "amount""#, offset: 19, line: 3, column: 3),
        Invalid(input: #"{"a\n":1,"a\u000a":2}"#, message: #"duplicate key "a\n""#, offset: 9, line: 1, column: 10),
        Invalid(input: "[1,2,]", message: "trailing comma in array", offset: 4, line: 1, column: 5),
        Invalid(input: #"{"a":1,}"#, message: "trailing comma in object", offset: 6, line: 1, column: 7),
        Invalid(input: "[,1]", message: "expected a JSON value", offset: 1, line: 1, column: 2),
        Invalid(input: "{1:2}", message: "expected string key in object", offset: 1, line: 1, column: 2),
        Invalid(input: #"{"a" 1}"#, message: "expected ':' after object key", offset: 5, line: 1, column: 6),
        Invalid(input: #"{"a":}"#, message: "expected a JSON value", offset: 5, line: 1, column: 6),
        Invalid(input: #"{"a":1"#, message: "unexpected end of input", offset: 6, line: 1, column: 7),
        Invalid(input: "[1,", message: "unexpected end of input", offset: 3, line: 1, column: 4),
        Invalid(input: "012", message: "leading zeros are not allowed", offset: 0, line: 1, column: 1),
        Invalid(input: "[-00.5]", message: "leading zeros are not allowed", offset: 2, line: 1, column: 3),
        Invalid(input: "-", message: "expected digit after '-'", offset: 1, line: 1, column: 2),
        Invalid(input: "-x", message: "expected digit after '-'", offset: 1, line: 1, column: 2),
        Invalid(input: "1.", message: "expected digit after '.'", offset: 2, line: 1, column: 3),
        Invalid(input: ".5", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "+1", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "1e", message: "expected digit in exponent", offset: 2, line: 1, column: 3),
        Invalid(input: "1e+", message: "expected digit in exponent", offset: 3, line: 1, column: 4),
        Invalid(input: "NaN", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "[Infinity]", message: "expected a JSON value", offset: 1, line: 1, column: 2),
        Invalid(input: "-Infinity", message: "expected digit after '-'", offset: 1, line: 1, column: 2),
        Invalid(input: "nul", message: "unexpected end of input", offset: 3, line: 1, column: 4),
        Invalid(input: "True", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "[trve]", message: "invalid literal, expected 'true'", offset: 1, line: 1, column: 2),
        Invalid(input: "'a'", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "\u{FEFF}{}", message: "expected a JSON value", offset: 0, line: 1, column: 1),
        Invalid(input: "\"abc", message: "unterminated string", offset: 0, line: 1, column: 1),
        Invalid(input: "[\"a\\nb", message: "unterminated string", offset: 1, line: 1, column: 2),
        Invalid(input: "\"a\tb\"", message: "unescaped control character in string", offset: 2, line: 1, column: 3),
        Invalid(input: "\"a\nb\"", message: "unescaped control character in string", offset: 2, line: 1, column: 3),
        Invalid(input: "\"\\n\u{1}\"", message: "unescaped control character in string", offset: 3, line: 1, column: 4),
        Invalid(input: #""\x""#, message: "invalid escape sequence", offset: 1, line: 1, column: 2),
        Invalid(input: #""\'""#, message: "invalid escape sequence", offset: 1, line: 1, column: 2),
        Invalid(input: #""\u12G4""#, message: #"invalid \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: #""\u12""#, message: #"invalid \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: #""\uD83D""#, message: #"lone surrogate in \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: #""\uD83Dx""#, message: #"lone surrogate in \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: #""\uD83D\u0041""#, message: #"lone surrogate in \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: #""\uD83D\uZZZZ""#, message: #"invalid \u escape"#, offset: 7, line: 1, column: 8),
        Invalid(input: #""\uDE00""#, message: #"lone surrogate in \u escape"#, offset: 1, line: 1, column: 2),
        Invalid(input: "\n\n  \"中文 \\uDE00\"", message: "lone surrogate in \\u escape", offset: 12, line: 3, column: 11),
        Invalid(input: String(repeating: "[", count: 65) + String(repeating: "]", count: 65),
                message: "nesting deeper than 64", offset: 64, line: 1, column: 65),
        Invalid(input: String(repeating: #"{"a":"#, count: 65) + "1" + String(repeating: "}", count: 65),
                message: "nesting deeper than 64", offset: 320, line: 1, column: 321),
    ]

    @Test(arguments: invalid)
    func rejectsInvalidDocument(_ c: Invalid) {
        #expect(throws: JSONError(message: c.message, offset: c.offset, line: c.line, column: c.column)) {
            try JSONParser.parse(c.input)
        }
    }

    struct InvalidBytes: CustomTestStringConvertible, Sendable {
        let bytes: [UInt8]
        let offset: Int
        var testDescription: String { bytes.map { String($0, radix: 16) }.joined(separator: " ") }
    }

    /// Strings can't hold invalid UTF-8, so these go through the byte entry point.
    static let invalidUTF8: [InvalidBytes] = [
        InvalidBytes(bytes: [0x22, 0xFF, 0x22], offset: 1),                    // never valid
        InvalidBytes(bytes: [0x22, 0x61, 0x80, 0x22], offset: 2),              // lone continuation
        InvalidBytes(bytes: [0x22, 0xC0, 0xAF, 0x22], offset: 1),              // overlong "/"
        InvalidBytes(bytes: [0x22, 0xE0, 0x80, 0xAF, 0x22], offset: 1),        // overlong 3-byte
        InvalidBytes(bytes: [0x22, 0xED, 0xA0, 0x80, 0x22], offset: 1),        // encoded surrogate U+D800
        InvalidBytes(bytes: [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], offset: 1),  // above U+10FFFF
        InvalidBytes(bytes: [0x22, 0xE4, 0xB8, 0x22], offset: 1),              // truncated 中
        InvalidBytes(bytes: [0x22, 0x5C, 0x6E, 0xE4, 0xB8, 0x41, 0x22], offset: 3), // after an escape
        InvalidBytes(bytes: [0x22, 0xE4, 0xB8], offset: 1),                    // truncated at end of input
    ]

    @Test(arguments: invalidUTF8)
    func rejectsInvalidUTF8(_ c: InvalidBytes) {
        #expect(throws: JSONError(message: "invalid UTF-8", offset: c.offset, line: 1, column: c.offset + 1)) {
            try c.bytes.withUnsafeBufferPointer { bytes throws(JSONError) in try JSONParser.parse(bytes) }
        }
    }

    @Test func emptyBufferIsUnexpectedEnd() {
        #expect(throws: JSONError(message: "unexpected end of input", offset: 0, line: 1, column: 1)) {
            try JSONParser.parse(UnsafeBufferPointer<UInt8>(start: nil, count: 0))
        }
    }

    @Test func duplicateKeysFoundInLargeObjects() throws {
        let members = (0..<40).map { #""k\#($0)":\#($0)"# } + [#""k3":0"#]
        let text = "{" + members.joined(separator: ",") + "}"
        let offset = text.utf8.count - #""k3":0}"#.utf8.count
        #expect(throws: JSONError(message: #"duplicate key "k3""#, offset: offset, line: 1, column: offset + 1)) {
            try JSONParser.parse(text)
        }
        let distinct = "{" + (0..<40).map { #""k\#($0)":\#($0)"# }.joined(separator: ",") + "}"
        #expect(try JSONParser.parse(distinct)["k39"] == .number("39"))
    }

    @Test func longDuplicateKeyIsCutInTheMessage() throws {
        let key = String(repeating: "键", count: 30)  // 90 bytes
        do {
            _ = try JSONParser.parse(#"{"\#(key)":1,"\#(key)":2}"#)
            Issue.record("expected an error")
        } catch {
            #expect(error.message == "duplicate key \"" + String(repeating: "键", count: 21) + "…\"")
        }
    }

    @Test func subscriptFindsFirstMemberOfObjectsOnly() throws {
        let event = try JSONParser.parse(#"{"amount":"12.50","payee":{"country":"CN"}}"#)
        #expect(event["amount"] == .string("12.50"))
        #expect(event["payee"]?["country"] == .string("CN"))
        #expect(event["missing"] == nil)
        #expect(JSONValue.array([.null])["amount"] == nil)
    }

    @Test func errorDescriptionIsLineColumnMessage() {
        #expect(JSONError(message: "unexpected end of input", offset: 6, line: 1, column: 7).description
                == "1:7: unexpected end of input")
    }

    @Test func objectEqualityIsOrderedAndExact() {
        let ab = JSONValue.object([(key: "a", value: .number("1")), (key: "b", value: .number("2"))])
        let ba = JSONValue.object([(key: "b", value: .number("2")), (key: "a", value: .number("1"))])
        #expect(ab == ab)
        #expect(ab != ba)
        #expect(JSONValue.number("1.0") != .number("1"))
        #expect(JSONValue.object([]) != .array([]))
    }

    // MARK: Writer

    @Test func writerEscapesPerRFC8259() {
        var w = JSONWriter()
        w.writeString("q\" b\\ / \n\t\r\u{08}\u{0C}\u{0}\u{1F}\u{7F} 中文😀")
        #expect(w.string == #""q\" b\\ / \n\t\r\b\f\u0000\u001f"# + "\u{7F} 中文😀\"")
    }

    @Test func writerIsCompactAndKeepsOrder() {
        var w = JSONWriter()
        w.write(.object([
            (key: "z", value: .array([.number("1.50"), .bool(false), .null])),
            (key: "a", value: .object([])),
            (key: "名", value: .string("值")),
        ]))
        #expect(w.string == #"{"z":[1.50,false,null],"a":{},"名":"值"}"#)
    }

    @Test func writerRawAndPiecemeal() {
        var w = JSONWriter()
        w.writeRaw("{")
        w.writeString("score")
        w.writeRaw(":")
        w.writeRaw("-1e3")
        w.writeRaw("}")
        #expect(w.bytes == Array(#"{"score":-1e3}"#.utf8))
    }

    @Test(arguments: valid)
    func writeThenParseRoundTrips(_ c: Valid) throws {
        var w = JSONWriter()
        w.write(c.expected)
        let reparsed = try w.bytes.withUnsafeBufferPointer { bytes throws(JSONError) in try JSONParser.parse(bytes) }
        #expect(reparsed == c.expected)
    }

    @Test func everyControlCharacterRoundTrips() throws {
        let s = String(decoding: (0..<0x80).map { UInt8($0) }, as: UTF8.self)
        var w = JSONWriter()
        w.write(.array([.string(s), .string("\u{10FFFF}\u{FFFD}")]))
        #expect(try JSONParser.parse(w.string) == .array([.string(s), .string("\u{10FFFF}\u{FFFD}")]))
    }
}
