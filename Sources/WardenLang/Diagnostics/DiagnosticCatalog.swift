/// Every diagnostic code Warden's front end and compiler emit, documented once.
///
/// Codes are stable: a code keeps its meaning forever, new problems get new codes.
/// E01xx lexical, E02xx syntax, E03xx names, E04xx types (E05xx reserved),
/// E06xx resources and compilation.
public enum DiagnosticCode: String, Sendable, Hashable, CaseIterable {
    // Lexical
    /// A character that cannot start any token.
    case unexpectedCharacter = "E0101"
    /// A string literal without its closing quote on the same line.
    case unterminatedString = "E0102"
    /// A backslash escape the language does not define.
    case invalidEscape = "E0103"
    /// A malformed number, e.g. `12ab` or `1.2.3`.
    case invalidNumber = "E0104"
    /// A date literal that is not a real calendar date, e.g. `2022-02-30`.
    case invalidDate = "E0105"
    /// A regex literal without its closing slash.
    case unterminatedRegex = "E0106"
    /// A duration with an unknown unit, e.g. `5w`.
    case invalidDuration = "E0107"
    /// An int literal outside the 64-bit range.
    case integerOutOfRange = "E0108"
    /// A decimal literal with more than 4 fractional digits or outside the decimal range.
    case decimalPrecision = "E0109"

    // Syntax
    /// The parser expected one token and found another.
    case expectedToken = "E0201"
    /// An expression was expected.
    case expectedExpression = "E0202"
    /// The pack does not start with `package NAME`.
    case missingPackage = "E0203"
    /// Something at the top level that is not a declaration.
    case expectedDeclaration = "E0204"
    /// A rule without a `when` clause.
    case ruleWithoutWhen = "E0205"
    /// A rule clause, or an output's `sort by` / `notify by`, written twice.
    case duplicateClause = "E0206"
    /// `decide` must end with a bare default action.
    case decideWithoutDefault = "E0207"
    /// `a < b < c`: comparisons do not chain.
    case chainedComparison = "E0208"
    /// A type name the language does not define.
    case unknownType = "E0209"
    /// A rule that neither scores, acts nor emits.
    case ruleDoesNothing = "E0210"
    /// Expressions nested deeper than the parser accepts.
    case nestingTooDeep = "E0211"
    /// A declaration that may appear once appears twice (`version`, `zone`, `decide`, ...).
    case duplicateDeclaration = "E0212"
    /// An unknown severity level.
    case unknownSeverity = "E0213"
    /// `reject … on columns` written twice, or not as the first reject (the column count is
    /// checked before any field is read).
    case rejectColumnsPosition = "E0214"
    /// `reject … on duplicate` written twice, or not as the last reject (only a row that passes
    /// every other check counts as the first copy).
    case rejectDuplicatePosition = "E0215"
    /// `@key` on an output column: only the input has a record key.
    case keyOnOutputColumn = "E0216"

    // Names
    /// A name that no declaration, field or builtin defines.
    case unknownName = "E0301"
    /// Two declarations with one name.
    case duplicateName = "E0302"
    /// Two rules with one id.
    case duplicateRule = "E0303"
    /// A call to a function that does not exist.
    case unknownFunction = "E0304"
    /// `r.f` where the record has no field `f`.
    case unknownMember = "E0305"
    /// Lets that depend on each other in a cycle.
    case cyclicLet = "E0306"
    /// A name where an enum member is expected, not among the enum's members.
    case unknownEnumMember = "E0307"
    /// Two fields with one name in a record declaration.
    case duplicateField = "E0308"
    /// `hit(ID)` naming a rule that does not exist.
    case unknownRule = "E0309"
    /// No `input` declaration, or more than one.
    case inputDeclaration = "E0310"
    /// A rule's `action` that the `decide` block does not list.
    case unknownAction = "E0311"
    /// An enum with a member listed twice.
    case duplicateEnumMember = "E0312"
    /// `emit` to an output whose declaration lacks that column, or misses a declared column.
    case outputColumns = "E0313"
    /// `score`, `action(…)`, `hit(…)` or `tagged(…)`, which exist only inside `decide`, used elsewhere.
    case decideOnly = "E0314"
    /// `reject … on` (or `on duplicate`) naming a field the input does not declare.
    case unknownRejectField = "E0315"
    /// A field named in more than one `reject … on` list (its first check decides; a second
    /// could never fire).
    case fieldRejectedTwice = "E0316"

    // Types
    /// An operator applied to operand types it does not accept.
    case operatorTypes = "E0401"
    /// A comparison between values of different types.
    case comparisonTypes = "E0402"
    /// A condition that is not a bool.
    case conditionNotBool = "E0403"
    /// A call with the wrong number of arguments.
    case argumentCount = "E0404"
    /// A call argument of the wrong type.
    case argumentType = "E0405"
    /// An optional value used where it might be null.
    case optionalUse = "E0406"
    /// `in` with a right side that is not a list, map or range.
    case inOperand = "E0407"
    /// A declaration's value does not match its declared type.
    case declaredType = "E0408"
    /// A `score` that is not an int.
    case scoreNotInt = "E0409"
    /// An emitted column's type differs from the output's.
    case emitColumnType = "E0410"
    /// `matches` on something other than a string.
    case matchesOperand = "E0411"
    /// `is null` on a value that can never be null.
    case nullCheckOnNonOptional = "E0412"
    /// A list or map literal whose elements have different types.
    case literalElementTypes = "E0413"
    /// A value that must be a compile-time constant is not.
    case notConstant = "E0414"
    /// `??` on a value that can never be null.
    case coalesceNonOptional = "E0415"
    /// A window aggregate over a field of the wrong type.
    case windowField = "E0416"
    /// `x[k]` where x is neither a map nor a lookup, or k has the wrong type.
    case indexOperand = "E0417"
    /// A constant division by zero or overflow, found while folding.
    case constantArithmetic = "E0418"
    /// A range whose ends are not of one ordered type.
    case rangeOperand = "E0419"
    /// `reject … on duplicate` over an optional field (a missing value duplicates nothing).
    case optionalDuplicateField = "E0420"
    /// A `reject … when` that reads, directly or through lets, a field that may fail to decode
    /// (not a `string`, not optional) and that no earlier `reject … on` checks.
    case rejectReadsUncheckedField = "E0421"
    /// `notify by` a column that is not a non-optional `string`.
    case notifyColumnType = "E0422"
    /// `latest by` a field that is optional or has no order.
    case lookupLatestBy = "E0423"

    // Pack structure and resources
    /// An invalid regular expression.
    case invalidRegex = "E0601"
    /// A list file that cannot be read.
    case listFile = "E0602"
    /// `--param` naming no param, or with text that does not parse as its type.
    case paramOverride = "E0603"
    /// A pack that needs a runtime facility this caller does not provide (windows, lookups).
    case missingRuntime = "E0604"
    /// An unknown time zone.
    case unknownZone = "E0605"
}
