import WardenLang

/// Why a JSON record was rejected: which field, and why. Never contains the field's value.
public struct RecordError: Error, Sendable, Equatable {
    public let field: String?
    public let reason: String

    public init(field: String?, reason: String) {
        self.field = field
        self.reason = reason
    }
}

extension CompiledPack {
    /// Decodes one JSON object into a record of this pack's input.
    ///
    /// Required fields must be present and non-null; optional ones may be missing or null.
    /// Members the input does not declare are ignored. Money is read exactly from a JSON
    /// string or number (`"120.50"`, `120.5`); dates as `"YYYY-MM-DD"`; timestamps as
    /// `"YYYY-MM-DD HH:MM:SS"` in the pack's zone or RFC 3339 with an offset; durations as
    /// seconds or `"90s"`/`"1h"`; enums as member names.
    public func decodeRecord(json text: String) throws(RecordError) -> Record {
        // The closures are not typed-throws, so carry the result out. Native strings are
        // contiguous UTF-8 and decode in place; others (bridged) through a copy.
        func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Record, RecordError> {
            do throws(RecordError) { return .success(try decodeRecord(utf8: bytes)) } catch { return .failure(error) }
        }
        let result = text.utf8.withContiguousStorageIfAvailable(decode) ?? Array(text.utf8).withUnsafeBufferPointer(decode)
        return try result.get()
    }

    /// Decodes an already parsed JSON value (rule tests; the reference for `decodeRecord(utf8:)`).
    public func decodeRecord(_ json: JSONValue) throws(RecordError) -> Record {
        guard case .object(let members) = json else {
            throw RecordError(field: nil, reason: "a record must be a JSON object")
        }
        var values = [Value](repeating: .null, count: program.fields.count)
        var seen = [Bool](repeating: false, count: program.fields.count)
        for (key, v) in members {
            guard let i = fieldSlots[key] else { continue }
            seen[i] = true
            values[i] = try decodeValue(v, as: program.fields[i].type, field: key)
        }
        for (i, f) in program.fields.enumerated() where !f.type.isOptional && values[i].isNull {
            throw RecordError(field: f.name, reason: seen[i] ? "must not be null" : "is missing")
        }
        return Record(values: values)
    }


    /// Decodes a record given as field name → value (the reference evaluator's form).
    public func namedRecord(_ record: Record) -> [String: Value] {
        var out: [String: Value] = [:]
        for (i, f) in program.fields.enumerated() where !record.values[i].isNull { out[f.name] = record.values[i] }
        return out
    }

    func decodeValue(_ v: JSONValue, as type: ValueType, field: String) throws(RecordError) -> Value {
        if case .null = v {
            if type.isOptional { return .null }
            throw RecordError(field: field, reason: "must not be null")
        }
        func fail(_ want: String) -> RecordError { RecordError(field: field, reason: "must be \(want)") }
        switch (type.unwrapped, v) {
        case (.int, .number(let n)):
            guard let i = Int64(n) else { throw fail("an integer") }
            return .int(i)
        case (.int, _): throw fail("an integer")
        case (.decimal, .number(let n)), (.decimal, .string(let n)):
            guard let m = Money(parsing: n) else { throw fail("a decimal with at most 4 fractional digits") }
            return .money(m)
        case (.decimal, _): throw fail("a decimal (string or number)")
        case (.bool, .bool(let b)): return .bool(b)
        case (.bool, _): throw fail("true or false")
        case (.string, .string(let s)): return .string(s)
        case (.string, _): throw fail("a string")
        case (.date, .string(let s)):
            guard let d = Civil.parseDate(Substring(s).utf8) else { throw fail("a date YYYY-MM-DD") }
            return .int(d)
        case (.date, _): throw fail("a date YYYY-MM-DD")
        case (.timestamp, .string(let s)):
            guard let t = Civil.parseTimestamp(Substring(s).utf8, zone: program.zone) else {
                throw fail("a timestamp YYYY-MM-DD HH:MM:SS")
            }
            return .int(t)
        case (.timestamp, _): throw fail("a timestamp YYYY-MM-DD HH:MM:SS")
        case (.duration, .number(let n)):
            guard let s = Int64(n) else { throw fail("a duration in whole seconds") }
            return .int(s)
        case (.duration, .string(let s)):
            guard let d = ValueText.parseDuration(s) else { throw fail("a duration such as 90s or 1h") }
            return .int(d)
        case (.duration, _): throw fail("a duration")
        case (.enumeration(let e), .string(let s)):
            guard let o = e.ordinal(of: s) else { throw fail("one of \(e.members.joined(separator: ", "))") }
            return .int(Int64(o))
        case (.enumeration(let e), _): throw fail("one of \(e.members.joined(separator: ", "))")
        case (.list(let element), .array(let items)):
            var out: [Value] = []
            out.reserveCapacity(items.count)
            for item in items { out.append(try decodeValue(item, as: element, field: field)) }
            return .list(out)
        case (.list, _): throw fail("an array")
        default: throw fail("a '\(type)'")
        }
    }

