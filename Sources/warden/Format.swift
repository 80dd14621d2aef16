import ArgumentParser
import Foundation
import WardenEngine
import WardenLang

struct Format: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fmt", abstract: "Rewrite rule packs in canonical form (or check that they are).")

    @Argument(help: "Pack files, or directories searched for *.rules.")
    var paths: [String]

    @Flag(help: "Change nothing; exit 1 and list the packs that are not formatted.")
    var check = false

    func run() throws {
        let (files, missing) = PackFiles.find(paths, extension: "rules")
        var failed = !missing.isEmpty
        for m in missing { FileHandle.standardError.write(Data("error: no such file or directory: \(m)\n".utf8)) }
        for file in files {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                FileHandle.standardError.write(Data("error: cannot read \(file)\n".utf8))
                failed = true
                continue
            }
            let source = Source(path: file, text: text)
            let (formatted, diagnostics) = Formatter.format(source)
            guard let formatted else {
                FileHandle.standardError.write(Data(DiagnosticRenderer.text(diagnostics, in: source).utf8))
                failed = true
                continue
            }
            if formatted == text { continue }
            if check {
                print("not formatted: \(file)")
                failed = true
            } else {
                do {
                    try formatted.write(toFile: file, atomically: true, encoding: .utf8)
                    print("formatted: \(file)")
                } catch {
                    FileHandle.standardError.write(Data("error: cannot write \(file): \(error)\n".utf8))
                    failed = true
                }
            }
        }
        if failed { throw failure }
    }
}
