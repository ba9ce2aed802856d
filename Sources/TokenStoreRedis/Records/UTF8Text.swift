extension String {
    /// `bytes` as a String when they are valid UTF-8, else `nil`.
    ///
    /// Stored fields are nearly always ASCII: those skip `String(validating:as:)`, whose
    /// generic validator showed up in profiles of the get path (metadata lookups per call).
    init?(utf8Bytes bytes: UnsafeRawBufferPointer) {
        var any: UInt8 = 0
        for byte in bytes { any |= byte }
        if any < 0x80 {
            self = bytes.withMemoryRebound(to: UInt8.self) { String(decoding: $0, as: UTF8.self) }
            return
        }
        guard let text = String(validating: bytes, as: UTF8.self) else { return nil }
        self = text
    }
}
