import Foundation
import Testing
@testable import WardenLang

/// The formatter is idempotent, keeps every comment, and changes no meaning (the formatted
/// pack parses to the same tree), on every shipped pack and every golden input.
@Suite struct FormatterTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static var packs: [String] {
        var out: [String] = []
        for dir in ["rules", "Tests/WardenLangTests/golden/format"] {
            let url = root.appendingPathComponent(dir)
            let files = (try? FileManager.default.contentsOfDirectory(atPath: url.path)) ?? []
            out += files.filter { $0.hasSuffix(".rules") }.map { dir + "/" + $0 }
        }
        return out.sorted()
    }

    @Test func thereArePacksToFormat() { #expect(Self.packs.count >= 2) }

    @Test(arguments: packs)
    func roundTrip(_ path: String) throws {
        let text = try String(contentsOf: Self.root.appendingPathComponent(path), encoding: .utf8)
        let original = Source(path: path, text: text)
        let (formatted, diagnostics) = Formatter.format(original)
        let once = try #require(formatted, "\(diagnostics.map(\.message))")
        let (twice, _) = Formatter.format(Source(path: path, text: once))
        #expect(twice == once, "formatting twice changed \(path)")
        let (before, _) = Parser.parse(original)
        let (after, afterDiagnostics) = Parser.parse(Source(path: path, text: once))
        #expect(afterDiagnostics.isEmpty)
        #expect(before.dump() == after.dump(), "formatting changed the meaning of \(path)")
        #expect(before.comments.map(\.text).sorted() == after.comments.map(\.text).sorted(), "a comment was lost")
    }

    /// Golden: `golden/format/NAME.rules` formats to `NAME.formatted`.
    @Test func goldenLayout() throws {
        let dir = Self.root.appendingPathComponent("Tests/WardenLangTests/golden/format")
        let input = try String(contentsOf: dir.appendingPathComponent("messy.rules"), encoding: .utf8)
        let (formatted, _) = Formatter.format(Source(path: "messy.rules", text: input))
        let expectedURL = dir.appendingPathComponent("messy.formatted")
        if ProcessInfo.processInfo.environment["WARDEN_RECORD"] != nil {
            try formatted?.write(to: expectedURL, atomically: true, encoding: .utf8)
            Issue.record("recorded messy.formatted")
        }
        #expect(formatted == (try String(contentsOf: expectedURL, encoding: .utf8)))
    }

    @Test func unparsableTextIsNotFormatted() {
        let (formatted, diagnostics) = Formatter.format(Source(path: "x", text: "package x\nrule A \"a\" when (\n"))
        #expect(formatted == nil)
        #expect(!diagnostics.isEmpty)
    }
}
