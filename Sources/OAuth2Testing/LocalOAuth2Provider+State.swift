import Foundation

/// The provider's mutable records, behind one lock.
struct LocalOAuth2ProviderState: Sendable {
    /// An authorization waiting for the user's decision on the page.
    struct PendingAuthorization: Sendable {
        var clientID: String
        var redirectURI: String
        var scopes: [String]
        var state: String?
        var challenge: String
        var expiresAt: Date
    }
    struct IssuedCode: Sendable {
        var clientID: String
        var redirectURI: String
        var challenge: String
        var scopes: [String]
        var user: LocalOAuth2Provider.User
        var expiresAt: Date
        /// Set on first presentation: a code is single use, whatever the outcome.
        var used = false
        /// The family its tokens belong to, once exchanged (revoked if the code comes back).
        var family: String?
    }
    struct AccessRecord: Sendable {
        var clientID: String
        var user: LocalOAuth2Provider.User
        var family: String
        var scopes: [String]
        var expiresAt: Date
    }
    struct RefreshRecord: Sendable {
        var clientID: String
        var user: LocalOAuth2Provider.User
        var family: String
        var scopes: [String]
        /// Replaced by a newer refresh token: presenting it again is reuse.
        var rotated = false
    }

    var pending: [String: PendingAuthorization] = [:]
    var codes: [String: IssuedCode] = [:]
    var accessTokens: [String: AccessRecord] = [:]
    var refreshTokens: [String: RefreshRecord] = [:]
    var revokedFamilies: Set<String> = []
    var failures: [LocalOAuth2Provider.Endpoint: LocalOAuth2Provider.Failure] = [:]
    var requestCounts: [LocalOAuth2Provider.Endpoint: Int] = [:]
    var counters = LocalOAuth2Provider.Counters()

    /// Revokes `family`; returns whether it was live until now.
    mutating func revoke(family: String) -> Bool {
        revokedFamilies.insert(family).inserted
    }

    func isLive(_ record: AccessRecord, at now: Date) -> Bool {
        record.expiresAt > now && !revokedFamilies.contains(record.family)
    }
}
