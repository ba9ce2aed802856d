import Foundation

extension SignatureMethod {
    /// The signing key of the HMAC and PLAINTEXT methods: `encode(clientSecret)&encode(tokenSecret)`
    /// (RFC 5849 section 3.4.2).
    static func signingKey(clientSecret: String, tokenSecret: String) -> String {
        OAuth1PercentEncoding.encode(clientSecret) + "&" + OAuth1PercentEncoding.encode(tokenSecret)
    }

    private static func hmac(_ name: String, _ digest: OpenSSLDigest, bodyHash: BodyHashAlgorithm) -> SignatureMethod {
        SignatureMethod(
            name: name, bodyHash: bodyHash, builtin: .hmac(digest),
            sign: { baseString, clientSecret, tokenSecret in
                let key = signingKey(clientSecret: clientSecret, tokenSecret: tokenSecret)
                return Data(try OpenSSLCrypto.hmac(digest, key: key, message: baseString)).base64EncodedString()
            },
            verify: { signature, baseString, clientSecret, tokenSecret in
                let key = signingKey(clientSecret: clientSecret, tokenSecret: tokenSecret)
                guard let mac = try? OpenSSLCrypto.hmac(digest, key: key, message: baseString) else { return false }
                return OpenSSLCrypto.constantTimeEqual(Data(mac).base64EncodedString(), signature)
            })
    }

    /// HMAC-SHA1 (RFC 5849 section 3.4.2); body hash SHA-1.
    public static let hmacSHA1 = hmac("HMAC-SHA1", .sha1, bodyHash: .sha1)
    /// HMAC-SHA256, the same construction over SHA-256; body hash SHA-256.
    public static let hmacSHA256 = hmac("HMAC-SHA256", .sha256, bodyHash: .sha256)
    /// HMAC-SHA512, the same construction over SHA-512; body hash SHA-512.
    public static let hmacSHA512 = hmac("HMAC-SHA512", .sha512, bodyHash: .sha512)

    /// PLAINTEXT (RFC 5849 section 3.4.4): the signature is the signing key itself, so use it
    /// only over TLS. It has no body hash: the body hash draft calls one pointless here.
    public static let plaintext = SignatureMethod(
        name: "PLAINTEXT", bodyHash: nil, builtin: .plaintext,
        sign: { _, clientSecret, tokenSecret in signingKey(clientSecret: clientSecret, tokenSecret: tokenSecret) },
        verify: { signature, _, clientSecret, tokenSecret in
            OpenSSLCrypto.constantTimeEqual(signingKey(clientSecret: clientSecret, tokenSecret: tokenSecret), signature)
        })

    private static func rsa(_ name: String, _ digest: OpenSSLDigest, bodyHash: BodyHashAlgorithm, key: OpenSSLKey)
        -> SignatureMethod
    {
        SignatureMethod(
            name: name, bodyHash: bodyHash,
            sign: { baseString, _, _ in
                Data(try key.sign(digest, message: baseString)).base64EncodedString()
            },
            verify: { signature, baseString, _, _ in
                guard let bytes = Data(base64Encoded: signature) else { return false }
                return key.verify(digest, signature: Array(bytes), message: baseString)
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
