import ArgumentParser
import Foundation
import Synchronization
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// A memory store that counts its access-token listings, to prove `stats` does not read the
/// tokens unless asked to.
private final class ListingCountingStore: TokenStore {
    let inner = InMemoryTokenStore()
    let listings = Atomic<Int>(0)
    var displayName: String { "listing-counting:" + inner.displayName }

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
        listings.add(1, ordering: .relaxed)
        return try await inner.listAccessTokens(after: cursor, limit: limit)
    }
    func countAccessTokensByProvider() async throws -> AccessTokenCounts { try await inner.countAccessTokensByProvider() }
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

@Suite(.timeLimit(.minutes(5))) struct StatsCountingTests {
    private static func filledStore() async throws -> (ListingCountingStore, Date) {
        let store = ListingCountingStore()
        let base = Date(timeIntervalSince1970: 1_700_000_000)
        for (index, provider) in ["a", "a", "b", "a", "c"].enumerated() {
            try await store.saveAccessToken(
                AccessToken(
                    provider: provider, userID: "u\(index)", token: "t\(index)", secret: "s\(index)",
                    createdAt: base.addingTimeInterval(Double(index))))
        }
        return (store, base)
    }

    @Test("stats counts by provider without listing the access tokens")
    func countsWithoutReading() async throws {
        let (store, _) = try await Self.filledStore()
        let report = try await StatsCommand.collect(store, updates: false)
        #expect(store.listings.load(ordering: .relaxed) == 0, "stats listed the tokens to count them")
        #expect(report.byProvider == ["a": 3, "b": 1, "c": 1])
        #expect(report.accessTokens == 5)
        let text = report.text(store: store.displayName)
        #expect(text.contains("  a: 3"))
        #expect(!text.contains("Oldest update"), "oldest/newest are only shown when read (--updates)")
    }

    @Test("--updates reads the tokens for the oldest and newest update")
    func updatesReadsTokens() async throws {
        let (store, base) = try await Self.filledStore()
        let command = try #require(try TokenStoreCommand.parseAsRoot(["stats", "memory:x", "--updates"]) as? StatsCommand)
        #expect(command.updates)
        let report = try await StatsCommand.collect(store, updates: true)
        #expect(store.listings.load(ordering: .relaxed) >= 1)
        #expect(report.oldest == base)
        #expect(report.newest == base.addingTimeInterval(4))
        #expect(report.text(store: store.displayName).contains("Oldest update"))
    }
}
