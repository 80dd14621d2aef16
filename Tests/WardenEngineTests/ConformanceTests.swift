import Foundation
import Testing
import WardenEngine
import WardenLang

/// The conformance suite: expression cases as data (`Conformance/*.cases`), each run through
/// the reference tree-walker and the compiled VM (with and without constant folding). All
/// three must give the expected value or error.
///
/// A case whose line starts with `reject` is a set of declarations rather than an expression
/// (see `rejects.cases`): it is added to the prelude with a rule `SEEN` that hits every record
/// the rules see, and the outcome is the whole record's: `accept score N`, or
/// `reject CODE #INDEX [error RXXXX]`.
@Suite struct ConformanceTests {
    struct Case: CustomTestStringConvertible, Sendable {
        let file: String
        let line: Int
        let expression: String
        let with: String?
        let expected: String
        var testDescription: String { "\(file):\(line) \(expression)" }
    }

    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Conformance")

    static let prelude = """
        package conformance
        zone "Asia/Shanghai"
        input event {
          i: int
          j: int
          n: int?
          d: decimal
          dn: decimal?
          s: string
          sn: string?
          e: string
          b: bool
          bn: bool?
          day: date
          ts: timestamp
          tsn: timestamp?
          dur: duration
          ch: enum(alipay, wechat, unionpay)
          tags: list<string>
          nums: list<int>
        }
        const fruits = ["apple", "banana"]
        const reasons: map<string, string> = {"注销": "DEREGISTERED", "吊销": "REVOKED"}
        list blocked from "lists/blocked.txt"
        param limit: decimal = 100.00

        """

    static let defaults = """
        {"i": 7, "j": -3, "n": null, "d": "10.50", "dn": null, "s": "Hello, 世界", "sn": null, "e": "",
         "b": true, "bn": null, "day": "2022-12-31", "ts": "2024-03-01 02:10:00", "tsn": null, "dur": 3600,
         "ch": "wechat", "tags": ["vip", "new"], "nums": [1, 2, 3]}
        """

