import CTokenStoreOpenSSL
import TokenStoreKit

/// A running SHA-256 over the canonical encoding of tokens (see ``MigrationRecordEncoding``).
///
/// Used by `MigrationVerifier` within one task; not shared.
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
