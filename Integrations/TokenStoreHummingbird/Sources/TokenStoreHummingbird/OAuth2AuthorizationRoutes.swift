import Foundation
import Hummingbird
import OAuth2
import TokenStoreFlow
import TokenStoreKit

/// The two routes of an OAuth 2.0 sign-in (authorization code with PKCE) for a Hummingbird
/// app, the counterpart of ``AuthorizationRoutes``: `GET <prefix>/<provider>` begins an
/// `OAuth2AuthorizationFlow` and redirects (302) to the provider, and
/// `GET <prefix>/<provider>/callback` completes it, asks the app's `identify` who signed
/// in, stores the token set and hands it to the app's "signed in" handler.
///
/// ```swift
/// let flow = OAuth2AuthorizationFlow(provider: "github", client: client, store: store)
/// let signIn = OAuth2AuthorizationRoutes<BasicRequestContext>(flow: flow, scopes: ["read:user"]) { response in
///     try await githubUser(accessToken: response.accessToken)   // an OAuth2UserIdentity
/// } signedIn: { signedIn, request, context in
///     .redirect(to: signedIn.completion.returnTo ?? "/")
/// }
/// signIn.addRoutes(to: router.group("auth"))   // GET /auth/github, GET /auth/github/callback
/// ```
///
/// The client's redirect URI must point at the callback route, on this process or any
/// other that shares the store. Sessions, cookies, pages and the
/// ``SignInMetrics`` counter are those of ``AuthorizationRoutes`` (same
/// ``AuthorizationRoutes/Configuration``, so both kinds of routes in one app share one
/// session cookie): an unknown, expired, used or foreign callback (or a code the provider
/// no longer accepts) is 400 with a "start again" link; `error=access_denied` redirects to
/// ``AuthorizationRoutes/Configuration/appPath`` with `sign_in=denied`; a provider that
/// does not answer properly is 502; a store that does not is 503. No page shows a code,
/// token or error text.
public struct OAuth2AuthorizationRoutes<Context: RequestContext>: Sendable {
    /// Where the app's browser session id comes from (as for ``AuthorizationRoutes``).
    public typealias Session = AuthorizationRoutes<Context>.Session
    /// Cookie names, policies and where a denied sign-in returns to (as for ``AuthorizationRoutes``).
    public typealias Configuration = AuthorizationRoutes<Context>.Configuration

    /// What the app's handler receives when a callback completed.
    public struct SignedIn: Sendable {
        /// The stored token set and what `begin` kept (return-to path, metadata).
        public var completion: OAuth2AuthorizationCompletion
        /// The browser session that began and completed the flow.
        public var sessionID: String
        /// The token set as stored.
        public var tokenSet: OAuth2TokenSet { completion.tokenSet }
        /// The key the token set is stored under: (provider, user id).
        public var key: AccessTokenKey { completion.tokenSet.key }

        /// Creates the value the handler receives (for testing an app's handler).
        ///
        /// - Parameters:
        ///   - completion: The completed flow.
        ///   - sessionID: The browser session that completed it.
        public init(completion: OAuth2AuthorizationCompletion, sessionID: String) {
            self.completion = completion
            self.sessionID = sessionID
        }
    }

    /// Asks the provider who the new token belongs to (e.g. `GET /user` with it as Bearer).
    /// Throw an `OAuth2Error` for a provider failure (the user sees 502); the token set is
    /// stored only when this returns a non-empty user id.
    public typealias Identify = @Sendable (OAuth2TokenResponse) async throws -> OAuth2UserIdentity

    /// The app's "signed in" handler: link ``SignedIn/key`` to the session and answer
    /// (usually a redirect). Runs after the token set is stored.
    public typealias SignedInHandler = @Sendable (SignedIn, Request, Context) async throws -> Response

    /// The flow the routes run; its `provider` is the route's path component.
    public var flow: OAuth2AuthorizationFlow
    /// The scopes every sign-in asks for.
    public var scopes: [String]
    /// Where the session id comes from.
    public var session: Session
    /// Cookie names, paths and policies.
    public var configuration: Configuration
    let identify: Identify
    let signedIn: SignedInHandler

    /// Creates the routes.
    ///
    /// - Parameters:
    ///   - flow: The flow to run; its client's redirect URI must reach the callback route.
    ///   - scopes: The scopes to ask for (none: the provider's default).
    ///   - session: Where the browser session id comes from (a cookie these routes set, by default).
    ///   - configuration: Cookie names and where "denied" returns to.
    ///   - identify: Who signed in, asked of the provider with the new token.
    ///   - signedIn: The app's handler, called once the token set is stored.
    public init(
        flow: OAuth2AuthorizationFlow,
        scopes: [String] = [],
        session: Session = .cookie,
        configuration: Configuration = Configuration(),
        identify: @escaping Identify,
        signedIn: @escaping SignedInHandler
    ) {
        self.flow = flow
        self.scopes = scopes
        self.session = session
        self.configuration = configuration
        self.identify = identify
        self.signedIn = signedIn
    }

    /// Adds `GET <provider>` (begin) and `GET <provider>/callback` (complete) to `router`,
    /// usually a group such as `router.group("auth")`.
    ///
    /// - Parameter router: The router or group to add the two routes to.
    public func addRoutes<Router: RouterMethods>(to router: Router) where Router.Context == Context {
        router.get(RouterPath(stringLiteral: flow.provider)) { request, context in
            await self.begin(request, context: context)
        }
        router.get(RouterPath(stringLiteral: flow.provider + "/callback")) { request, context in
            await self.callback(request, context: context)
        }
    }

    /// The session id the routes' cookie carries for `request`, or `nil` before the first
    /// sign-in; with ``AuthorizationRoutes/Session/app(_:)`` the app knows its own.
    ///
    /// - Parameter request: The request to read the cookie of.
    /// - Returns: The session id, if the browser has a well-formed one.
    public func sessionCookieValue(of request: Request) -> String? {
        SessionCookie.value(named: configuration.sessionCookieName, in: request)
    }
}
