import Foundation
import Hummingbird
import MetricsTestKit
import OAuth1
import OAuth2
import OAuth2Testing
import Synchronization
import TokenStoreFlow
import TokenStoreHummingbird
import TokenStoreKit

/// A local OAuth 2.0 provider, an in-memory store, and an app with the OAuth 2.0 sign-in
/// routes under /auth, whose "signed in" handler records the token sets it receives.
final class OAuth2SignInFixture: Sendable {
    static let provider = "local2"
    static let clientSecret = "hb-app-oauth2-secret-4Kp"
    static let redirectURI = URL(string: "http://127.0.0.1:8080/auth/local2/callback")!

    let localProvider: LocalOAuth2Provider
    let client: OAuth2Client
    let store: InMemoryTokenStore
    let flow: OAuth2AuthorizationFlow
    let metrics: TestMetrics
    let signedIn = Mutex<[OAuth2TokenSet]>([])

    private init(localProvider: LocalOAuth2Provider, client: OAuth2Client, store: InMemoryTokenStore, metrics: TestMetrics) {
        self.localProvider = localProvider
        self.client = client
        self.store = store
        self.flow = OAuth2AuthorizationFlow(provider: Self.provider, client: client, store: store)
        self.metrics = metrics
    }

    /// Runs `body` against an app with the OAuth 2.0 routes; `addMore` adds other routes to
    /// the same router (the OAuth 1.0a ones, say).
    static func with(
        addMore: @Sendable (Router<BasicRequestContext>) -> Void = { _ in },
        _ body: @escaping @Sendable (OAuth2SignInFixture, LoopbackClient) async throws -> Void
    ) async throws {
        let localProvider = try await LocalOAuth2Provider.start(
            LocalOAuth2Provider.Configuration(clients: [
                .init(id: "hb-app", secret: clientSecret, redirectURIs: [redirectURI.absoluteString])
            ]))
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: "hb-app", secret: clientSecret), endpoints: localProvider.endpoints,
            redirectURI: redirectURI, timeout: .seconds(20))
        let fixture = OAuth2SignInFixture(
            localProvider: localProvider, client: client, store: InMemoryTokenStore(), metrics: TestMetrics())
        do {
            let router = Router()
            let routes = OAuth2AuthorizationRoutes<BasicRequestContext>(
                flow: fixture.flow, scopes: ["users.read"],
                configuration: .init(appPath: "/home", metricsFactory: fixture.metrics),
                identify: fixture.identify
            ) { signedIn, _, _ in
                fixture.signedIn.withLock { $0.append(signedIn.tokenSet) }
                return .redirect(to: "/home", type: .normal)
            }
            routes.addRoutes(to: router.group("auth"))
            addMore(router)
            try await withLoopbackServer(router: router) { client in try await body(fixture, client) }
        } catch {
            await localProvider.stop()
            throw error
        }
        await localProvider.stop()
    }

    /// Who signed in, asked of the provider's protected resource with the new token, as an app would.
    @Sendable func identify(_ response: OAuth2TokenResponse) async throws -> OAuth2UserIdentity {
        let answer = try await client.send(OAuth1HTTPRequest(url: localProvider.protectedResourceURL), accessToken: response.accessToken)
        guard answer.status == 200,
            let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: [String: String]],
            let data = object["data"], let id = data["id"]
        else { throw OAuth2Error(.malformedResponse, message: "no user from the protected resource", httpStatus: answer.status) }
        return OAuth2UserIdentity(userID: id, screenName: data["username"])
    }

    /// `GET /auth/local2` as a browser with `jar`; returns the provider's authorize URL and
    /// keeps the cookies set.
    func begin(_ client: LoopbackClient, jar: CookieJar) async throws -> URL {
        let response = try await client.execute(uri: "/auth/local2", method: .get, headers: jar.headers())
        jar.store(response)
        guard response.status == .found, let location = response.headers[.location], let url = URL(string: location) else {
            throw FixtureError("begin did not redirect to the provider: \(response.status)")
        }
        return url
    }

    /// The provider's approval of `authorizeURL`: the callback's path and query.
    func approve(_ authorizeURL: URL) async throws -> String {
        let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: authorizeURL), timeout: .seconds(30))
        guard response.status == 302, let location = response.header(named: "Location"),
            let url = URLComponents(string: location), let query = url.percentEncodedQuery
        else { throw FixtureError("the provider did not approve: \(response.status)") }
        return url.path + "?" + query
    }

    /// The callback the provider sends when the user presses "Deny" (or another error).
    static func errorCallback(_ authorizeURL: URL, error: String = "access_denied") throws -> String {
        let state = try state(of: authorizeURL)
        return "/auth/local2/callback?error=\(error)&error_description=The+user+denied+the+request.&state=\(state)"
    }

    static func state(of authorizeURL: URL) throws -> String {
        guard let state = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: false)?.queryItems?
            .first(where: { $0.name == "state" })?.value
        else { throw FixtureError("no state in \(authorizeURL)") }
        return state
    }

    var key: AccessTokenKey { AccessTokenKey(provider: Self.provider, userID: localProvider.configuration.user.id) }

    func signInCount(_ outcome: String) -> Int64 {
        metrics.counterTotal(label: SignInMetrics.signInsLabel, dimensions: [("provider", Self.provider), ("outcome", outcome)])
    }
}
