extension ScoredDecision {
    /// Appends ``json(masked:)``'s exact bytes to `w`, without the intermediate strings: what
    /// the HTTP service uses to write a batch's decisions into one buffer.
    ///
    /// - Complexity: O(size of the decision's JSON).
    public func writeJSON(into w: inout JSONWriter, masked: Bool = false) {
        w.writeRaw("{\"pack\":")
        w.writeString(info.name)
        w.writeRaw(",\"version\":")
        if let v = info.version { w.writeString(v) } else { w.writeRaw("null") }
        w.writeRaw(",\"pack_hash\":")
        w.writeString(info.contentHash)
        if flagged { w.writeRaw(",\"flagged\":true") }
        if late { w.writeRaw(",\"late\":true") }
        // The decision object's members follow ours: write it, then turn its '{' into ','.
        let open = w.bytes.count
        pack.writeDecision(masked ? maskedDecision() : decision, record: record, line: nil, into: &w)
        w.bytes[open] = UInt8(ascii: ",")
    }
}
