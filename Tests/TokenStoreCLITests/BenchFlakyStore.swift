import Foundation
import Synchronization
import TokenStoreKit

/// A memory store whose `accessToken(for:)` fails every fifth call, registered as
/// `benchflaky:NAME`, to show that failed operations are counted rather than fatal.
final class BenchFlakyStore: TokenStore {
    private let inner: InMemoryTokenStore
    private let calls = Atomic<Int>(0)
    let displayName: String

    init(name: String) {
        inner = InMemoryTokenStore(named: "flaky-" + name)
        displayName = "benchflaky:" + name
    }

    static let driver = TokenStoreDriver(schemes: ["benchflaky"], summary: "test store that fails some reads") { url, _ in
        BenchFlakyStore(name: String(url.dropFirst("benchflaky:".count)))
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
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        if calls.wrappingAdd(1, ordering: .relaxed).newValue % 5 == 0 {
            throw TokenStoreError(.unavailable, store: displayName, operation: "accessToken", message: "injected failure")
        }
        return try await inner.accessToken(for: key)
    }
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool { try await inner.deleteAccessToken(for: key) }
    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await inner.listAccessTokens(after: cursor, limit: limit)
    }
    func counts() async throws -> TokenCounts { try await inner.counts() }
    func schemaVersion() async throws -> Int { 0 }
    func close() async throws {}
}
