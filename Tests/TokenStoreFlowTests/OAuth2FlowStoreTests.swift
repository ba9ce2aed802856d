import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing
import TokenStoreFlow
import TokenStoreKit

/// The OAuth 2.0 authorization code flow with its pending authorization in the store.
@Suite("OAuth 2.0 flow through the store", .serverTimeLimit)
struct OAuth2FlowStoreTests {
    @Test("begin keeps a pending authorization; the callback takes it once and stores the token set")
    func signIn() async throws {
        try await OAuth2StoreFixture.with { fixture in
            let start = try await fixture.flow.begin(
                session: .browser(sessionID: "s1"), returnTo: "/after", scopes: ["users.read"], metadata: ["tab": "2"])
            let pending = try #require(try await fixture.store.listRequestTokens(after: nil, limit: 10).tokens.first)
            #expect(pending.token == start.state)
            #expect(pending.secret.count >= 43, "the PKCE verifier is the pending authorization's secret")
            #expect(pending.context.sessionBinding?.hasPrefix("s256:") == true)
            #expect(pending.context.sessionBinding?.contains("s1") == false)
            let callback = try await fixture.authorize(start.authorizationURL)
            let completion = try await fixture.flow.complete(
                callbackQuery: callback.absoluteString, session: .browser(sessionID: "s1"),
                identify: OAuth2StoreFixture.identify)
            #expect(completion.returnTo == "/after")
            #expect(completion.metadata == ["tab": "2"])
            #expect(completion.tokenSet.version == 1)
            #expect(completion.tokenSet.refreshToken != nil)
            #expect(completion.tokenSet.scope == "users.read")
            #expect(completion.tokenSet.screenName == "test_user")
            #expect(fixture.provider.status(ofAccessToken: completion.tokenSet.accessToken) != .unknown)
            #expect(try await fixture.store.tokenSet(for: fixture.key) == completion.tokenSet)
            #expect(try await fixture.store.counts().requestTokens == 0, "the pending authorization was not taken")

            let replay = await #expect(throws: AuthorizationFlowError.self) {
                try await fixture.flow.complete(
                    callbackQuery: callback.absoluteString, session: .browser(sessionID: "s1"),
                    identify: OAuth2StoreFixture.identify)
            }
            #expect(replay?.code == .requestTokenNotFound)
        }
    }

    @Test("a callback in another session is refused and burned; two tabs of one session both complete")
    func sessions() async throws {
        try await OAuth2StoreFixture.with { fixture in
            let first = try await fixture.flow.begin(session: .browser(sessionID: "alice"))
            let second = try await fixture.flow.begin(session: .browser(sessionID: "alice"))
            let stolen = try await fixture.flow.begin(session: .browser(sessionID: "alice"))
            let stolenCallback = try await fixture.authorize(stolen.authorizationURL)
            let mismatch = await #expect(throws: AuthorizationFlowError.self) {
                try await fixture.flow.complete(
                    callbackQuery: stolenCallback.absoluteString, session: .browser(sessionID: "mallory"),
                    identify: OAuth2StoreFixture.identify)
            }
            #expect(mismatch?.code == .sessionMismatch)
            let missing = await #expect(throws: AuthorizationFlowError.self) {
                try await fixture.flow.complete(
                    callbackQuery: stolenCallback.absoluteString, session: nil, identify: OAuth2StoreFixture.identify)
            }
            #expect(missing?.code == .sessionRequired)
            for start in [second, first] {
                let callback = try await fixture.authorize(start.authorizationURL)
                let completion = try await fixture.flow.complete(
                    callbackQuery: callback.absoluteString, session: .browser(sessionID: "alice"),
                    identify: OAuth2StoreFixture.identify)
                #expect(completion.tokenSet.userID == "2244994945")
            }
        }
    }

    @Test("a denial is a typed error and discards the pending authorization")
    func denied() async throws {
        try await OAuth2StoreFixture.with { fixture in
            let start = try await fixture.flow.begin(session: .browser(sessionID: "s"))
            let error = await #expect(throws: OAuth2Error.self) {
                try await fixture.flow.complete(
                    callbackQuery: "error=access_denied&state=\(start.state)", session: .browser(sessionID: "s"),
                    identify: OAuth2StoreFixture.identify)
            }
            #expect(error?.code == .accessDenied)
            #expect(try await fixture.store.takeRequestToken(start.state) == nil)
        }
    }

    @Test("an OAuth 1.0a request token's name cannot complete an OAuth 2.0 authorization")
    func otherKind() async throws {
        try await OAuth2StoreFixture.with { fixture in
            try await fixture.store.saveRequestToken(
                RequestToken(provider: OAuth2StoreFixture.provider, token: "oauth1-token", secret: "s", createdAt: Date()))
            let error = await #expect(throws: AuthorizationFlowError.self) {
                try await fixture.flow.complete(
                    callbackQuery: "code=abc&state=oauth1-token", session: .browser(sessionID: "s"),
                    identify: OAuth2StoreFixture.identify)
            }
            #expect(error?.code == .providerMismatch)
        }
    }
}
