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
    /// A second place that explains the first, e.g. where a duplicate was first declared.
    public let note: (message: String, span: Span)?

    public init(_ code: DiagnosticCode, _ message: String, at span: Span, label: String? = nil, help: String? = nil,
                note: (message: String, span: Span)? = nil, severity: Severity = .error) {
        self.code = code
        self.severity = severity
        self.message = message
        self.span = span
        self.label = label
        self.help = help
        self.note = note
    }

    public static func == (a: Diagnostic, b: Diagnostic) -> Bool {
        a.code == b.code && a.severity == b.severity && a.message == b.message && a.span == b.span
            && a.label == b.label && a.help == b.help && a.note?.message == b.note?.message && a.note?.span == b.note?.span
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(code)
        hasher.combine(span)
        hasher.combine(message)
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
                               help: String? = nil, note: (message: String, span: Span)? = nil) {
        all.append(Diagnostic(code, message, at: span, label: label, help: help, note: note))
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
    public static let maxExpressionDepth = 64
    /// Pack size the lexer accepts (spans are 32-bit).
    public static let maxSourceBytes = 16 << 20
}
