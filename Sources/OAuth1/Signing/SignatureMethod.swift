import Foundation

/// An OAuth signature method: its name on the wire, how it signs, how it verifies, and
/// which digest `oauth_body_hash` uses with it.
///
/// The built-in methods run through OpenSSL's libcrypto. Add your own with
/// ``init(name:bodyHash:sign:verify:)``.
///
/// ```swift
/// let signer = OAuth1Signer(client: client, token: token, method: .hmacSHA256)
/// let rsa = try SignatureMethod.rsaSHA1(privateKeyPEM: pem)
/// ```
public struct SignatureMethod: Sendable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// Computes a signature from the base string and the two secrets.
    public typealias Sign =
        @Sendable (_ baseString: String, _ clientSecret: String, _ tokenSecret: String) throws -> String
    /// Checks a received signature against the base string and the two secrets.
    public typealias Verify =
        @Sendable (
            _ signature: String, _ baseString: String, _ clientSecret: String, _ tokenSecret: String
        ) -> Bool

    /// The value of `oauth_signature_method`, e.g. `HMAC-SHA1`.
    public let name: String
    /// The digest for `oauth_body_hash`, or `nil` when the method defines none (PLAINTEXT).
    public let bodyHash: BodyHashAlgorithm?
    private let signer: Sign
    private let verifier: Verify
    /// Set for the built-in HMAC and PLAINTEXT methods, so the signer can compute the
    /// signature in its own byte buffer instead of through `String`s (same bytes, same result).
    let builtin: Builtin?

    /// The built-in computations the signer may run directly.
    enum Builtin: Sendable {
        /// HMAC over the base string with `encode(clientSecret)&encode(tokenSecret)`.
        case hmac(OpenSSLDigest)
        /// The signing key itself.
        case plaintext
    }

    /// Creates a user-defined signature method.
    ///
    /// Verification recomputes the signature with `sign` and compares in constant time.
    ///
    /// - Parameters:
    ///   - name: The value sent as `oauth_signature_method`.
    ///   - bodyHash: The digest for `oauth_body_hash`; `nil` sends none.
    ///   - sign: Computes the signature. Throw ``OAuth1Error`` on failure.
    public init(name: String, bodyHash: BodyHashAlgorithm? = nil, sign: @escaping Sign) {
        self.init(name: name, bodyHash: bodyHash, sign: sign) { signature, baseString, clientSecret, tokenSecret in
            guard let expected = try? sign(baseString, clientSecret, tokenSecret) else { return false }
            return OpenSSLCrypto.constantTimeEqual(expected, signature)
        }
    }

    /// Creates a user-defined signature method with its own verification.
    ///
    /// - Parameters:
    ///   - name: The value sent as `oauth_signature_method`.
    ///   - bodyHash: The digest for `oauth_body_hash`; `nil` sends none.
    ///   - sign: Computes the signature. Throw ``OAuth1Error`` on failure.
    ///   - verify: Checks a received signature; must not leak timing on secret data.
    public init(name: String, bodyHash: BodyHashAlgorithm? = nil, sign: @escaping Sign, verify: @escaping Verify) {
        self.init(name: name, bodyHash: bodyHash, builtin: nil, sign: sign, verify: verify)
    }

    init(
        name: String, bodyHash: BodyHashAlgorithm?, builtin: Builtin?, sign: @escaping Sign,
        verify: @escaping Verify
    ) {
        self.name = name
        self.bodyHash = bodyHash
        self.builtin = builtin
        self.signer = sign
        self.verifier = verify
    }

    /// Signs `baseString`.
    ///
    /// - Parameters:
    ///   - baseString: The signature base string (RFC 5849 section 3.4.1).
    ///   - clientSecret: The client (consumer) secret.
    ///   - tokenSecret: The token secret, or the empty string when there is no token.
    /// - Returns: The value of `oauth_signature`, not yet percent-encoded.
    /// - Throws: ``OAuth1Error``, e.g. ``OAuth1Error/Code/invalidKey`` for a verify-only key.
    public func sign(baseString: String, clientSecret: String, tokenSecret: String) throws -> String {
        try signer(baseString, clientSecret, tokenSecret)
    }

    /// Checks `signature` (decoded, as received in `oauth_signature`) for `baseString`.
    ///
    /// HMAC and PLAINTEXT compare in constant time; RSA methods verify with the public key.
    public func verify(signature: String, baseString: String, clientSecret: String, tokenSecret: String) -> Bool {
        verifier(signature, baseString, clientSecret, tokenSecret)
    }

    public var description: String { "SignatureMethod(\(name))" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["name": name], displayStyle: .struct)
    }
}

extension SignatureMethod {
    /// Looks up a built-in method without a key by its wire name (case-insensitive):
    /// `HMAC-SHA1`, `HMAC-SHA256`, `HMAC-SHA512` or `PLAINTEXT`. RSA methods need a key; use
    /// ``rsaSHA1(privateKeyPEM:)`` and friends.
    public static func named(_ name: String) -> SignatureMethod? {
        switch name.uppercased() {
        case "HMAC-SHA1": .hmacSHA1
        case "HMAC-SHA256": .hmacSHA256
        case "HMAC-SHA512": .hmacSHA512
        case "PLAINTEXT": .plaintext
        default: nil
        }
    }
}
