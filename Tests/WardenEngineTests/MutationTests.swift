import Foundation
import Testing
import WardenEngine
import WardenLang

/// A bounded mutation fuzz of the whole front end: shipped packs and golden inputs, mutated
/// many ways (bytes deleted, duplicated, swapped; tokens and odd characters inserted), go
/// through parse, check, compile and format. Nothing may crash; a mutant that formats must
/// format idempotently; a mutant that compiles must evaluate a record without trapping.
/// Deterministic (fixed seed); `WARDEN_FUZZ_SECONDS` sets the time budget (default 10 s).
@Suite struct MutationTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static let mutator = ByteMutator(fragments: [
        "(", ")", "[", "]", "{", "}", "\"", "/", "..", "??", "?", ".", ",", ":", "=", "==", "<", ">=", "-", "+", "*",
        " and ", " or ", " not ", " in ", " matches /", " is null", " is not null", "rule X \"x\"", " when ",
        " score ", " action block", " emit out { a: 1 }", " decide ", "let q = ", "input t { a: int }", "package p",
        "2022-02-30", "9223372036854775807", "1.23456", "24h", "5w", "\\", "#", "\n", "赌", "（", "\u{3000}", "\u{0}",
        "enum(a, b)", "list<", "map<string,", "hour(", "days_between(", "valid_uscc(", "x[", "].y", "@key",
    ].map { Array($0.utf8) }, maxEdits: 4)

    static func corpus() -> [String] {
        var texts: [String] = []
        for dir in ["rules", "Tests/WardenLangTests/golden/diagnostics", "Tests/WardenLangTests/golden/format"] {
            let url = root.appendingPathComponent(dir)
            for f in ((try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []).sorted() where f.hasSuffix(".rules") {
                if let t = try? String(contentsOf: url.appendingPathComponent(f), encoding: .utf8) { texts.append(t) }
            }
        }
        return texts
    }

    @Test func frontEndSurvivesMutations() throws {
        let budget = Double(ProcessInfo.processInfo.environment["WARDEN_FUZZ_SECONDS"] ?? "") ?? 10
        let corpus = Self.corpus()
        try #require(!corpus.isEmpty)
        var g = SplitMix64(state: 20261125)
        let deadline = Date().addingTimeInterval(budget)
        var runs = 0, compiled = 0
        while Date() < deadline {
            let text = String(decoding: Self.mutator.mutate(Array(corpus[runs % corpus.count].utf8), using: &g), as: UTF8.self)
            runs += 1
            let source = Source(path: "mutant.rules", text: text)
            if let formatted = Formatter.format(source).0 {
                let again = Formatter.format(Source(path: "mutant.rules", text: formatted)).0
                #expect(again == formatted, "formatting is not idempotent for mutant \(runs):\n\(text)")
            }
            guard let pack = try? CompiledPack.compile(source: source, readFile: { _ in "A1\nA2\n" }) else { continue }
            compiled += 1
            // Evaluate a record of default values: no trap, whatever the rules say.
            let record = Record(values: pack.program.fields.map { Self.sample($0.type) })
            _ = pack.makeEvaluator().evaluate(record, explain: true)
        }
        #expect(runs > 100)
        print("mutation fuzz: \(runs) mutants, \(compiled) compiled and evaluated, \(budget) s")
    }

    static func sample(_ t: ValueType) -> Value {
        switch t {
        case .optional: return .null
        case .int, .date, .timestamp, .duration, .enumeration: return .int(0)
        case .decimal: return .money(Money(raw: 12_345))
        case .bool: return .bool(true)
        case .string: return .string("赌 casino A1")
        case .list: return .list([])
        default: return .null
        }
    }
}
