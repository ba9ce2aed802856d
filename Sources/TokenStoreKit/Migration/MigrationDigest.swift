import CTokenStoreOpenSSL

/// A running SHA-256 over the canonical encoding of tokens (see ``MigrationRecordEncoding``).
///
/// Used by ``MigrationVerifier`` within one task; not shared.
final class MigrationDigest {
    private let context: OpaquePointer?
    private(set) var count = 0

    init() {
        context = EVP_MD_CTX_new()
        if let context { EVP_DigestInit_ex(context, EVP_sha256(), nil) }
    }

    deinit { EVP_MD_CTX_free(context) }

    /// Adds one record's encoding.
    func add(_ bytes: [UInt8]) {
        count += 1
        guard let context else { return }
        bytes.withUnsafeBytes { buffer in _ = EVP_DigestUpdate(context, buffer.baseAddress, buffer.count) }
    }

    /// `sha256:<hex>` of everything added (`sha256:unavailable` if OpenSSL could not allocate).
    func finish() -> String {
        guard let context else { return "sha256:unavailable" }
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        guard digest.withUnsafeMutableBufferPointer({ EVP_DigestFinal_ex(context, $0.baseAddress, &length) }) == 1 else {
            return "sha256:unavailable"
        }
        return "sha256:" + Self.hex(digest.prefix(Int(length)))
    }

    static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text: [UInt8] = []
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0F)])
        }
        return String(decoding: text, as: UTF8.self)
    }

    /// Hex SHA-256 of `input`.
    static func sha256Hex(_ input: [UInt8]) -> String {
        var digest = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { source in
            digest.withUnsafeMutableBufferPointer { target in
                EVP_Digest(source.baseAddress, source.count, target.baseAddress, &length, EVP_sha256(), nil) == 1
            }
        }
        return ok ? hex(digest.prefix(Int(length))) : hex(input.prefix(32))
    }
}

/// The canonical byte encoding of every field of a token, for digests and comparison: a
/// kind tag, then each field length-prefixed (4 bytes, big-endian), optionals with a
/// presence byte, dates as whole milliseconds, metadata sorted by key in UTF-8 order.
enum MigrationRecordEncoding {
    static func encode(_ token: AccessToken) -> [UInt8] {
        var bytes: [UInt8] = [0x41]
        for field in [token.provider, token.userID, token.token, token.secret] { append(field, to: &bytes) }
        append(optional: token.screenName, to: &bytes)
        append(optional: token.accessType, to: &bytes)
        append(TokenTimestamp.milliseconds(token.createdAt), to: &bytes)
        append(TokenTimestamp.milliseconds(token.updatedAt), to: &bytes)
        append(token.metadata, to: &bytes)
        return bytes
    }

    static func encode(_ token: RequestToken) -> [UInt8] {
        var bytes: [UInt8] = [0x52]
        for field in [token.provider, token.token, token.secret] { append(field, to: &bytes) }
        append(optional: token.context.callbackURL, to: &bytes)
        append(optional: token.context.returnTo, to: &bytes)
        append(optional: token.context.sessionBinding, to: &bytes)
        append(token.context.metadata, to: &bytes)
        append(TokenTimestamp.milliseconds(token.createdAt), to: &bytes)
        append(TokenTimestamp.milliseconds(token.expiresAt), to: &bytes)
        return bytes
    }

    private static func append(_ text: String, to bytes: inout [UInt8]) {
        let utf8 = Array(text.utf8)
        let count = UInt32(truncatingIfNeeded: utf8.count)
        bytes += [UInt8(count >> 24), UInt8((count >> 16) & 0xFF), UInt8((count >> 8) & 0xFF), UInt8(count & 0xFF)]
        bytes += utf8
    }

    private static func append(optional text: String?, to bytes: inout [UInt8]) {
        guard let text else {
            bytes.append(0)
            return
        }
        bytes.append(1)
        append(text, to: &bytes)
    }

    private static func append(_ value: Int64, to bytes: inout [UInt8]) {
        let bits = UInt64(bitPattern: value)
        for shift in stride(from: 56, through: 0, by: -8) { bytes.append(UInt8((bits >> UInt64(shift)) & 0xFF)) }
    }

    private static func append(_ metadata: [String: String], to bytes: inout [UInt8]) {
        append(String(metadata.count), to: &bytes)
        for key in metadata.keys.sorted(by: { $0.utf8.lexicographicallyPrecedes($1.utf8) }) {
            append(key, to: &bytes)
            append(metadata[key] ?? "", to: &bytes)
        }
    }
}
