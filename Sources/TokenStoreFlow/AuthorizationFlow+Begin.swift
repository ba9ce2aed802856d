import Foundation
import Logging
import OAuth1
import TokenStoreKit

extension AuthorizationFlow {
    /// Starts an authorization: fetches a request token (sending the client's callback as
    /// `oauth_callback`; the client checks `oauth_callback_confirmed`), saves it in the
    /// store bound to `session`, and returns the provider's authorize URL.
    ///
    /// Call it from the redirect handler and send the browser to
    /// ``AuthorizationStart/authorizationURL``. Each call saves its own request token, so
    /// several tabs of one session can be pending at once.
    ///
    /// - Parameters:
    ///   - session: The browser session beginning the flow (its id is stored hashed, see
    ///     ``SessionBinding``), or ``FlowSession/outOfBand`` for the desktop PIN flow.
    ///   - returnTo: Where the app wants to send the user after the callback.
    ///   - accessType: `x_auth_access_type` (`read`, `write`), kept as the access token's
    ///     `AccessToken.accessType` unless the provider's access-token response names
    ///     the level it granted (`x_auth_access_type` or `access_type`).
    ///   - authenticate: Use the provider's authenticate endpoint ("Sign in with ...")
    ///     instead of authorize.
    ///   - forceLogin: Ask the provider to show its login form even to a signed-in user.
    ///   - screenName: Prefill the provider's login form.
    ///   - metadata: App fields kept with the request token and returned by `complete`.
    /// - Returns: The authorize URL, the request token's public name and its expiry.
    /// - Throws: ``AuthorizationFlowError`` (``AuthorizationFlowError/Code/sessionRequired``
    ///   for an empty browser session id, ``AuthorizationFlowError/Code/invalidConfiguration``
    ///   for a bad configuration or a browser session with an `oob` client),
    ///   `OAuth1Error` from the provider exchange, `TokenStoreError` from the store.
    public func begin(
        session: FlowSession,
        returnTo: String? = nil,
        accessType: String? = nil,
        authenticate: Bool = false,
        forceLogin: Bool = false,
        screenName: String? = nil,
        metadata: [String: String] = [:]
    ) async throws -> AuthorizationStart {
        try validateConfiguration()
        if case .browser(let sessionID) = session, sessionID.isEmpty {
            throw AuthorizationFlowError(
                .sessionRequired, provider: provider,
                message: "begin needs the app's session id (an empty one binds nothing); "
                    + "use .outOfBand for the desktop PIN flow")
        }

        // A browser flow needs a callback URL: with `oob` the user would get a PIN the
        // browser session cannot complete. (The desktop flow may use either a PIN or a
        // callback to the app's own loopback listener.)
        if case .browser = session, client.oauthCallback == SessionBinding.outOfBandMarker {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider,
                message: "a browser session was given but the client's callback is oob; configure the callback "
                    + "URL, or use .outOfBand for the desktop PIN flow")
        }
        let temporary = try await client.fetchRequestToken(accessType: accessType)
        guard !temporary.token.isEmpty else {
            throw OAuth1Error(.malformedResponse, message: "the request token response has an empty oauth_token")
        }
        guard let binding = SessionBinding.binding(for: session, provider: provider, oauthToken: temporary.token)
        else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider, message: "OpenSSL could not hash the session binding")
        }
        var contextMetadata = metadata
        if let accessType { contextMetadata[Self.accessTypeMetadataKey] = accessType }
        let token = RequestToken(
            provider: provider,
            token: temporary.token,
            secret: temporary.secret,
            context: RequestTokenContext(
                callbackURL: client.oauthCallback, returnTo: returnTo, sessionBinding: binding,
                metadata: contextMetadata),
            createdAt: clock.now(),
            timeToLive: requestTokenTimeToLive)
        try await store.saveRequestToken(token)

        let url = try client.authorizeURL(
            requestToken: temporary,
            options: AuthorizeOptions(authenticate: authenticate, forceLogin: forceLogin, screenName: screenName))
        logger.debug(
            "authorization begun",
            metadata: [
                "provider": "\(provider)", "oauth_token": "\(token.token)",
                "flow": "\(session == .outOfBand ? "out-of-band" : "browser")",
                "expires_at": "\(token.expiresAt)", "store": "\(store.displayName)",
            ])
        return AuthorizationStart(authorizationURL: url, requestToken: token.token, expiresAt: token.expiresAt)
    }
}
