import FlyingFox
import FlyingSocks
import Foundation
import OAuth1
import Synchronization

/// An OAuth 1.0a provider on loopback, for tests and demos: it issues request and access
/// tokens, verifies every signature for real, and can be told to misbehave.
///
/// ```swift
/// let provider = try await LocalOAuth1Provider.start(
///     LocalOAuth1Provider.Configuration(consumers: [.init(key: "app", secret: "app-secret")]))
/// defer { Task { await provider.stop() } }
/// let client = OAuth1Client(
///     credentials: ClientCredentials(key: "app", secret: "app-secret"),
///     callback: .url(URL(string: "https://app.example/callback")!),
///     endpoints: provider.endpoints)
/// ```
///
/// Endpoints: `POST /oauth/request_token`, `GET /oauth/authorize` (and `/oauth/authenticate`),
/// `POST /oauth/access_token`, and the protected resources `/1.1/account/verify_credentials.json`
/// and `POST /1.1/statuses/update.json` (echoes the signed `status`).
/// The authorize endpoint approves at once for the configured ``Configuration/user``: it
/// redirects (302) to the callback with `oauth_token` and `oauth_verifier`, or for `oob`
/// shows the PIN. With ``Configuration/showsAuthorizationPage`` it shows a page with "Allow"
/// and "Deny" buttons instead, for a browser to click. Tests can also call
/// ``approve(requestToken:asUser:)`` and ``deny(requestToken:)``.
///
/// Requests are checked as a strict provider would: unknown consumers, unaccepted methods,
/// timestamps outside the window, reused nonces, bad signatures, unknown or reused tokens
/// and wrong verifiers are answered 401 with an `oauth_problem` form body.
public final class LocalOAuth1Provider: Sendable {
    /// The provider's root URL, e.g. `http://127.0.0.1:54321`.
    public let baseURL: URL
    /// The configuration it runs with.
    public let configuration: Configuration
    let state: Mutex<LocalOAuth1ProviderState>
    private let server: LoopbackHTTPServer
    private let reference: ProviderReference

    private init(configuration: Configuration, server: LoopbackHTTPServer, reference: ProviderReference) {
        self.baseURL = server.baseURL
        self.configuration = configuration
        self.server = server
        self.reference = reference
        self.state = Mutex(LocalOAuth1ProviderState())
    }

    /// Starts a provider on 127.0.0.1 on a free port.
    ///
    /// - Throws: when the loopback socket cannot be opened, or the server is not listening
    ///   within a minute.
    public static func start(_ configuration: Configuration) async throws -> LocalOAuth1Provider {
        let holder = ProviderReference()
        let routes: [(String, Endpoint)] = [
            ("POST /oauth/request_token", Endpoint.requestToken),
            ("GET /oauth/authorize", .authorize),
            ("GET /oauth/authenticate", .authorize),
            ("POST /oauth/authorize", .authorize),
            ("POST /oauth/access_token", .accessToken),
            ("/1.1/account/verify_credentials.json", .protectedResource),
            ("POST /1.1/statuses/update.json", .protectedResource),
        ]
        let server = try await LoopbackHTTPServer.start(
            routes: routes.map { route, endpoint in
                (route, { request in
                    guard let provider = holder.provider else { return HTTPResponse(statusCode: .serviceUnavailable) }
                    return await provider.respond(to: request, at: endpoint)
                })
            },
            portNotFound: OAuth1Error(.transportFailure, message: "the local provider could not find its listening port"))
        let provider = LocalOAuth1Provider(configuration: configuration, server: server, reference: holder)
        holder.provider = provider
        return provider
    }

    /// Stops listening and closes connections.
    public func stop() async {
        await server.stop()
        // The routes reach the provider through `reference`; clearing it breaks the
        // provider -> server -> route -> provider cycle so a stopped provider is freed.
        reference.provider = nil
    }

