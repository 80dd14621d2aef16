import Foundation

/// The set of keys a sweep has accepted, for `reject … on duplicate FIELD`: exact, compact, and
/// rebuilt after a crash from its own log.
///
/// Every accepted key is appended to a log file (`[u32 length][bytes]`); the in-memory table
/// holds one 8-byte slot per key — the key's log offset and 24 bits of its hash — so 10 M keys
/// take about 105 MiB of table (80 % full) and no per-key heap object. A lookup that meets a slot with the same
/// hash bits reads that key back (from the unwritten tail in memory, or with `pread` from the
/// log, which the page cache keeps hot) and compares bytes: the answer is exact, never a hash
/// guess. Written by hand rather than with a `Set<String>` because that costs ~60 bytes and an
/// allocation per key, which does not fit 10 M keys in the sweep's memory budget.
///
/// Crash safety: ``checkpoint()`` writes and fsyncs the log and returns its length, which the
/// sweep stores in its checkpoint; ``init(logPath:expectedKeys:resumeLength:)`` truncates the
/// log to that length and re-inserts what it holds, so keys accepted after the last checkpoint
/// are forgotten exactly as the rows that produced them will be read again.
final class KeyIndex {
    let logPath: String
    private let fd: Int32
    /// Open addressing, linear probing; `0` is empty, else `(logOffset + 1) << 24 | hashTag`.
    private var slots: UnsafeMutablePointer<UInt64>
    /// Slots in the table (any size: the home slot is `hash × capacity >> 64`).
    private var capacity: Int
    private(set) var count = 0
    /// Bytes of the log already written to the file.
    private var written: Int64 = 0
    /// Log bytes not yet written, starting at file offset `written`.
    private var pending: [UInt8] = []

    static let maxOffset: Int64 = 1 << 40 - 2

    init(logPath: String, expectedKeys: Int, resumeLength: Int64?) throws {
        self.logPath = logPath
        fd = open(logPath, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw SweepError.io("cannot open '\(logPath)': \(String(cString: strerror(errno)))") }
        capacity = KeyIndex.capacity(for: expectedKeys)
        slots = try KeyIndex.allocateSlots(capacity)
        let keep = resumeLength ?? 0
        guard ftruncate(fd, off_t(keep)) == 0 else { throw SweepError.io("cannot truncate '\(logPath)'") }
        written = keep
        if keep > 0 { try reload(upTo: keep) }
    }

    deinit {
        KeyIndex.deallocateSlots(slots, capacity)
        Glibc.close(fd)
    }

    /// A zeroed table from `mmap`, in transparent huge pages where the kernel allows them
    /// (THP mode `madvise` or `always`): every probe lands on a random slot of a table of up
    /// to ~100 MiB, and with 4 KiB pages nearly each one also missed the TLB. Measured on the
    /// 10 M-account sweep: see ``insert(_:hash:)``.
    private static func allocateSlots(_ capacity: Int) throws -> UnsafeMutablePointer<UInt64> {
        let bytes = capacity * MemoryLayout<UInt64>.stride
        guard let p = mmap(nil, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), p != MAP_FAILED else {
            throw SweepError.io("cannot allocate the duplicate-key table (\(bytes) bytes): \(SweepFiles.lastError)")
        }
        _ = madvise(p, bytes, MADV_HUGEPAGE)  // advice only: without huge pages it still works
        return p.bindMemory(to: UInt64.self, capacity: capacity)
    }

    private static func deallocateSlots(_ slots: UnsafeMutablePointer<UInt64>, _ capacity: Int) {
        munmap(slots, capacity * MemoryLayout<UInt64>.stride)
    }

    /// Slots for `keys` keys at most 80 % full (a multiple of 1,024: 10 M keys, 100 MiB).
    static func capacity(for keys: Int) -> Int {
        (max(keys, 1) * 5 / 4 / 1024 + 1) * 1024
    }

