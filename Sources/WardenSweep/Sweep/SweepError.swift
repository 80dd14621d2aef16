/// Why a sweep stopped. Bad rows never stop a sweep (they go to the rejects file); these do.
public enum SweepError: Error, CustomStringConvertible, Sendable {
    /// The pack, the input's header or the command line cannot make a sweep.
    case setup(String)
    /// A file could not be read or written.
    case io(String)
    /// `--resume` found a checkpoint from a different pack, input, parameters or shard.
    case checkpointMismatch(String)

    public var description: String {
        switch self {
        case .setup(let m): return m
        case .io(let m): return m
        case .checkpointMismatch(let m): return m
        }
    }
}
