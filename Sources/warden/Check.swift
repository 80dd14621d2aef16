import ArgumentParser
import Foundation
import WardenEngine
import WardenLang

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Parse, type-check and compile rule packs; print every problem found.")

    enum OutputFormat: String, ExpressibleByArgument { case text, json }

    @Argument(help: "Pack files, or directories searched for *.rules.")
    var paths: [String]

    @Option(help: "Diagnostics as 'text' or 'json'.")
    var format: OutputFormat = .text

    @Option(name: .customLong("param"), help: "Override a param: --param name=value (repeatable).")
    var params: [String] = []

    func run() throws {
        let (files, missing) = PackFiles.find(paths, extension: "rules")
        let overrides = try parseParams(params)
        var failed = !missing.isEmpty
        for m in missing { FileHandle.standardError.write(Data("error: no such file or directory: \(m)\n".utf8)) }
        var all: [(Diagnostic, Source)] = []
        for file in files {
            do throws(PackError) {
                // Lookup tables and window state are data given at run time: check the pack
                // against empty tables and window values the caller would supply.
                let pack = try CompiledPack.load(path: file, params: overrides, lookups: .empty, windows: true)
                all.append(contentsOf: pack.warnings.map { ($0, pack.source) })
                if format == .text {
                    FileHandle.standardError.write(Data(DiagnosticRenderer.text(pack.warnings, in: pack.source).utf8))
                    print("ok: \(file) (\(pack.program.rules.count) rules)")
                }
            } catch {
                failed = true
                all.append(contentsOf: error.diagnostics.map { ($0, error.source) })
                if format == .text {
                    FileHandle.standardError.write(Data(error.rendered.utf8))
                    let errors = error.diagnostics.filter { $0.severity == .error }.count
                    FileHandle.standardError.write(Data("\(file): \(max(errors, 1)) error\(errors == 1 ? "" : "s")\n".utf8))
                }
            }
        }
        if format == .json { print(DiagnosticRenderer.json(all)) }
        if files.isEmpty && missing.isEmpty {
            FileHandle.standardError.write(Data("error: no .rules files found\n".utf8))
            failed = true
        }
        if failed { throw failure }
    }
}
