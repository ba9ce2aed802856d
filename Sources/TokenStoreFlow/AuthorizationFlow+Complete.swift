import Foundation
import Logging
import OAuth1
import TokenStoreKit

extension AuthorizationFlow {
    /// Finishes a browser authorization from its callback: takes the pending request token
    /// from the store, checks it belongs to this provider and to `session`, exchanges it
    /// for the access token, and saves that under (``provider``, user id).
    ///
    /// What each callback gives:
    /// - `denied=<token>`: the pending token is removed and `OAuth1Error` with code
    ///   `userDenied` is thrown.
    /// - no `oauth_token`: ``AuthorizationFlowError/Code/invalidCallback``; no
    ///   `oauth_verifier`: `OAuth1Error` `missingVerifier`; `session` `nil` or an empty
    ///   browser id: ``AuthorizationFlowError/Code/sessionRequired``. These are refused
    ///   before the store is touched, so the pending token stays.
    /// - an unknown, expired or already used `oauth_token` (a replayed callback):
    ///   ``AuthorizationFlowError/Code/requestTokenNotFound``.
    /// - a token saved by another session, by the desktop flow, or for another provider:
    ///   ``AuthorizationFlowError/Code/sessionMismatch`` or
    ///   ``AuthorizationFlowError/Code/providerMismatch``. The token is consumed by then
    ///   (taking is the only atomic read), so neither the wrong session nor the right one
    ///   can use that callback again: the attacker's link is dead, and the user starts over.
    ///
    /// - Parameters:
    ///   - callback: The URL the provider redirected to, with its query.
    ///   - session: The app session of the request carrying the callback, or `nil` when the
    ///     request has none.
    /// - Returns: The stored access token and the context kept by `begin`.
    /// - Throws: ``AuthorizationFlowError``, `OAuth1Error`, `TokenStoreError`.
    public func complete(callback: URL, session: FlowSession?) async throws -> AuthorizationCompletion {
        try await complete(callbackQuery: callback.absoluteString, session: session)
    }

    /// Finishes a browser authorization from the callback's query string (`oauth_token=...&
    /// oauth_verifier=...`, with or without a leading `?`, or a whole URL).
    ///
    /// - Parameters:
    ///   - callbackQuery: The callback's query, or the whole callback URL.
    ///   - session: The app session of the request carrying the callback, or `nil`.
    /// - Returns: The stored access token and the context kept by `begin`.
    /// - Throws: As ``complete(callback:session:)``.
    public func complete(callbackQuery: String, session: FlowSession?) async throws -> AuthorizationCompletion {
        try validateConfiguration()
        let callback = try AuthorizationCallback(callbackQuery, provider: provider)
        if callback.isDenied {
            if let name = callback.deniedToken ?? callback.oauthToken {
                let removed = try await store.takeRequestToken(name)
                logger.debug(
                    "authorization denied by the user",
                    metadata: ["provider": "\(provider)", "oauth_token": "\(name)", "removed": "\(removed != nil)"])
            }
            throw OAuth1Error(.userDenied, message: "the user declined the authorization at the provider")
        }
        guard let oauthToken = callback.oauthToken else {
            throw AuthorizationFlowError(
                .invalidCallback, provider: provider,
                message: "the callback has no oauth_token (is this the provider's redirect?)")
        }
        guard let verifier = callback.verifier else {
            throw OAuth1Error(.missingVerifier, message: "the callback has no oauth_verifier")
        }
        guard let session, session != .browser(sessionID: "") else {
            throw AuthorizationFlowError(
                .sessionRequired, provider: provider,
                message: "the callback request has no app session; the flow can only be completed by the "
                    + "browser session that began it", record: oauthToken)
        }
        return try await finish(oauthToken: oauthToken, verifier: verifier, session: session)
    }

    /// Finishes a desktop (out-of-band) authorization with the PIN the user typed.
    ///
    /// - Parameters:
    ///   - requestToken: ``AuthorizationStart/requestToken`` from `begin(session: .outOfBand)`.
    ///   - verifier: The PIN the provider showed the user (surrounding spaces are ignored).
    /// - Returns: The stored access token.
    /// - Throws: As ``complete(callback:session:)``; a token begun by a browser session
    ///   gives ``AuthorizationFlowError/Code/sessionMismatch``.
    public func completeOutOfBand(requestToken: String, verifier: String) async throws -> AuthorizationCompletion {
        try validateConfiguration()
        let pin = verifier.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !pin.isEmpty else {
            throw OAuth1Error(.missingVerifier, message: "no PIN was entered")
        }
        guard !requestToken.isEmpty else {
            throw AuthorizationFlowError(.invalidCallback, provider: provider, message: "the request token is empty")
        }
        return try await finish(oauthToken: requestToken, verifier: pin, session: .outOfBand)
    }

