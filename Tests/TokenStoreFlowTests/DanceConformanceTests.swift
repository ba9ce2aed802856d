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
