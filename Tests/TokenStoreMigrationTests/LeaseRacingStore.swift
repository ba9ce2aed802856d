import Foundation
import Synchronization
import TokenStoreKit

/// An in-memory store where another worker refreshes a token set at the worst moment: the
/// first time a refresh lease is asked for `key`, the set is rewritten (new refresh token,
/// version + 1) just before the lease is granted, as a worker that finished its refresh
/// between the re-seal's listing and its lease would leave it.
final class LeaseRacingStore: TokenStore {
    let inner: InMemoryTokenStore
    let key: AccessTokenKey
    let refreshTo: String
    private let raced = Atomic<Bool>(false)
    var displayName: String { inner.displayName }

    init(inner: InMemoryTokenStore, key: AccessTokenKey, refreshTo: String) {
        self.inner = inner
        self.key = key
        self.refreshTo = refreshTo
    }

    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        if key == self.key, !raced.exchange(true, ordering: .relaxed), var current = try await inner.tokenSet(for: key) {
            current.refreshToken = refreshTo
            current.updatedAt = current.updatedAt.addingTimeInterval(1)
            _ = try await inner.replaceTokenSet(current, ifVersion: current.version)
        }
        return try await inner.acquireRefreshLease(for: key, owner: owner, duration: duration)
    }

    func saveRequestToken(_ token: RequestToken) async throws { try await inner.saveRequestToken(token) }
    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? { try await inner.takeRequestToken(oauthToken) }
    func purgeExpiredRequestTokens() async throws -> Int { try await inner.purgeExpiredRequestTokens() }
    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await inner.listRequestTokens(after: cursor, limit: limit)
    }
    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await inner.saveAccessToken(token, policy: policy)
    }
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? { try await inner.accessToken(for: key) }
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool { try await inner.deleteAccessToken(for: key) }
    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await inner.listAccessTokens(after: cursor, limit: limit)
    }
    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try await inner.saveTokenSet(tokenSet, policy: policy)
    }
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? { try await inner.tokenSet(for: key) }
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool { try await inner.deleteTokenSet(for: key) }
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try await inner.listTokenSets(after: cursor, limit: limit)
    }
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try await inner.replaceTokenSet(tokenSet, ifVersion: expected)
    }
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try await inner.releaseRefreshLease(for: key, owner: owner)
    }
    func counts() async throws -> TokenCounts { try await inner.counts() }
    func schemaVersion() async throws -> Int { 0 }
    func close() async throws {}
}
