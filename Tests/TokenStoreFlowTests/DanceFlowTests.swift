import Foundation
import OAuth1
import Synchronization
import Testing
import TokenStoreFlow
import TokenStoreKit

/// A clock the tests move by hand.
final class DanceClock: Sendable {
    private let now = Mutex(TokenTimestamp.normalized(Date(timeIntervalSince1970: 1_800_000_000)))
    var clock: TokenClock { TokenClock { self.now.withLock { $0 } } }
    func advance(_ seconds: TimeInterval) { now.withLock { $0 = $0.addingTimeInterval(seconds) } }
}

/// The flow's logic with an in-memory fake provider: what is stored, returned and refused.
@Suite("Dance flow", .inProcessTimeLimit)
struct DanceFlowTests {
    let provider = DanceFakeProvider(extraFields: [
        OAuth1Parameter("screen_name", "ada"), OAuth1Parameter("x_extra", "kept"),
    ])
    var client: DanceFakeClient { DanceFakeClient(provider: provider) }
    let session = FlowSession.browser(sessionID: "cookie-" + UUID().uuidString)

    func flow(store: DanceSpyStore = DanceSpyStore(), clock: TokenClock = .system, ttl: Duration = .seconds(600))
        -> AuthorizationFlow
    {
        AuthorizationFlow(provider: "twitter", client: client, store: store, requestTokenTimeToLive: ttl, clock: clock)
    }

    @Test func callbackFlowStoresWhatTheAppNeeds() async throws {
        let clock = DanceClock()
        let store = DanceSpyStore(clock: clock.clock)
        let flow = flow(store: store, clock: clock.clock, ttl: .seconds(90))
        let start = try await flow.begin(
            session: session, returnTo: "/settings", accessType: "write", metadata: ["tab": "a"])
        #expect(start.expiresAt == clock.clock.now().addingTimeInterval(90))

        let pending = try #require(try await store.listRequestTokens(after: nil, limit: 10).tokens.first)
        #expect(pending.token == start.requestToken)
        #expect(pending.context.callbackURL == client.oauthCallback)
        #expect(pending.context.returnTo == "/settings")
        #expect(pending.context.metadata == ["tab": "a", AuthorizationFlow.accessTypeMetadataKey: "write"])
        guard case .browser(let rawID) = session else { return }
        #expect(pending.context.sessionBinding?.hasPrefix(SessionBinding.browserPrefix) == true)
        #expect(pending.context.sessionBinding?.contains(rawID) == false)

        clock.advance(30)
        let callback = try #require(client.callback(for: start, userID: "42"))
        let done = try await flow.complete(callbackQuery: callback, session: session)
        #expect(done.returnTo == "/settings")
        #expect(done.metadata == ["tab": "a"])
        let token = done.accessToken
        #expect(token.key == AccessTokenKey(provider: "twitter", userID: "42"))
        #expect(token.screenName == "ada")
        #expect(token.accessType == "write")
        #expect(token.metadata == ["x_extra": "kept"])
        #expect(token.createdAt == clock.clock.now())
        #expect(try await store.accessToken(for: token.key) == token)
        #expect(try await store.counts().requestTokens == 0)
    }

    @Test func reauthorizingKeepsCreatedAtAndReplacesTheToken() async throws {
        let clock = DanceClock()
        let store = DanceSpyStore(clock: clock.clock)
        let flow = flow(store: store, clock: clock.clock)
        let first = try await flow.begin(session: session)
        let firstDone = try await flow.complete(
            callbackQuery: try #require(client.callback(for: first, userID: "7")), session: session)
        clock.advance(3600)
        let second = try await flow.begin(session: session)
        let secondDone = try await flow.complete(
            callbackQuery: try #require(client.callback(for: second, userID: "7")), session: session)
        #expect(secondDone.key == firstDone.key)
        #expect(secondDone.accessToken.token != firstDone.accessToken.token)
        #expect(secondDone.accessToken.createdAt == firstDone.accessToken.createdAt)
        #expect(secondDone.accessToken.updatedAt == clock.clock.now())
        #expect(try await store.counts().accessTokens == 1)
    }

    @Test func tabsCompleteIndependentlyInAnyOrder() async throws {
        let store = DanceSpyStore()
        let flow = flow(store: store)
        var starts: [AuthorizationStart] = []
        for tab in 0..<3 { starts.append(try await flow.begin(session: session, returnTo: "/tab/\(tab)")) }
        #expect(Set(starts.map(\.requestToken)).count == 3)
        #expect(try await store.counts().requestTokens == 3)
        for index in [2, 0, 1] {
            let done = try await flow.complete(
                callbackQuery: try #require(client.callback(for: starts[index], userID: "u\(index)")), session: session)
            #expect(done.returnTo == "/tab/\(index)")
        }
        #expect(try await store.counts() == TokenCounts(requestTokens: 0, accessTokens: 3))
    }

    @Test func replayAndMismatchAreRefusedWithoutReachingTheProvider() async throws {
        let store = DanceSpyStore()
        let flow = flow(store: store)
        let start = try await flow.begin(session: session)
        let callback = try #require(client.callback(for: start))
        let mismatch = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: callback, session: .browser(sessionID: "attacker"))
        }
        #expect(mismatch?.code == .sessionMismatch)
        #expect(mismatch?.message.contains("consumed") == true)
        #expect(provider.exchangeCount == 0, "a mismatched session never reaches the provider")
        #expect(store.calls("saveAccessToken") == 0)
        let retry = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: callback, session: session)
        }
        #expect(retry?.code == .requestTokenNotFound)

