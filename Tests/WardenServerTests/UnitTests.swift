import Foundation
import Hummingbird
import Testing
import WardenEngine
@testable import WardenServer

@Suite struct UnitTests {
    @Test(arguments: [
        ("rules/payments.rules", "payments", "rules/payments.rules"),
        ("fraud=rules/payments.rules", "fraud", "rules/payments.rules"),
        ("/abs/dir/x.rules", "x", "/abs/dir/x.rules"),
        ("dir/a=b.rules", "a=b", "dir/a=b.rules"),  // '/' before '=': a path, not NAME=PATH
        ("p-2=x.rules", "p-2", "x.rules"),
    ])
    func packArguments(_ arg: String, _ name: String, _ path: String) {
        let p = ServerConfiguration.PackSource(argument: arg)
        #expect(p.name == name)
        #expect(p.path == path)
    }

    @Test func arrayElementsAreSplitAtTopLevelCommasOnly() throws {
        func split(_ s: String) throws(JSONArrayElements.Failure) -> [String] {
            let bytes = Array(s.utf8)
            let r = bytes.withUnsafeBytes { b -> Result<[Range<Int>], JSONArrayElements.Failure> in
                do throws(JSONArrayElements.Failure) { return .success(try JSONArrayElements.split(b)) } catch { return .failure(error) }
            }
            return try r.get().map { String(decoding: bytes[$0], as: UTF8.self) }
        }
        #expect(try split(" [ ] ") == [])
        #expect(try split(#"[{"a":[1,{"b":"],}"}]},{"c":"\"}"} ,3, "x,y" ,null]"#)
                == [#"{"a":[1,{"b":"],}"}]}"#, #"{"c":"\"}"}"#, "3", #""x,y""#, "null"])
        #expect(try split("[\n{\"a\": }\n]") == ["{\"a\": }"])  // malformed inside: the decoder's job
        for bad in ["", "{}", "[", "[1", "[1,", "[1 2]", "[{]", "[{\"a\":\"b]", "[] x", "[,]", "[{}}]"] {
            #expect(throws: JSONArrayElements.Failure.self, "\(bad)") { _ = try split(bad) }
        }
    }

    @Test func logsMaskPhoneAndIDNumbers() {
        #expect(Redact.numbers(in: "phone 13812345678 failed") == "phone 138****5678 failed")
        #expect(Redact.numbers(in: "id 11010519491231002X.") == "id 110***********002X.")
        #expect(Redact.numbers(in: "port 8080, 1234567890 (ten digits)") == "port 8080, 1234567890 (ten digits)")
        #expect(Redact.numbers(in: "no digits") == "no digits")
    }

    @Test func bearerComparisonNeedsTheWholeToken() {
        let eq = AuthMiddleware<BasicRequestContext>.constantTimeEqual
        #expect(eq(Array("abc".utf8), Array("abc".utf8)))
        #expect(!eq(Array("abc".utf8), Array("abd".utf8)))
        #expect(!eq(Array("ab".utf8), Array("abc".utf8)))
        #expect(!eq(Array("".utf8), Array("a".utf8)))
    }

    @Test func prometheusLabelValuesAreEscaped() {
        #expect(PrometheusText.escape(#"a"b\c"# + "\nd") == #"a\"b\\c\nd"#)
        #expect(PrometheusText.number(0.00025) == "0.00025")
        #expect(PrometheusText.number(1) == "1")
    }

    @Test func isoTimes() {
        let d = Date(timeIntervalSince1970: 1_709_251_200.1234)
        #expect(ISOTime.string(d) == "2024-03-01T00:00:00.123Z")
        #expect(ISOTime.compact(d) == "20240301-000000")
    }

    @Test func boundedQueueRefusesWhenFullAndDrainsAfterFinish() async {
        let q = AlertQueue<Int>(capacity: 3)
        #expect(q.offer(1) == .enqueued)
        #expect(q.offer(2) == .enqueued)
        #expect(q.offer(3) == .enqueued)
        #expect(q.offer(4) == .full)
        #expect(await q.take(max: 2) == [1, 2])
        #expect(q.offer(5) == .enqueued)
        q.finish()
        #expect(q.offer(6) == .finished)
        #expect(await q.take(max: 10) == [3, 5])
        #expect(await q.take(max: 10) == nil)
    }

    @Test func aWaitingConsumerWakesForAnOffer() async {
        let q = AlertQueue<Int>(capacity: 10)
        async let taken = q.take(max: 10)
        try? await Task.sleep(for: .milliseconds(50))
        #expect(q.offer(7) == .enqueued)
        #expect(await taken == [7])
    }
}

@Suite struct DecisionWritingTests {
    /// `writeJSON(into:masked:)` (the service's path) writes exactly `json(masked:)`.
    @Test func writeJSONIsJSON() throws {
        let engine = try WardenEngine.Engine()
        try engine.load(name: "payments", path: Fixture.paymentsPack)
        var n = 0
        for event in Fixture.sampleEvents {
            for explain in [false, true] {
                guard case .success(let s) = engine.score(pack: "payments", json: Array(event.utf8), explain: explain) else { continue }
                for masked in [false, true] {
                    var w = JSONWriter()
                    w.writeRaw("[")
                    s.writeJSON(into: &w, masked: masked)
                    #expect(String(decoding: w.bytes.dropFirst(), as: UTF8.self) == s.json(masked: masked))
                    n += 1
                }
            }
        }
        #expect(n > 700)
    }
}
