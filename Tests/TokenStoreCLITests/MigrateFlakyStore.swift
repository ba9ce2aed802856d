import Foundation
import Synchronization
import TokenStoreKit

/// A third-party driver for the tests, `flaky:NAME?fail_after=N`: a shared memory store whose
/// access token batch writes fail with ``TokenStoreError/Code/unavailable`` after `N` batches, as a
/// server going away mid-run does.
final class MigrateFlakyStore: TokenStore {
    let inner: InMemoryTokenStore
    let failAfter: Int
    private let batches = Atomic<Int>(0)
    var displayName: String { "flaky:" + inner.displayName }

    init(inner: InMemoryTokenStore, failAfter: Int) {
        self.inner = inner
        self.failAfter = failAfter
    }

    static let driver = TokenStoreDriver(schemes: ["flaky"], summary: "tests: memory that fails after N batches") { url, _ in
        let components = URLComponents(string: url)
        let name = components?.path ?? "flaky"
        let failAfter = components?.queryItems?.first { $0.name == "fail_after" }?.value.flatMap { Int($0) } ?? Int.max
        return MigrateFlakyStore(inner: InMemoryTokenStore(named: "flaky-" + name), failAfter: failAfter)
    }

    private func countBatch() throws {
        let done = batches.add(1, ordering: .relaxed).newValue
        if done > failAfter {
            throw TokenStoreError(.unavailable, store: displayName, operation: "saveAccessTokens", message: "the server went away")
        }
    }

    func saveRequestToken(_ token: RequestToken) async throws { try await inner.saveRequestToken(token) }
    func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int { try await inner.saveRequestTokens(tokens) }
    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? { try await inner.takeRequestToken(oauthToken) }
    func purgeExpiredRequestTokens() async throws -> Int { try await inner.purgeExpiredRequestTokens() }
    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await inner.listRequestTokens(after: cursor, limit: limit)
    }
    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await inner.saveAccessToken(token, policy: policy)
    }
    func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try countBatch()
        return try await inner.saveAccessTokens(tokens, policy: policy)
    }
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? { try await inner.accessToken(for: key) }
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool { try await inner.deleteAccessToken(for: key) }
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
