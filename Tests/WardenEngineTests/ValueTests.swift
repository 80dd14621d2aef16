import Testing
@testable import WardenEngine
import WardenLang

@Suite struct ValueTests {
    /// The hot path keeps values unboxed: a value is a 16-byte payload plus a tag.
    @Test func valueIsCompact() {
        #expect(MemoryLayout<Value>.size <= 17)
        #expect(MemoryLayout<Value>.stride <= 24)
        #expect(MemoryLayout<Instruction>.stride == 16)
    }

    @Test(arguments: [
        ("120.50", 1_205_000 as Int64?), ("-0.0001", -1), ("+7", 70_000), ("0.1234", 1_234),
        ("1.23456", nil), ("1e3", nil), ("", nil), (".5", nil), ("5.", nil), ("1,000", nil), ("--1", nil),
        ("922337203685477.5807", Int64.max), ("922337203685477.5808", nil),
    ])
    func moneyParsing(_ text: String, _ raw: Int64?) {
        #expect(Money(parsing: text)?.raw == raw)
    }

    @Test func moneyRoundsHalfToEven() {
        let half = Money(parsing: "0.5")!
        #expect(Money(parsing: "0.0001")!.multiplied(by: half)?.description == "0.00")
        #expect(Money(parsing: "0.0003")!.multiplied(by: half)?.description == "0.0002")
        #expect(Money(parsing: "-0.0003")!.multiplied(by: half)?.description == "-0.0002")
        #expect(Money(parsing: "1")!.divided(by: Money(parsing: "3")!)?.description == "0.3333")
        #expect(Money(parsing: "2")!.divided(by: Money(parsing: "3")!)?.description == "0.6667")
        #expect(Money(raw: .max).adding(Money(raw: 1)) == nil)
        #expect(Money(raw: .max).multiplied(by: Money(parsing: "2")!) == nil)
    }

    @Test func equalityIsByScalars() {
        // Swift's String == uses canonical equivalence; the language compares scalars.
        #expect(!Ops.equal(.string("e\u{301}"), .string("\u{E9}")))
        #expect(ExactKey(.string("e\u{301}")) != ExactKey(.string("\u{E9}")))
        #expect(!Ops.equal(.null, .null))
    }
}