    /// Takes, checks, exchanges and saves.
    private func finish(oauthToken: String, verifier: String, session: FlowSession) async throws
        -> AuthorizationCompletion
    {
        guard let pending = try await store.takeRequestToken(oauthToken) else {
            throw AuthorizationFlowError(
                .requestTokenNotFound, provider: provider,
                message: "the request token is unknown, expired or already used; start the authorization again",
                record: oauthToken)
        }
        guard pending.provider == provider else {
            throw AuthorizationFlowError(
                .providerMismatch, provider: provider,
                message: "the request token was saved by the flow for provider '\(pending.provider)'; "
                    + "it has been consumed", record: oauthToken)
        }
        guard
            SessionBinding.matches(
                pending.context.sessionBinding, provider: provider, oauthToken: pending.token, session: session)
        else {
            logger.notice(
                "authorization refused: session mismatch",
                metadata: ["provider": "\(provider)", "oauth_token": "\(oauthToken)"])
            throw AuthorizationFlowError(
                .sessionMismatch, provider: provider,
                message: mismatchMessage(stored: pending.context.sessionBinding, session: session), record: oauthToken)
        }

        let fields = try await client.exchangeRequestToken(
            TokenCredentials(token: pending.token, secret: pending.secret), verifier: verifier)
        guard let credentials = Self.credentials(in: fields) else {
            throw OAuth1Error(
                .malformedResponse, message: "the access token response lacks oauth_token or oauth_token_secret")
        }
        guard let userID = fields.first(named: userIDField), !userID.isEmpty else {
            throw AuthorizationFlowError(
                .missingUserID, provider: provider,
                message: "the access token response has no \(userIDField), so the token cannot be keyed; "
                    + "set userIDField to the field your provider uses (the token was not stored)")
        }
        var extra: [String: String] = [:]
        for field in fields where !Self.reservedResponseFields.contains(field.name) && field.name != userIDField {
            extra[field.name] = field.value
        }
        let now = clock.now()
        let token = AccessToken(
            provider: provider,
            userID: userID,
            token: credentials.token,
            secret: credentials.secret,
            screenName: fields.first(named: "screen_name").flatMap { $0.isEmpty ? nil : $0 },
            accessType: fields.first(named: "x_auth_access_type") ?? fields.first(named: "access_type")
                ?? pending.context.metadata[Self.accessTypeMetadataKey],
            createdAt: now,
            updatedAt: now,
            metadata: extra)
        try await store.saveAccessToken(token, policy: .overwrite)
        // Read back what the store kept (an overwrite keeps the first createdAt).
        let stored = try await store.accessToken(for: token.key) ?? token
        logger.info(
            "authorization completed", metadata: ["provider": "\(provider)", "user_id": "\(userID)"])

        var metadata = pending.context.metadata
        metadata[Self.accessTypeMetadataKey] = nil
        return AuthorizationCompletion(accessToken: stored, returnTo: pending.context.returnTo, metadata: metadata)
    }

    /// Response fields that are the credentials or become typed properties.
    static let reservedResponseFields: Set<String> = ["oauth_token", "oauth_token_secret", "screen_name"]

    /// The token and secret of an access-token response, if both are present.
    static func credentials(in fields: [OAuth1Parameter]) -> TokenCredentials? {
        guard let token = fields.first(named: "oauth_token"), !token.isEmpty,
            let secret = fields.first(named: "oauth_token_secret")
        else { return nil }
        return TokenCredentials(token: token, secret: secret)
    }

    /// Says what did not match without showing either side.
    private func mismatchMessage(stored: String?, session: FlowSession) -> String {
        let consumed = "; the pending authorization has been consumed, start again from this session"
        switch (stored, session) {
        case (nil, _):
            return "the pending authorization is not bound to any session" + consumed
        case (SessionBinding.outOfBandMarker?, .browser):
            return "the authorization was begun by the desktop (out-of-band) flow, not a browser session" + consumed
        case (_, .outOfBand):
            return "the authorization was begun by a browser session, not the desktop (out-of-band) flow" + consumed
        default:
            return "the callback came with another session than the one that began the authorization" + consumed
        }
    }
}
