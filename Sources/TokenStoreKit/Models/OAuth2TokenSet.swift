import Foundation

/// What an OAuth 2.0 provider granted one user, kept long term: the access token, when it
/// expires, the refresh token that renews it, and the rest of the token response.
///
/// Token sets live beside OAuth 1.0a access tokens and share their key: (provider, user
/// id). A store assigns ``version`` on every write; ``TokenStore/replaceTokenSet(_:ifVersion:)``
/// writes only over the version the caller read, so a slow refresh never overwrites a newer
/// token set.
public struct OAuth2TokenSet: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The provider's identifier chosen by the app, e.g. `github`.
    public var provider: String
    /// The user's id at the provider.
    public var userID: String
    /// The access token sent as `Authorization: Bearer` (sealed at rest by
    /// `SealedTokenStore`).
    public var accessToken: String
    /// The token type from the token response, usually `Bearer`.
    public var tokenType: String
    /// When the access token expires, or `nil` when the provider did not say.
    public var expiresAt: Date? {
        didSet { expiresAt = expiresAt.map(TokenTimestamp.normalized) }
    }
    /// The refresh token, or `nil` when the provider issued none (sealed at rest by
    /// `SealedTokenStore`). Providers that rotate refresh tokens kill this one on use.
    public var refreshToken: String?
    /// The granted scope, space-separated as in the token response.
    public var scope: String?
    /// The OpenID Connect ID token, kept as received and not validated (sealed at rest by
    /// `SealedTokenStore`).
    public var idToken: String?
    /// The user's display name, when the app knows one.
    public var screenName: String?
    /// Fields of the token response this type has no property for, and the app's own.
    public var metadata: [String: String]
    /// When the user first signed in; a replacement keeps the stored value.
    public var createdAt: Date {
        didSet { createdAt = TokenTimestamp.normalized(createdAt) }
    }
    /// When this token set was last written by the app or a refresh.
    public var updatedAt: Date {
        didSet { updatedAt = TokenTimestamp.normalized(updatedAt) }
    }
    /// Set when the provider rejected the stored refresh token: the user must sign in again.
    public var invalidatedAt: Date? {
        didSet { invalidatedAt = invalidatedAt.map(TokenTimestamp.normalized) }
    }
    /// The store's write counter for this key: 1 after the first write, one more after each.
    /// Assigned by the store; the value passed to a save is ignored.
    public var version: Int64

    /// Creates a token set.
    public init(
        provider: String,
        userID: String,
        accessToken: String,
        tokenType: String = "Bearer",
        expiresAt: Date? = nil,
        refreshToken: String? = nil,
        scope: String? = nil,
        idToken: String? = nil,
        screenName: String? = nil,
        metadata: [String: String] = [:],
        createdAt: Date,
        updatedAt: Date? = nil,
        invalidatedAt: Date? = nil,
        version: Int64 = 0
    ) {
        self.provider = provider
        self.userID = userID
        self.accessToken = accessToken
        self.tokenType = tokenType
        self.expiresAt = expiresAt.map(TokenTimestamp.normalized)
        self.refreshToken = refreshToken
        self.scope = scope
        self.idToken = idToken
        self.screenName = screenName
        self.metadata = metadata
        self.createdAt = TokenTimestamp.normalized(createdAt)
        self.updatedAt = TokenTimestamp.normalized(updatedAt ?? createdAt)
        self.invalidatedAt = invalidatedAt.map(TokenTimestamp.normalized)
        self.version = version
    }

    /// The token set's identity, shared with OAuth 1.0a access tokens.
    public var key: AccessTokenKey { AccessTokenKey(provider: provider, userID: userID) }

    /// Whether the access token expires within `skew` of `now` (or has expired). A token
    /// set without an expiry never does.
    public func expires(within skew: Duration, of now: Date) -> Bool {
        guard let expiresAt else { return false }
        return expiresAt.timeIntervalSince(now) <= Double(skew.wholeNanoseconds) / 1e9
    }

    public var description: String {
        "OAuth2TokenSet(\(provider)/\(userID), accessToken: <redacted>, refreshToken: "
            + "\(refreshToken == nil ? "nil" : "<redacted>"), version: \(version))"
    }

    public var debugDescription: String {
        var text = "OAuth2TokenSet(provider: \(provider), userID: \(userID), accessToken: <redacted>, tokenType: \(tokenType)"
        if let expiresAt { text += ", expiresAt: \(expiresAt)" }
        text += ", refreshToken: \(refreshToken == nil ? "nil" : "<redacted>")"
        if let scope { text += ", scope: \(scope)" }
        if idToken != nil { text += ", idToken: <redacted>" }
        if let screenName { text += ", screenName: \(screenName)" }
        if let invalidatedAt { text += ", invalidatedAt: \(invalidatedAt)" }
        text += ", createdAt: \(createdAt), updatedAt: \(updatedAt), version: \(version)"
        text += ", metadata keys: \(metadata.keys.sorted()))"
        return text
    }
}

/// One page of token sets from ``TokenStore/listTokenSets(after:limit:)``.
public struct OAuth2TokenSetPage: Sendable {
    /// The token sets, ascending by ``OAuth2TokenSet/key``.
    public var tokenSets: [OAuth2TokenSet]
    /// The cursor for the next page, or `nil` when this was the last page.
    public var nextCursor: AccessTokenKey?

    /// Creates a page.
    public init(tokenSets: [OAuth2TokenSet], nextCursor: AccessTokenKey?) {
        self.tokenSets = tokenSets
        self.nextCursor = nextCursor
    }
}

/// The rule every driver applies to a refresh lease's duration, so one message covers all.
public enum RefreshLeaseDuration {
    /// The longest lease: a refresh is one HTTP round trip, an hour is a bug.
    public static let maximum: Duration = .seconds(3600)

    /// The lease's length in whole milliseconds (at least 1), or
    /// ``TokenStoreError/Code/invalidArgument`` when `duration` is not positive or above
    /// ``maximum``.
    public static func milliseconds(_ duration: Duration, store: String, operation: String) throws -> Int64 {
        guard duration > .zero, duration <= maximum else {
            throw TokenStoreError(
                .invalidArgument, store: store, operation: operation,
                message: "a refresh lease must last more than 0 and at most 3600 seconds, got \(duration)")
        }
        let (seconds, attoseconds) = duration.components
        return max(1, seconds * 1000 + attoseconds / 1_000_000_000_000_000)
    }
}
