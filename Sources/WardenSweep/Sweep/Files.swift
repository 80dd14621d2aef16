import Foundation

/// A buffered file writer over a raw descriptor: appends, knows how many bytes the file holds,
/// and fsyncs on request (checkpoints need both).
final class FileSink {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8] = []
    /// Bytes in the file plus bytes buffered.
    private(set) var length: Int64

    static let bufferSize = 1 << 20

    /// Opens `path` for appending; `truncate` empties it, `truncateTo` cuts it to a
    /// checkpointed length first.
    init(path: String, truncate: Bool = false, truncateTo: Int64? = nil) throws {
        self.path = path
        fd = open(path, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : 0), 0o644)
        guard fd >= 0 else { throw SweepError.io("cannot open '\(path)' for writing: \(SweepFiles.lastError)") }
        if let n = truncateTo {
            guard ftruncate(fd, off_t(n)) == 0 else { throw SweepError.io("cannot truncate '\(path)': \(SweepFiles.lastError)") }
        }
        let end = lseek(fd, 0, SEEK_END)
        guard end >= 0 else { throw SweepError.io("cannot seek '\(path)': \(SweepFiles.lastError)") }
        length = Int64(end)
        buffer.reserveCapacity(FileSink.bufferSize)
    }

    deinit { Glibc.close(fd) }

    func write(_ bytes: UnsafeRawBufferPointer) throws {
        buffer.append(contentsOf: bytes)
        length += Int64(bytes.count)
        if buffer.count >= FileSink.bufferSize { try flush() }
    }

    func write(_ bytes: [UInt8]) throws {
        try bytes.withUnsafeBytes { try write($0) }
    }

    func flush() throws {
        var done = 0
        while done < buffer.count {
            let n = buffer.withUnsafeBytes { Foundation.write(fd, $0.baseAddress! + done, $0.count - done) }
            guard n > 0 else { throw SweepError.io("cannot write '\(path)': \(SweepFiles.lastError)") }
            done += n
        }
        buffer.removeAll(keepingCapacity: true)
    }

    /// Flushes and fsyncs.
    func sync() throws {
        try flush()
        guard fsync(fd) == 0 else { throw SweepError.io("cannot fsync '\(path)': \(SweepFiles.lastError)") }
    }

    func close(sync: Bool) throws {
        if sync { try self.sync() } else { try flush() }
    }
}

/// A buffered sequential reader.
final class FileSource {
    let path: String
    private let fd: Int32
    private var buffer: [UInt8]
    private var start = 0
    private var end = 0

    init(path: String, bufferSize: Int = 256 << 10) throws {
        self.path = path
        buffer = [UInt8](repeating: 0, count: bufferSize)
        fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SweepError.io("cannot open '\(path)': \(SweepFiles.lastError)") }
    }

    deinit { Glibc.close(fd) }

    /// Fills `into` as far as the file allows; returns the bytes read (fewer only at the end).
    func read(into dest: UnsafeMutableRawBufferPointer) throws -> Int {
        var got = 0
        while got < dest.count {
            if start == end {
                let n = buffer.withUnsafeMutableBytes { Foundation.read(fd, $0.baseAddress, $0.count) }
                guard n >= 0 else { throw SweepError.io("cannot read '\(path)': \(SweepFiles.lastError)") }
                if n == 0 { break }
                start = 0
                end = n
            }
            let k = min(end - start, dest.count - got)
            buffer.withUnsafeBytes { dest.baseAddress!.advanced(by: got).copyMemory(from: $0.baseAddress! + start, byteCount: k) }
            start += k
            got += k
        }
        return got
    }

    /// Up to `count` bytes (fewer at the end of the file).
    func read(prefix count: Int) throws -> [UInt8] {
        var out = [UInt8](repeating: 0, count: count)
        let got = try out.withUnsafeMutableBytes { try read(into: $0) }
        out.removeLast(count - got)
        return out
    }
}

enum SweepFiles {
    static var lastError: String { String(cString: strerror(errno)) }

    /// Renames atomically and fsyncs the directory, so the new name survives a power loss.
    static func rename(_ from: String, to: String) throws {
        guard Foundation.rename(from, to) == 0 else { throw SweepError.io("cannot rename '\(from)' to '\(to)': \(lastError)") }
        syncDirectory(of: to)
    }

    static func syncDirectory(of path: String) {
        let dir = (path as NSString).deletingLastPathComponent
        let fd = open(dir.isEmpty ? "." : dir, O_RDONLY)
        if fd >= 0 {
            fsync(fd)
            close(fd)
        }
    }

    /// Writes `data` to `path` through a temporary file, fsync and rename.
    static func writeAtomically(_ data: [UInt8], to path: String) throws {
        let sink = try FileSink(path: path + ".tmp", truncate: true)
        try sink.write(data)
        try sink.close(sync: true)
        try rename(path + ".tmp", to: path)
    }

    static func makeDirectory(_ path: String) throws {
        do {
            try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        } catch {
            throw SweepError.io("cannot create directory '\(path)': \(error.localizedDescription)")
        }
    }

    static func exists(_ path: String) -> Bool { FileManager.default.fileExists(atPath: path) }

    static func remove(_ path: String) { try? FileManager.default.removeItem(atPath: path) }

    static func fileSize(_ path: String) -> Int64? {
        var st = stat()
        return stat(path, &st) == 0 ? Int64(st.st_size) : nil
    }
}
