import ArgumentParser

/// The `warden` command: thin argument parsing over the library targets.
@main
struct Warden: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warden",
        abstract: "Rules-driven risk and compliance engine for payment platforms.",
        subcommands: [Check.self, Format.self, Eval.self, Test.self, SweepCommand.self, Notify.self, Serve.self])
}

/// Exit status 1: the command ran and found problems (invalid pack, failing test).
let failure = ExitCode(1)

/// Parses repeated `--param key=value` options.
/// `--lookup NAME=FILE` options, by name.
func parseLookups(_ items: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex, item.index(after: eq) != item.endIndex else {
            throw ValidationError("--lookup expects NAME=FILE, got '\(item)'")
        }
        out[String(item[..<eq])] = String(item[item.index(after: eq)...])
    }
    return out
}

func parseParams(_ items: [String]) throws -> [String: String] {
    var out: [String: String] = [:]
    for item in items {
        guard let eq = item.firstIndex(of: "="), eq != item.startIndex else {
            throw ValidationError("--param expects key=value, got '\(item)'")
        }
        out[String(item[..<eq])] = String(item[item.index(after: eq)...])
    }
    return out
}