    /// The slot a key with hash `h` starts probing at: the high bits of `h × capacity`, so the
    /// table can have any size; the tag is the hash's low 24 bits, independent of the slot.
    @inline(__always)
    private func home(_ h: UInt64) -> Int { Int(truncatingIfNeeded: h.multipliedFullWidth(by: UInt64(capacity)).high) }

    @inline(__always)
    private func next(_ i: Int) -> Int { i + 1 == capacity ? 0 : i + 1 }

    @inline(__always)
    private var isFull: Bool { count * 5 > capacity * 4 }

    /// Inserts `key`; `false` when it was already there (a duplicate).
    func insert(_ key: UnsafeBufferPointer<UInt8>) throws -> Bool {
        try insert(key, hash: KeyIndex.hash(key))
    }

    /// Reads the slots where keys with these hashes start probing, so that the inserts that
    /// follow find them in cache: loading a batch's slots in one loop lets the CPU overlap the
    /// misses to memory that one-by-one inserts take in turn (the table is far larger than the
    /// caches). The loads' sum is stored, so the optimiser cannot drop them as unused — an
    /// earlier version passed it to an empty function, which the optimiser saw through.
    func touch(hashes: [UInt64]) {
        var sum: UInt64 = 0
        for h in hashes { sum &+= slots[home(h)] }
        touchSink = sum
    }

    private var touchSink: UInt64 = 0

    /// ``insert(_:)`` with the key's ``hash(_:)`` already computed (by a worker).
    func insert(_ key: UnsafeBufferPointer<UInt8>, hash h: UInt64) throws -> Bool {
        let tag = h & 0xFF_FFFF
        var i = home(h)
        while true {
            let s = slots[i]
            if s == 0 { break }
            if s & 0xFF_FFFF == tag, try keyEquals(at: Int64(s >> 24) - 1, key) { return false }
            i = next(i)
        }
        let offset = written + Int64(pending.count)
        guard offset < KeyIndex.maxOffset, key.count <= Int(UInt32.max) else {
            throw SweepError.io("duplicate-key log '\(logPath)' is full")
        }
        var n = UInt32(key.count).littleEndian
        withUnsafeBytes(of: &n) { pending.append(contentsOf: $0) }
        pending.append(contentsOf: key)
        slots[i] = UInt64(offset + 1) << 24 | tag
        count += 1
        if isFull { try grow() }
        if pending.count >= 8 << 20 { try writePending() }
        return true
    }

    /// Writes and fsyncs the log; returns its length for the sweep's checkpoint.
    func checkpoint() throws -> Int64 {
        try writePending()
        guard fsync(fd) == 0 else { throw SweepError.io("cannot fsync '\(logPath)'") }
        return written
    }

    // MARK: Internals

