import Foundation
import Logging
import ServiceLifecycle
import WardenEngine

/// Saves every pack's velocity-window state to the snapshot file every `interval` and once more
/// at graceful shutdown (after the server has stopped taking requests), so a restart resumes
/// the windows where they were.
struct WindowStateSaver: Service {
    let engine: Engine
    let interval: Duration
    let logger: Logger

    func run() async throws {
        while !Task.isShuttingDownGracefully {
            do {
                try await cancelWhenGracefulShutdown { try await Task.sleep(for: interval) }
            } catch {
                break
            }
            await saveOffPool(final: false)
        }
        await saveOffPool(final: true)
    }

    /// Saving writes SQLite (blocking, milliseconds to seconds with many keys): on its own
    /// thread, not on the cooperative pool scoring runs on.
    private func saveOffPool(final: Bool) async {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            Thread.detachNewThread {
                save(final: final)
                c.resume()
            }
        }
    }

    func save(final: Bool) {
        let start = ContinuousClock.now
        do {
            let keys = try engine.saveWindows()
            if final {
                logger.info("window state saved", metadata: ["keys": "\(keys)", "took": "\(ContinuousClock.now - start)"])
            } else {
                logger.debug("window state saved", metadata: ["keys": "\(keys)", "took": "\(ContinuousClock.now - start)"])
            }
        } catch {
            logger.error("cannot save window state", metadata: ["error": "\(Redact.numbers(in: String(describing: error)))"])
        }
    }
}
