import Foundation
import WardenLang

/// A rule pack loaded from disk, checked and compiled: immutable and `Sendable`, so one
/// instance serves every thread. Make an `Evaluator` per thread with `makeEvaluator()`.
///
/// ```swift
/// let pack = try CompiledPack.load(path: "rules/payments.rules", params: ["night_large_amount": "60000"])
/// let evaluator = pack.makeEvaluator()
/// let record = try pack.decodeRecord(json: #"{"txn_id": "T1", "amount": "120.00", …}"#)
/// let decision = evaluator.evaluate(record)
/// print(pack.actionName(decision))            // "allow" | "review" | "block"
/// ```
public struct CompiledPack: Sendable {
    public let source: Source
    public let checked: CheckedPack
    public let program: Program
    /// Values of the named lists, in declaration order.
    public let lists: [[String]]
    /// Param values after overrides, in declaration order.
    public let paramValues: [Value]
    /// Diagnostics that did not stop loading (warnings).
    public let warnings: [Diagnostic]
    /// Input field name → record slot, for decoding records.
    let fieldSlots: [String: Int]
    /// Member-name table and field kinds for `decodeRecord(utf8:)` (RecordDecoder.swift).
    let recordLayout: RecordLayout

    init(source: Source, checked: CheckedPack, program: Program, lists: [[String]], paramValues: [Value],
         warnings: [Diagnostic]) {
        self.source = source
        self.checked = checked
        self.program = program
        self.lists = lists
        self.paramValues = paramValues
        self.warnings = warnings
        self.fieldSlots = Dictionary(program.fields.enumerated().map { ($1.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.recordLayout = RecordLayout(fields: program.fields, zone: program.zone, fieldSlots: fieldSlots)
    }

    /// Loads, checks and compiles a pack. `params` overrides param defaults by name (text
    /// parsed as each param's type). Throws `PackError` with every diagnostic when anything
    /// is wrong: a pack is loaded whole or not at all.
    /// `lookups` gives each `lookup` its table by name (see ``LookupTable``). `windows`: the
    /// caller supplies window values with each record (``WindowStore``); otherwise a pack with
    /// windows does not compile (`E0604`).
    public static func load(path: String, params: [String: String] = [:], lookups: LookupProvider = .tables([:]),
                            windows: Bool = false, fold: Bool = true) throws(PackError) -> CompiledPack {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw PackError(source: Source(path: path, text: ""), diagnostics: [],
                            ioError: "cannot read \(path): \(error.localizedDescription)")
        }
        let directory = (path as NSString).deletingLastPathComponent
        return try compile(source: Source(path: path, text: text), params: params, lookups: lookups, windows: windows,
                           fold: fold) { file in
            let full = file.hasPrefix("/") ? file : (directory.isEmpty ? file : directory + "/" + file)
            return try String(contentsOfFile: full, encoding: .utf8)
        }
    }

    /// Checks and compiles pack text. `readFile` resolves a `list … from "PATH"` to its text.
    public static func compile(source: Source, params: [String: String] = [:], lookups: LookupProvider = .tables([:]),
                               windows: Bool = false, fold: Bool = true,
                               readFile: (String) throws -> String) throws(PackError) -> CompiledPack {
        // Parsing, checking, folding and compiling recurse over the syntax tree: give them a
        // large stack whatever thread the caller is on (see `LargeStack`).
        let result: Result<CompiledPack, PackError> = LargeStack.run {
            do throws(PackError) {
                return .success(try compileHere(source: source, params: params, lookups: lookups, windows: windows,
                                                fold: fold, readFile: readFile))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    static func compileHere(source: Source, params: [String: String], lookups: LookupProvider, windows: Bool, fold: Bool,
                            readFile: (String) throws -> String) throws(PackError) -> CompiledPack {
        let (syntax, parseDiagnostics) = Parser.parse(source)
        var bag = DiagnosticBag()
        bag.append(contentsOf: parseDiagnostics)
        let (checkedOrNil, checkDiagnostics) = Checker.check(syntax)
        // The checker runs even after syntax errors (the parser skipped the broken
        // declarations), so one run reports syntax, name and type errors together.
        bag.append(contentsOf: checkDiagnostics)
        guard !bag.hasErrors, let checked = checkedOrNil else {
            throw PackError(source: source, diagnostics: bag.sorted)
        }

        var zone = Zone.shanghai
        if let name = checked.zone {
            if let z = Zone(identifier: name) {
                zone = z
            } else {
                bag.error(.unknownZone, "unknown time zone '\(name)'", at: checked.zoneSpan ?? .empty,
                          help: "use an IANA name such as \"Asia/Shanghai\" or \"UTC\"")
            }
        }

        var lists: [[String]] = []
        for l in checked.lists {
            do {
                let text = try readFile(l.path)
                lists.append(text.split(whereSeparator: \.isNewline).compactMap { line in
                    let value = Text.trim(String(line))
                    return value.isEmpty || value.hasPrefix("#") ? nil : value
                })
            } catch {
                bag.error(.listFile, "cannot read list '\(l.name)' from \"\(l.path)\"", at: l.span,
                          help: "list paths are relative to the pack file")
                lists.append([])
            }
        }

        var values: [Value] = []
        let reference = ReferenceEvaluator(pack: checked, params: [], lists: lists, zone: zone)
        for p in checked.params {
            if let text = params[p.name] {
                if let v = ValueText.parse(text, as: p.type, zone: zone) {
                    values.append(v)
                } else {
                    bag.error(.paramOverride, "--param \(p.name)=\(text) is not a valid '\(p.type)'", at: p.span)
                    values.append(.null)
                }
            } else {
                do throws(EvalError) {
                    values.append(try reference.value(p.value))
                } catch {
                    bag.error(.constantArithmetic, "the default of param '\(p.name)' fails: \(error.message) (\(error.code.rawValue))",
                              at: checked.syntax[p.value].span, label: error.message)
                    values.append(.null)
                }
            }
        }
        for name in params.keys.sorted() where !checked.params.contains(where: { $0.name == name }) {
            bag.error(.paramOverride, "--param \(name): the pack has no param '\(name)'", at: .empty,
                      help: checked.params.isEmpty ? "this pack declares no params"
                                                   : "params: \(checked.params.map(\.name).joined(separator: ", "))")
        }
        if bag.hasErrors { throw PackError(source: source, diagnostics: bag.sorted) }

        var tables: [String: LookupTable] = [:]
        for l in checked.lookups {
            switch lookups {
            case .tables(let given): tables[l.name] = given[l.name]
            case .empty: tables[l.name] = LookupTable(name: l.name, fieldCount: l.fields.count, rows: [], keyField: l.key, loadedKeys: nil)
            case .recording: tables[l.name] = LookupTable.recording(name: l.name, fieldCount: l.fields.count)
            }
        }
        let (program, compileDiagnostics) = Compiler.compile(checked, params: values, lists: lists, lookups: tables,
                                                             windows: windows, zone: zone, fold: fold)
        bag.append(contentsOf: compileDiagnostics)
        guard let program, !bag.hasErrors else { throw PackError(source: source, diagnostics: bag.sorted) }
        return CompiledPack(source: source, checked: checked, program: program, lists: lists, paramValues: values,
                            warnings: bag.sorted)
    }

    public func makeEvaluator() -> Evaluator { Evaluator(program: program) }

    /// A tree-walking evaluator over the same pack, for cross-checking the compiled one.
    public func makeReferenceEvaluator() -> ReferenceEvaluator {
        ReferenceEvaluator(pack: checked, params: paramValues, lists: lists, lookups: program.lookups, zone: program.zone)
    }

    /// The name of a decision's action.
    public func actionName(_ d: Decision) -> String {
        d.action >= 0 && d.action < program.actions.count ? program.actions[d.action] : "allow"
    }

    /// The rule id, `decide` entry or reject a `RuleError` names.
    public func errorSource(_ e: RuleError) -> String {
        if let k = e.rejectIndex { return "reject \(program.rejectCodes[k])" }
        return e.rule >= 0 ? program.rules[e.rule].id : "decide[\(-1 - e.rule)]"
    }

    /// The code of the reject that rejected a decision's record, if any.
    public func rejectCode(_ d: Decision) -> String? {
        d.reject.map { program.rejectCodes[$0] }
    }
}

/// Where a pack's `lookup` tables come from when it is compiled.
public enum LookupProvider: Sendable {
    /// Tables by lookup name; a lookup without one is compile error `E0604`.
    case tables([String: LookupTable])
    /// An empty table for every lookup: `warden check` verifies everything but the data.
    case empty
    /// A recording table for every lookup (``LookupTable/recording(name:fieldCount:)``): a
    /// sweep's first pass, which learns the keys its input asks for.
    case recording
}

/// A pack that could not be loaded, with every reason.
public struct PackError: Error, Sendable {
    public let source: Source
    public let diagnostics: [Diagnostic]
    /// Set when the pack file itself could not be read.
    public let ioError: String?

    public init(source: Source, diagnostics: [Diagnostic], ioError: String? = nil) {
        self.source = source
        self.diagnostics = diagnostics
        self.ioError = ioError
    }

    /// The diagnostics rendered as text (or the I/O error).
    public var rendered: String {
        ioError.map { "error: \($0)\n" } ?? DiagnosticRenderer.text(diagnostics, in: source)
    }
}
