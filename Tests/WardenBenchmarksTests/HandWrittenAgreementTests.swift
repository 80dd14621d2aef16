import Foundation
import Testing
import WardenBenchmarks
import WardenEngine

/// The benchmark's yardstick is only a yardstick if it computes what the engine computes.
@Suite struct HandWrittenAgreementTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    @Test func handWrittenPaymentsAgreesWithTheEngineOnEverySampleRecord() throws {
        let pack = try CompiledPack.load(path: Self.root.appendingPathComponent("rules/payments.rules").path)
        let baseline = try HandWrittenPayments(pack: pack)
        let evaluator = pack.makeEvaluator()
        let text = try String(contentsOf: Self.root.appendingPathComponent("datasets/sample/transactions.jsonl"), encoding: .utf8)
        var checked = 0, hits = 0
        for (n, line) in text.split(separator: "\n").enumerated() {
            guard let record = try? pack.decodeRecord(json: String(line)) else { continue }
            let engine = HandWrittenPayments.result(of: evaluator.evaluate(record))
            let byHand = baseline.evaluate(baseline.txn(record))
            #expect(engine == byHand, "line \(n + 1): engine \(engine), hand-written \(byHand)")
            checked += 1
            hits += engine.hits.nonzeroBitCount
        }
        #expect(checked > 1_000)
        #expect(hits > 100)
    }
}