    static let cases: [Case] = {
        var out: [Case] = []
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".cases") }.sorted()
        for file in files {
            let text = (try? String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)) ?? ""
            var expression: (String, Int)? = nil
            var with: String? = nil
            for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                let line = String(raw)
                let trimmed = line.trimmingCharacters(in: .whitespaces)
                if trimmed.isEmpty || trimmed.hasPrefix("#") { continue }
                if !line.hasPrefix(" ") && !line.hasPrefix("\t") {
                    expression = (line, n + 1)
                    with = nil
                } else if trimmed.hasPrefix("with ") {
                    with = String(trimmed.dropFirst(5))
                } else if trimmed.hasPrefix("=>"), let (e, l) = expression {
                    out.append(Case(file: file, line: l, expression: e, with: with,
                                    expected: trimmed.dropFirst(2).trimmingCharacters(in: .whitespaces)))
                    expression = nil
                }
            }
        }
        return out
    }()

    @Test func suiteIsLarge() {
        #expect(Self.cases.count >= 150)
    }

    static func isDeclarations(_ c: Case) -> Bool { c.expression.hasPrefix("reject ") }

    static func load(_ c: Case, fold: Bool) -> Swift.Result<CompiledPack, PackError> {
        let body = isDeclarations(c) ? c.expression + "\nrule SEEN \"every record the rules see\" when true score 1\n"
                                     : "let result = " + c.expression + "\n"
        let source = Source(path: "conformance", text: prelude + body)
        do throws(PackError) {
            return .success(try CompiledPack.compile(source: source, fold: fold) { file in
                try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            })
        } catch {
            return .failure(error)
        }
    }

    static func record(_ c: Case, _ pack: CompiledPack) throws -> Record {
        var json = try JSONParser.parse(defaults)
        if let w = c.with, case .object(var members) = json, case .object(let overrides) = try JSONParser.parse(w) {
            for (k, v) in overrides {
                if let i = members.firstIndex(where: { $0.key == k }) { members[i].value = v } else { members.append((k, v)) }
            }
            json = .object(members)
        }
        return try pack.decodeRecord(json)
    }

    /// The outcome rendered as the case format writes it: a canonical value or `error CODE`.
    static func outcome(_ c: Case, fold: Bool, reference: Bool) throws -> String {
        let pack: CompiledPack
        switch load(c, fold: fold) {
        case .failure(let e):
            let errors = e.diagnostics.filter { $0.severity == .error }
            // A constant expression that fails at compile time reports the runtime code as its label.
            if let first = errors.first, first.code == .constantArithmetic,
               let code = first.message.firstMatch(of: /\((R\d{4})\)/)?.1 {
                return "error E0418 \(code)"
            }
            return "error " + errors.map(\.code.rawValue).joined(separator: " ")
        case .success(let p): pack = p
        }
        if isDeclarations(c) { return try recordOutcome(c, pack, reference: reference) }
        let letIndex = pack.program.lets.firstIndex { $0.name == "result" }!
        let type = pack.checked.lets[letIndex].type
        let record = try record(c, pack)
        do throws(EvalError) {
            let v = reference ? try pack.makeReferenceEvaluator().evaluateLet("result", record: pack.namedRecord(record))
                              : try pack.makeEvaluator().evaluateLet(letIndex, record: record)
            return ValueText.canonical(v, type, zone: pack.program.zone)
        } catch {
            return "error \(error.code.rawValue)"
        }
    }

    /// A whole record's outcome: rejected (by which reject, with which error) or accepted (with
    /// the score, so rules that ran show). Breaks of the reject contract are appended, so they
    /// fail the case: a rejected decision has no hits, emits or score and action −1, and
    /// `firstRejection` agrees with `evaluate`.
    static func recordOutcome(_ c: Case, _ pack: CompiledPack, reference: Bool) throws -> String {
        let record = try record(c, pack)
        let d: Decision, first: Int?
        if reference {
            let evaluator = pack.makeReferenceEvaluator()
            d = evaluator.evaluate(pack.namedRecord(record))
            first = evaluator.firstRejection(pack.namedRecord(record))
        } else {
            let evaluator = pack.makeEvaluator()
            d = evaluator.evaluate(record)
            first = evaluator.firstRejection(record)
        }
        var out: String
        if let k = d.reject {
            out = "reject \(pack.checked.rejects[k].code) #\(k)"
            if !d.errors.isEmpty { out += " error " + d.errors.map(\.error.code.rawValue).joined(separator: " ") }
            if !d.hits.isEmpty || !d.emits.isEmpty || d.score != 0 || d.action != -1 { out += " (but rules ran)" }
            if d.errors.contains(where: { $0.rejectIndex != k }) { out += " (error not under its reject)" }
        } else {
            out = "accept score \(d.score)"
            if !d.errors.isEmpty { out += " error " + d.errors.map(\.error.code.rawValue).joined(separator: " ") }
        }
        if first != d.reject { out += " (firstRejection \(first.map(String.init) ?? "nil"))" }
        return out
    }

    /// An expected `E0418` (a constant expression that fails when folded) is, without
    /// folding, the runtime error the folded run names.
    static func matches(_ outcome: String, _ expected: String, folded: Bool = true) -> Bool {
        if expected == "error E0418" && !folded { return outcome.hasPrefix("error R01") }
        if expected.hasPrefix("error ") && outcome.hasPrefix("error ") {
            return outcome.dropFirst(6).split(separator: " ").contains(Substring(expected.dropFirst(6)))
        }
        return outcome == expected
    }

    @Test(arguments: cases)
    func conformance(_ c: Case) throws {
        let reference = try Self.outcome(c, fold: true, reference: true)
        let compiled = try Self.outcome(c, fold: true, reference: false)
        let unfolded = try Self.outcome(c, fold: false, reference: false)
        #expect(Self.matches(reference, c.expected), "reference evaluator: got \(reference), expected \(c.expected)")
        #expect(Self.matches(compiled, c.expected), "compiled VM: got \(compiled), expected \(c.expected)")
        #expect(Self.matches(unfolded, c.expected, folded: false), "compiled VM without folding: got \(unfolded), expected \(c.expected)")
    }
}
