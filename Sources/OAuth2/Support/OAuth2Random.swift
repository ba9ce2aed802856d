import OAuth1

/// URL-safe random strings from OpenSSL's CSPRNG (`RAND_bytes`), for `state` and PKCE
/// verifiers.
enum OAuth2Random {
    /// `byteCount` random bytes as unpadded base64url: only RFC 3986 unreserved characters.
    ///
    /// - Throws: ``OAuth2Error/Code/randomSourceFailed`` when the CSPRNG fails; no weaker
    ///   source is ever used.
    static func urlSafeString(byteCount: Int, purpose: String) throws(OAuth2Error) -> String {
        do {
            return OAuth1Base64.encodeURL(try OpenSSLCrypto.randomBytes(byteCount))
        } catch {
            throw OAuth2Error(
                .randomSourceFailed, message: "OpenSSL's random generator failed; no \(purpose) was made",
                underlying: error)
        }
    }
}