    /// Writes a decision as one JSON object:
    /// `{"line":N,"key":…,["reject":CODE,]"action":…,"score":N,"hits":[{"rule":…,"score":N,"action":…,"shadow":B,"values":{…}}],"emits":[…],"errors":[…]}`.
    public func writeDecision(_ d: Decision, record: Record?, line: Int?, into w: inout JSONWriter) {
        w.writeRaw("{")
        if let line { w.writeRaw("\"line\":\(line),") }
        if let k = program.keyField, let record {
            w.writeRaw("\"key\":")
            ValueText.writeJSON(record.values[k], program.fields[k].type, zone: program.zone, into: &w)
            w.writeRaw(",")
        }
        if let code = rejectCode(d) {
            w.writeRaw("\"reject\":")
            w.writeString(code)
            w.writeRaw(",")
        }
        w.writeRaw("\"action\":")
        w.writeString(actionName(d))
        w.writeRaw(",\"score\":\(d.score),\"hits\":[")
        for (i, h) in d.hits.enumerated() {
            if i > 0 { w.writeRaw(",") }
            let rule = program.rules[h.rule]
            w.writeRaw("{\"rule\":")
            w.writeString(rule.id)
            w.writeRaw(",\"score\":\(h.score)")
            if let a = rule.action {
                w.writeRaw(",\"action\":")
                w.writeString(program.actions[a])
            }
            if h.shadow { w.writeRaw(",\"shadow\":true") }
            if !h.explanation.isEmpty {
                w.writeRaw(",\"values\":{")
                for (j, e) in h.explanation.enumerated() {
                    if j > 0 { w.writeRaw(",") }
                    w.writeString(e.name)
                    w.writeRaw(":" + e.json)
                }
                w.writeRaw("}")
            }
            w.writeRaw("}")
        }
        w.writeRaw("]")
        if !d.emits.isEmpty {
            w.writeRaw(",\"emits\":[")
            for (i, e) in d.emits.enumerated() {
                if i > 0 { w.writeRaw(",") }
                let output = program.outputs[e.output]
                w.writeRaw("{\"output\":")
                w.writeString(output.name)
                w.writeRaw(",\"values\":{")
                for (j, column) in output.columns.enumerated() {
                    if j > 0 { w.writeRaw(",") }
                    w.writeString(column.name)
                    w.writeRaw(":")
                    ValueText.writeJSON(e.values[j], column.type, zone: program.zone, into: &w)
                }
                w.writeRaw("}}")
            }
            w.writeRaw("]")
        }
        if !d.errors.isEmpty {
            w.writeRaw(",\"errors\":[")
            for (i, e) in d.errors.enumerated() {
                if i > 0 { w.writeRaw(",") }
                w.writeRaw("{\"rule\":")
                w.writeString(errorSource(e))
                w.writeRaw(",\"code\":")
                w.writeString(e.error.code.rawValue)
                w.writeRaw(",\"message\":")
                w.writeString(e.error.message)
                w.writeRaw("}")
            }
            w.writeRaw("]")
        }
        w.writeRaw("}")
    }
}
