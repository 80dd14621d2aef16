/// The functions the language defines. The checker types calls against these signatures; the
/// engine implements them.
public enum Builtin: String, Sendable, Hashable, CaseIterable {
    case len, lower, upper, trim, nfkc, normalize, abs, min, max, int, decimal, hour, weekday, age, hours, minutes,
         seconds, luhn, contains, hit, tagged, join, translate
    case removeWhitespace = "remove_whitespace"
    case foldWidth = "fold_width"
    case startsWith = "starts_with"
    case endsWith = "ends_with"
    case dateOf = "date_of"
    case daysBetween = "days_between"
    case parseDate = "parse_date"
    case parseTimestamp = "parse_timestamp"
    case validUSCC = "valid_uscc"
    case validResidentID = "valid_resident_id"
    case residentIDBirth = "resident_id_birth"

    /// True for functions only meaningful inside `decide`.
    public var isDecideOnly: Bool { self == .hit || self == .tagged }

    /// A one-line signature for messages, e.g. `days_between(date|timestamp, date|timestamp) -> int`.
    public var signature: String {
        switch self {
        case .len: return "len(string | list) -> int"
        case .lower, .upper, .trim, .nfkc, .normalize, .removeWhitespace, .foldWidth:
            return "\(rawValue)(string) -> string"
        case .startsWith, .endsWith, .contains: return "\(rawValue)(string, string) -> bool"
        case .abs: return "abs(int | decimal | duration) -> same"
        case .min, .max: return "\(rawValue)(T, T) -> T for an ordered T"
        case .int: return "int(decimal) -> int"
        case .decimal: return "decimal(int) -> decimal"
        case .dateOf: return "date_of(timestamp) -> date"
        case .hour: return "hour(timestamp[, zone string]) -> int"
        case .weekday: return "weekday(date | timestamp) -> int"
        case .daysBetween: return "days_between(date | timestamp, date | timestamp) -> int"
        case .age: return "age(date, date) -> int"
        case .hours, .minutes, .seconds: return "\(rawValue)(duration) -> int"
        case .parseDate: return "parse_date(string) -> date?"
        case .parseTimestamp: return "parse_timestamp(string) -> timestamp?"
        case .validUSCC, .validResidentID, .luhn: return "\(rawValue)(string) -> bool"
        case .residentIDBirth: return "resident_id_birth(string) -> date?"
        case .join: return "join(list<string>, string) -> string"
        case .translate: return "translate(list<K>, map<K, V>) -> list<V>"
        case .hit: return "hit(RULE_ID) -> bool"
        case .tagged: return "tagged(string) -> bool"
        }
    }
}
