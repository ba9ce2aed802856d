import Foundation
import Logging
import OAuth1
import OAuth2
import TokenStoreKit

extension OAuth2AuthorizationFlow {
    /// Starts an authorization: a fresh `state` and PKCE pair, the pending authorization
    /// saved in the store (bound to `session`), and the URL to send the user to.
    ///
    /// - Parameters:
    ///   - session: the browser session that will receive the callback, or `.outOfBand`
    ///     for a desktop app listening on an RFC 8252 loopback redirect.
    ///   - returnTo: where the app sends the user after the callback.
    ///   - scopes: the scopes to ask for.
    ///   - redirectURI: this authorization's redirect URI (a loopback URI with an ephemeral
    ///     port); the client's by default.
    ///   - extraParameters: more authorization parameters (`access_type=offline`, `prompt=consent`).
    ///   - metadata: the app's own values, returned by `complete`.
    /// - Throws: `AuthorizationFlowError` (`sessionRequired` for an empty session id,
    ///   `invalidConfiguration`), `OAuth2Error`, `TokenStoreError`.
    public func begin(
        session: FlowSession,
        returnTo: String? = nil,
        scopes: [String] = [],
        redirectURI: URL? = nil,
        extraParameters: [OAuth1Parameter] = [],
        metadata: [String: String] = [:]
    ) async throws -> OAuth2AuthorizationStart {
        try validateConfiguration()
        if case .browser(let sessionID) = session, sessionID.isEmpty {
            throw AuthorizationFlowError(
                .sessionRequired, provider: provider,
                message: "begin needs the app's session id (an empty one binds nothing); use .outOfBand for a desktop app")
        }
        let request = try client.authorizationRequest(
            scopes: scopes, redirectURI: redirectURI, extraParameters: extraParameters)
        guard let binding = SessionBinding.binding(for: session, provider: provider, oauthToken: request.state) else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider, message: "OpenSSL could not hash the session binding")
        }
        var contextMetadata = metadata
        contextMetadata[Self.kindMetadataKey] = Self.kind
        if !scopes.isEmpty { contextMetadata[Self.scopesMetadataKey] = scopes.joined(separator: " ") }
        let pending = RequestToken(
            provider: provider, token: request.state, secret: request.pkce.verifier,
            context: RequestTokenContext(
                callbackURL: request.redirectURI.absoluteString, returnTo: returnTo, sessionBinding: binding,
                metadata: contextMetadata),
            createdAt: clock.now(), timeToLive: pendingTimeToLive)
        try await store.saveRequestToken(pending)
        logger.debug(
            "OAuth 2.0 authorization begun",
            metadata: [
                "provider": "\(provider)", "state": "\(request.state)", "expires_at": "\(pending.expiresAt)",
                "flow": "\(session == .outOfBand ? "out-of-band" : "browser")",
            ])
        return OAuth2AuthorizationStart(authorizationURL: request.url, state: request.state, expiresAt: pending.expiresAt)
    }
}
