import Foundation
import TokenStoreKit

/// What ``AuthorizationFlow/begin(session:returnTo:accessType:authenticate:forceLogin:screenName:metadata:)``
/// returns: where to send the user, and the pending request token's public name.
public struct AuthorizationStart: Sendable, Hashable, CustomStringConvertible {
    /// The provider's authorize (or authenticate) page for this flow: redirect the browser
    /// here, or show it to the desktop user.
    public var authorizationURL: URL
    /// The request token (`oauth_token`, public) saved in the store; the desktop flow
    /// passes it back to ``AuthorizationFlow/completeOutOfBand(requestToken:verifier:)``.
    public var requestToken: String
    /// When the pending request token expires if the user never comes back.
    public var expiresAt: Date

    /// Creates a start.
    public init(authorizationURL: URL, requestToken: String, expiresAt: Date) {
        self.authorizationURL = authorizationURL
        self.requestToken = requestToken
        self.expiresAt = expiresAt
    }

    public var description: String {
        "AuthorizationStart(\(authorizationURL.absoluteString), requestToken: \(requestToken), expiresAt: \(expiresAt))"
    }
}

/// What a completed flow returns: the stored access token and what the app kept for the
/// callback.
///
/// ``description`` never shows the access token's secret.
public struct AuthorizationCompletion: Sendable, Hashable, CustomStringConvertible {
    /// The access token, as saved in the store under `AccessToken.key`.
    public var accessToken: AccessToken
    /// The return-to path given to `begin`, e.g. the page that started the flow. Check it
    /// is one of your own paths before redirecting to it.
    public var returnTo: String?
    /// The app's metadata given to `begin`.
    public var metadata: [String: String]

    /// Creates a completion.
    public init(accessToken: AccessToken, returnTo: String?, metadata: [String: String]) {
        self.accessToken = accessToken
        self.returnTo = returnTo
        self.metadata = metadata
    }

    /// The key the access token is stored under.
    public var key: AccessTokenKey { accessToken.key }

    public var description: String {
        "AuthorizationCompletion(\(accessToken), returnTo: \(returnTo ?? "nil"))"
    }
}
