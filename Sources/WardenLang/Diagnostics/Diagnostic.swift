/// One problem found in a rule pack: a stable code, where, why, and how to fix it.
///
/// Diagnostics are data; rendering (`DiagnosticRenderer`) is separate, so the CLI, an editor
/// or the HTTP service can show them as they need.
public struct Diagnostic: Sendable, Hashable, Comparable {
    public enum Severity: String, Sendable, Hashable {
        case error, warning
    }

    public let code: DiagnosticCode
    public let severity: Severity
    public let message: String
    public let span: Span
    /// Short text printed under the caret, e.g. "this is a 'string'".
    public let label: String?
    /// A suggestion, printed as `= help: …`.
    public let help: String?

    public init(_ code: DiagnosticCode, _ message: String, at span: Span, label: String? = nil, help: String? = nil,
                severity: Severity = .error) {
        self.code = code
        self.severity = severity
        self.message = message
        self.span = span
        self.label = label
        self.help = help
    }

    public static func < (a: Diagnostic, b: Diagnostic) -> Bool {
        (a.span.start, a.span.end, a.code.rawValue) < (b.span.start, b.span.end, b.code.rawValue)
    }
}

/// Collects diagnostics for one pack; sorted and capped when read.
public struct DiagnosticBag: Sendable {
    public private(set) var all: [Diagnostic] = []

    public init() {}

    public mutating func add(_ d: Diagnostic) { all.append(d) }

    public mutating func error(_ code: DiagnosticCode, _ message: String, at span: Span, label: String? = nil,
                               help: String? = nil) {
        all.append(Diagnostic(code, message, at: span, label: label, help: help))
    }

    public mutating func append(contentsOf other: [Diagnostic]) { all.append(contentsOf: other) }

    public var hasErrors: Bool { all.contains { $0.severity == .error } }

    /// Sorted by position, duplicates removed, at most `Limits.maxDiagnostics`.
    public var sorted: [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = all.sorted().filter { seen.insert($0).inserted }
        return Array(unique.prefix(LanguageLimits.maxDiagnostics))
    }
}

/// Limits of the language front end, one comment each.
public enum LanguageLimits {
    /// Diagnostics reported per pack; past this the rest are noise from one root cause.
    public static let maxDiagnostics = 100
    /// Expression nesting the parser accepts; deeper input is rejected, not a stack overflow.
    public static let maxExpressionDepth = 200
    /// Pack size the lexer accepts (spans are 32-bit).
    public static let maxSourceBytes = 16 << 20
}
