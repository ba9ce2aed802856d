import CTokenStoreOpenSSL
import Foundation

extension SignatureMethod {
    /// Appends the signing key of the HMAC and PLAINTEXT methods,
    /// `encode(clientSecret)&encode(tokenSecret)` (RFC 5849 section 3.4.2); returns where.
    static func appendSigningKey(
        clientSecret: String, tokenSecret: String, to writer: inout OAuth1ByteWriter
    ) -> Range<Int> {
        let start = writer.count
        writer.appendEncoded(clientSecret)
        writer.append(ascii: "&")
        writer.appendEncoded(tokenSecret)
        return start..<writer.count
    }

    /// Appends this method's signature (the value of `oauth_signature`) of the base string
    /// at `baseString` in `writer`; returns where. The built-in methods compute it in the
    /// buffer; others get the base string as a `String`.
    func appendSignature(
        of baseString: Range<Int>, clientSecret: String, tokenSecret: String, to writer: inout OAuth1ByteWriter
    ) throws -> Range<Int> {
        if let builtin {
            return try Self.appendSignature(
                builtin, of: baseString, clientSecret: clientSecret, tokenSecret: tokenSecret, to: &writer)
        }
        let signature = try sign(baseString: writer.string(baseString), clientSecret: clientSecret, tokenSecret: tokenSecret)
        let start = writer.count
        return start..<writer.append(signature)
    }

    /// The built-in computations: PLAINTEXT's signature is the signing key; HMAC's is the
    /// base64 of the MAC of the base string under it.
    private static func appendSignature(
        _ builtin: Builtin, of baseString: Range<Int>, clientSecret: String, tokenSecret: String,
        to writer: inout OAuth1ByteWriter
    ) throws(OAuth1Error) -> Range<Int> {
        let key = appendSigningKey(clientSecret: clientSecret, tokenSecret: tokenSecret, to: &writer)
        switch builtin {
        case .plaintext:
            return key
        case .hmac(let digest):
            defer { OPENSSL_cleanse(writer.base + key.lowerBound, key.count) }
            return try OpenSSLCrypto.appendHMACBase64(digest, key: key, message: baseString, to: &writer)
        }
    }

    /// The built-in computation over `String`s: what the methods' `sign` closures run.
    private static func signature(
        _ builtin: Builtin, baseString: String, clientSecret: String, tokenSecret: String
    ) throws(OAuth1Error) -> String {
        var writer = OAuth1ByteWriter(
            capacity: baseString.utf8.count + 3 * (clientSecret.utf8.count + tokenSecret.utf8.count) + 256)
        defer { writer.wipe() }
        let base = 0..<writer.append(baseString)
        let signature = try appendSignature(
            builtin, of: base, clientSecret: clientSecret, tokenSecret: tokenSecret, to: &writer)
        return writer.string(signature)
    }

    private static func builtin(_ name: String, _ builtin: Builtin, bodyHash: BodyHashAlgorithm?) -> SignatureMethod {
        SignatureMethod(
            name: name, bodyHash: bodyHash, builtin: builtin,
            sign: { baseString, clientSecret, tokenSecret in
                try signature(builtin, baseString: baseString, clientSecret: clientSecret, tokenSecret: tokenSecret)
            },
            verify: { signature, baseString, clientSecret, tokenSecret in
                guard
                    let expected = try? Self.signature(
                        builtin, baseString: baseString, clientSecret: clientSecret, tokenSecret: tokenSecret)
                else { return false }
                return OpenSSLCrypto.constantTimeEqual(expected, signature)
            })
    }

    /// HMAC-SHA1 (RFC 5849 section 3.4.2); body hash SHA-1.
    public static let hmacSHA1 = builtin("HMAC-SHA1", .hmac(.sha1), bodyHash: .sha1)
    /// HMAC-SHA256, the same construction over SHA-256; body hash SHA-256.
    public static let hmacSHA256 = builtin("HMAC-SHA256", .hmac(.sha256), bodyHash: .sha256)
    /// HMAC-SHA512, the same construction over SHA-512; body hash SHA-512.
    public static let hmacSHA512 = builtin("HMAC-SHA512", .hmac(.sha512), bodyHash: .sha512)

    /// PLAINTEXT (RFC 5849 section 3.4.4): the signature is the signing key itself, so use it
    /// only over TLS. It has no body hash: the body hash draft calls one pointless here.
    public static let plaintext = builtin("PLAINTEXT", .plaintext, bodyHash: nil)

    private static func rsa(_ name: String, _ digest: OpenSSLDigest, bodyHash: BodyHashAlgorithm, key: OpenSSLKey)
        -> SignatureMethod
    {
        SignatureMethod(
            name: name, bodyHash: bodyHash,
            sign: { baseString, _, _ in
                OAuth1Base64.encode(try key.sign(digest, message: baseString))
            },
            verify: { signature, baseString, _, _ in
                guard let bytes = OAuth1Base64.decode(signature) else { return false }
                return key.verify(digest, signature: bytes, message: baseString)
            })
    }

    /// RSA-SHA1 (RFC 5849 section 3.4.3) with a PEM private key; body hash SHA-1.
    ///
    /// The secrets are not used. The method can also verify its own signatures.
    ///
    /// - Parameter privateKeyPEM: An unencrypted RSA key, PKCS #8 (`BEGIN PRIVATE KEY`) or
    ///   PKCS #1 (`BEGIN RSA PRIVATE KEY`).
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``) when the PEM cannot be
    ///   read or is not RSA. The error never contains the key.
    public static func rsaSHA1(privateKeyPEM: String) throws -> SignatureMethod {
        rsa("RSA-SHA1", .sha1, bodyHash: .sha1, key: try OpenSSLKey.privateKey(pem: privateKeyPEM))
    }

    /// RSA-SHA256 with a PEM private key; body hash SHA-256.
    ///
    /// - Parameter privateKeyPEM: An unencrypted RSA key, PKCS #8 or PKCS #1.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``).
    public static func rsaSHA256(privateKeyPEM: String) throws -> SignatureMethod {
        rsa("RSA-SHA256", .sha256, bodyHash: .sha256, key: try OpenSSLKey.privateKey(pem: privateKeyPEM))
    }

    /// An RSA-SHA1 method for a provider: ``verify(signature:baseString:clientSecret:tokenSecret:)``
    /// checks with the client's public key; signing throws.
    ///
    /// - Parameter publicKeyPEM: A `BEGIN PUBLIC KEY` block or an X.509 `BEGIN CERTIFICATE`.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``).
    public static func rsaSHA1Verifier(publicKeyPEM: String) throws -> SignatureMethod {
        rsa("RSA-SHA1", .sha1, bodyHash: .sha1, key: try OpenSSLKey.publicKey(pem: publicKeyPEM))
    }

    /// An RSA-SHA256 method for a provider that verifies with a public key; signing throws.
    ///
    /// - Parameter publicKeyPEM: A `BEGIN PUBLIC KEY` block or an X.509 `BEGIN CERTIFICATE`.
    /// - Throws: ``OAuth1Error`` (``OAuth1Error/Code/invalidKey``).
    public static func rsaSHA256Verifier(publicKeyPEM: String) throws -> SignatureMethod {
        rsa("RSA-SHA256", .sha256, bodyHash: .sha256, key: try OpenSSLKey.publicKey(pem: publicKeyPEM))
    }
}
