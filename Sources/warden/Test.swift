import ArgumentParser
import Foundation
import WardenEngine

struct Test: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the rule tests kept next to packs (NAME.tests beside NAME.rules).")

    @Argument(help: "Test files, or directories searched for *.tests.")
    var paths: [String]

    @Flag(name: .shortAndLong, help: "Print every passing test too.")
    var verbose = false

    func run() throws {
        let (files, missing) = PackFiles.find(paths, extension: "tests")
        var failed = !missing.isEmpty
        for m in missing { FileHandle.standardError.write(Data("error: no such file or directory: \(m)\n".utf8)) }
        var passed = 0, failures = 0
        for file in files {
            let pack = String(file.dropLast("tests".count)) + "rules"
            guard FileManager.default.fileExists(atPath: pack) else {
                print("FAIL \(file): no pack \(pack) next to it")
                failures += 1
                continue
            }
            let parsed: RuleTestFile
            do {
                parsed = try RuleTestFile.parse(path: file, text: try String(contentsOfFile: file, encoding: .utf8))
            } catch {
                print("FAIL \(error)")
                failures += 1
                continue
            }
            let report = RuleTestRunner.run(parsed, packPath: pack)
            if verbose {
                for c in parsed.cases where !report.failures.contains(where: { $0.test == c.name }) {
                    print("PASS \(file):\(c.line) \"\(c.name)\"")
                }
            }
            for f in report.failures { print(f.description) }
            passed += report.passed
            failures += report.failures.count
        }
        if files.isEmpty && missing.isEmpty {
            FileHandle.standardError.write(Data("error: no .tests files found\n".utf8))
            failed = true
        }
        print("\(passed) passed, \(failures) failed")
        if failed || failures > 0 { throw failure }
    }
}
