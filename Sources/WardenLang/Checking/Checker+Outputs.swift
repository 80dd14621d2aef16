extension Checker {
    /// A declared output: its `@pii` columns, its `notify by` column, and no `@key` columns.
    mutating func checkOutput(_ o: OutputDecl, columns: [CheckedPack.Field], sortBy: [Int]) -> CheckedPack.Output {
        for c in columns where c.isKey {
            diagnostics.error(.keyOnOutputColumn, "output column '\(c.name)' cannot be the @key", at: c.span,
                              label: "declared @key",
                              help: "@key marks the input's record key; remove it here (use 'notify by' or 'sort by')")
        }
        var output = CheckedPack.Output(name: o.name.name, columns: columns.map { ($0.name, $0.type) }, sortBy: sortBy)
        output.personalColumns = Set(columns.indices.filter { columns[$0].isPersonal })
        if let n = o.notifyBy {
            if let i = columns.firstIndex(where: { $0.name == n.name }) {
                let t = columns[i].type
                if t == .string {
                    output.notifyBy = i
                } else if !t.isError {
                    diagnostics.error(.notifyColumnType,
                                      "output '\(o.name.name)' notifies by '\(n.name)', which is \(DiagnosticRenderer.article("\(t)")), not a 'string'",
                                      at: n.span, label: "this column is \(DiagnosticRenderer.article("\(t)"))",
                                      help: t == .optional(.string)
                                          ? "every notification needs a subject: make the column 'string'"
                                          : "notify by a 'string' column naming the subject, such as an account id")
                }
            } else {
                diagnostics.error(.outputColumns, "output '\(o.name.name)' has no column '\(n.name)' to notify by",
                                  at: n.span, help: suggestion(n.name, among: columns.map(\.name)))
            }
        }
        return output
    }
}
