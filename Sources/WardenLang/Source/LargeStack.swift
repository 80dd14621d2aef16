#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs work that recurses over a pack's syntax tree on a thread with a large stack.
///
/// The parser bounds nesting, but a long `and` chain is a deep tree too, and the phases that
/// walk it (checker, compiler, formatter, reference evaluator) recurse once per level. The
/// threads callers run on — a test runner's, a server's event loop — may have 512 KiB stacks,
/// which a debug build overflows within a few hundred levels. Loading a pack is rare and
/// costs milliseconds, so a dedicated thread per load is cheap insurance.
public enum LargeStack {
    /// Stack size of the worker thread (virtual memory; only touched pages are committed).
    public static let bytes = 256 << 20

    /// Runs `body` on a thread with a ``bytes``-sized stack and returns its result.
    public static func run<T>(_ body: () -> T) -> T {
        var result: T? = nil
        withoutActuallyEscaping(body) { body in
            runOnLargeStack(Work { result = body() })
        }
        return result!
    }

    private final class Work {
        let body: () -> Void
        init(_ body: @escaping () -> Void) { self.body = body }
    }

    private static func runOnLargeStack(_ work: Work) {
        var attributes = pthread_attr_t()
        pthread_attr_init(&attributes)
        defer { pthread_attr_destroy(&attributes) }
        pthread_attr_setstacksize(&attributes, bytes)
        let context = Unmanaged.passRetained(work).toOpaque()
        #if canImport(Glibc)
        var thread = pthread_t()
        #else
        var thread: pthread_t? = nil
        #endif
        let created = pthread_create(&thread, &attributes, { raw in
            Unmanaged<Work>.fromOpaque(raw!).takeRetainedValue().body()
            return nil
        }, context)
        guard created == 0 else {
            // No thread to be had (resource limits): run here rather than fail.
            Unmanaged<Work>.fromOpaque(context).takeRetainedValue().body()
            return
        }
        #if canImport(Glibc)
        pthread_join(thread, nil)
        #else
        pthread_join(thread!, nil)
        #endif
    }
}
