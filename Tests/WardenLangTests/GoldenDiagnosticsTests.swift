import Foundation
import Testing
import WardenEngine
import WardenLang

/// Golden diagnostics: each `golden/diagnostics/NAME.rules` is loaded as a pack (parse, check,
/// compile) and its rendered diagnostics must equal `NAME.expected` exactly.
/// Re-record with `WARDEN_RECORD=1 swift test --filter GoldenDiagnostics` (a recording run fails
/// on purpose, so it never passes silently); review the diff before committing.
@Suite struct GoldenDiagnosticsTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("golden/diagnostics")

    static var cases: [String] {
        let files = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
        return files.filter { $0.hasSuffix(".rules") }.map { String($0.dropLast(6)) }.sorted()
    }

    /// Renders what `warden check` prints for a pack, with the path shown relative.
    static func render(_ name: String) throws -> String {
        let url = directory.appendingPathComponent(name + ".rules")
        let text = try String(contentsOf: url, encoding: .utf8)
        let source = Source(path: "golden/diagnostics/\(name).rules", text: text)
        // `# params: k=v k2=v2` passes param overrides, as `--param` does.
        var params: [String: String] = [:]
        for line in text.split(separator: "\n") where line.hasPrefix("# params:") {
            for pair in line.dropFirst(9).split(separator: " ") {
                let kv = pair.split(separator: "=", maxSplits: 1)
                if kv.count == 2 { params[String(kv[0])] = String(kv[1]) }
            }
        }
        do throws(PackError) {
            let pack = try CompiledPack.compile(source: source, params: params) { file in
                try String(contentsOf: directory.appendingPathComponent(file), encoding: .utf8)
            }
            return DiagnosticRenderer.text(pack.warnings, in: source)
        } catch {
            return error.rendered
        }
    }

    @Test func thereAreEnoughCases() {
        #expect(Self.cases.count >= 30)
    }

    @Test(arguments: cases)
    func diagnostics(_ name: String) throws {
        let actual = try Self.render(name)
        let expectedURL = Self.directory.appendingPathComponent(name + ".expected")
        if ProcessInfo.processInfo.environment["WARDEN_RECORD"] != nil {
            try actual.write(to: expectedURL, atomically: true, encoding: .utf8)
            Issue.record("recorded \(name).expected; rerun without WARDEN_RECORD")
            return
        }
        let expected = try String(contentsOf: expectedURL, encoding: .utf8)
        #expect(actual == expected, "diagnostics of \(name).rules changed")
        #expect(!actual.isEmpty, "\(name).rules should report at least one error")
    }

    /// Every code a case expects (`# expect: E0402` on the first line) is reported.
    @Test(arguments: cases)
    func expectedCodeIsReported(_ name: String) throws {
        let text = try String(contentsOf: Self.directory.appendingPathComponent(name + ".rules"), encoding: .utf8)
        let codes = text.split(separator: "\n").filter { $0.hasPrefix("# expect:") }
            .flatMap { $0.dropFirst(9).split(separator: " ").map(String.init) }
        let rendered = try Self.render(name)
        for code in codes { #expect(rendered.contains("[\(code)]"), "\(name): \(code) not reported") }
    }

    /// The catalog's codes are distinct and each one is exercised by some golden case.
    @Test func catalogCoverage() throws {
        var covered = Set<String>()
        for name in Self.cases { covered.formUnion(try Self.render(name).matches(of: /\[(E\d{4})\]/).map { String($0.1) }) }
        let uncovered = DiagnosticCode.allCases.map(\.rawValue).filter { !covered.contains($0) }
        #expect(uncovered.isEmpty, "codes no golden case produces: \(uncovered.joined(separator: ", "))")
    }
}
