import Foundation
import Logging
import OAuth2
import TokenStoreKit

extension OAuth2AuthorizationFlow {
    /// Completes an authorization from the provider's redirect: takes the pending
    /// authorization named by `state` (at most once, on any worker), checks the session
    /// binding and the issuer, exchanges the code with the PKCE verifier, asks `identify`
    /// who signed in, and stores the token set under (provider, user id), replacing any
    /// earlier one.
    ///
    /// - Parameters:
    ///   - callbackQuery: the callback's query (`code=...&state=...`), or its whole URL.
    ///   - session: the session the callback request carries (`nil` when it has none).
    ///   - identify: asks the provider who the token belongs to (e.g. `GET /user`).
    /// - Throws: `OAuth2Error` with the redirect's error (`accessDenied` when the user
    ///   declined; the pending authorization is discarded) or the exchange's;
    ///   `AuthorizationFlowError` (`requestTokenNotFound` for an unknown, expired or used
    ///   state, `sessionRequired`, `sessionMismatch`, `providerMismatch`, `missingUserID`);
    ///   `TokenStoreError`.
    public func complete(
        callbackQuery: String,
        session: FlowSession?,
        identify: @Sendable (OAuth2TokenResponse) async throws -> OAuth2UserIdentity
    ) async throws -> OAuth2AuthorizationCompletion {
        try validateConfiguration()
        let query = Self.query(of: callbackQuery)
        let callback: OAuth2Callback
        do {
            callback = try OAuth2Callback(query: query)
        } catch let error as OAuth2Error {
            // A denial (or any error redirect) ends the authorization: discard it.
            if let state = OAuth2Callback.state(inQuery: query) {
                let removed = try await store.takeRequestToken(state)
                logger.debug(
                    "OAuth 2.0 authorization ended by the provider's redirect",
                    metadata: ["provider": "\(provider)", "state": "\(state)", "removed": "\(removed != nil)"])
            }
            throw error
        }
        guard let session, session != .browser(sessionID: "") else {
            throw AuthorizationFlowError(
                .sessionRequired, provider: provider,
                message: "the callback request has no app session; the flow can only be completed by the "
                    + "browser session that began it", record: callback.state)
        }
        let pending = try await takePending(state: callback.state, session: session)
        let request = try OAuth2AuthorizationRequest(
            url: client.endpoints.authorizationURL, state: pending.token, pkce: OAuth2PKCE(verifier: pending.secret),
            redirectURI: URL(string: pending.context.callbackURL ?? "") ?? client.redirectURI,
            scopes: pending.context.metadata[Self.scopesMetadataKey]?.split(separator: " ").map(String.init) ?? [])
        let response = try await client.exchange(callback, for: request)
        let identity = try await identify(response)
        guard !identity.userID.isEmpty else {
            throw AuthorizationFlowError(
                .missingUserID, provider: provider,
                message: "identify returned an empty user id, so the token set cannot be keyed (it was not stored)")
        }
        let tokenSet = OAuth2TokenSet(
            response: response, provider: provider, userID: identity.userID, screenName: identity.screenName,
            at: clock.now())
        try await store.saveTokenSet(tokenSet, policy: .overwrite)
        let stored = try await store.tokenSet(for: tokenSet.key) ?? tokenSet
        logger.info("OAuth 2.0 authorization completed", metadata: ["provider": "\(provider)", "user_id": "\(identity.userID)"])
        var metadata = pending.context.metadata
        metadata[Self.kindMetadataKey] = nil
        metadata[Self.scopesMetadataKey] = nil
        return OAuth2AuthorizationCompletion(tokenSet: stored, returnTo: pending.context.returnTo, metadata: metadata)
    }

    /// Takes the pending authorization and checks it belongs to this flow and session.
    /// A mismatch consumes it, as in the OAuth 1.0a flow: a leaked callback URL is burned.
    private func takePending(state: String, session: FlowSession) async throws -> RequestToken {
        guard let pending = try await store.takeRequestToken(state) else {
            throw AuthorizationFlowError(
                .requestTokenNotFound, provider: provider,
                message: "the authorization is unknown, expired or already completed; start again", record: state)
        }
        guard pending.context.metadata[Self.kindMetadataKey] == Self.kind, pending.provider == provider else {
            throw AuthorizationFlowError(
                .providerMismatch, provider: provider,
                message: "the state names a pending sign-in of another flow (provider '\(pending.provider)'); "
                    + "it has been consumed", record: state)
        }
        guard SessionBinding.matches(pending.context.sessionBinding, provider: provider, oauthToken: state, session: session)
        else {
            logger.notice("OAuth 2.0 authorization refused: session mismatch", metadata: ["provider": "\(provider)", "state": "\(state)"])
            throw AuthorizationFlowError(
                .sessionMismatch, provider: provider,
                message: "the callback came with another session than the one that began the authorization; "
                    + "it has been consumed, start again from this session", record: state)
        }
        return pending
    }

    /// The query of a callback given as a whole URL, or the string itself.
    static func query(of callback: String) -> String {
        if let components = URLComponents(string: callback), components.scheme != nil {
            return components.percentEncodedQuery ?? ""
        }
        return callback
    }
}
