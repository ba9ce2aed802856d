import Foundation
import HTTPTypes
import Hummingbird
import MetricsTestKit
import OAuth1
import OAuth1Testing
import Synchronization
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit

/// A local provider, an in-memory store, and an app with the sign-in routes under /auth,
/// whose "signed in" handler records who signed in.
final class SignInFixture: Sendable {
    static let consumer = LocalOAuth1Provider.Consumer(key: "hb-app", secret: "hb-app-consumer-secret-7Qx")
    static let provider = "local"

    let localProvider: LocalOAuth1Provider
    let store: InMemoryTokenStore
    let flow: AuthorizationFlow
    let metrics: TestMetrics
    let signedIn = Mutex<[AccessTokenKey]>([])

    init(localProvider: LocalOAuth1Provider, store: InMemoryTokenStore, flow: AuthorizationFlow, metrics: TestMetrics) {
        self.localProvider = localProvider
        self.store = store
        self.flow = flow
        self.metrics = metrics
    }

    static func with(
        session: AuthorizationRoutes<BasicRequestContext>.Session = .cookie,
        secureCookies: AuthorizationRoutes<BasicRequestContext>.Configuration.SecureCookies = .unlessLoopback,
        _ body: @escaping @Sendable (SignInFixture, LoopbackClient) async throws -> Void
    ) async throws {
        let localProvider = try await LocalOAuth1Provider.start(.init(consumers: [consumer]))
        let store = InMemoryTokenStore()
        let client = OAuth1Client(
            credentials: ClientCredentials(key: consumer.key, secret: consumer.secret),
            callback: .url(URL(string: "http://127.0.0.1:8080/auth/local/callback")!),
            endpoints: localProvider.endpoints, timeout: .seconds(20))
        let fixture = SignInFixture(
            localProvider: localProvider, store: store,
            flow: AuthorizationFlow(provider: provider, client: client, store: store), metrics: TestMetrics())
        do {
            let router = Router()
            let routes = AuthorizationRoutes<BasicRequestContext>(
                flow: fixture.flow, session: session,
                configuration: .init(secureCookies: secureCookies, appPath: "/home", metricsFactory: fixture.metrics)
            ) { signedIn, _, _ in
                fixture.signedIn.withLock { $0.append(signedIn.key) }
                return .redirect(to: "/home", type: .normal)
            }
            routes.addRoutes(to: router.group("auth"))
            try await withLoopbackServer(router: router) { client in try await body(fixture, client) }
        } catch {
            await localProvider.stop()
            throw error
        }
        await localProvider.stop()
    }

    /// `GET /auth/local` as a browser with `jar`; returns the provider's authorize URL's
    /// `oauth_token` and keeps the cookies set.
    func begin(_ client: LoopbackClient, jar: CookieJar) async throws -> String {
        let response = try await client.execute(uri: "/auth/local", method: .get, headers: jar.headers())
        jar.store(response)
        guard response.status == .found, let location = response.headers[.location],
            let query = URLComponents(string: location)?.queryItems,
            let token = query.first(where: { $0.name == "oauth_token" })?.value
        else { throw FixtureError("begin did not redirect to the provider: \(response.status)") }
        return token
    }

    /// The provider's approval: the callback's path and query for `token`.
    func approve(_ token: String) throws -> String {
        let approval = try localProvider.approve(requestToken: token)
        guard let url = approval.callbackURL, let query = url.query else { throw FixtureError("no callback URL") }
        return url.path + "?" + query
    }

    func signInCount(_ outcome: String) -> Int64 {
        metrics.counterTotal(label: SignInMetrics.signInsLabel, dimensions: [("provider", Self.provider), ("outcome", outcome)])
    }
}

struct FixtureError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// One browser's cookies.
final class CookieJar: Sendable {
    private let cookies = Mutex<[String: String]>([:])
    /// Every Set-Cookie header seen, for checks on attributes.
    let setCookies = Mutex<[String]>([])

    func store(_ response: LoopbackResponse) {
        for header in response.headers[values: .setCookie] {
            setCookies.withLock { $0.append(header) }
            let pair = header.split(separator: ";", maxSplits: 1)[0].split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard pair.count == 2 else { continue }
            let maxAgeZero = header.lowercased().contains("max-age=0")
            cookies.withLock { $0[String(pair[0])] = maxAgeZero ? nil : String(pair[1]) }
        }
    }

    subscript(name: String) -> String? { cookies.withLock { $0[name] } }

    func headers() -> HTTPFields {
        var fields: HTTPFields = [:]
        let header = cookies.withLock { $0.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: "; ") }
        if !header.isEmpty { fields[.cookie] = header }
        return fields
    }
}
