import Foundation

/// A token endpoint's answer, kept whole (RFC 6749 section 5.1): the access token, its
/// type and expiry, the refresh token, the scope, an OpenID Connect `id_token`, and every
/// other field in ``metadata``.
///
/// This is what a store keeps as the user's token set.
///
/// **Expiry.** `expires_in` is turned into ``expiresAt`` = ``issuedAt`` + `expires_in`, with
/// ``issuedAt`` read from the client's clock just before the request was sent (so network
/// time counts against the token, never for it). It must be a whole number of seconds from
/// 0 to ``maximumExpiresIn`` (ten years): a JSON integer, a fraction (rounded down, so the
/// token is thought to expire early rather than late) or a string of decimal digits (some
/// providers quote it). A negative value, a larger one, a boolean or any other string is a
/// ``OAuth2Error/Code/malformedResponse``: a provider saying that is broken, and a guess
/// either way would hide it. Without `expires_in`, ``expiresAt`` is `nil` (lifetime unknown).
///
/// **Refresh token on refresh.** RFC 6749 section 6 lets a provider answer a refresh without
/// a new refresh token, in which case the one sent stays valid. The client, not the caller
/// or the store, decides: ``OAuth2Client/refresh(refreshToken:scopes:)`` puts the refresh
/// token it sent into ``refreshToken`` and sets ``refreshTokenRotated`` to `false`, so a
/// caller always stores ``refreshToken`` as it is.
///
/// ``description``, ``debugDescription`` and the reflection mirror never show the access
/// token, the refresh token or the ID token.
public struct OAuth2TokenResponse: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// The largest `expires_in` accepted, in seconds: ten years of 365 days.
    public static let maximumExpiresIn: Int64 = 10 * 365 * 86_400

    /// `access_token`. A secret.
    public var accessToken: String
    /// `token_type` as the provider spelled it (`Bearer`, `bearer`); compared case-insensitively.
    public var tokenType: String
    /// When the client sent the request that issued this token.
    public var issuedAt: Date
    /// `expires_in` as a whole number of seconds, if the provider sent it.
    public var expiresIn: Int64?
    /// ``issuedAt`` + ``expiresIn``; `nil` when the provider did not say.
    public var expiresAt: Date?
    /// `refresh_token`, if any (after a refresh, the one sent when the provider issued none).
    /// A secret.
    public var refreshToken: String?
    /// Whether ``refreshToken`` was issued in this response (`true`), or carried over from
    /// the refresh request because the provider issued none (`false`).
    public var refreshTokenRotated: Bool
    /// `scope`, split on spaces; `nil` when absent, which RFC 6749 section 5.1 says means
    /// the scopes asked for were granted.
    public var scopes: [String]?
    /// `id_token` (OpenID Connect), kept as sent and not validated. A credential.
    public var idToken: String?
    /// Every other field of the response, as text (numbers and booleans as JSON writes
    /// them, arrays and objects as compact JSON); `refresh_token_expires_in`, GitHub's
    /// `refresh_token_expires_in`, X's and Google's extras.
    public var metadata: [String: String]

    /// Creates a response from its parts.
    public init(
        accessToken: String,
        tokenType: String = "Bearer",
        issuedAt: Date,
        expiresIn: Int64? = nil,
        refreshToken: String? = nil,
        refreshTokenRotated: Bool = true,
        scopes: [String]? = nil,
        idToken: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.issuedAt = issuedAt
        self.expiresIn = expiresIn
        self.expiresAt = expiresIn.map { issuedAt.addingTimeInterval(TimeInterval($0)) }
        self.refreshToken = refreshToken
        self.refreshTokenRotated = refreshTokenRotated
        self.scopes = scopes
        self.idToken = idToken
        self.metadata = metadata
    }

    /// Whether the access token has expired at `date`, or will within `margin` of it (a
    /// token with no known expiry never has).
    public func isExpired(at date: Date, margin: Duration = .zero) -> Bool {
        guard let expiresAt else { return false }
        let seconds = Double(margin.components.seconds) + Double(margin.components.attoseconds) / 1e18
        return expiresAt.timeIntervalSince(date) <= seconds
    }

    /// The `Authorization` header value for the access token: `Bearer <token>`.
    public var authorizationHeaderValue: String { "Bearer " + accessToken }

    public var description: String {
        "OAuth2TokenResponse(accessToken: <redacted>, tokenType: \(tokenType), "
            + "expiresAt: \(expiresAt.map { "\($0)" } ?? "unknown"), "
            + "refreshToken: \(refreshToken == nil ? "none" : "<redacted>"), "
            + "scopes: \(scopes?.joined(separator: " ") ?? "as requested"), "
            + "idToken: \(idToken == nil ? "none" : "<redacted>"))"
    }
    public var debugDescription: String {
        description.dropLast() + ", rotated: \(refreshTokenRotated), metadata keys: \(metadata.keys.sorted()))"
    }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "accessToken": "<redacted>", "tokenType": tokenType, "issuedAt": issuedAt, "expiresIn": expiresIn as Any,
                "expiresAt": expiresAt as Any, "refreshToken": refreshToken == nil ? "none" : "<redacted>",
                "refreshTokenRotated": refreshTokenRotated, "scopes": scopes as Any,
                "idToken": idToken == nil ? "none" : "<redacted>", "metadataKeys": metadata.keys.sorted(),
            ], displayStyle: .struct)
    }
}
