import ArgumentParser
import Foundation
import WardenEngine
import WardenSweep

struct Eval: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate JSON Lines records: one JSON decision per input line, in order.")

    @Option(help: "The rule pack.")
    var rules: String

    @Option(help: "JSON Lines input file, or '-' for stdin.")
    var input: String = "-"

    @Option(name: .customLong("param"), help: "Override a param: --param name=value (repeatable).")
    var params: [String] = []

    @Flag(help: "Include, for each hit, the field and let values its condition read.")
    var explain = false

    @Option(name: .customLong("lookup"), help: "The file of a lookup table the pack declares: --lookup registry=registry.csv (repeatable; loaded whole).")
    var lookups: [String] = []

    func run() throws {
        let pack: CompiledPack
        do {
            let params = try parseParams(params)
            var tables: [String: LookupTable] = [:]
            if !lookups.isEmpty {
                // The tables' field types come from the pack: check it first, then load them whole.
                let declared = try CompiledPack.load(path: rules, params: params, lookups: .empty, windows: true)
                do {
                    tables = try LookupLoader.loadWhole(declared, files: try parseLookups(lookups)).0
                } catch let error as SweepError {
                    FileHandle.standardError.write(Data("warden eval: \(error)\n".utf8))
                    throw failure
                }
            }
            pack = try CompiledPack.load(path: rules, params: params, lookups: .tables(tables), windows: true)
        } catch let error as PackError {
            FileHandle.standardError.write(Data(error.rendered.utf8))
            throw failure
        }
        let handle: FileHandle
        if input == "-" {
            handle = .standardInput
        } else {
            guard let h = FileHandle(forReadingAtPath: input) else {
                throw ValidationError("cannot open input file \(input)")
            }
            handle = h
        }
        var runner = JSONLinesRunner(pack: pack, explain: explain)
        let start = ContinuousClock.now
        try runner.run(input: handle, output: .standardOutput)
        let elapsed = ContinuousClock.now - start
        var counts = runner.actionCounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        if !runner.rejectCounts.isEmpty {
            counts += "; rejected by reject: "
                + runner.rejectCounts.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        }
        FileHandle.standardError.write(Data(
            "warden eval: \(runner.decisions) decisions (\(counts)), \(runner.rejected) rejected lines, \(elapsed.formatted(.units(allowed: [.milliseconds])))\n".utf8))
    }
}
