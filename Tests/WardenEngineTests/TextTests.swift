import Foundation
import Testing
@testable import WardenEngine

@Suite("Text")
struct TextTests {
    @Test("nfkc", arguments: [
        ("（北京）科技有限公司", "(北京)科技有限公司"),
        ("ＡＢＣ１２３", "ABC123"),
        ("ｶ", "カ"),
        ("ｶﾞ", "\u{30AC}"),           // half-width kana + voiced mark compose to ガ
        ("ﾊﾟｽﾎﾟｰﾄ", "パスポート"),
        ("①", "1"),
        ("ﬁ", "fi"),
        ("㈱", "(株)"),
        ("Å", "Å"),          // canonical composition
        ("\u{3000}", " "),
        ("plain ascii", "plain ascii"),
        ("", ""),
    ])
    func nfkc(_ input: String, _ expected: String) {
        #expect(Text.nfkc(input).unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test("nfkc fast path agrees with Foundation's NFKC on every scalar it covers")
    func nfkcFastPath() {
        let ranges: [ClosedRange<UInt32>] = [0x00...0x7F, 0x3000...0x3029, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xFF01...0xFF5E]
        var mixed = String.UnicodeScalarView()
        for range in ranges {
            for v in range {
                let scalar = Unicode.Scalar(v)!
                #expect(Text.isNFKCFoldWidthOnly(scalar))
                let s = String(scalar)
                let reference = s.decomposedStringWithCompatibilityMapping.precomposedStringWithCanonicalMapping
                #expect(Text.nfkc(s) == reference, "U+\(String(v, radix: 16))")
                if v % 97 == 0 { mixed.append(scalar) }
            }
        }
        let s = String(mixed)
        #expect(Text.nfkc(s) == s.decomposedStringWithCompatibilityMapping.precomposedStringWithCanonicalMapping)
        #expect(!Text.isNFKCFoldWidthOnly("\u{302A}"))
        #expect(!Text.isNFKCFoldWidthOnly("\u{3036}"))
    }

    @Test("removeWhitespace", arguments: [
        ("北京 某某　科技\t有限公司", "北京某某科技有限公司"),
        (" a\tb\nc\rd\u{0B}e\u{0C}f ", "abcdef"),
        ("a\u{00A0}b\u{2002}c\u{200A}d\u{2028}e\u{202F}f\u{205F}g\u{1680}h\u{0085}i", "abcdefghi"),
        ("a\u{200B}b\u{FEFF}c", "a\u{200B}b\u{FEFF}c"),  // zero-width: not White_Space
        ("nothing", "nothing"),
        ("", ""),
    ])
    func removeWhitespace(_ input: String, _ expected: String) {
        #expect(Text.removeWhitespace(input).unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test("normalize", arguments: [
        ("北京 某某　科技\t有限公司", "北京某某科技有限公司"),
        ("（北京） 某某科技有限公司", "(北京)某某科技有限公司"),
        ("ＡＢＣ　Ｃｏ．，Ｌｔｄ．", "ABCCo.,Ltd."),
        ("ABC Co., Ltd.", "ABCCo.,Ltd."),
    ])
    func normalize(_ input: String, _ expected: String) {
        #expect(Text.normalize(input) == expected)
    }

    @Test("normalize makes full-width and spaced variants of a name equal")
    func normalizeEquates() {
        #expect(Text.normalize("深圳市腾讯计算机系统有限公司") == Text.normalize(" 深圳市 腾讯计算机系统有限公司　"))
        #expect(Text.normalize("（香港）有限公司") == Text.normalize("(香港)有限公司"))
    }

    @Test("foldWidth", arguments: [
        ("ＡＢＣ　１２３", "ABC 123"),
        ("！～", "!~"),
        ("ｶ①", "ｶ①"),               // only full-width ASCII and U+3000
        ("（北京）", "(北京)"),
        ("abc", "abc"),
    ])
    func foldWidth(_ input: String, _ expected: String) {
        #expect(Text.foldWidth(input) == expected)
    }

    @Test("case mapping")
    func caseMapping() {
        #expect(Text.lower("ÀBC Ωmega") == "àbc ωmega")
        #expect(Text.upper("straße") == "STRASSE")
        #expect(Text.upper("abc北京") == "ABC北京")
        #expect(Text.lower("ＡＢＣ") == "ａｂｃ")
    }

    @Test("trim", arguments: [
        ("\u{3000} a b \n", "a b"),
        ("\u{00A0}\tx\u{2003}", "x"),
        ("abc", "abc"),
        ("   ", ""),
        ("", ""),
        ("\u{FEFF}a", "\u{FEFF}a"),
    ])
    func trim(_ input: String, _ expected: String) {
        #expect(Text.trim(input).unicodeScalars.elementsEqual(expected.unicodeScalars))
    }

    @Test("mask", arguments: [
        ("13812345678", "138****5678"),
        ("11010519491231002X", "110***********002X"),
        ("+8613812345678", "+86*******5678"),
        ("1234567890", "1*********"),   // 10 scalars: first kept
        ("张三", "张*"),
        ("欧阳娜娜", "欧***"),
        ("A", "*"),
        ("", ""),
        ("北京某某科技有限公司上海分公司", "北京某********海分公司"),
    ])
    func mask(_ input: String, _ expected: String) {
        #expect(Text.mask(input) == expected)
    }
}
