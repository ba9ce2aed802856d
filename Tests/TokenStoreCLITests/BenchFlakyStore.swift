import Foundation
import Synchronization
import TokenStoreKit

/// A memory store registered as `benchflaky:NAME` that misbehaves by name: by default
/// `accessToken(for:)` fails every fifth call; `benchflaky:occupied-...` claims every key
/// holds a token; `benchflaky:readonly-...` refuses every write. Deletes are counted.
final class BenchFlakyStore: TokenStore {
    private let inner: InMemoryTokenStore
    private let calls = Atomic<Int>(0)
    private let name: String
    let displayName: String

    /// `deleteAccessToken` calls per store name.
    static let deletes = Mutex<[String: Int]>([:])

    init(name: String) {
        self.name = name
        inner = InMemoryTokenStore(named: "flaky-" + name)
        displayName = "benchflaky:" + name
    }

    private func refuseWrites() throws {
        if name.hasPrefix("readonly-") {
            throw TokenStoreError(.permissionDenied, store: displayName, operation: "save", message: "read-only")
        }
    }

    static let driver = TokenStoreDriver(schemes: ["benchflaky"], summary: "test store that fails some reads") { url, _ in
        BenchFlakyStore(name: String(url.dropFirst("benchflaky:".count)))
    }

    func saveRequestToken(_ token: RequestToken) async throws {
        try refuseWrites()
        try await inner.saveRequestToken(token)
    }
    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? { try await inner.takeRequestToken(oauthToken) }
    func purgeExpiredRequestTokens() async throws -> Int { try await inner.purgeExpiredRequestTokens() }
    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await inner.listRequestTokens(after: cursor, limit: limit)
    }
    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try refuseWrites()
        return try await inner.saveAccessToken(token, policy: policy)
    }
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        if name.hasPrefix("occupied-") {
            return AccessToken(provider: key.provider, userID: key.userID, token: "t", secret: "s", createdAt: Date())
        }
        if name.hasPrefix("readonly-") { return try await inner.accessToken(for: key) }
        if calls.wrappingAdd(1, ordering: .relaxed).newValue % 5 == 0 {
            throw TokenStoreError(.unavailable, store: displayName, operation: "accessToken", message: "injected failure")
        }
        return try await inner.accessToken(for: key)
    }
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        Self.deletes.withLock { $0[name, default: 0] += 1 }
        return try await inner.deleteAccessToken(for: key)
    }
    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await inner.listAccessTokens(after: cursor, limit: limit)
    }
    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool { try await inner.saveTokenSet(tokenSet, policy: policy) }
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? { try await inner.tokenSet(for: key) }
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool { try await inner.deleteTokenSet(for: key) }
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage { try await inner.listTokenSets(after: cursor, limit: limit) }
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? { try await inner.replaceTokenSet(tokenSet, ifVersion: expected) }
    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool { try await inner.acquireRefreshLease(for: key, owner: owner, duration: duration) }
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool { try await inner.releaseRefreshLease(for: key, owner: owner) }
    func counts() async throws -> TokenCounts { try await inner.counts() }
    func schemaVersion() async throws -> Int { 0 }
    func close() async throws {}
}
