import Foundation
import MetricsTestKit
import OAuth2
import OAuth2Testing
import Synchronization
import Testing
import TokenStoreFlow
import TokenStoreKit

/// `validAccessToken(for:)` against the local provider (rotating refresh tokens, family
/// revocation on reuse) and the reference store.
@Suite("OAuth 2.0 refresh shared through the store", .serverTimeLimit)
struct OAuth2RefresherTests {
    @Test("a token that is not expiring is returned without a refresh")
    func fresh() async throws {
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600)) { fixture in
            let signedIn = try await fixture.signIn()
            let token = try await fixture.refresher().validAccessToken(for: fixture.key)
            #expect(token == signedIn)
            #expect(fixture.provider.counters.refreshesServed == 0)
        }
    }

    @Test("sixteen tasks on an expired token: one refresh, every task gets the new token")
    func concurrentCallers() async throws {
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600)) { fixture in
            let signedIn = try await fixture.signIn()
            try await fixture.expireStoredToken()
            let metrics = TestMetrics()
            var configured = fixture.refresher()
            configured.metricsFactory = metrics
            let refresher = configured
            let tokens = try await withThrowingTaskGroup(of: OAuth2TokenSet.self) { group in
                for _ in 0..<16 { group.addTask { try await refresher.validAccessToken(for: fixture.key) } }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(fixture.provider.counters.refreshesServed == 1)
            #expect(fixture.provider.counters.invalidGrantAnswers == 0)
            #expect(Set(tokens.map(\.accessToken)).count == 1)
            let token = try #require(tokens.first)
            #expect(token.version == signedIn.version + 2, "one expiry write by the test, one refresh")
            #expect(token.refreshToken != signedIn.refreshToken, "the rotated refresh token was stored")
            #expect(fixture.provider.isValidAccessToken(token.accessToken))
            let refreshed = try metrics.expectCounter(
                OAuth2TokenRefresher.refreshesLabel, [("provider", OAuth2StoreFixture.provider), ("outcome", "refreshed")])
            #expect(refreshed.totalValue == 1)
        }
    }

    @Test("callers keep going across many 1-second expiries with one refresh per expiry and no invalid_grant")
    func sustained() async throws {
        try await OAuth2StoreFixture.with { fixture in
            try await fixture.signIn()
            let refresher = fixture.refresher()
            let deadline = ContinuousClock.now + .seconds(4)
            let rejected = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        var rejected = 0
                        while ContinuousClock.now < deadline {
                            let token = try await refresher.validAccessToken(for: fixture.key)
                            // Issued and never revoked; on a loaded machine it may expire
                            // between this line and the last (1-second tokens, 0.2 s skew).
                            let status = fixture.provider.status(ofAccessToken: token.accessToken)
                            if status == .revoked || status == .unknown { rejected += 1 }
                            try await Task.sleep(for: .milliseconds(20))
                        }
                        return rejected
                    }
                }
                return try await group.reduce(0, +)
            }
            let counters = fixture.provider.counters
            let stored = try #require(try await fixture.store.tokenSet(for: fixture.key))
            #expect(counters.invalidGrantAnswers == 0)
            #expect(counters.familyRevocations == 0)
            #expect(rejected == 0)
            #expect(counters.refreshesServed >= 3, "4 s of 1 s tokens (0.2 s skew) need at least 3 refreshes")
            #expect(Int64(counters.refreshesServed) == stored.version - 1, "every provider refresh is exactly one store write")
        }
    }

    @Test("invalid_grant after another worker rotated the token: the rotated token is used, nothing is marked dead")
    func anotherWorkerRotated() async throws {
        let fixtureBox = Mutex<OAuth2StoreFixture?>(nil)
        // Before our refresh reaches the provider, "another worker" refreshes with the same
        // refresh token and stores its result: ours then gets invalid_grant.
        let transport = InterceptingTransport {
            guard let fixture = fixtureBox.withLock({ $0 }),
                let stored = try await fixture.store.tokenSet(for: fixture.key),
                let refreshToken = stored.refreshToken
            else { return }
            let response = try await fixture.client.refresh(refreshToken: refreshToken)
            try await fixture.store.saveTokenSet(stored.refreshed(with: response, at: Date()))
        }
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600), transport: transport) { fixture in
            fixtureBox.withLock { $0 = fixture }
            try await fixture.signIn()
            try await fixture.expireStoredToken()
            let before = try #require(try await fixture.store.tokenSet(for: fixture.key))
            let token = try await fixture.refresher().validAccessToken(for: fixture.key)
            #expect(fixture.provider.counters.invalidGrantAnswers == 1)
            #expect(token.invalidatedAt == nil)
            #expect(token.version == before.version + 1, "the other worker's write, not a dead marker")
        }
    }

    @Test("invalid_grant for the stored refresh token marks the token set dead: sign in again")
    func rejectedRefreshToken() async throws {
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600)) { fixture in
            let signedIn = try await fixture.signIn()
            // The refresh token is used outside the store (as by an uncoordinated worker).
            _ = try await fixture.client.refresh(refreshToken: try #require(signedIn.refreshToken))
            try await fixture.expireStoredToken()
            let error = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher().validAccessToken(for: fixture.key)
            }
            #expect(error?.code == .signInRequired)
            #expect(error.map { !$0.description.contains(signedIn.refreshToken ?? "-") } == true)
            let stored = try #require(try await fixture.store.tokenSet(for: fixture.key))
            #expect(stored.invalidatedAt != nil)
            let again = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher().validAccessToken(for: fixture.key)
            }
            #expect(again?.code == .signInRequired)
            #expect(fixture.provider.counters.invalidGrantAnswers == 1, "a dead token set is not presented again")
            try await fixture.signIn()
            let fresh = try await fixture.store.tokenSet(for: fixture.key)
            #expect(fresh?.invalidatedAt == nil, "a new sign-in replaces the dead token set")
        }
    }

    @Test("a holder that died with the lease delays the others only until the lease expires")
    func deadHolder() async throws {
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600)) { fixture in
            try await fixture.signIn()
            try await fixture.expireStoredToken()
            let held = try await fixture.store.acquireRefreshLease(for: fixture.key, owner: "dead", duration: .seconds(3))
            #expect(held)
            let started = ContinuousClock.now
            let token = try await fixture.refresher().validAccessToken(for: fixture.key)
            let waited = ContinuousClock.now - started
            #expect(waited >= .milliseconds(2500), "the lease was taken over before it expired (\(waited))")
            #expect(waited < .seconds(20), "the wait outlasted the dead holder's lease by far (\(waited))")
            #expect(fixture.provider.counters.refreshesServed == 1)
            #expect(fixture.provider.isValidAccessToken(token.accessToken))
        }
    }

    @Test("a wait bounded below the holder's lease gives up with waitTimedOut")
    func waitTimeout() async throws {
        try await OAuth2StoreFixture.with(accessTokenLifetime: .seconds(600)) { fixture in
            try await fixture.signIn()
            try await fixture.expireStoredToken()
            _ = try await fixture.store.acquireRefreshLease(for: fixture.key, owner: "slow", duration: .seconds(120))
            let error = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher(waitTimeout: .milliseconds(300)).validAccessToken(for: fixture.key)
            }
            #expect(error?.code == .waitTimedOut)
            #expect(fixture.provider.counters.refreshesServed == 0)
        }
    }

    @Test("no token set, an expired token without a refresh token, a lease not above the client timeout")
    func refusals() async throws {
        try await OAuth2StoreFixture.with { fixture in
            let none = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher().validAccessToken(for: fixture.key)
            }
            #expect(none?.code == .notSignedIn)
            try await fixture.store.saveTokenSet(
                OAuth2TokenSet(
                    provider: fixture.key.provider, userID: fixture.key.userID, accessToken: "a",
                    expiresAt: Date().addingTimeInterval(-5), createdAt: Date()))
            let noRefresh = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher().validAccessToken(for: fixture.key)
            }
            #expect(noRefresh?.code == .signInRequired)
            let configuration = await #expect(throws: OAuth2RefreshError.self) {
                try await fixture.refresher(leaseDuration: .seconds(20)).validAccessToken(for: fixture.key)
            }
            #expect(configuration?.code == .invalidConfiguration)
        }
    }
}
