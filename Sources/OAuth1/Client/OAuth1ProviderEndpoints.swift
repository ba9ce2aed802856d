import Foundation

/// Where a provider's OAuth 1.0a endpoints are, and how strictly it follows the protocol.
public struct OAuth1ProviderEndpoints: Sendable, Hashable {
    /// The temporary credential (request token) endpoint.
    public var requestTokenURL: URL
    /// Where the user authorizes the app.
    public var authorizeURL: URL
    /// "Sign in with ..." endpoint that skips the prompt for an already authorized app, if any.
    public var authenticateURL: URL?
    /// The token credential (access token) endpoint.
    public var accessTokenURL: URL
    /// Whether the request-token response must carry `oauth_callback_confirmed=true`
    /// (RFC 5849 section 2.1). Turn off only for providers that predate OAuth 1.0a.
    public var requiresCallbackConfirmed: Bool
    /// The HTTP method of the request-token and access-token requests (`POST` per RFC 5849).
    public var tokenRequestMethod: String

    /// Creates endpoints for any provider.
    public init(
        requestTokenURL: URL,
        authorizeURL: URL,
        authenticateURL: URL? = nil,
        accessTokenURL: URL,
        requiresCallbackConfirmed: Bool = true,
        tokenRequestMethod: String = "POST"
    ) {
        self.requestTokenURL = requestTokenURL
        self.authorizeURL = authorizeURL
        self.authenticateURL = authenticateURL
        self.accessTokenURL = accessTokenURL
        self.requiresCallbackConfirmed = requiresCallbackConfirmed
        self.tokenRequestMethod = tokenRequestMethod
    }

    /// Twitter / X (`api.twitter.com/oauth/...`).
    public static let twitter = OAuth1ProviderEndpoints(
        requestTokenURL: URL(string: "https://api.twitter.com/oauth/request_token")!,
        authorizeURL: URL(string: "https://api.twitter.com/oauth/authorize")!,
        authenticateURL: URL(string: "https://api.twitter.com/oauth/authenticate")!,
        accessTokenURL: URL(string: "https://api.twitter.com/oauth/access_token")!)
}
