import FlyingFox
import FlyingSocks
import Foundation
import OAuth1
import OAuth1Testing
import OAuth2
import Synchronization

/// A strict OAuth 2.0 provider on loopback, for tests and demos: authorization code with
/// PKCE (S256 only), rotating refresh tokens with reuse detection, revocation, and a
/// protected resource.
///
/// ```swift
/// let provider = try await LocalOAuth2Provider.start(
///     LocalOAuth2Provider.Configuration(clients: [
///         .init(id: "app", secret: "app-secret", redirectURIs: ["https://app.example/callback"])
///     ], accessTokenLifetime: .seconds(1)))
/// let client = OAuth2Client(
///     credentials: OAuth2ClientCredentials(id: "app", secret: "app-secret"),
///     endpoints: provider.endpoints, redirectURI: URL(string: "https://app.example/callback")!)
/// // ... run the flow ...
/// await provider.stop()
/// ```
///
/// Endpoints: `GET /oauth2/authorize`, `POST /oauth2/token`, `POST /oauth2/revoke` and the
/// protected resource `GET /2/users/me`, which answers the user for a valid Bearer token
/// and 401 otherwise. The authorize endpoint approves at once for the configured
/// ``Configuration/user`` (a 302 to the redirect URI with `code` and `state`), or with
/// ``Configuration/showsAuthorizationPage`` shows a page with "Allow" and "Deny" buttons
/// ("Deny" redirects with `error=access_denied`).
///
/// It is strict the way real providers are: exact redirect URI match, PKCE S256 required,
/// client authentication by the registered method only, codes single use (a code presented
/// twice revokes the tokens it issued), refresh tokens rotated on every use, and a rotated
/// refresh token presented again revokes its whole family (every access and refresh token
/// descended from the same authorization), as Auth0, Okta and Atlassian do. ``counters``
/// shows what it did.
public final class LocalOAuth2Provider: Sendable {
    /// The provider's root URL, e.g. `http://127.0.0.1:54321`.
    public let baseURL: URL
    /// The configuration it runs with.
    public let configuration: Configuration
    let state: Mutex<LocalOAuth2ProviderState>
    private let server: LoopbackHTTPServer
    private let reference: ProviderReference

    private init(configuration: Configuration, server: LoopbackHTTPServer, reference: ProviderReference) {
        self.baseURL = server.baseURL
        self.configuration = configuration
        self.server = server
        self.reference = reference
        self.state = Mutex(LocalOAuth2ProviderState())
    }

    /// Starts a provider on 127.0.0.1 on a free port.
    ///
    /// - Throws: when the loopback socket cannot be opened, or the server is not listening
    ///   within a minute.
    public static func start(_ configuration: Configuration) async throws -> LocalOAuth2Provider {
        let holder = ProviderReference()
        let routes: [(String, Endpoint)] = [
            ("GET /oauth2/authorize", Endpoint.authorize),
            ("POST /oauth2/authorize", .authorize),
            ("POST /oauth2/token", .token),
            ("POST /oauth2/revoke", .revocation),
            ("GET /2/users/me", .protectedResource),
        ]
        let server = try await LoopbackHTTPServer.start(
            routes: routes.map { route, endpoint in
                (route, { request in
                    guard let provider = holder.provider else { return HTTPResponse(statusCode: .serviceUnavailable) }
                    return await provider.respond(to: request, at: endpoint)
                })
            },
            portNotFound: OAuth2Error(.transportFailure, message: "the local OAuth 2.0 provider could not find its listening port"))
        let provider = LocalOAuth2Provider(configuration: configuration, server: server, reference: holder)
        holder.provider = provider
        return provider
    }

    /// Stops listening and closes connections.
    public func stop() async {
        await server.stop()
        // Breaks the provider -> server -> route -> provider cycle so a stopped provider is freed.
        reference.provider = nil
    }

    /// Endpoints pointing at this provider.
    public var endpoints: OAuth2ProviderEndpoints {
        OAuth2ProviderEndpoints(
            authorizationURL: baseURL.appendingPathComponent("oauth2/authorize"),
            tokenURL: baseURL.appendingPathComponent("oauth2/token"),
            revocationURL: baseURL.appendingPathComponent("oauth2/revoke"))
    }

    /// The protected resource's URL (`GET /2/users/me`): answers
    /// `{"data": {"id", "username", "name"}}` for a valid Bearer token, 401 otherwise.
    public var protectedResourceURL: URL { baseURL.appendingPathComponent("2/users/me") }

    /// Makes `endpoint` misbehave (or behave again, with `nil`) from the next request on.
    public func inject(_ failure: Failure?, at endpoint: Endpoint) {
        state.withLock { $0.failures[endpoint] = failure }
    }

    /// How many requests `endpoint` has received.
    public func requestCount(at endpoint: Endpoint) -> Int {
        state.withLock { $0.requestCounts[endpoint, default: 0] }
    }

    /// What the provider has done so far.
    public var counters: Counters { state.withLock { $0.counters } }

    /// Whether `accessToken` is currently accepted by the protected resource.
    public func isValidAccessToken(_ accessToken: String) -> Bool {
        let now = configuration.clock.now()
        return state.withLock { state in
            state.accessTokens[accessToken].map { state.isLive($0, at: now) } ?? false
        }
    }

    /// What the provider knows of an access token.
    public enum AccessTokenStatus: String, Sendable, Hashable {
        /// Issued, not expired, its family not revoked: the protected resource accepts it.
        case live
        /// Issued and not revoked, but past its lifetime.
        case expired
        /// Issued, then revoked with its family (a refresh token was reused or revoked).
        case revoked
        /// Never issued by this provider.
        case unknown
    }

    /// What the provider knows of `accessToken`: for tests that collect the tokens a client
    /// handed out and check afterwards that each was genuine and never revoked.
    public func status(ofAccessToken accessToken: String) -> AccessTokenStatus {
        let now = configuration.clock.now()
        return state.withLock { state in
            guard let record = state.accessTokens[accessToken] else { return .unknown }
            if state.revokedFamilies.contains(record.family) { return .revoked }
            return state.isLive(record, at: now) ? .live : .expired
        }
    }

    /// Whether `refreshToken` would currently be accepted by the token endpoint.
    public func isValidRefreshToken(_ refreshToken: String) -> Bool {
        state.withLock { state in
            guard let record = state.refreshTokens[refreshToken] else { return false }
            return !record.rotated && !state.revokedFamilies.contains(record.family)
        }
    }
}

/// Lets the route closures, registered before the provider exists, reach it.
private final class ProviderReference: Sendable {
    private let lock = Mutex<LocalOAuth2Provider?>(nil)
    var provider: LocalOAuth2Provider? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}
