import CTokenStoreOpenSSL
import Foundation

/// The digests this module uses, mapped to OpenSSL's `EVP_MD`. `package` for `OAuth2`'s PKCE.
package enum OpenSSLDigest: Sendable {
    case sha1, sha256, sha512

    var md: OpaquePointer? {
        switch self {
        case .sha1: EVP_sha1()
        case .sha256: EVP_sha256()
        case .sha512: EVP_sha512()
        }
    }
}

/// Thin, allocation-light wrappers over libcrypto. Every OpenSSL object created here is
/// freed before returning; failures clear OpenSSL's thread-local error queue and never
/// put key material into the thrown error. `package` so `OAuth2` hashes, draws random bytes
/// and compares secrets with the same code.
package enum OpenSSLCrypto {
    /// HMAC of `message` under `key` (one-shot `HMAC()`, not deprecated in OpenSSL 3).
    static func hmac(_ digest: OpenSSLDigest, key: some StringProtocol, message: some StringProtocol) throws -> [UInt8]
    {
        try withContiguousUTF8(key) { keyBytes in
            try withContiguousUTF8(message) { messageBytes in
                try hmac(digest, keyBytes: keyBytes, messageBytes: messageBytes)
            }
        }
    }

    /// HMAC over raw bytes (used by the RFC 2202/4231 vector tests with binary keys).
    static func hmac(_ digest: OpenSSLDigest, keyBytes: [UInt8], messageBytes: [UInt8]) throws -> [UInt8] {
        try keyBytes.withUnsafeBufferPointer { key in
            try messageBytes.withUnsafeBufferPointer { message in
                try hmac(digest, keyBytes: key, messageBytes: message)
            }
        }
    }

    private static func hmac(
        _ digest: OpenSSLDigest, keyBytes: UnsafeBufferPointer<UInt8>, messageBytes: UnsafeBufferPointer<UInt8>
    ) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        let length = try output.withUnsafeMutableBufferPointer { out in
            guard let base = out.baseAddress else { return 0 }
            return try hmac(digest, key: keyBytes, message: messageBytes, into: base)
        }
        output.removeSubrange(length...)
        return output
    }

    /// The one HMAC call: the MAC of `message` under `key`, written at `output` (room for
    /// `EVP_MAX_MD_SIZE` bytes); returns its length.
    private static func hmac(
        _ digest: OpenSSLDigest, key: UnsafeBufferPointer<UInt8>, message: UnsafeBufferPointer<UInt8>,
        into output: UnsafeMutablePointer<UInt8>
    ) throws(OAuth1Error) -> Int {
        guard key.count <= Int(Int32.max) else {
            throw OAuth1Error(.invalidRequest, message: "the HMAC key is too long")
        }
        var length: UInt32 = 0
        // HMAC() needs valid pointers even for empty inputs (an empty secret is legal).
        var empty: UInt8 = 0
        let ok = withUnsafePointer(to: &empty) { emptyPointer in
            HMAC(
                digest.md, UnsafeRawPointer(key.baseAddress ?? emptyPointer), Int32(key.count),
                message.baseAddress ?? emptyPointer, message.count, output, &length) != nil
        }
        guard ok else {
            ERR_clear_error()
            throw OAuth1Error(.invalidRequest, message: "HMAC computation failed in OpenSSL")
        }
        return Int(length)
    }

    /// The HMAC of the bytes at `message` in `writer` under the key at `key`, appended as
    /// standard base64 (the value of an HMAC `oauth_signature`); returns where.
    static func appendHMACBase64(
        _ digest: OpenSSLDigest, key: Range<Int>, message: Range<Int>, to writer: inout OAuth1ByteWriter
    ) throws(OAuth1Error) -> Range<Int> {
        let macSize = Int(EVP_MAX_MD_SIZE)
        writer.reserve(macSize + OAuth1Base64.encodedLength(of: macSize) + 1)
        let macStart = writer.count
        let length = try hmac(
            digest, key: writer.bytes(key), message: writer.bytes(message), into: writer.base + macStart)
        writer.advance(by: length)
        let start = writer.count
        OAuth1Base64.append(offsets: macStart..<macStart + length, to: &writer)
        return start..<writer.count
    }

    /// Hash of `data`.
    package static func digest(_ digest: OpenSSLDigest, _ data: Data) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: Int(EVP_MAX_MD_SIZE))
        var length: UInt32 = 0
        let ok = data.withUnsafeBytes { input in
            output.withUnsafeMutableBufferPointer { out in
                EVP_Digest(input.baseAddress, input.count, out.baseAddress, &length, digest.md, nil) == 1
            }
        }
        guard ok else {
            ERR_clear_error()
            throw OAuth1Error(.invalidRequest, message: "digest computation failed in OpenSSL")
        }
        output.removeSubrange(Int(length)...)
        return output
    }

    /// `count` bytes from OpenSSL's CSPRNG.
    ///
    /// - Throws: ``OAuth1Error`` when `RAND_bytes` fails; a weaker source is never used.
    package static func randomBytes(_ count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        let status = bytes.withUnsafeMutableBufferPointer { RAND_bytes($0.baseAddress, Int32(count)) }
        guard status == 1 else {
            ERR_clear_error()
            throw OAuth1Error(
                .invalidRequest, message: "OpenSSL's random generator (RAND_bytes) failed; no nonce was made")
        }
        return bytes
    }

    /// Compares two byte strings in time independent of where they differ.
    package static func constantTimeEqual(_ a: some StringProtocol, _ b: some StringProtocol) -> Bool {
        withContiguousUTF8(a) { x in
            withContiguousUTF8(b) { y in
                guard x.count == y.count else { return false }
                if x.isEmpty { return true }
                return CRYPTO_memcmp(x.baseAddress, y.baseAddress, x.count) == 0
            }
        }
    }

    /// Runs `body` over the UTF-8 bytes of `string`, copying only when it is not contiguous.
    static func withContiguousUTF8<R>(
        _ string: some StringProtocol, _ body: (UnsafeBufferPointer<UInt8>) throws -> R
    ) rethrows -> R {
        if let result = try string.utf8.withContiguousStorageIfAvailable(body) { return result }
        let copy = Array(string.utf8)
        return try copy.withUnsafeBufferPointer(body)
    }
}
