import Foundation
import Hummingbird
import Logging
import OAuth1
import TokenStoreFlow
import TokenStoreKit

/// The two routes of an OAuth 1.0a sign-in for a Hummingbird app: `GET <prefix>/<provider>`
/// begins an `AuthorizationFlow` and redirects (302) to the provider, and
/// `GET <prefix>/<provider>/callback` completes it and hands the stored access token to the
/// app's own "signed in" handler.
///
/// ```swift
/// let flow = AuthorizationFlow(provider: "twitter", client: client, store: store)
/// let signIn = AuthorizationRoutes<BasicRequestContext>(flow: flow) { signedIn, request, context in
///     // signedIn.key is (provider, user id): remember it in the app's own session.
///     .redirect(to: signedIn.completion.returnTo ?? "/")
/// }
/// signIn.addRoutes(to: router.group("auth"))   // GET /auth/twitter, GET /auth/twitter/callback
/// ```
///
/// The client's callback URL must point at the callback route
/// (`https://app.example/auth/twitter/callback`), on this process or any other that
/// shares the store.
///
/// - The browser session the flow is bound to is a random id in an HttpOnly, SameSite=Lax
///   cookie the routes set (Secure unless the request came to a loopback host), or the
///   app's own session id (``Session/app(_:)``).
/// - A second cookie keeps a keyed hash of each flow this browser began, so a callback
///   link opened in another browser is refused without consuming the pending token: the
///   browser that began the flow can still complete it.
/// - Failures are pages a person can act on, never a stack trace or a secret: an unknown,
///   expired, used or foreign callback is 400 with a "start again" link; "Deny" at the
///   provider redirects to ``Configuration/appPath`` with `sign_in=denied`; a provider that
///   does not answer properly is 502; a store that does not is 503.
///
/// ``OAuth2AuthorizationRoutes`` are the OAuth 2.0 counterpart, with the same session,
/// configuration, pages and metrics.
public struct AuthorizationRoutes<Context: RequestContext>: Sendable {
    /// Where the app's browser session id comes from.
    public enum Session: Sendable {
        /// A random id in a cookie the routes set on `begin` when the browser has none
        /// (``Configuration/sessionCookieName``).
        case cookie
        /// The app's own session id for the request (its session middleware's, say);
        /// `nil` when the request has no session. `begin` refuses to start without one.
        case app(@Sendable (Request, Context) async throws -> String?)
    }

    /// What the app's handler receives when a callback completed.
    public struct SignedIn: Sendable {
        /// The stored access token and what `begin` kept (return-to path, metadata).
        public var completion: AuthorizationCompletion
        /// The browser session that began and completed the flow.
        public var sessionID: String
        /// The key the access token is stored under: (provider, user id).
        public var key: AccessTokenKey { completion.key }

        /// Creates the value the handler receives (for testing an app's handler).
        ///
        /// - Parameters:
        ///   - completion: The completed flow.
        ///   - sessionID: The browser session that completed it.
        public init(completion: AuthorizationCompletion, sessionID: String) {
            self.completion = completion
            self.sessionID = sessionID
        }
    }

    /// The app's "signed in" handler: link ``SignedIn/key`` to the session and answer
    /// (usually a redirect). Runs after the access token is stored.
    public typealias SignedInHandler = @Sendable (SignedIn, Request, Context) async throws -> Response

    /// The flow the routes run; its `provider` is the route's path
    /// component.
    public var flow: AuthorizationFlow
    /// Where the session id comes from.
    public var session: Session
    /// Cookie names, paths and policies.
    public var configuration: Configuration
    let signedIn: SignedInHandler

    /// Creates the routes.
    ///
    /// - Parameters:
    ///   - flow: The flow to run; its client's callback URL must reach the callback route.
    ///   - session: Where the browser session id comes from (a cookie these routes set, by default).
    ///   - configuration: Cookie names and where "denied" returns to.
    ///   - signedIn: The app's handler, called once the access token is stored.
    public init(
        flow: AuthorizationFlow,
        session: Session = .cookie,
        configuration: Configuration = Configuration(),
        signedIn: @escaping SignedInHandler
    ) {
        self.flow = flow
        self.session = session
        self.configuration = configuration
        self.signedIn = signedIn
    }

    /// Adds `GET <provider>` (begin) and `GET <provider>/callback` (complete) to `router`,
    /// usually a group such as `router.group("auth")`.
    ///
    /// - Parameter router: The router or group to add the two routes to.
    public func addRoutes<Router: RouterMethods>(to router: Router) where Router.Context == Context {
        let provider = RouterPath(stringLiteral: flow.provider)
        router.get(provider) { request, context in
            await self.begin(request, context: context)
        }
        router.get(RouterPath(stringLiteral: flow.provider + "/callback")) { request, context in
            await self.callback(request, context: context)
        }
    }

    /// The session id the routes' cookie carries for `request`, or `nil` before the first
    /// sign-in; with ``Session/app(_:)`` the app knows its own.
    ///
    /// - Parameter request: The request to read the cookie of.
    /// - Returns: The session id, if the browser has a well-formed one.
    public func sessionCookieValue(of request: Request) -> String? {
        SessionCookie.value(named: configuration.sessionCookieName, in: request)
    }
}
