#if canImport(Glibc)
import Glibc
#else
import Darwin
#endif
import WardenLang

extension ValueText {
    /// Why a text cell did not decode (see ``decodeCell(_:as:zone:)``).
    public enum CellFailure: Error, Sendable, Hashable {
        /// Empty, and the type is neither optional nor `string`.
        case missing
        /// Not a value of the type.
        case invalid
    }

    /// Decodes one text cell (a CSV field, a SQLite column as text) as a value of `type`.
    ///
    /// The forms are strict, as a sweep's input contract needs them to be:
    /// - empty: `null` for an optional type, `""` for `string`, otherwise `.missing`;
    /// - `int`: an optional sign and ASCII digits, in range; `decimal`: as ``Money/init(utf8:)``;
    /// - `bool`: exactly `0` or `1` (CSV extracts carry flags that way);
    /// - `date`: exactly `YYYY-MM-DD`; `timestamp`: exactly `YYYY-MM-DD HH:MM:SS`, a real
    ///   calendar date and time, wall clock in `zone` (no `T`, no zone, no fraction);
    /// - `duration`: as `--param` takes it (`90s`, `1h30m`, seconds); enum: a member's exact name;
    /// - `string`: the bytes as they are (already valid UTF-8: the reader checks).
    /// Lists, maps and rows have no cell form: `.invalid`.
    ///
    /// ```swift
    /// ValueText.decodeCell(bytes("2022-12-31 23:59:59"), as: .timestamp, zone: .shanghai)  // .success(.int(1672502399))
    /// ValueText.decodeCell(bytes("2022-12-31T23:59:59"), as: .timestamp, zone: .shanghai)  // .failure(.invalid)
    /// ```
    /// - Complexity: O(n) in the cell's length; allocates only for strings.
    public static func decodeCell(_ b: UnsafeBufferPointer<UInt8>, as type: ValueType, zone: Zone) -> Result<Value, CellFailure> {
        if case .enumeration(let e) = type.unwrapped, !b.isEmpty {
            // Without building a CellForm's member table for one cell.
            return e.members.firstIndex { $0.utf8.elementsEqual(b) }.map { .success(.int(Int64($0))) } ?? .failure(.invalid)
        }
        return CellForm(type).decode(b, zone: zone)
    }

    /// How cells of one type decode, worked out once per column: a sweep decodes tens of
    /// millions of cells, and matching on a `ValueType` (an indirect enum) for each one costs
    /// a copy, a retain and a release per cell. ``decode(_:zone:)`` is
    /// ``decodeCell(_:as:zone:)``'s meaning exactly.
    package struct CellForm: Sendable {
        enum Kind: UInt8, Sendable { case string, int, decimal, bool, date, timestamp, duration, enumeration, unsupported }
        let kind: Kind
        let optional: Bool
        /// Enum members' names as bytes, in declaration order (ordinal = index).
        let members: [[UInt8]]

        package init(_ type: ValueType) {
            optional = type.isOptional
            var members: [[UInt8]] = []
            switch type.unwrapped {
            case .string: kind = .string
            case .int: kind = .int
            case .decimal: kind = .decimal
            case .bool: kind = .bool
            case .date: kind = .date
            case .timestamp: kind = .timestamp
            case .duration: kind = .duration
            case .enumeration(let e):
                kind = .enumeration
                members = e.members.map { Array($0.utf8) }
            default: kind = .unsupported
            }
            self.members = members
        }

        package func decode(_ b: UnsafeBufferPointer<UInt8>, zone: Zone) -> Result<Value, CellFailure> {
            if b.isEmpty {
                if optional { return .success(.null) }
                if kind == .string { return .success(.string("")) }
                return .failure(.missing)
            }
            let value: Value?
            switch kind {
            case .string: value = .string(String(decoding: b, as: UTF8.self))
            case .int: value = parseInt64(utf8: b).map { .int($0) }
            case .decimal: value = Money(utf8: b).map { .money($0) }
            case .bool:
                value = b.count == 1 && (b[0] == UInt8(ascii: "0") || b[0] == UInt8(ascii: "1")) ? .bool(b[0] == UInt8(ascii: "1")) : nil
            case .date: value = b.count == 10 ? Civil.dateField(b).map { .int($0) } : nil
            case .timestamp:
                if b.count == 19, b[10] == UInt8(ascii: " "), let days = Civil.dateField(b), let secs = Civil.timeField(b, at: 11) {
                    value = .int(zone.utc(fromLocal: days * 86_400 + secs))
                } else {
                    value = nil
                }
            case .duration: value = parseDuration(utf8: b).map { .int($0) }
            case .enumeration:
                var ordinal: Int? = nil
                for (i, m) in members.enumerated() where m.count == b.count {
                    if m.withUnsafeBufferPointer({ memcmp($0.baseAddress!, b.baseAddress!, b.count) == 0 }) {
                        ordinal = i
                        break
                    }
                }
                value = ordinal.map { .int(Int64($0)) }
            case .unsupported: value = nil
            }
            return value.map { .success($0) } ?? .failure(.invalid)
        }
    }

    /// Whether ``decodeCell(_:as:zone:)`` can succeed for every cell of `type` (strings and
    /// optional strings) — such a field can never be the reason a row is rejected.
    public static func cellAlwaysDecodes(_ type: ValueType) -> Bool { type.unwrapped == .string }

    /// Whether `type` has a cell form at all.
    public static func hasCellForm(_ type: ValueType) -> Bool {
        switch type.unwrapped {
        case .int, .decimal, .bool, .string, .date, .timestamp, .duration, .enumeration: return true
        default: return false
        }
    }
}
