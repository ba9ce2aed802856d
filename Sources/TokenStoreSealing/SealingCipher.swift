import CTokenStoreOpenSSL
import TokenStoreKit

/// AES-256-GCM fetched once from OpenSSL's default provider.
///
/// OpenSSL 3 looks the algorithm up in its provider tables on every init when given
/// `EVP_aes_256_gcm()`; an explicitly fetched `EVP_CIPHER` skips that (several
/// microseconds per record).
///
/// `@unchecked Sendable`: the pointer is written once at initialization and a fetched
/// `EVP_CIPHER` is immutable and reference-counted by OpenSSL, documented as safe to share
/// between threads; it is never freed (one per process).
struct SealingCipher: @unchecked Sendable {
    let cipher: OpaquePointer?

    static let aes256GCM = SealingCipher(cipher: EVP_CIPHER_fetch(nil, "AES-256-GCM", nil))

    /// The fetched cipher, or the legacy static one when fetching failed.
    var pointer: OpaquePointer? { cipher ?? EVP_aes_256_gcm() }
}
