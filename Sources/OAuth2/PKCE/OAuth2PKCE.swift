import Foundation
import OAuth1

/// A Proof Key for Code Exchange (RFC 7636) with the `S256` method, the only one offered.
///
/// The verifier stays with the app (in the pending authorization) and goes to the token
/// endpoint with the code; the challenge, `BASE64URL(SHA256(verifier))` without padding,
/// goes in the authorization URL. A code stolen on its way to the app is then useless
/// without the verifier. `plain` is not supported: it protects nothing once the
/// authorization URL is seen.
///
/// ``description``, ``debugDescription`` and the reflection mirror never show the verifier.
public struct OAuth2PKCE: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The shortest verifier RFC 7636 section 4.1 allows.
    public static let minimumVerifierLength = 43
    /// The longest verifier RFC 7636 section 4.1 allows.
    public static let maximumVerifierLength = 128

    /// `code_verifier`: 43 to 128 characters of `A-Z a-z 0-9 - . _ ~`. A secret.
    public let verifier: String
    /// `code_challenge`: the unpadded base64url of the verifier's SHA-256.
    public let challenge: String
    /// `code_challenge_method`: always `S256`.
    public var method: String { "S256" }

    /// Wraps an existing verifier (read back from a store) and derives its challenge.
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` when `verifier` is not 43 to 128
    ///   unreserved characters (RFC 7636 section 4.1).
    public init(verifier: String) throws {
        guard Self.isValidVerifier(verifier) else {
            throw OAuth2Error(
                .invalidInput,
                message: "a PKCE code verifier must be \(Self.minimumVerifierLength) to \(Self.maximumVerifierLength) "
                    + "characters of A-Z a-z 0-9 - . _ ~ (RFC 7636 section 4.1)")
        }
        self.verifier = verifier
        self.challenge = try Self.challenge(for: verifier)
    }

    /// A new verifier of `length` characters drawn from OpenSSL's CSPRNG, and its challenge.
    ///
    /// - Parameter length: 43 to 128; 64 (384 random bits) by default.
    /// - Throws: ``OAuth2Error/Code/invalidInput`` for a length outside 43...128,
    ///   ``OAuth2Error/Code/randomSourceFailed`` when the CSPRNG fails.
    public static func generate(length: Int = 64) throws -> OAuth2PKCE {
        guard (minimumVerifierLength...maximumVerifierLength).contains(length) else {
            throw OAuth2Error(
                .invalidInput,
                message: "a PKCE code verifier is \(minimumVerifierLength) to \(maximumVerifierLength) characters, not \(length)")
        }
        // Base64url carries 6 bits a character: enough bytes for `length` characters, then cut.
        let text = try OAuth2Random.urlSafeString(byteCount: (length * 3 + 3) / 4, purpose: "PKCE code verifier")
        return try OAuth2PKCE(verifier: String(text.prefix(length)))
    }

    /// `BASE64URL-ENCODE(SHA256(ASCII(verifier)))` without padding (RFC 7636 section 4.2).
    ///
    /// - Throws: ``OAuth2Error/Code/invalidInput`` if OpenSSL cannot hash (never seen).
    public static func challenge(for verifier: String) throws -> String {
        do {
            return OAuth1Base64.encodeURL(try OpenSSLCrypto.digest(.sha256, Data(verifier.utf8)))
        } catch {
            throw OAuth2Error(.invalidInput, message: "SHA-256 of the PKCE verifier failed in OpenSSL", underlying: error)
        }
    }

    /// Whether `verifier` is 43 to 128 RFC 3986 unreserved characters.
    public static func isValidVerifier(_ verifier: String) -> Bool {
        let bytes = verifier.utf8
        guard (minimumVerifierLength...maximumVerifierLength).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"):
                return true
            default:
                return false
            }
        }
    }

    /// Whether `verifier` is well formed and hashes to `challenge` (compared in constant
    /// time): what a provider checks at its token endpoint.
    public static func verifier(_ verifier: String, matchesChallenge challenge: String) -> Bool {
        guard isValidVerifier(verifier), let computed = try? Self.challenge(for: verifier) else { return false }
        return OpenSSLCrypto.constantTimeEqual(computed, challenge)
    }

    public var description: String { "OAuth2PKCE(method: S256, challenge: \(challenge), verifier: <redacted>)" }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(self, children: ["method": method, "challenge": challenge, "verifier": "<redacted>"], displayStyle: .struct)
    }
}
