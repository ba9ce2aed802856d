import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Synchronization
import TokenStoreFlow
import TokenStoreKit

/// A local OAuth 2.0 provider issuing 1-second access tokens with rotating refresh tokens,
/// a client registered with it, and an in-memory store, for one test.
struct OAuth2StoreFixture: Sendable {
    static let provider = "local2"
    static let redirectURI = URL(string: "https://app.example/auth/local2/callback")!

    let provider: LocalOAuth2Provider
    let client: OAuth2Client
    let store: InMemoryTokenStore
    let flow: OAuth2AuthorizationFlow

    static func with<T>(
        accessTokenLifetime: Duration = .seconds(1),
        transport: (any OAuth1Transport)? = nil,
        _ body: (OAuth2StoreFixture) async throws -> T
    ) async throws -> T {
        let provider = try await LocalOAuth2Provider.start(
            LocalOAuth2Provider.Configuration(
                clients: [.init(id: "app", secret: "app-secret", redirectURIs: [redirectURI.absoluteString])],
                accessTokenLifetime: accessTokenLifetime))
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: "app", secret: "app-secret"), endpoints: provider.endpoints,
            redirectURI: redirectURI, transport: transport ?? URLSessionTransport.shared, timeout: .seconds(20))
        let store = InMemoryTokenStore()
        let fixture = OAuth2StoreFixture(
            provider: provider, client: client, store: store,
            flow: OAuth2AuthorizationFlow(provider: Self.provider, client: client, store: store))
        do {
            let result = try await body(fixture)
            await provider.stop()
            return result
        } catch {
            await provider.stop()
            throw error
        }
    }

    /// The user's identity as the local provider's `GET /2/users/me` would give it.
    static let identify: @Sendable (OAuth2TokenResponse) async throws -> OAuth2UserIdentity = { _ in
        OAuth2UserIdentity(userID: "2244994945", screenName: "test_user")
    }

    var key: AccessTokenKey { AccessTokenKey(provider: Self.provider, userID: "2244994945") }

    /// Follows the authorize step like a browser: GET the URL, return the redirect target.
    func authorize(_ url: URL) async throws -> URL {
        let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: url), timeout: .seconds(60))
        guard (300..<400).contains(response.status), let location = response.header(named: "Location"),
            let target = URL(string: location)
        else { throw OAuth2Error(.invalidCallback, message: "the provider did not redirect (\(response.status))") }
        return target
    }

    /// Signs the user in through the flow: a stored token set.
    @discardableResult
    func signIn(session: String = "session-1") async throws -> OAuth2TokenSet {
        let start = try await flow.begin(session: .browser(sessionID: session), returnTo: "/home", scopes: ["users.read"])
        let callback = try await authorize(start.authorizationURL)
        return try await flow.complete(
            callbackQuery: callback.absoluteString, session: .browser(sessionID: session), identify: Self.identify
        ).tokenSet
    }

    func refresher(leaseDuration: Duration = .seconds(25), waitTimeout: Duration? = nil) -> OAuth2TokenRefresher {
        OAuth2TokenRefresher(
            store: store, client: client, skew: .milliseconds(200), leaseDuration: leaseDuration, waitTimeout: waitTimeout)
    }

    /// Marks the stored token set as expiring now, so the next call must refresh.
    func expireStoredToken() async throws {
        guard var tokenSet = try await store.tokenSet(for: key) else { return }
        tokenSet.expiresAt = Date().addingTimeInterval(-1)
        try await store.saveTokenSet(tokenSet)
    }
}

/// A transport that runs `beforeRefresh` once, before the first refresh-token grant it sends.
final class InterceptingTransport: OAuth1Transport {
    private let hook: Mutex<(@Sendable () async throws -> Void)?>

    init(beforeRefresh: @escaping @Sendable () async throws -> Void) { hook = Mutex(beforeRefresh) }

    func send(_ request: OAuth1HTTPRequest, timeout: Duration) async throws -> OAuth1HTTPResponse {
        let body = String(decoding: request.body ?? Data(), as: UTF8.self)
        if body.contains("grant_type=refresh_token"), let hook = hook.withLock({ hook in defer { hook = nil }; return hook }) {
            try await hook()
        }
        return try await URLSessionTransport.shared.send(request, timeout: timeout)
    }
}
