/// A constant map (`m[k]`, `k in m`) laid out by content, like ``ConstantSet``: int keys in
/// 0..<64 (enum members, levels, small codes) as a table indexed by the key, anything else as
/// a hash map. Plain data, so reading one out of the program's table costs no retain; a dense
/// probe is a mask test and a load, no hashing.
enum ConstantMap: @unchecked Sendable {
    /// Bit k of `present` is set when key k is in the map; its value is `values[k]`.
    case dense(present: UInt64, values: UnsafePointer<Value>)
    /// Index into `ConstantSetStorage.maps`.
    case hashed(Int)

    /// Builds the map, keeping its memory in `storage`.
    static func make(_ table: [ExactKey: Value], storage: ConstantSetStorage) -> ConstantMap {
        var present: UInt64 = 0
        var values = [Value](repeating: .null, count: 1)
        for (key, value) in table {
            guard case .int(let n) = key.value, (0..<64).contains(n) else {
                storage.maps.append(table)
                return .hashed(storage.maps.count - 1)
            }
            present |= 1 << UInt64(n)
            if values.count <= Int(n) { values += repeatElement(.null, count: Int(n) + 1 - values.count) }
            values[Int(n)] = value
        }
        return .dense(present: present, values: storage.values(values))
    }

    /// The value under `key`; nil when the map has no such key (null is never a key).
    @inline(__always)
    func value(_ key: Value, _ storage: ConstantSetStorage) -> Value? {
        switch self {
        case .dense(let present, let values):
            if case .int(let n) = key, n >= 0 && n < 64 && present & (1 << UInt64(n)) != 0 { return values[Int(n)] }
            return nil
        case .hashed(let index):
            return storage.maps[index][ExactKey(key)]
        }
    }
}