    /// Endpoints pointing at this provider.
    public var endpoints: OAuth1ProviderEndpoints {
        OAuth1ProviderEndpoints(
            requestTokenURL: baseURL.appendingPathComponent("oauth/request_token"),
            authorizeURL: baseURL.appendingPathComponent("oauth/authorize"),
            authenticateURL: baseURL.appendingPathComponent("oauth/authenticate"),
            accessTokenURL: baseURL.appendingPathComponent("oauth/access_token"))
    }

    /// The protected resource's URL (`/1.1/account/verify_credentials.json`).
    public var protectedResourceURL: URL {
        baseURL.appendingPathComponent("1.1/account/verify_credentials.json")
    }

    /// The status-update resource's URL (`POST /1.1/statuses/update.json`, form field
    /// `status`): answers `{"id_str", "screen_name", "text"}` for a validly signed request.
    public var statusUpdateURL: URL {
        baseURL.appendingPathComponent("1.1/statuses/update.json")
    }

    /// Makes `endpoint` misbehave (or behave again, with `nil`) from the next request on.
    public func inject(_ failure: Failure?, at endpoint: Endpoint) {
        state.withLock { $0.failures[endpoint] = failure }
    }

    /// How many requests `endpoint` has received.
    public func requestCount(at endpoint: Endpoint) -> Int {
        state.withLock { $0.requestCounts[endpoint, default: 0] }
    }

    /// Approves `requestToken` as a user would at the authorize page.
    ///
    /// - Parameters:
    ///   - requestToken: the `oauth_token` of the request token to approve.
    ///   - user: who approves; its id and screen name come back with the access token and
    ///     from the protected resource. The configured ``Configuration/user`` by default.
    /// - Returns: the verifier and the callback URL the browser would be sent to.
    /// - Throws: `OAuth1Error.Code.invalidRequest` when the token is unknown or expired.
    public func approve(requestToken: String, asUser user: User? = nil) throws -> Approval {
        let now = configuration.clock.now()
        let verifier = try OAuth1NonceGenerator.secureRandom.next()
        let callback: String = try state.withLock { state in
            guard var pending = state.pending[requestToken], pending.expiresAt > now, !pending.denied else {
                throw OAuth1Error(.invalidRequest, message: "unknown or expired request token")
            }
            pending.verifier = verifier
            pending.user = user ?? configuration.user
            state.pending[requestToken] = pending
            return pending.callback
        }
        guard callback != "oob" else { return Approval(verifier: verifier, callbackURL: nil) }
        return Approval(
            verifier: verifier,
            callbackURL: Self.appending(
                [OAuth1Parameter(name: "oauth_token", value: requestToken), OAuth1Parameter(name: "oauth_verifier", value: verifier)],
                to: callback))
    }

    /// Denies `requestToken` as a user pressing "Cancel" would.
    ///
    /// - Returns: the callback URL with `denied=<token>`, or `nil` for `oob`.
    /// - Throws: `OAuth1Error.Code.invalidRequest` when the token is unknown.
    public func deny(requestToken: String) throws -> URL? {
        let callback: String = try state.withLock { state in
            guard var pending = state.pending[requestToken] else {
                throw OAuth1Error(.invalidRequest, message: "unknown request token")
            }
            pending.denied = true
            state.pending[requestToken] = pending
            return pending.callback
        }
        guard callback != "oob" else { return nil }
        return Self.appending([OAuth1Parameter(name: "denied", value: requestToken)], to: callback)
    }

    /// Whether an access token issued by this provider is currently valid.
    public func isValidAccessToken(_ token: String) -> Bool {
        state.withLock { $0.issued[token] != nil }
    }

    static func appending(_ parameters: [OAuth1Parameter], to url: String) -> URL? {
        let separator = url.contains("?") ? "&" : "?"
        return URL(string: url + separator + OAuth1PercentEncoding.formEncode(parameters))
    }
}

/// Lets the route closures, registered before the provider exists, reach it.
private final class ProviderReference: Sendable {
    private let lock = Mutex<LocalOAuth1Provider?>(nil)
    var provider: LocalOAuth1Provider? {
        get { lock.withLock { $0 } }
        set { lock.withLock { $0 = newValue } }
    }
}