        let again = try await flow.begin(session: session)
        let againCallback = try #require(client.callback(for: again))
        _ = try await flow.complete(callbackQuery: againCallback, session: session)
        let replay = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: againCallback, session: session)
        }
        #expect(replay?.code == .requestTokenNotFound)
        #expect(provider.exchangeCount == 1)
    }

    @Test func expiredRequestTokenIsNotFound() async throws {
        let clock = DanceClock()
        let store = DanceSpyStore(clock: clock.clock)
        let flow = flow(store: store, clock: clock.clock, ttl: .seconds(60))
        let start = try await flow.begin(session: session)
        let callback = try #require(client.callback(for: start))
        clock.advance(60)
        let error = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: callback, session: session)
        }
        #expect(error?.code == .requestTokenNotFound)
    }

    @Test func missingUserIDIsTypedAndStoresNothing() async throws {
        let anonymous = DanceFakeProvider(returnsUserID: false)
        let store = DanceSpyStore()
        let client = DanceFakeClient(provider: anonymous)
        let flow = AuthorizationFlow(provider: "twitter", client: client, store: store)
        let start = try await flow.begin(session: session)
        let error = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: try #require(client.callback(for: start)), session: session)
        }
        #expect(error?.code == .missingUserID)
        #expect(error?.message.contains("userIDField") == true)
        #expect(store.calls("saveAccessToken") == 0)
    }

    @Test func userIDFieldNamesTheProvidersField() async throws {
        let flickrLike = DanceFakeProvider(returnsUserID: false, extraFields: [OAuth1Parameter("user_nsid", "123@N01")])
        let client = DanceFakeClient(provider: flickrLike)
        let flow = AuthorizationFlow(
            provider: "flickr", client: client, store: DanceSpyStore(), userIDField: "user_nsid")
        let start = try await flow.begin(session: session)
        let done = try await flow.complete(callbackQuery: try #require(client.callback(for: start)), session: session)
        #expect(done.key == AccessTokenKey(provider: "flickr", userID: "123@N01"))
        #expect(done.accessToken.metadata["user_nsid"] == nil)
    }

    @Test func providerRejectionPropagatesUnchanged() async throws {
        let store = DanceSpyStore()
        let flow = flow(store: store)
        let start = try await flow.begin(session: session)
        _ = client.callback(for: start)
        let error = await #expect(throws: OAuth1Error.self) {
            try await flow.complete(
                callbackQuery: "oauth_token=\(start.requestToken)&oauth_verifier=wrong", session: session)
        }
        #expect(error?.code == .providerRejected)
        #expect(error?.httpStatus == 401)
        #expect(store.calls("saveAccessToken") == 0)
    }

    @Test func authorizeOptionsReachTheURL() async throws {
        let start = try await flow().begin(
            session: session, authenticate: true, forceLogin: true, screenName: "ada lovelace")
        let url = start.authorizationURL.absoluteString
        #expect(url.contains("/authenticate?"))
        #expect(url.contains("force_login=true"))
        #expect(url.contains("screen_name=ada%20lovelace"))
        #expect(url.contains("oauth_token=" + OAuth1PercentEncoding.encode(start.requestToken)))
    }

    @Test func outOfBandFlow() async throws {
        var desktop = client
        desktop.oauthCallback = "oob"
        let store = DanceSpyStore()
        let flow = AuthorizationFlow(provider: "twitter", client: desktop, store: store)
        let start = try await flow.begin(session: .outOfBand)
        let pending = try #require(try await store.listRequestTokens(after: nil, limit: 10).tokens.first)
        #expect(pending.context.sessionBinding == SessionBinding.outOfBandMarker)
        #expect(pending.context.callbackURL == "oob")
        let pin = try #require(provider.approve(start.requestToken, userID: "9"))
        let done = try await flow.completeOutOfBand(requestToken: start.requestToken, verifier: "  \(pin)\n")
        #expect(done.key.userID == "9")
    }

    @Test func signingWithAStoredTokenInAnotherFlowInstance() async throws {
        let store = DanceSpyStore()
        let start = try await flow(store: store).begin(session: session)
        let done = try await flow(store: store).complete(
            callbackQuery: try #require(client.callback(for: start)), session: session)
        let later = flow(store: store)
        let signer = try await later.signer(for: done.key)
        #expect(signer.token == TokenCredentials(token: done.accessToken.token, secret: done.accessToken.secret))
        let url = try #require(URL(string: "https://api.provider.example/1/me"))
        let response = try await later.send(OAuth1HTTPRequest(url: url), as: done.key)
        #expect(response.status == 200)
    }

    @Test func descriptionsNeverShowSecrets() async throws {
        let store = DanceSpyStore()
        let flow = flow(store: store)
        let start = try await flow.begin(session: session)
        let pending = try #require(try await store.listRequestTokens(after: nil, limit: 10).tokens.first)
        let done = try await flow.complete(callbackQuery: try #require(client.callback(for: start)), session: session)
        guard case .browser(let rawID) = session else { return }
        let text = ["\(start)", "\(done)", String(reflecting: done), "\(session)", "\(pending.context)"].joined()
        for secret in [pending.secret, done.accessToken.secret, rawID, provider.consumerSecret] {
            #expect(!text.contains(secret))
        }
    }
}
