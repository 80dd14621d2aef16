import Testing
import WardenEngine
import WardenLang

/// Lookups at evaluation: a row or null, fields read through the row, the compiled VM and the
/// reference evaluator agreeing, and a key the table was not loaded for failing loudly.
@Suite struct LookupTableTests {
    static let text = """
        package p
        input m { id: string @key
                  code: string }
        lookup reg from "reg.csv" key code { code: string
                                             status: string
                                             flagged: bool }
        let r = reg[code]
        rule MISSING "not registered" when r is null score 1
        rule CLOSED "closed" when r is not null and r.status == "closed" score 10
        rule FLAGGED "flagged" when r is not null and r.flagged score 100
        """

    func pack(_ table: LookupTable) throws -> CompiledPack {
        try CompiledPack.compile(source: Source(path: "p.rules", text: LookupTableTests.text),
                                 lookups: .tables(["reg": table])) { _ in "" }
    }

    func table(loadedKeys: [Value]?) -> LookupTable {
        LookupTable(name: "reg", fieldCount: 3, rows: [
            [.string("A"), .string("closed"), .bool(true)],
            [.string("B"), .string("open"), .bool(false)],
            [.string("B"), .string("closed"), .bool(false)],  // a later row with the same key replaces it
        ], keyField: 0, loadedKeys: loadedKeys)
    }

    @Test func rowsAndFieldsInBothEvaluators() throws {
        let p = try pack(table(loadedKeys: nil))
        #expect(p.program.lookups.first?.count == 2)
        for (code, score) in [("A", 110), ("B", 10), ("C", 1)] {
            let record = try p.decodeRecord(json: #"{"id": "M1", "code": "\#(code)"}"#)
            let compiled = p.makeEvaluator().evaluate(record)
            let reference = p.makeReferenceEvaluator().evaluate(p.namedRecord(record))
            #expect(compiled.score == Int64(score), "code \(code)")
            #expect(reference.score == compiled.score, "code \(code)")
            #expect(compiled.errors.isEmpty)
        }
    }

    /// A sweep loads only the keys its first pass saw; any other key is R0109, not "no row".
    @Test func aKeyTheTableWasNotLoadedForIsAnError() throws {
        let p = try pack(table(loadedKeys: [.string("A"), .string("B"), .string("C")]))
        let known = p.makeEvaluator().evaluate(try p.decodeRecord(json: #"{"id": "M1", "code": "C"}"#))
        #expect(known.errors.isEmpty && known.score == 1)
        let unknown = p.makeEvaluator().evaluate(try p.decodeRecord(json: #"{"id": "M2", "code": "D"}"#))
        #expect(unknown.errors.map(\.error.code) == [.lookupKeyNotLoaded, .lookupKeyNotLoaded, .lookupKeyNotLoaded])
        #expect(unknown.score == 0)
    }

    /// A recording table answers "no row" and remembers each key asked for.
    @Test func recordingTableCollectsKeys() throws {
        let p = try CompiledPack.compile(source: Source(path: "p.rules", text: LookupTableTests.text),
                                         lookups: .recording) { _ in "" }
        let e = p.makeEvaluator()
        for code in ["A", "B", "A"] { _ = e.evaluate(try p.decodeRecord(json: #"{"id": "M", "code": "\#(code)"}"#)) }
        let keys = p.program.lookups[0].recordedKeys.compactMap { v -> String? in
            if case .string(let s) = v { return s }
            return nil
        }
        #expect(keys.sorted() == ["A", "B"])
    }
}
