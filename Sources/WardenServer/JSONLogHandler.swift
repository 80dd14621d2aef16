import Foundation
import Logging
import WardenEngine

/// One JSON object per log line on standard error:
/// `{"ts":"2026-05-01T12:00:00.000Z","level":"info","logger":"warden","msg":"pack reloaded","pack":"payments",…}`.
/// Metadata values are rendered as strings. For log shippers; `--log-format text` is the default.
public struct JSONLogHandler: LogHandler {
    public var logLevel: Logger.Level = .info
    public var metadata: Logger.Metadata = [:]
    private let label: String

    public init(label: String) {
        self.label = label
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var w = JSONWriter()
        w.writeRaw("{\"ts\":")
        w.writeString(ISOTime.string(Date()))
        w.writeRaw(",\"level\":")
        w.writeString(event.level.rawValue)
        w.writeRaw(",\"logger\":")
        w.writeString(label)
        w.writeRaw(",\"msg\":")
        w.writeString(event.message.description)
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        for (k, v) in all.sorted(by: { $0.key < $1.key }) {
            w.writeRaw(",")
            w.writeString(k)
            w.writeRaw(":")
            w.writeString(v.description)
        }
        w.writeRaw("}\n")
        let bytes = w.bytes
        // One write(2) per line: lines from concurrent tasks never interleave.
        bytes.withUnsafeBytes { b in _ = write(STDERR_FILENO, b.baseAddress, b.count) }
    }
}
