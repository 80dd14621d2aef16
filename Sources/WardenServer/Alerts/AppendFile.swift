import Foundation

/// A file opened for appending (`O_APPEND`), written with `write(2)` and made durable with
/// `fsync(2)`: what the alert and dead-letter files need, with errors that name the file.
final class AppendFile {
    let path: String
    private var fd: Int32
    private(set) var size: Int

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    init(path: String) throws(Failure) {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Failure(description: "cannot open \(path): \(String(cString: strerror(errno)))") }
        var st = stat()
        size = fstat(fd, &st) == 0 ? Int(st.st_size) : 0
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Appends `bytes` whole (retrying short writes).
    func append(_ bytes: [UInt8]) throws(Failure) {
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeBytes { write(fd, $0.baseAddress! + done, $0.count - done) }
            if n < 0 {
                if errno == EINTR { continue }
                throw Failure(description: "cannot write \(path): \(String(cString: strerror(errno)))")
            }
            done += n
        }
        size += bytes.count
    }

    /// Flushes to stable storage.
    func sync() throws(Failure) {
        guard fsync(fd) == 0 else { throw Failure(description: "cannot sync \(path): \(String(cString: strerror(errno)))") }
    }

    func closeFile() {
        if fd >= 0 { close(fd) }
        fd = -1
    }
}
