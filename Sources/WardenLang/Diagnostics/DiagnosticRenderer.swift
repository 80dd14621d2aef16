/// Renders diagnostics as rustc-style text or as JSON for tools.
///
/// ```
/// error[E0402]: cannot compare 'money' with 'string'
///   --> rules/payments.rules:12:21
///    |
/// 12 |   when amount > "1000"
///    |                 ^^^^^^ this is a 'string'
///    = help: remove the quotes to write a money literal
/// ```
public enum DiagnosticRenderer {
    public static func text(_ diagnostics: [Diagnostic], in source: Source) -> String {
        var out = ""
        for d in diagnostics { out += text(d, in: source) + "\n" }
        return out
    }

    public static func text(_ d: Diagnostic, in source: Source) -> String {
        let (line, column) = source.location(of: Int(d.span.start))
        // Tabs are shown as 4 spaces so the caret lines up whatever the terminal's tab stops.
        let original = source.lineText(line)
        let lineText = original.replacingTabs()
        let gutter = String(repeating: " ", count: String(line).count)
        var out = "\(d.severity.rawValue)[\(d.code.rawValue)]: \(d.message)\n"
        out += "\(gutter)--> \(source.path):\(line):\(column)\n"
        out += "\(gutter) |\n"
        out += "\(line) | \(lineText)\n"
        // The caret sits under the span's first character; widths count East Asian wide
        // characters as two cells so carets line up under CJK text in a terminal.
        let scalars = Array(original.unicodeScalars)
        let before = scalars.prefix(column - 1)
        let (endLine, endColumn) = source.location(of: Int(d.span.end))
        let underlined = endLine == line ? scalars.dropFirst(column - 1).prefix(max(1, endColumn - column))
                                         : scalars.dropFirst(column - 1)
        let pad = String(repeating: " ", count: before.reduce(0) { $0 + cellWidth($1) })
        let carets = String(repeating: "^", count: max(1, underlined.reduce(0) { $0 + cellWidth($1) }))
        out += "\(gutter) | \(pad)\(carets)\(d.label.map { " " + $0 } ?? "")\n"
        if let help = d.help { out += "\(gutter) = help: \(help)\n" }
        if let note = d.note {
            let (l, c) = source.location(of: Int(note.span.start))
            out += "\(gutter) = note: \(note.message) at \(source.path):\(l):\(c)\n"
        }
        return out
    }

    /// A JSON array of `{code, severity, message, file, line, column, endLine, endColumn, label?, help?}`.
    public static func json(_ diagnostics: [(Diagnostic, Source)]) -> String {
        var items: [String] = []
        for (d, source) in diagnostics {
            let (line, column) = source.location(of: Int(d.span.start))
            let (endLine, endColumn) = source.location(of: Int(d.span.end))
            var fields = [
                "\"code\":\(quote(d.code.rawValue))", "\"severity\":\(quote(d.severity.rawValue))",
                "\"message\":\(quote(d.message))", "\"file\":\(quote(source.path))",
                "\"line\":\(line)", "\"column\":\(column)", "\"endLine\":\(endLine)", "\"endColumn\":\(endColumn)",
            ]
            if let label = d.label { fields.append("\"label\":\(quote(label))") }
            if let help = d.help { fields.append("\"help\":\(quote(help))") }
            items.append("{" + fields.joined(separator: ",") + "}")
        }
        return "[" + items.joined(separator: ",\n") + "]"
    }

    static func cellWidth(_ s: Unicode.Scalar) -> Int {
        switch s.value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF,
             0xA000...0xA4CF, 0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60,
             0xFFE0...0xFFE6, 0x20000...0x3FFFD:
            return 2
        case 0x09: return 4
        default: return 1
        }
    }

    /// "a 'decimal'", "an 'int'": the type with its article, for labels.
    public static func article(_ type: String) -> String {
        let vowel = type.first.map { "aeiou".contains($0) } ?? false
        return (vowel ? "an '" : "a '") + type + "'"
    }

    /// A JSON string literal (RFC 8259 escaping). The language module has no JSON library.
    public static func quote(_ s: String) -> String {
        var out = "\""
        for u in s.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where u.value < 0x20:
                let hex = String(u.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(u)
            }
        }
        return out + "\""
    }
}


extension String {
    func replacingTabs() -> String {
        var out = ""
        for c in self { out += c == "\t" ? "    " : String(c) }
        return out
    }
}
