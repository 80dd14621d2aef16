/// A type of the rule language.
public indirect enum ValueType: Sendable, Hashable, CustomStringConvertible {
    case int, decimal, bool, string, date, timestamp, duration
    case enumeration(EnumType)
    case optional(ValueType)
    case list(ValueType)
    case map(ValueType, ValueType)
    /// A row of a lookup table (index into `CheckedPack.lookups`).
    case record(Int, name: String)
    /// An inclusive range, only as the right side of `in`.
    case range(ValueType)
    /// The type of `[]` before context gives it an element type.
    case emptyList
    /// The type of an expression that already failed to check; suppresses follow-on errors.
    case error

    public var description: String {
        switch self {
        case .int: return "int"
        case .decimal: return "decimal"
        case .bool: return "bool"
        case .string: return "string"
        case .date: return "date"
        case .timestamp: return "timestamp"
        case .duration: return "duration"
        case .enumeration(let e): return "enum(\(e.members.joined(separator: ", ")))"
        case .optional(let t): return "\(t)?"
        case .list(let t): return "list<\(t)>"
        case .map(let k, let v): return "map<\(k), \(v)>"
        case .record(_, let name): return "\(name) row"
        case .range(let t): return "range<\(t)>"
        case .emptyList: return "list"
        case .error: return "<error>"
        }
    }

    public var isOptional: Bool {
        if case .optional = self { return true }
        return false
    }

    /// The type without one level of `?`.
    public var unwrapped: ValueType {
        if case .optional(let t) = self { return t }
        return self
    }

    public var isNumeric: Bool { self == .int || self == .decimal }

    /// Types with an order (`<`, `min`, ranges).
    public var isOrdered: Bool {
        switch self {
        case .int, .decimal, .string, .date, .timestamp, .duration: return true
        default: return false
        }
    }

    public var isError: Bool { self == .error }
}

/// The members of an enum type, in declaration order; a member's ordinal is its index.
public struct EnumType: Sendable, Hashable {
    public let members: [String]

    public init(members: [String]) { self.members = members }

    public func ordinal(of member: String) -> Int? { members.firstIndex(of: member) }
}
