import CTokenStoreOpenSSL
import TokenStoreKit

/// The value kept in `RequestTokenContext.sessionBinding`: a hash of the browser
/// session that began a flow, or a marker for the desktop flow. Never the raw session id.
///
/// A browser binding is `s256:` followed by the lowercase hex SHA-256 (OpenSSL) of
///
///     "tokenstore.session-binding.v1" 0x00 provider 0x00 oauth_token 0x00 session id
///
/// - Salted by the request token: two pending flows of one session store unrelated
///   values, so a store dump does not show which flows belong to one session, and a
///   binding cannot be matched against session hashes kept elsewhere.
/// - Unkeyed on purpose: the session id is a secret with the entropy of a session
///   cookie, which is what makes the hash irreversible; a key would add a secret every
///   worker must share without making a guessable id safe.
/// - The desktop flow stores ``outOfBandMarker``, which no hash can equal.
///
/// ``matches(_:provider:oauthToken:session:)`` compares in constant time. An absent or
/// unrecognised stored value never matches (fail closed).
public enum SessionBinding {
    /// The binding stored for the out-of-band (PIN) flow.
    public static let outOfBandMarker = "oob"

    /// The prefix of a browser-session binding (SHA-256, format version 1).
    public static let browserPrefix = "s256:"

    /// The binding to store for `session` on the request token `oauthToken`.
    ///
    /// - Parameters:
    ///   - session: The session beginning the flow. A browser session id must not be empty.
    ///   - provider: The flow's provider id.
    ///   - oauthToken: The request token (`oauth_token`) the binding is stored with.
    /// - Returns: `s256:<64 hex digits>` for a browser session, ``outOfBandMarker`` otherwise,
    ///   or `nil` when the browser session id is empty.
    public static func binding(for session: FlowSession, provider: String, oauthToken: String) -> String? {
        switch session {
        case .outOfBand:
            return outOfBandMarker
        case .browser(let sessionID):
            guard !sessionID.isEmpty, let digest = sha256(of: hashInput(provider, oauthToken, sessionID)) else {
                return nil
            }
            return browserPrefix + hex(digest)
        }
    }

    /// Whether `stored` (a request token's `RequestTokenContext.sessionBinding`) is the
    /// binding of `session`, compared in time independent of the contents.
    public static func matches(_ stored: String?, provider: String, oauthToken: String, session: FlowSession) -> Bool {
        guard let stored, let expected = binding(for: session, provider: provider, oauthToken: oauthToken) else {
            return false
        }
        return constantTimeEqual(Array(stored.utf8), Array(expected.utf8))
    }

    /// The bytes hashed for a browser binding; the 0x00 separators cannot be confused
    /// with content because provider ids and OAuth tokens carry no NUL.
    private static func hashInput(_ provider: String, _ oauthToken: String, _ sessionID: String) -> [UInt8] {
        var bytes = Array("tokenstore.session-binding.v1".utf8)
        bytes.append(0)
        bytes += provider.utf8
        bytes.append(0)
        bytes += oauthToken.utf8
        bytes.append(0)
        bytes += sessionID.utf8
        return bytes
    }

    /// SHA-256 through OpenSSL's one-shot `EVP_Digest`; `nil` only if OpenSSL fails.
    static func sha256(of input: [UInt8]) -> [UInt8]? {
        var output = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        let ok = input.withUnsafeBytes { source in
            output.withUnsafeMutableBufferPointer { target in
                EVP_Digest(source.baseAddress, source.count, target.baseAddress, &length, EVP_sha256(), nil) == 1
            }
        }
        guard ok, length == 32 else {
            ERR_clear_error()
            return nil
        }
        return output
    }

    /// Equal lengths are compared with `CRYPTO_memcmp`; lengths are public (fixed format).
    static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in
            b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 }
        }
    }

    private static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var text = [UInt8]()
        text.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            text.append(digits[Int(byte >> 4)])
            text.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: text, as: UTF8.self)
    }
}
