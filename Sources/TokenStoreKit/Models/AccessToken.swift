import Foundation

/// OAuth 1.0a token credentials kept long term, keyed by provider and user id.
///
/// ``description`` and ``debugDescription`` never show ``secret``.
public struct AccessToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The provider's identifier chosen by the app, e.g. `twitter`.
    public var provider: String
    /// The user's id at the provider.
    public var userID: String
    /// `oauth_token`.
    public var token: String
    /// `oauth_token_secret`: a credential; never logged or printed.
    public var secret: String
    /// The user's handle, when the provider returns one.
    public var screenName: String?
    /// The access level or scopes granted (`read`, `write`, ...), when known.
    public var accessType: String?
    /// When the token was first stored (whole milliseconds, clamped into
    /// ``TokenTimestamp/range`` when set).
    public var createdAt: Date {
        didSet { createdAt = TokenTimestamp.normalized(createdAt) }
    }
    /// When the token was last written (whole milliseconds, clamped into
    /// ``TokenTimestamp/range`` when set).
    public var updatedAt: Date {
        didSet { updatedAt = TokenTimestamp.normalized(updatedAt) }
    }
    /// Free-form fields the app or the provider attached (e.g. extra token response fields).
    public var metadata: [String: String]

    /// Creates an access token. Dates are rounded to whole milliseconds, the precision
    /// every store keeps, and clamped into ``TokenTimestamp/range`` (years 0001 to 9999;
    /// a NaN date becomes the Unix epoch), so this never traps.
    public init(
        provider: String,
        userID: String,
        token: String,
        secret: String,
        screenName: String? = nil,
        accessType: String? = nil,
        createdAt: Date,
        updatedAt: Date? = nil,
        metadata: [String: String] = [:]
    ) {
        self.provider = provider
        self.userID = userID
        self.token = token
        self.secret = secret
        self.screenName = screenName
        self.accessType = accessType
        self.createdAt = TokenTimestamp.normalized(createdAt)
        self.updatedAt = TokenTimestamp.normalized(updatedAt ?? createdAt)
        self.metadata = metadata
    }

    /// The key this token is stored under.
    public var key: AccessTokenKey { AccessTokenKey(provider: provider, userID: userID) }

    public var description: String {
        "AccessToken(\(provider)/\(userID), token: \(token), secret: <redacted>)"
    }

    public var debugDescription: String {
        var text = "AccessToken(provider: \(provider), userID: \(userID), token: \(token), secret: <redacted>"
        if let screenName { text += ", screenName: \(screenName)" }
        if let accessType { text += ", accessType: \(accessType)" }
        text += ", createdAt: \(createdAt), updatedAt: \(updatedAt), metadata keys: \(metadata.keys.sorted()))"
        return text
    }
}
