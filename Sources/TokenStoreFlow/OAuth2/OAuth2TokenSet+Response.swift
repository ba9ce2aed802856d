import Foundation
import OAuth2
import TokenStoreKit

extension OAuth2TokenSet {
    /// The token set a code exchange grants `userID`: the token response kept whole
    /// (`expires_in` as an absolute time, scope space-separated, unknown fields in the
    /// token set's `metadata`).
    public init(
        response: OAuth2TokenResponse, provider: String, userID: String, screenName: String? = nil, at now: Date
    ) {
        self.init(
            provider: provider, userID: userID, accessToken: response.accessToken, tokenType: response.tokenType,
            expiresAt: response.expiresAt, refreshToken: response.refreshToken,
            scope: response.scopes?.joined(separator: " "), idToken: response.idToken, screenName: screenName,
            metadata: response.metadata, createdAt: now, updatedAt: now)
    }

    /// This token set after a refresh answered with `response`: the new access token and
    /// expiry; the new refresh token when the provider rotated it, the old one when it did
    /// not send one (RFC 6749 section 6); scope and ID token kept unless the response
    /// carries new ones; response fields added to the metadata; no longer invalidated.
    public func refreshed(with response: OAuth2TokenResponse, at now: Date) -> OAuth2TokenSet {
        var next = self
        next.accessToken = response.accessToken
        next.tokenType = response.tokenType
        next.expiresAt = response.expiresAt
        next.refreshToken = response.refreshToken ?? refreshToken
        next.scope = response.scopes?.joined(separator: " ") ?? scope
        next.idToken = response.idToken ?? idToken
        next.metadata.merge(response.metadata) { _, new in new }
        next.updatedAt = now
        next.invalidatedAt = nil
        return next
    }
}
