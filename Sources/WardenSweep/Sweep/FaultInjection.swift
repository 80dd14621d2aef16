import Foundation

/// Crash points for the kill-and-resume tests: `WARDEN_SWEEP_FAULT=NAME[:N]` makes the process
/// SIGKILL itself the N-th time (default 1st) it passes point NAME, exactly as `kill -9` would.
/// Points: `started` (the first checkpoint, before any row, is written), `checkpoint` (just
/// after a checkpoint is written), `spilled` (outputs spilled, the
/// checkpoint not yet written), `merged` (one output merged, the rest not), `reported` (report
/// written, sweep not yet marked done).
enum FaultInjection {
    private static let target: (name: String, count: Int)? = {
        guard let spec = ProcessInfo.processInfo.environment["WARDEN_SWEEP_FAULT"], !spec.isEmpty else { return nil }
        let parts = spec.split(separator: ":")
        return (String(parts[0]), parts.count > 1 ? Int(parts[1]) ?? 1 : 1)
    }()
    private static let lock = NSLock()
    nonisolated(unsafe) private static var seen = 0

    static func point(_ name: String) {
        guard let target, target.name == name else { return }
        lock.lock()
        seen += 1
        let hit = seen == target.count
        lock.unlock()
        if hit { kill(getpid(), SIGKILL) }
    }
}
