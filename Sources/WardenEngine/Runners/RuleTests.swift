import Foundation
import WardenLang

/// Rule tests kept next to a pack (`NAME.tests` beside `NAME.rules`): records in, expected
/// decisions out. The format is in Documentation/Language.md ("Rule tests").
public struct RuleTestFile: Sendable {
    public struct Case: Sendable {
        public var name: String
        public var line: Int
        public var input: JSONValue = .object([])
        public var params: [String: String] = [:]
        /// `window NAME = VALUE`: the event's window values (JSON: a number, or a decimal string);
        /// windows not named are 0.
        public var windows: [String: JSONValue] = [:]
        public var expectations: [Expectation] = []
    }

    public enum Expectation: Sendable, Equatable {
        case action(String)
        case score(Int64)
        case hits([String])
        case hit(String)
        case noHit(String)
        case emit(output: String, columns: JSONValue)
        case error(field: String)
        /// `expect reject CODE`: a `reject CODE when …` rejects the record.
        case reject(String)
    }

    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public let path: String
        public let line: Int
        public let message: String
        public var description: String { "\(path):\(line): \(message)" }
    }

    public let path: String
    public var base: JSONValue = .object([])
    public var cases: [Case] = []
    /// `row LOOKUP {…}`: the rows of the pack's lookup tables, shared by every test of the file
    /// (a lookup with no rows is an empty table: every key misses).
    public var lookupRows: [(lookup: String, line: Int, row: JSONValue)] = []

    /// Parses a tests file.
    public static func parse(path: String, text: String) throws(SyntaxError) -> RuleTestFile {
        var file = RuleTestFile(path: path)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var i = 0
        func fail(_ message: String) -> SyntaxError { SyntaxError(path: path, line: i + 1, message: message) }
        /// Reads a JSON object starting in `rest`, continuing on the next lines until braces balance.
        func readJSON(_ rest: String) throws(SyntaxError) -> JSONValue {
            var text = rest
            let startLine = i
            while !balanced(text) {
                i += 1
                guard i < lines.count else {
                    i = startLine
                    throw fail("unterminated JSON object")
                }
                text += "\n" + stripComment(lines[i])
            }
            do {
                return try JSONParser.parse(text)
            } catch {
                throw SyntaxError(path: path, line: startLine + error.line, message: "invalid JSON: \(error.message)")
            }
        }
        while i < lines.count {
            let line = stripComment(lines[i]).trimmingCharacters(in: .whitespaces)
            defer { i += 1 }
            if line.isEmpty || line.hasPrefix("#") { continue }
            let (word, rest) = split(line)
            switch word {
            case "base":
                file.base = try readJSON(rest)
            case "row":
                let (lookup, json) = split(rest)
                guard !lookup.isEmpty, json.hasPrefix("{") else { throw fail("expected row LOOKUP {JSON object}") }
                let line = i + 1
                file.lookupRows.append((lookup, line, try readJSON(json)))
            case "test":
                guard rest.hasPrefix("\""), rest.hasSuffix("\""), rest.count >= 2 else {
                    throw fail("expected test \"NAME\"")
                }
                file.cases.append(Case(name: String(rest.dropFirst().dropLast()), line: i + 1))
            case "input", "param", "window", "expect":
                guard !file.cases.isEmpty else { throw fail("'\(word)' before any 'test'") }
                let n = file.cases.count - 1
                if word == "input" {
                    file.cases[n].input = try readJSON(rest)
                } else if word == "window" {
                    guard let eq = rest.firstIndex(of: "=") else { throw fail("expected window NAME = VALUE") }
                    let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
                    let value = rest[rest.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                    do {
                        file.cases[n].windows[key] = try JSONParser.parse(value)
                    } catch {
                        throw fail("window \(key): expected a number or a decimal string, got '\(value)'")
                    }
                } else if word == "param" {
                    guard let eq = rest.firstIndex(of: "=") else { throw fail("expected param NAME = VALUE") }
                    let key = rest[..<eq].trimmingCharacters(in: .whitespaces)
                    let value = rest[rest.index(after: eq)...].trimmingCharacters(in: .whitespaces)
                    file.cases[n].params[key] = value
                } else {
                    file.cases[n].expectations.append(try parseExpectation(rest, fail, readJSON))
                }
            default:
                throw fail("expected base, row, test, input, param, window or expect, found '\(word)'")
            }
        }
        return file
    }

    /// The line without a trailing `# comment` (a `#` inside a JSON string stays).
    static func stripComment(_ line: String) -> String {
        var inString = false, escaped = false
        for (offset, c) in line.unicodeScalars.enumerated() {
            if inString {
                if escaped { escaped = false } else if c == "\\" { escaped = true } else if c == "\"" { inString = false }
            } else if c == "\"" {
                inString = true
            } else if c == "#" {
                return String(String.UnicodeScalarView(line.unicodeScalars.prefix(offset)))
            }
        }
        return line
    }

    static func split(_ s: String) -> (String, String) {
        guard let space = s.firstIndex(where: { $0 == " " || $0 == "\t" }) else { return (s, "") }
        return (String(s[..<space]), s[space...].trimmingCharacters(in: .whitespaces))
    }

    static func parseExpectation(_ text: String, _ fail: (String) -> SyntaxError,
                                 _ readJSON: (String) throws(SyntaxError) -> JSONValue) throws(SyntaxError) -> Expectation {
        let (word, rest) = split(text)
        switch word {
        case "action":
            guard !rest.isEmpty else { throw fail("expected: expect action NAME") }
            return .action(rest)
        case "score":
            guard let n = Int64(rest) else { throw fail("expected: expect score N") }
            return .score(n)
        case "hits":
            return .hits(rest.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init))
        case "hit":
            guard !rest.isEmpty else { throw fail("expected: expect hit RULE") }
            return .hit(rest)
        case "no":
            let (h, rule) = split(rest)
            guard h == "hit", !rule.isEmpty else { throw fail("expected: expect no hit RULE") }
            return .noHit(rule)
        case "emit":
            let (output, json) = split(rest)
            guard !output.isEmpty, json.hasPrefix("{") else { throw fail("expected: expect emit OUTPUT {columns}") }
            return .emit(output: output, columns: try readJSON(json))
        case "error":
            guard !rest.isEmpty else { throw fail("expected: expect error FIELD") }
            return .error(field: rest)
        case "reject":
            guard !rest.isEmpty, !rest.contains(" ") else { throw fail("expected: expect reject CODE") }
            return .reject(rest)
        default:
            throw fail("unknown expectation '\(word)' (action, score, hits, hit, no hit, emit, error, reject)")
        }
    }

    /// True when every `{` outside strings has its `}`.
    static func balanced(_ text: String) -> Bool {
        var depth = 0, inString = false, escaped = false
        for b in text.utf8 {
            if inString {
                if escaped { escaped = false } else if b == UInt8(ascii: "\\") { escaped = true } else if b == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch b {
            case UInt8(ascii: "\""): inString = true
            case UInt8(ascii: "{"), UInt8(ascii: "["): depth += 1
            case UInt8(ascii: "}"), UInt8(ascii: "]"): depth -= 1
            default: break
            }
        }
        return depth <= 0
    }
}

