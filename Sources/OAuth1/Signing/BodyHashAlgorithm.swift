import Foundation

/// The digest of `oauth_body_hash` (OAuth Request Body Hash draft): the base64 of the hash
/// of the raw body bytes.
public struct BodyHashAlgorithm: Sendable, Hashable, CustomStringConvertible {
    private let digest: OpenSSLDigest
    public let description: String

    private init(_ digest: OpenSSLDigest, _ name: String) {
        self.digest = digest
        self.description = name
    }

    /// SHA-1, for HMAC-SHA1 and RSA-SHA1.
    public static let sha1 = BodyHashAlgorithm(.sha1, "SHA-1")
    /// SHA-256, for HMAC-SHA256 and RSA-SHA256.
    public static let sha256 = BodyHashAlgorithm(.sha256, "SHA-256")
    /// SHA-512, for HMAC-SHA512.
    public static let sha512 = BodyHashAlgorithm(.sha512, "SHA-512")

    /// The value of `oauth_body_hash` for `body`: base64 of its digest.
    ///
    /// - Throws: ``OAuth1Error`` if OpenSSL fails.
    public func hash(_ body: Data) throws -> String {
        OAuth1Base64.encode(try OpenSSLCrypto.digest(digest, body))
    }

    public static func == (lhs: Self, rhs: Self) -> Bool { lhs.description == rhs.description }
    public func hash(into hasher: inout Hasher) { hasher.combine(description) }
}
