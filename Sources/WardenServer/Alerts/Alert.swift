import Foundation
import WardenEngine

/// A decision that became an alert, waiting to be written. Rendering (UUID, masked JSON) happens
/// on the background writer, not on the scoring path.
struct PendingAlert: Sendable {
    let scored: ScoredDecision
    /// When the decision was made.
    let at: Date

    /// `{"alert_id": UUID, "at": ISO 8601 UTC, "decision": <decision JSON, personal data masked>}`.
    func render(id: UUID = UUID()) -> RenderedAlert {
        var w = JSONWriter()
        w.writeRaw("{\"alert_id\":")
        w.writeString(id.uuidString.lowercased())
        w.writeRaw(",\"at\":")
        w.writeString(ISOTime.string(at))
        w.writeRaw(",\"decision\":")
        w.writeRaw(scored.json(masked: true))
        w.writeRaw("}")
        return RenderedAlert(id: id, json: w.string)
    }
}

/// One alert as a single line of JSON.
struct RenderedAlert: Sendable {
    let id: UUID
    let json: String
}

/// RFC 3339 timestamps in UTC with milliseconds: `2026-05-01T12:34:56.789Z`.
enum ISOTime {
    static func string(_ date: Date) -> String {
        let t = date.timeIntervalSince1970
        var seconds = time_t(t.rounded(.down))
        var millis = Int(((t - Double(seconds)) * 1000).rounded(.down))
        if millis >= 1000 { millis = 999 }
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ",
                      Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1, Int(parts.tm_mday),
                      Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec), millis)
    }

    /// `YYYYMMDD-HHMMSS` in UTC, for file names.
    static func compact(_ date: Date) -> String {
        var seconds = time_t(date.timeIntervalSince1970.rounded(.down))
        var parts = tm()
        gmtime_r(&seconds, &parts)
        return String(format: "%04d%02d%02d-%02d%02d%02d", Int(parts.tm_year) + 1900, Int(parts.tm_mon) + 1,
                      Int(parts.tm_mday), Int(parts.tm_hour), Int(parts.tm_min), Int(parts.tm_sec))
    }
}