/// Runs rule tests against their pack with both evaluators.
public enum RuleTestRunner {
    public struct Failure: Sendable, CustomStringConvertible {
        public let location: String
        public let test: String
        public let problems: [String]
        public var description: String {
            "FAIL \(location) \"\(test)\"\n" + problems.map { "     \($0)" }.joined(separator: "\n")
        }
    }

    public struct Report: Sendable {
        public var passed = 0
        public var failures: [Failure] = []
    }

    /// Runs every case of `file` against the pack at `packPath`. A pack that does not load
    /// fails every case with its diagnostics.
    public static func run(_ file: RuleTestFile, packPath: String) -> Report {
        var report = Report()
        var packs: [[String: String]: Swift.Result<CompiledPack, PackError>] = [:]
        let tables: [String: LookupTable]
        do {
            tables = try lookupTables(file, packPath: packPath)
        } catch {
            for c in file.cases {
                report.failures.append(Failure(location: "\(file.path):\(c.line)", test: c.name, problems: [error.message]))
            }
            return report
        }
        for c in file.cases {
            let location = "\(file.path):\(c.line)"
            let loaded: Swift.Result<CompiledPack, PackError>
            if let cached = packs[c.params] {
                loaded = cached
            } else {
                do throws(PackError) {
                    loaded = .success(try CompiledPack.load(path: packPath, params: c.params, lookups: .tables(tables),
                                                            windows: true))
                } catch {
                    loaded = .failure(error)
                }
                packs[c.params] = loaded
            }
            let pack: CompiledPack
            switch loaded {
            case .success(let p): pack = p
            case .failure(let e):
                report.failures.append(Failure(location: location, test: c.name,
                                               problems: ["the pack does not load:\n" + e.rendered]))
                continue
            }
            let problems = check(c, base: file.base, pack: pack)
            if problems.isEmpty {
                report.passed += 1
            } else {
                report.failures.append(Failure(location: location, test: c.name, problems: problems))
            }
        }
        return report
    }

