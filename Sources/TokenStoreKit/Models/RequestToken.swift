import Foundation

/// OAuth 1.0a temporary credentials, kept between the redirect to the provider and the
/// callback, and taken exactly once.
///
/// ``description`` and ``debugDescription`` never show ``secret``.
public struct RequestToken: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The provider's identifier chosen by the app, e.g. `twitter`.
    public var provider: String
    /// `oauth_token`: the key the callback names it by.
    public var token: String
    /// `oauth_token_secret`: a credential; never logged or printed.
    public var secret: String
    /// What the app needs back at the callback.
    public var context: RequestTokenContext
    /// When the token was saved (whole milliseconds, clamped into
    /// ``TokenTimestamp/range`` when set).
    public var createdAt: Date {
        didSet { createdAt = TokenTimestamp.normalized(createdAt) }
    }
    /// When the token stops being returned (whole milliseconds, clamped into
    /// ``TokenTimestamp/range`` when set).
    public var expiresAt: Date {
        didSet { expiresAt = TokenTimestamp.normalized(expiresAt) }
    }

    /// The default time a request token waits for its callback: 10 minutes.
    public static let defaultTimeToLive: Duration = .seconds(600)

    /// Creates a request token. Dates are rounded to whole milliseconds and clamped into
    /// ``TokenTimestamp/range`` (a NaN date becomes the Unix epoch), so this never traps.
    public init(
        provider: String,
        token: String,
        secret: String,
        context: RequestTokenContext = RequestTokenContext(),
        createdAt: Date,
        expiresAt: Date
    ) {
        self.provider = provider
        self.token = token
        self.secret = secret
        self.context = context
        self.createdAt = TokenTimestamp.normalized(createdAt)
        self.expiresAt = TokenTimestamp.normalized(expiresAt)
    }

    /// Creates a request token that expires `timeToLive` after `createdAt`.
    ///
    /// Never traps: the expiry is computed in floating point and clamped into
    /// ``TokenTimestamp/range`` like every date, so an enormous `timeToLive` (e.g.
    /// `.seconds(Int64.max)`) gives the latest date a token can hold, and a negative one
    /// a token that is already expired.
    public init(
        provider: String,
        token: String,
        secret: String,
        context: RequestTokenContext = RequestTokenContext(),
        createdAt: Date,
        timeToLive: Duration = RequestToken.defaultTimeToLive
    ) {
        let seconds = Double(timeToLive.components.seconds)
            + Double(timeToLive.components.attoseconds) / 1e18
        self.init(
            provider: provider, token: token, secret: secret, context: context,
            createdAt: createdAt, expiresAt: createdAt.addingTimeInterval(seconds))
    }

    /// Whether the token has expired at `now`.
    public func isExpired(at now: Date) -> Bool { expiresAt <= now }

    public var description: String {
        "RequestToken(\(provider), token: \(token), secret: <redacted>, expiresAt: \(expiresAt))"
    }

    public var debugDescription: String {
        "RequestToken(provider: \(provider), token: \(token), secret: <redacted>, context: \(context), "
            + "createdAt: \(createdAt), expiresAt: \(expiresAt))"
    }
}

/// What an app keeps with a request token to finish the flow at the callback.
public struct RequestTokenContext: Sendable, Hashable, CustomStringConvertible {
    /// The `oauth_callback` the token was requested with, or `oob`.
    public var callbackURL: String?
    /// Where to send the user after the callback, e.g. the page that started the flow.
    public var returnTo: String?
    /// A binding to the app session that began the flow. The dance stores a hash here,
    /// never the raw session id.
    public var sessionBinding: String?
    /// Free-form fields.
    public var metadata: [String: String]

    /// Creates a context.
    public init(
        callbackURL: String? = nil,
        returnTo: String? = nil,
        sessionBinding: String? = nil,
        metadata: [String: String] = [:]
    ) {
        self.callbackURL = callbackURL
        self.returnTo = returnTo
        self.sessionBinding = sessionBinding
        self.metadata = metadata
    }

    public var description: String {
        "RequestTokenContext(callbackURL: \(callbackURL ?? "nil"), returnTo: \(returnTo ?? "nil"), "
            + "sessionBinding: \(sessionBinding == nil ? "nil" : "<set>"), metadata keys: \(metadata.keys.sorted()))"
    }
}
