/// Redis Cluster's key slot: CRC16 (XMODEM) of the key's hash tag (the bytes between the
/// first `{` and the next `}`, when not empty) or of the whole key, modulo 16384. Every key
/// an atomic step touches must share one slot; the router sends a call to the primary
/// that serves its slot.
package enum RedisSlot {
    /// The number of slots in a cluster.
    package static let count = 16384

    /// The slot of `key`.
    package static func of(_ key: some Collection<UInt8>) -> UInt16 {
        let bytes = Array(key)
        var hashed = bytes[...]
        if let open = bytes.firstIndex(of: UInt8(ascii: "{")),
            let close = bytes[(open + 1)...].firstIndex(of: UInt8(ascii: "}")), close > open + 1
        {
            hashed = bytes[(open + 1)..<close]
        }
        return crc16(hashed) & UInt16(count - 1)
    }

    /// CRC16-CCITT (XMODEM: polynomial 0x1021, initial value 0), as Redis Cluster
    /// specifies it.
    static func crc16(_ bytes: some Sequence<UInt8>) -> UInt16 {
        var crc: UInt16 = 0
        for byte in bytes {
            crc ^= UInt16(byte) << 8
            for _ in 0..<8 {
                crc = crc & 0x8000 != 0 ? (crc << 1) ^ 0x1021 : crc << 1
            }
        }
        return crc
    }
}