    struct RowError: Error {
        let message: String
    }

    /// The file's `row` lines as one table per lookup the pack declares (empty where none).
    /// A pack that does not load leaves this to the per-case load, which reports it.
    static func lookupTables(_ file: RuleTestFile, packPath: String) throws(RowError) -> [String: LookupTable] {
        // A pack that does not load is reported by each case's own load, with its diagnostics.
        guard let pack = try? CompiledPack.load(path: packPath, lookups: .empty, windows: true) else { return [:] }
        let lookups = pack.checked.lookups
        var rows: [String: [[Value]]] = [:]
        for (name, line, json) in file.lookupRows {
            guard let lookup = lookups.first(where: { $0.name == name }) else {
                throw RowError(message: "\(file.path):\(line): the pack declares no lookup '\(name)'")
            }
            guard case .object(let members) = json else { throw RowError(message: "\(file.path):\(line): a row is a JSON object") }
            var values: [Value] = []
            for f in lookup.fields {
                do throws(RecordError) {
                    values.append(try pack.decodeValue(members.first { $0.key == f.name }?.value ?? .null, as: f.type, field: f.name))
                } catch {
                    throw RowError(message: "\(file.path):\(line): row \(name): '\(f.name)' \(error.reason)")
                }
            }
            for (k, _) in members where !lookup.fields.contains(where: { $0.name == k }) {
                throw RowError(message: "\(file.path):\(line): lookup '\(name)' has no field '\(k)'")
            }
            rows[name, default: []].append(values)
        }
        var tables: [String: LookupTable] = [:]
        for l in lookups {
            var list = rows[l.name] ?? []
            // As a sweep loads them: `latest by` keeps the greatest value, a later row a tie.
            if let by = l.latestBy {
                // A stable sort: rows with equal values keep their file order (the later wins).
                list = list.enumerated().sorted { a, b in
                    LookupTable.precedes(a.element[by], b.element[by])
                        || (!LookupTable.precedes(b.element[by], a.element[by]) && a.offset < b.offset)
                }.map(\.element)
            }
            tables[l.name] = LookupTable(name: l.name, fieldCount: l.fields.count, rows: list, keyField: l.key, loadedKeys: nil)
        }
        return tables
    }

    static func merge(_ base: JSONValue, _ input: JSONValue) -> JSONValue {
        guard case .object(var members) = base, case .object(let overrides) = input else { return input }
        for (k, v) in overrides {
            if let i = members.firstIndex(where: { $0.key == k }) { members[i].value = v } else { members.append((k, v)) }
        }
        return .object(members)
    }