    private func writePending() throws {
        guard !pending.isEmpty else { return }
        let n = pending.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, off_t(written)) }
        guard n == pending.count else { throw SweepError.io("cannot write '\(logPath)'") }
        written += Int64(n)
        pending.removeAll(keepingCapacity: true)
    }

    /// Whether the key stored at log offset `offset` is `key` (rare: only on a tag match).
    private func keyEquals(at offset: Int64, _ key: UnsafeBufferPointer<UInt8>) throws -> Bool {
        try readKey(at: offset).elementsEqual(key)
    }

    /// Re-inserts every key in the first `length` bytes of the log (all distinct by construction).
    private func reload(upTo length: Int64) throws {
        var offset: Int64 = 0
        let chunk = 1 << 20
        var buffer = [UInt8](repeating: 0, count: chunk)
        var data: [UInt8] = []
        var dataStart: Int64 = 0
        while dataStart + Int64(data.count) < length {
            let want = Int(min(Int64(chunk), length - dataStart - Int64(data.count)))
            let n = buffer.withUnsafeMutableBytes { pread(fd, $0.baseAddress, want, off_t(dataStart + Int64(data.count))) }
            guard n == want else { throw SweepError.io("cannot read '\(logPath)'") }
            data.append(contentsOf: buffer[0..<n])
            var p = Int(offset - dataStart)
            while p + 4 <= data.count {
                let k = Int(UInt32(data[p]) | UInt32(data[p + 1]) << 8 | UInt32(data[p + 2]) << 16 | UInt32(data[p + 3]) << 24)
                guard p + 4 + k <= data.count else { break }
                try data.withUnsafeBufferPointer { b in try place(UnsafeBufferPointer(rebasing: b[(p + 4)..<(p + 4 + k)]), at: offset) }
                offset += Int64(4 + k)
                p += 4 + k
            }
            data.removeFirst(p)
            dataStart = offset
        }
        guard offset == length else { throw SweepError.io("duplicate-key log '\(logPath)' ends inside a key") }
    }

    /// Puts a key known to be absent into the table.
    private func place(_ key: UnsafeBufferPointer<UInt8>, at offset: Int64) throws {
        let h = KeyIndex.hash(key)
        var i = home(h)
        while slots[i] != 0 { i = next(i) }
        slots[i] = UInt64(offset + 1) << 24 | h & 0xFF_FFFF
        count += 1
        if isFull { try grow() }
    }

    /// Doubles the table. Slots keep only 24 hash bits, so each key is read back and rehashed:
    /// from the log file and the pending tail, in one sequential pass.
    private func grow() throws {
        let newCapacity = capacity * 2
        let table = try KeyIndex.allocateSlots(newCapacity)
        // `home` depends on `capacity`: rehash with the new one, and put the old back if a key
        // cannot be read (the index stays as it was; the sweep fails with the error).
        let (old, oldCapacity) = (slots, capacity)
        capacity = newCapacity
        do {
            for j in 0..<oldCapacity where old[j] != 0 {
                let offset = Int64(old[j] >> 24) - 1
                let key = try readKey(at: offset)
                let h = key.withUnsafeBufferPointer { KeyIndex.hash($0) }
                var i = home(h)
                while table[i] != 0 { i = next(i) }
                table[i] = old[j]
            }
        } catch {
            capacity = oldCapacity
            KeyIndex.deallocateSlots(table, newCapacity)
            throw error
        }
        slots = table
        KeyIndex.deallocateSlots(old, oldCapacity)
    }

    private func readKey(at offset: Int64) throws -> [UInt8] {
        if offset >= written {
            let p = Int(offset - written)
            let n = Int(UInt32(pending[p]) | UInt32(pending[p + 1]) << 8 | UInt32(pending[p + 2]) << 16 | UInt32(pending[p + 3]) << 24)
            return Array(pending[(p + 4)..<(p + 4 + n)])
        }
        var header: UInt32 = 0
        guard pread(fd, &header, 4, off_t(offset)) == 4 else { throw SweepError.io("cannot read '\(logPath)'") }
        let n = Int(UInt32(littleEndian: header))
        var key = [UInt8](repeating: 0, count: n)
        let got = key.withUnsafeMutableBytes { pread(fd, $0.baseAddress, n, off_t(offset + 4)) }
        guard got == n else { throw SweepError.io("cannot read '\(logPath)'") }
        return key
    }

    /// 64-bit hash of the key's bytes (8 bytes per multiply, murmur3's finaliser); the table
    /// uses the high bits (times the capacity) for the slot and the low 24 as the tag.
    static func hash(_ b: UnsafeBufferPointer<UInt8>) -> UInt64 {
        var h: UInt64 = 0x9E37_79B9_7F4A_7C15 ^ UInt64(b.count)
        var i = 0
        let raw = UnsafeRawBufferPointer(b)
        while i + 8 <= b.count {
            h = (h ^ raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)) &* 0xFF51_AFD7_ED55_8CCD
            h ^= h >> 29
            i += 8
        }
        var tail: UInt64 = 0
        var shift: UInt64 = 0
        while i < b.count { tail |= UInt64(b[i]) << shift; shift += 8; i += 1 }
        h = (h ^ tail) &* 0xC4CE_B9FE_1A85_EC53
        h ^= h >> 33
        h = h &* 0xFF51_AFD7_ED55_8CCD
        h ^= h >> 33
        return h
    }
}
