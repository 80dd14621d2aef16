import Testing
@testable import WardenEngine

struct PatternTests {
    @Test func chineseAlternationIsCaseInsensitiveForLatin() throws {
        let matcher = try Pattern("(?i)casino|博彩|赌").makeMatcher()
        #expect(matcher.matches("Macau CASINO Ltd") == .match)
        #expect(matcher.matches("在线博彩平台") == .match)
        #expect(matcher.matches("赌场") == .match)
        #expect(matcher.matches("杭州超市 grocery") == .noMatch)
        #expect(matcher.matches("") == .noMatch)
    }

    @Test func sixDigits() throws {
        let matcher = try Pattern(#"\d{6}"#).makeMatcher()
        #expect(matcher.matches("验证码 123456 请勿泄露") == .match)
        #expect(matcher.matches("code 12345") == .noMatch)
        #expect(matcher.matches("12-34-56") == .noMatch)
    }

    @Test func unicodePropertiesApplyToWordAndDigitClasses() throws {
        // PCRE2_UCP: \w covers CJK letters and \d covers non-ASCII decimal digits.
        #expect(try Pattern(#"^\w+$"#).makeMatcher().matches("支付宝") == .match)
        #expect(try Pattern(#"^\d+$"#).makeMatcher().matches("١٢٣") == .match)  // Arabic-Indic digits
        // PCRE2_UTF: "." is one code point, not one byte.
        #expect(try Pattern(#"^.{2}$"#).makeMatcher().matches("博彩") == .match)
    }

    @Test func caseInsensitive() throws {
        let matcher = try Pattern("(?i)^wire transfer$").makeMatcher()
        #expect(matcher.matches("WIRE Transfer") == .match)
        #expect(matcher.matches("wire transfers") == .noMatch)
        #expect(try Pattern("ÉCOLE").makeMatcher().matches("école") == .noMatch)
        #expect(try Pattern("(?i)ÉCOLE").makeMatcher().matches("école") == .match)
    }

    @Test func searchIsUnanchored() throws {
        #expect(try Pattern("bc").makeMatcher().matches("abcd") == .match)
    }

    @Test func invalidPatternReportsMessageAndOffset() {
        #expect(throws: Pattern.CompileError(message: "missing closing parenthesis", offset: 1)) {
            try Pattern("(")
        }
        #expect(throws: Pattern.CompileError(message: "quantifier does not follow a repeatable item", offset: 0)) {
            try Pattern("*")
        }
    }

    @Test func compileErrorOffsetIsInBytes() {
        do {
            _ = try Pattern("博彩[")
            Issue.record("expected a compile error")
        } catch {
            #expect(error.message == "missing terminating ] for character class")
            #expect(error.offset == 7)  // two 3-byte characters, then "[" runs to the end
        }
    }

    @Test func catastrophicBacktrackingStopsAtTheMatchLimit() throws {
        let matcher = try Pattern(#"^(\w+\s?)*$"#).makeMatcher()
        let subject = String(repeating: "a", count: 30) + "!"
        let clock = ContinuousClock()
        var result = MatchResult.match
        let elapsed = clock.measure { result = matcher.matches(subject) }
        #expect(result == .limitExceeded)
        #expect(elapsed < .milliseconds(200))
    }

    @Test func interpreterAlsoStopsAtTheMatchLimit() throws {
        let pattern = try Pattern(#"^(\w+\s?)*$"#)
        let subject = Array((String(repeating: "a", count: 30) + "!").utf8)
        // The byte entry point goes through pcre2_match_8 (which runs JIT code if any).
        let result = subject.withUnsafeBufferPointer { pattern.makeMatcher().matches(utf8: $0) }
        #expect(result == .limitExceeded)
    }

    @Test func deepPatternsDoNotExhaustTheJITStack() throws {
        // Every iteration of a repeated capturing group takes JIT stack. With PCRE2's 32 KiB
        // default this fails (-46) from about 1,000 iterations; the 512 KiB stack handles 10,000.
        let matcher = try Pattern("^(?:(a)|b)*$", matchLimit: 10_000_000).makeMatcher()
        #expect(matcher.matches(String(repeating: "ab", count: 5_000)) == .match)
        // Past the stack, the answer is "unknown", never a crash and never "no match".
        #expect(matcher.matches(String(repeating: "ab", count: 100_000)) == .limitExceeded)
    }

    @Test func byteSubjectsAreUTF8Checked() throws {
        let matcher = try Pattern("a").makeMatcher()
        let invalid: [UInt8] = [0x61, 0xFF, 0x61]
        let result = invalid.withUnsafeBufferPointer { matcher.matches(utf8: $0) }
        guard case .error(let code) = result else {
            Issue.record("expected a UTF-8 error, got \(result)")
            return
        }
        #expect(code < 0)
        let valid = Array("xa".utf8)
        #expect(valid.withUnsafeBufferPointer { matcher.matches(utf8: $0) } == .match)
        #expect(UnsafeBufferPointer<UInt8>(start: nil, count: 0).withMemoryRebound(to: UInt8.self) {
            matcher.matches(utf8: $0)
        } == .noMatch)
    }

    @Test func matcherIsReusable() throws {
        let pattern = try Pattern("(?i)casino|博彩|赌")
        let matcher = pattern.makeMatcher()
        let subjects = ["transfer to casino royale", "grocery store", "在线博彩", "salary"]
        var matched = 0
        for k in 0..<10_000 where matcher.matches(subjects[k % subjects.count]) == .match {
            matched += 1
        }
        #expect(matched == 5_000)
        #expect(matcher.pattern === pattern)
    }

    @Test func patternIsSharedAcrossTasks() async throws {
        let pattern = try Pattern(#"\d{6}"#)
        let counts = await withTaskGroup(of: Int.self) { group in
            for _ in 0..<4 {
                group.addTask {
                    let matcher = pattern.makeMatcher()
                    var n = 0
                    for k in 0..<1_000 where matcher.matches("id \(100_000 + k)") == .match { n += 1 }
                    return n
                }
            }
            return await group.reduce(0, +)
        }
        #expect(counts == 4_000)
    }

    @Test func jitIsAvailable() throws {
        // Not a requirement (the interpreter is a fallback), but on the supported Linux x86-64
        // and arm64 hosts it should be, and losing it would cost about 10x.
        #expect(try Pattern("x").isJITCompiled)
    }
}
