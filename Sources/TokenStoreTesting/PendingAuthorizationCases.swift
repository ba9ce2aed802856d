import Foundation
import OAuth2
import TokenStoreFlow
import TokenStoreKit

/// OAuth 2.0 pending authorizations, as `OAuth2AuthorizationFlow` keeps them: a request
/// token named by the `state`, holding the PKCE verifier as its secret. Their contract is
/// the request token's (every field back, taken at most once under contention, gone after
/// the TTL); these cases check it through the flow, with no provider (the cases stop
/// before a code would be exchanged).
enum PendingAuthorizationCases {
    static func flow(_ c: ConformanceContext) -> OAuth2AuthorizationFlow {
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(publicClientID: "conformance-app"),
            endpoints: OAuth2ProviderEndpoints(
                authorizationURL: URL(string: "https://provider.example/oauth2/authorize")!,
                tokenURL: URL(string: "https://provider.example/oauth2/token")!),
            redirectURI: URL(string: "https://app.example/auth/callback?x=1")!)
        return OAuth2AuthorizationFlow(
            provider: c.prefix + "o2", client: client, store: c.store, pendingTimeToLive: .seconds(60),
            clock: c.clock.clock)
    }

    /// Every field back, the PKCE pair intact, the session binding checkable, taken once
    /// by one of 32 concurrent takers.
    static func takeOnce(_ c: ConformanceContext) async throws {
        let flow = flow(c)
        let start = try await flow.begin(
            session: .browser(sessionID: "session-\(c.prefix)"), returnTo: "/after?x=1", scopes: ["read", "write"],
            metadata: ["tab": "2"])
        let store = c.store
        let taken = try await withThrowingTaskGroup(of: RequestToken?.self) { group in
            for _ in 0..<32 { group.addTask { try await store.takeRequestToken(start.state) } }
            return try await group.reduce(into: [RequestToken]()) { if let token = $1 { $0.append(token) } }
        }
        c.checkEqual(taken.count, 1, "32 concurrent takes of one pending authorization must have exactly one winner")
        guard let pending = taken.first else { return }
        c.checkEqual(pending.provider, flow.provider, "the pending authorization's provider")
        c.checkEqual(pending.context.callbackURL, "https://app.example/auth/callback?x=1", "the redirect URI")
        c.checkEqual(pending.context.returnTo, "/after?x=1", "the return-to path")
        c.checkEqual(pending.context.metadata["tab"], "2", "the app's metadata")
        let challenge = try? OAuth2PKCE.challenge(for: pending.secret)
        let sent = URLComponents(url: start.authorizationURL, resolvingAgainstBaseURL: false)?
            .queryItems?.first { $0.name == "code_challenge" }?.value
        c.check(challenge != nil && challenge == sent, "the stored verifier does not match the challenge sent to the provider")
        c.check(
            SessionBinding.matches(
                pending.context.sessionBinding, provider: flow.provider, oauthToken: start.state,
                session: .browser(sessionID: "session-\(c.prefix)")),
            "the stored session binding does not match the session that began the authorization")
        c.check(
            !SessionBinding.matches(
                pending.context.sessionBinding, provider: flow.provider, oauthToken: start.state,
                session: .browser(sessionID: "another-session")),
            "the stored session binding matches another session")
        c.check(pending.context.sessionBinding?.contains("session-\(c.prefix)") == false, "the session id is stored in clear")
        c.checkEqual(start.expiresAt, c.clock.now.addingTimeInterval(60), "the pending authorization's expiry")
    }

    /// Through the flow: gone after its TTL; a callback in another session is refused and
    /// burns it; an unknown state is a clear error. No provider is called.
    static func lifecycle(_ c: ConformanceContext) async throws {
        let flow = flow(c)
        let identify: @Sendable (OAuth2TokenResponse) async throws -> OAuth2UserIdentity = { _ in
            OAuth2UserIdentity(userID: "never")
        }
        let expiring = try await flow.begin(session: .browser(sessionID: "s"))
        c.clock.advance(by: .seconds(61))
        let expired = try await c.store.takeRequestToken(expiring.state)
        c.check(expired == nil, "a pending authorization was returned after its TTL")

        let stolen = try await flow.begin(session: .browser(sessionID: "victim"))
        do {
            _ = try await flow.complete(
                callbackQuery: "code=abc&state=\(stolen.state)", session: .browser(sessionID: "attacker"), identify: identify)
            c.fail("a callback in another session completed")
        } catch let error as AuthorizationFlowError {
            c.checkEqual(error.code, .sessionMismatch, "a callback in another session")
        }
        let burned = try await c.store.takeRequestToken(stolen.state)
        c.check(burned == nil, "a pending authorization refused for its session was left to be completed")

        do {
            _ = try await flow.complete(
                callbackQuery: "code=abc&state=\(c.prefix)never-begun", session: .browser(sessionID: "s"), identify: identify)
            c.fail("a callback with an unknown state completed")
        } catch let error as AuthorizationFlowError {
            c.checkEqual(error.code, .requestTokenNotFound, "a callback with an unknown state")
        }
    }
}
