import Foundation
import OAuth1
import TokenStoreKit

/// `OAuth1Client` runs the provider side of ``AuthorizationFlow``.
extension OAuth1Client: AuthorizationFlowClient {
    /// The client's `OAuth1Client.callback` as sent in `oauth_callback` (a URL or `oob`).
    public var oauthCallback: String { callback.parameterValue }

    /// `OAuth1Client.requestToken(accessType:extraParameters:)`, which checks
    /// `oauth_callback_confirmed`.
    public func fetchRequestToken(accessType: String?) async throws -> TokenCredentials {
        let temporary = try await requestToken(accessType: accessType)
        return temporary.credentials
    }

    /// `OAuth1Client.authorizationURL(for:authenticate:forceLogin:screenName:extraParameters:)`.
    public func authorizeURL(requestToken: TokenCredentials, options: AuthorizeOptions) throws -> URL {
        authorizationURL(
            for: TemporaryCredentials(token: requestToken.token, secret: requestToken.secret),
            authenticate: options.authenticate, forceLogin: options.forceLogin, screenName: options.screenName)
    }

    /// `OAuth1Client.accessToken(temporary:verifier:)`, as the response's fields.
    public func exchangeRequestToken(_ requestToken: TokenCredentials, verifier: String) async throws
        -> [OAuth1Parameter]
    {
        let response = try await accessToken(
            temporary: TemporaryCredentials(token: requestToken.token, secret: requestToken.secret), verifier: verifier)
        return [
            OAuth1Parameter("oauth_token", response.credentials.token),
            OAuth1Parameter("oauth_token_secret", response.credentials.secret),
        ] + response.extraParameters
    }

    /// `OAuth1Client.signer(for:)` with `token`.
    public func signer(token: TokenCredentials) -> OAuth1Signer {
        signer(for: token)
    }

    /// `OAuth1Client.send(_:token:)`.
    public func send(_ request: OAuth1HTTPRequest, signedWith token: TokenCredentials) async throws
        -> OAuth1HTTPResponse
    {
        try await send(request, token: token)
    }
}