    static func check(_ c: RuleTestFile.Case, base: JSONValue, pack: CompiledPack) -> [String] {
        let program = pack.program
        let record: Record
        do throws(RecordError) {
            record = try pack.decodeRecord(merge(base, c.input))
        } catch {
            for e in c.expectations {
                if case .error(let field) = e, field == error.field { return [] }
            }
            return ["the input was rejected: \(error.field.map { "field '\($0)' " } ?? "")\(error.reason)"]
        }
        var problems: [String] = []
        var windows: [Value] = []
        for w in program.windows {
            let type = w.type
            guard let given = c.windows[w.name] else {
                windows.append(w.zero)
                continue
            }
            do throws(RecordError) {
                windows.append(try pack.decodeValue(given, as: type, field: w.name))
            } catch {
                return ["window \(w.name): \(error.reason)"]
            }
        }
        for name in c.windows.keys.sorted() where !program.windows.contains(where: { $0.name == name }) {
            return ["the pack has no window '\(name)'"]
        }
        let d = pack.makeEvaluator().evaluate(record, windows: windows)
        let reference = pack.makeReferenceEvaluator().evaluate(pack.namedRecord(record), windows: windows)
        if d != reference {
            problems.append("the compiled and reference evaluators disagree (a Warden bug): "
                            + "compiled \(summary(d, pack)), reference \(summary(reference, pack))")
        }
        let hitIDs = d.hits.map { program.rules[$0.rule].id }
        let rejectedBy = pack.rejectCode(d)
        let expectedRejects = c.expectations.compactMap { e -> String? in
            if case .reject(let code) = e { return code }
            return nil
        }
        if let code = rejectedBy, expectedRejects.isEmpty {
            let line = pack.source.location(of: Int(pack.checked.rejects[d.reject!].span.start)).line
            // No rule ran: the other expectations would only repeat this.
            return problems + ["the record was rejected by 'reject \(code) when …' (line \(line)), so no rule ran; "
                               + "write 'expect reject \(code)' if that is intended"]
        }
        for e in d.errors {
            problems.append("rule \(pack.errorSource(e)) failed: \(e.error.code.rawValue) \(e.error.message)")
        }
        for e in c.expectations {
            switch e {
            case .action(let a):
                if pack.actionName(d) != a {
                    problems.append("expected action \(a), got \(pack.actionName(d)) (score \(d.score), hits: \(list(hitIDs)))")
                }
            case .score(let s):
                if d.score != s { problems.append("expected score \(s), got \(d.score) (hits: \(list(hitIDs)))") }
            case .hits(let expected):
                if Set(expected) != Set(hitIDs) {
                    let missing = expected.filter { !hitIDs.contains($0) }
                    let extra = hitIDs.filter { !expected.contains($0) }
                    problems.append("expected hits \(list(expected)), got \(list(hitIDs))"
                                    + (missing.isEmpty ? "" : "; did not hit: \(list(missing))")
                                    + (extra.isEmpty ? "" : "; also hit: \(list(extra))"))
                }
            case .hit(let r):
                if !program.rules.contains(where: { $0.id == r }) {
                    problems.append("expect hit \(r): the pack has no rule \(r)")
                } else if !hitIDs.contains(r) {
                    problems.append("expected rule \(r) to hit; hits: \(list(hitIDs))")
                }
            case .noHit(let r):
                if !program.rules.contains(where: { $0.id == r }) {
                    problems.append("expect no hit \(r): the pack has no rule \(r)")
                } else if hitIDs.contains(r) {
                    problems.append("expected rule \(r) not to hit, but it did")
                }
            case .emit(let output, let columns):
                if !emitted(d, output: output, columns: columns, pack: pack) {
                    let got = d.emits.filter { program.outputs[$0.output].name == output }.count
                    problems.append("expected an emit to \(output) with \(jsonText(columns)); \(got) emit(s) to \(output), none matching")
                }
            case .error(let field):
                problems.append("expected the input to be rejected naming field '\(field)', but it was accepted")
            case .reject(let code):
                if !pack.checked.rejects.contains(where: { r in
                    if case .condition = r.check { return r.code == code }
                    return false
                }) {
                    problems.append("expect reject \(code): the pack has no 'reject \(code) when …'")
                } else if let got = rejectedBy {
                    if got != code { problems.append("expected the record to be rejected with \(code), but \(got) rejected it") }
                } else {
                    problems.append("expected the record to be rejected with \(code), but it was accepted (hits: \(list(hitIDs)))")
                }
            }
        }
        return problems
    }

    static func list(_ ids: [String]) -> String { ids.isEmpty ? "none" : ids.joined(separator: ", ") }

    static func summary(_ d: Decision, _ pack: CompiledPack) -> String {
        "\(pack.actionName(d))/\(d.score)/[\(d.hits.map { pack.program.rules[$0.rule].id }.joined(separator: ","))]"
    }

    static func jsonText(_ v: JSONValue) -> String {
        var w = JSONWriter()
        w.write(v)
        return w.string
    }

    /// True when some emit to `output` has every given column with the given value.
    static func emitted(_ d: Decision, output: String, columns: JSONValue, pack: CompiledPack) -> Bool {
        guard case .object(let wanted) = columns else { return false }
        return d.emits.contains { e in
            let o = pack.program.outputs[e.output]
            guard o.name == output else { return false }
            return wanted.allSatisfy { (k, v) in
                guard let i = o.columns.firstIndex(where: { $0.name == k }) else { return false }
                var w = JSONWriter()
                ValueText.writeJSON(e.values[i], o.columns[i].type, zone: pack.program.zone, into: &w)
                let actual = (try? JSONParser.parse(w.string)) ?? .null
                return actual == v || jsonText(actual) == jsonText(v)
                    || { if case .number(let n) = v, case .string(let s) = actual { return n == s }; return false }()
            }
        }
    }
}
