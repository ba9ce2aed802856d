import Foundation
import OAuth1
import TokenStoreKit

extension AuthorizationFlow {
    /// A signer for requests on behalf of a stored user, usable in any process that
    /// shares the store.
    ///
    /// - Parameter key: The stored token's key; its provider must be ``provider``.
    /// - Returns: A signer with the client's consumer credentials and the user's token.
    /// - Throws: ``AuthorizationFlowError`` (``AuthorizationFlowError/Code/accessTokenNotFound``,
    ///   ``AuthorizationFlowError/Code/providerMismatch``), `TokenStoreError`.
    public func signer(for key: AccessTokenKey) async throws -> OAuth1Signer {
        let token = try await storedAccessToken(for: key)
        return client.signer(token: TokenCredentials(token: token.token, secret: token.secret))
    }

    /// Signs `request` as the stored user `key` and sends it with the client's transport.
    ///
    /// - Parameters:
    ///   - request: The request to sign and send.
    ///   - key: The stored token's key; its provider must be ``provider``.
    /// - Returns: The provider's response, whatever its status.
    /// - Throws: As ``signer(for:)``, and `OAuth1Error` for signing or transport failures.
    public func send(_ request: OAuth1HTTPRequest, as key: AccessTokenKey) async throws -> OAuth1HTTPResponse {
        let token = try await storedAccessToken(for: key)
        return try await client.send(request, signedWith: TokenCredentials(token: token.token, secret: token.secret))
    }

    /// The stored access token for `key`, checked against the flow's provider.
    func storedAccessToken(for key: AccessTokenKey) async throws -> AccessToken {
        guard key.provider == provider else {
            throw AuthorizationFlowError(
                .providerMismatch, provider: provider,
                message: "the key is for provider '\(key.provider)', but this flow signs with the consumer "
                    + "credentials of '\(provider)'", record: key.description)
        }
        guard let token = try await store.accessToken(for: key) else {
            throw AuthorizationFlowError(
                .accessTokenNotFound, provider: provider,
                message: "no access token is stored for this user in \(store.displayName); authorize first",
                record: key.description)
        }
        return token
    }
}
