import CTokenStoreOpenSSL
import Foundation

/// An owned OpenSSL `EVP_PKEY` (RSA), freed on deinit.
///
/// `@unchecked Sendable` is safe because the key is never mutated after init: OpenSSL 3
/// documents `EVP_PKEY` as safe for concurrent read-only use, and every sign/verify call
/// below creates its own `EVP_MD_CTX`. The pointer never escapes this class.
final class OpenSSLKey: @unchecked Sendable {
    /// Whether the key holds private material (it can sign).
    let isPrivate: Bool
    private let key: OpaquePointer

    private init(key: OpaquePointer, isPrivate: Bool) {
        self.key = key
        self.isPrivate = isPrivate
    }

    deinit { EVP_PKEY_free(key) }

    /// Reads an RSA private key from PEM (PKCS#1 `RSA PRIVATE KEY` or PKCS#8 `PRIVATE KEY`).
    ///
    /// Encrypted keys are rejected rather than prompting on a terminal.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``); the message never
    ///   contains the PEM text.
    static func privateKey(pem: String) throws -> OpenSSLKey {
        let key = try withBIO(pem) { bio in
            PEM_read_bio_PrivateKey(bio, nil, { _, _, _, _ in -1 }, nil)
        }
        guard let key else {
            ERR_clear_error()
            throw OAuth1Error(
                .invalidKey,
                message: "could not read an RSA private key from the PEM text (expected an unencrypted "
                    + "'BEGIN PRIVATE KEY' or 'BEGIN RSA PRIVATE KEY' block)")
        }
        return try checkedRSA(OpenSSLKey(key: key, isPrivate: true))
    }

    /// Reads an RSA public key from PEM: a `PUBLIC KEY` block or an X.509 `CERTIFICATE`.
    ///
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``).
    static func publicKey(pem: String) throws -> OpenSSLKey {
        var key = try withBIO(pem) { bio in PEM_read_bio_PUBKEY(bio, nil, { _, _, _, _ in -1 }, nil) }
        if key == nil {
            ERR_clear_error()
            key = try withBIO(pem) { bio -> OpaquePointer? in
                guard let certificate = PEM_read_bio_X509(bio, nil, { _, _, _, _ in -1 }, nil) else { return nil }
                defer { X509_free(certificate) }
                return X509_get_pubkey(certificate)
            }
        }
        guard let key else {
            ERR_clear_error()
            throw OAuth1Error(
                .invalidKey,
                message: "could not read an RSA public key from the PEM text (expected a 'BEGIN PUBLIC KEY' "
                    + "or 'BEGIN CERTIFICATE' block)")
        }
        return try checkedRSA(OpenSSLKey(key: key, isPrivate: false))
    }

    private static func checkedRSA(_ key: OpenSSLKey) throws -> OpenSSLKey {
        guard EVP_PKEY_get_base_id(key.key) == EVP_PKEY_RSA else {
            throw OAuth1Error(.invalidKey, message: "the PEM key is not an RSA key")
        }
        return key
    }

    /// PEM keys are a few KiB; anything far larger is not a key (and must not overflow `Int32`).
    static let maximumPEMLength = 1 << 20

    private static func withBIO<R>(_ pem: String, _ body: (OpaquePointer) throws -> R) throws -> R {
        guard pem.utf8.count <= maximumPEMLength else {
            throw OAuth1Error(.invalidKey, message: "the PEM text is larger than 1 MiB; it is not a key")
        }
        let bytes = Array(pem.utf8)
        return try bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, let bio = BIO_new_mem_buf(base, Int32(raw.count)) else {
                throw OAuth1Error(.invalidKey, message: "the PEM text is empty or could not be buffered")
            }
            defer { BIO_free(bio) }
            return try body(bio)
        }
    }

    /// Signs `message` with PKCS #1 v1.5 over `digest`.
    func sign(_ digest: OpenSSLDigest, message: String) throws -> [UInt8] {
        guard isPrivate else {
            throw OAuth1Error(.invalidKey, message: "this RSA key is a public key; it can verify but not sign")
        }
        guard let context = EVP_MD_CTX_new() else {
            throw OAuth1Error(.invalidKey, message: "OpenSSL could not allocate a signing context")
        }
        defer { EVP_MD_CTX_free(context) }
        let signature: [UInt8]? = OpenSSLCrypto.withContiguousUTF8(message) { input in
            guard EVP_DigestSignInit(context, nil, digest.md, nil, key) == 1 else { return nil }
            var length = 0
            guard EVP_DigestSign(context, nil, &length, input.baseAddress, input.count) == 1 else { return nil }
            var output = [UInt8](repeating: 0, count: length)
            let ok = output.withUnsafeMutableBufferPointer {
                EVP_DigestSign(context, $0.baseAddress, &length, input.baseAddress, input.count) == 1
            }
            guard ok else { return nil }
            output.removeSubrange(length...)
            return output
        }
        guard let signature else {
            ERR_clear_error()
            throw OAuth1Error(.invalidKey, message: "RSA signing failed in OpenSSL")
        }
        return signature
    }

    /// Verifies a PKCS #1 v1.5 `signature` of `message` over `digest`.
    func verify(_ digest: OpenSSLDigest, signature: [UInt8], message: String) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        let ok = OpenSSLCrypto.withContiguousUTF8(message) { input in
            guard EVP_DigestVerifyInit(context, nil, digest.md, nil, key) == 1 else { return false }
            return signature.withUnsafeBufferPointer {
                EVP_DigestVerify(context, $0.baseAddress, $0.count, input.baseAddress, input.count) == 1
            }
        }
        ERR_clear_error()
        return ok
    }
}
