import CTokenStoreOpenSSL

/// The package's one base64: OpenSSL's `EVP_EncodeBlock` / `EVP_DecodeBlock`.
///
/// OpenSSL writes straight into a caller's buffer, so a signature's base64 lands in the
/// signer's byte buffer without an intermediate `Data` or `String`. Its decoder is lenient
/// (it trims whitespace and reads `=` anywhere as zero bits), so ``decode(_:)`` accepts a
/// text only when re-encoding what OpenSSL decoded gives that text back: every value has
/// exactly one accepted spelling per alphabet, and nothing else gets through.
package enum OAuth1Base64 {
    /// The longest text ``decode(_:)`` reads; OpenSSL takes lengths as `Int32`.
    static let maximumDecodedTextLength = Int(Int32.max) / 2

    /// The length of the padded standard encoding of `count` bytes.
    @inline(__always)
    static func encodedLength(of count: Int) -> Int { (count + 2) / 3 * 4 }

    /// Appends the standard, padded base64 of `bytes` (RFC 4648 section 4).
    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to writer: inout OAuth1ByteWriter) {
        guard let source = bytes.baseAddress, !bytes.isEmpty else { return }
        writer.reserve(encodedLength(of: bytes.count) + 1)  // EVP_EncodeBlock adds a NUL
        encode(source, count: bytes.count, into: &writer)
    }

    /// Appends the standard, padded base64 of the bytes at `range` of `writer` itself.
    static func append(offsets range: Range<Int>, to writer: inout OAuth1ByteWriter) {
        guard !range.isEmpty else { return }
        writer.reserve(encodedLength(of: range.count) + 1)
        encode(writer.base + range.lowerBound, count: range.count, into: &writer)
    }

    /// Runs `EVP_EncodeBlock` into room the caller reserved, in chunks whose length it
    /// takes as an `Int32` and that are whole multiples of 3 bytes, so they join unpadded.
    private static func encode(_ source: UnsafePointer<UInt8>, count: Int, into writer: inout OAuth1ByteWriter) {
        let chunk = 3 << 28
        var offset = 0
        while offset < count {
            let length = min(count - offset, chunk)
            let written = EVP_EncodeBlock(writer.base + writer.count, source + offset, Int32(length))
            writer.advance(by: Int(written))
            offset += length
        }
    }

    /// The standard, padded base64 of `bytes`: what `Data.base64EncodedString()` writes.
    package static func encode(_ bytes: some Sequence<UInt8>) -> String {
        let contiguous = bytes.withContiguousStorageIfAvailable { encode(contiguous: $0) }
        return contiguous ?? Array(bytes).withUnsafeBufferPointer { encode(contiguous: $0) }
    }

    private static func encode(contiguous bytes: UnsafeBufferPointer<UInt8>) -> String {
        var writer = OAuth1ByteWriter(capacity: encodedLength(of: bytes.count) + 1)
        defer { writer.wipe() }  // the bytes may be key material (a key file line)
        append(bytes, to: &writer)
        return writer.string(0..<writer.count)
    }

    /// Unpadded base64url of `bytes` (RFC 4648 section 5): safe in URLs, keys and JSON.
    package static func encodeURL(_ bytes: [UInt8]) -> String {
        var writer = OAuth1ByteWriter(capacity: encodedLength(of: bytes.count) + 1)
        bytes.withUnsafeBufferPointer { append($0, to: &writer) }
        var end = writer.count
        while end > 0, writer.base[end - 1] == UInt8(ascii: "=") { end -= 1 }
        for index in 0..<end {
            switch writer.base[index] {
            case UInt8(ascii: "+"): writer.base[index] = UInt8(ascii: "-")
            case UInt8(ascii: "/"): writer.base[index] = UInt8(ascii: "_")
            default: break
            }
        }
        return writer.string(0..<end)
    }

    /// Decodes standard base64 or base64url, padded or not.
    ///
    /// - Returns: The bytes, or `nil` for anything but the canonical encoding of some bytes:
    ///   characters outside the two alphabets, whitespace, misplaced or excess `=`, a
    ///   length no encoding has, or non-zero bits after the last byte.
    package static func decode(_ text: String) -> [UInt8]? {
        var text = text
        return text.withUTF8 { decode(utf8: $0) }
    }

    private static func decode(utf8 input: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard input.count <= maximumDecodedTextLength else { return nil }
        var dataCount = input.count
        while dataCount > 0, input[dataCount - 1] == UInt8(ascii: "=") { dataCount -= 1 }
        let givenPadding = input.count - dataCount
        let paddedCount = (dataCount + 3) / 4 * 4
        // A padded text must be padded exactly; an unpadded one must have a length some
        // encoding has (4n, 4n + 2 or 4n + 3).
        guard dataCount % 4 != 1, givenPadding == 0 || dataCount + givenPadding == paddedCount else { return nil }
        if dataCount == 0 { return givenPadding == 0 ? [] : nil }

        // The text in the standard alphabet with its padding, and the re-encoding to compare.
        var canonical = OAuth1ByteWriter(capacity: 2 * paddedCount + 2)
        defer { canonical.wipe() }
        canonical.reserve(paddedCount)
        for byte in input[0..<dataCount] {
            switch byte {
            case UInt8(ascii: "-"): canonical.put(UInt8(ascii: "+"))
            case UInt8(ascii: "_"): canonical.put(UInt8(ascii: "/"))
            default: canonical.put(byte)
            }
        }
        while canonical.count < paddedCount { canonical.put(UInt8(ascii: "=")) }

        var output = [UInt8](repeating: 0, count: paddedCount / 4 * 3)
        let decodedCount = output.withUnsafeMutableBufferPointer { out in
            EVP_DecodeBlock(out.baseAddress, canonical.base, Int32(paddedCount))
        }
        let byteCount = Int(decodedCount) - (paddedCount - dataCount)
        guard decodedCount >= 0, byteCount > 0 else {
            output.wipe()
            return nil
        }
        output.removeSubrange(byteCount...)
        let matches = output.withUnsafeBufferPointer { decoded in
            append(decoded, to: &canonical)
            return canonical.count == 2 * paddedCount
                && memcmp(canonical.base, canonical.base + paddedCount, paddedCount) == 0
        }
        guard matches else {
            output.wipe()
            return nil
        }
        return output
    }
}

extension [UInt8] {
    /// Overwrites the bytes (`OPENSSL_cleanse`): decoded text may be key material.
    mutating func wipe() {
        withUnsafeMutableBytes { if let base = $0.baseAddress { OPENSSL_cleanse(base, $0.count) } }
    }
}
