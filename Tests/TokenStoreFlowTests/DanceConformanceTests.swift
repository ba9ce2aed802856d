import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

/// The flow conformance suite against the stores of this module's tests.
@Suite("Dance conformance", .serverTimeLimit)
struct DanceConformanceTests {
    @Test func inMemoryStore() async throws {
        try await AuthorizationFlowConformance(name: "memory") { clock in InMemoryTokenStore(clock: clock) }.run()
    }

    @Test func spyStore() async throws {
        try await AuthorizationFlowConformance(name: "spy") { clock in DanceSpyStore(clock: clock) }.run()
    }
}

/// A store that breaks the contract: `take` returns the token but leaves it in place.
final class DanceLeakyStore: TokenStore {
    let base: DanceSpyStore
    init(clock: TokenClock) { base = DanceSpyStore(clock: clock) }
    var displayName: String { "leaky:" }
    func saveRequestToken(_ token: RequestToken) async throws { try await base.saveRequestToken(token) }
    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        guard let token = try await base.takeRequestToken(oauthToken) else { return nil }
        try await base.saveRequestToken(token)
        return token
    }
    func purgeExpiredRequestTokens() async throws -> Int { try await base.purgeExpiredRequestTokens() }
    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await base.listRequestTokens(after: cursor, limit: limit)
    }
    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await base.saveAccessToken(token, policy: policy)
    }
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? { try await base.accessToken(for: key) }
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool { try await base.deleteAccessToken(for: key) }
    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await base.listAccessTokens(after: cursor, limit: limit)
    }
    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool { try await base.saveTokenSet(tokenSet, policy: policy) }
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? { try await base.tokenSet(for: key) }
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool { try await base.deleteTokenSet(for: key) }
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage { try await base.listTokenSets(after: cursor, limit: limit) }
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? { try await base.replaceTokenSet(tokenSet, ifVersion: expected) }
    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool { try await base.acquireRefreshLease(for: key, owner: owner, duration: duration) }
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool { try await base.releaseRefreshLease(for: key, owner: owner) }
    func counts() async throws -> TokenCounts { try await base.counts() }
    func schemaVersion() async throws -> Int { 0 }
    func close() async throws {}
}

extension DanceConformanceTests {
    /// The suite is not vacuous: a store whose `take` does not remove fails it.
    @Test func suiteCatchesATakeThatDoesNotRemove() async throws {
        await withKnownIssue("a leaky take lets a replayed callback through") {
            try await AuthorizationFlowConformance(name: "leaky") { clock in DanceLeakyStore(clock: clock) }.run()
        }
    }
}
