import Foundation
import Synchronization
import WardenEngine

/// Alerts as JSON Lines in a directory: `alerts-YYYYMMDD-HHMMSS.jsonl` (UTC), a new file when the
/// current one reaches the size limit or the UTC day changes. Each batch is written whole and
/// synced before it counts as written.
final class AlertFileSink: Sendable {
    let directory: String
    let maxBytes: Int
    private struct Current {
        var file: AppendFile
        var day: String
    }
    private let current = Mutex<Current?>(nil)

    init(directory: String, maxBytes: Int) {
        self.directory = directory
        self.maxBytes = maxBytes
    }

    /// Appends one line per alert.
    func write(_ alerts: [RenderedAlert], now: Date = Date()) throws(AppendFile.Failure) {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(alerts.reduce(0) { $0 + $1.json.utf8.count + 1 })
        for a in alerts {
            bytes.append(contentsOf: a.json.utf8)
            bytes.append(0x0A)
        }
        try current.withLock { (cur: inout Current?) throws(AppendFile.Failure) in
            let stamp = ISOTime.compact(now)
            let day = String(stamp.prefix(8))
            if let c = cur, c.day != day || (c.file.size > 0 && c.file.size + bytes.count > maxBytes) {
                c.file.closeFile()
                cur = nil
            }
            if cur == nil {
                cur = Current(file: try AppendFile(path: freshPath(stamp)), day: day)
            }
            try cur!.file.append(bytes)
            try cur!.file.sync()
        }
    }

    /// The file currently written to, if any.
    var currentPath: String? { current.withLock { $0?.file.path } }

    /// A name not yet taken: `alerts-STAMP.jsonl`, else `alerts-STAMP-1.jsonl`, ….
    private func freshPath(_ stamp: String) -> String {
        var path = "\(directory)/alerts-\(stamp).jsonl"
        var n = 1
        while FileManager.default.fileExists(atPath: path) {
            path = "\(directory)/alerts-\(stamp)-\(n).jsonl"
            n += 1
        }
        return path
    }
}

/// `DIR/dead-letter.jsonl`: alerts that could not be delivered, one JSON object per line,
/// `{"reason": …, "attempts": N, "dead_lettered_at": …, "alert": {…}}`. Written from the
/// background writer and, when the queue is full, from the scoring path; synced per write.
final class DeadLetterFile: Sendable {
    let path: String
    private let file: Mutex<AppendFile>

    init(directory: String) throws(AppendFile.Failure) {
        path = "\(directory)/dead-letter.jsonl"
        file = Mutex(try AppendFile(path: path))
    }

    func write(_ alerts: [RenderedAlert], reason: String, attempts: Int) throws(AppendFile.Failure) {
        let at = ISOTime.string(Date())
        var bytes: [UInt8] = []
        for a in alerts {
            var w = JSONWriter()
            w.writeRaw("{\"reason\":")
            w.writeString(reason)
            w.writeRaw(",\"attempts\":\(attempts),\"dead_lettered_at\":")
            w.writeString(at)
            w.writeRaw(",\"alert\":")
            w.writeRaw(a.json)
            w.writeRaw("}\n")
            bytes.append(contentsOf: w.bytes)
        }
        try file.withLock { (f: inout AppendFile) throws(AppendFile.Failure) in
            try f.append(bytes)
            try f.sync()
        }
    }
}
