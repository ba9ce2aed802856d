import Foundation
import Logging
import OAuth1
import TokenStoreKit

/// The OAuth 1.0a dance run against a `TokenStore`, so the callback can land on any
/// worker or machine: the two calls an app's redirect and callback handlers make, and
/// signing with a stored access token afterwards.
///
/// ```swift
/// let client = OAuth1Client(
///     credentials: ClientCredentials(key: consumerKey, secret: consumerSecret),
///     callback: .url(URL(string: "https://app.example/auth/twitter/callback")!),
///     endpoints: .twitter)
/// TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)
/// let store = try await TokenStoreRegistry.shared.open("sqlite:///var/lib/app/tokens.db")
/// let flow = AuthorizationFlow(provider: "twitter", client: client, store: store)
///
/// // Redirect handler:
/// let start = try await flow.begin(session: .browser(sessionID: request.sessionID), returnTo: "/settings")
/// return .redirect(to: start.authorizationURL)
///
/// // Callback handler (any worker):
/// let done = try await flow.complete(callback: request.url, session: .browser(sessionID: request.sessionID))
/// link(account: done.key, to: currentUser)   // done.accessToken is already in the store
///
/// // Later, any process:
/// let response = try await flow.send(OAuth1HTTPRequest(url: timelineURL), as: done.key)
/// ```
///
/// - The request token is saved with its context (callback URL, return-to path, a hash of
///   the session, app metadata) and a time to live; ``complete(callback:session:)`` takes it
///   from the store exactly once, so a replayed callback fails with
///   ``AuthorizationFlowError/Code/requestTokenNotFound``.
/// - Each pending flow is its own record: several tabs of one session complete on their own.
/// - The request token is bound to the browser session that began the flow (a salted
///   SHA-256 of its id, see ``SessionBinding``); a callback arriving with another session
///   is refused with ``AuthorizationFlowError/Code/sessionMismatch``.
/// - The access token is saved under (``provider``, the `user_id` of the token response;
///   see ``userIDField``). A response without it is refused with
///   ``AuthorizationFlowError/Code/missingUserID`` rather than keyed by something unstable
///   such as the token itself, which would store a new record on every re-authorization.
///
/// The flow is a value holding only `Sendable` parts; share it across tasks and handlers.
public struct AuthorizationFlow: Sendable {
    /// The app's name for the provider, e.g. `twitter`: the `AccessTokenKey.provider` of
    /// stored tokens.
    public var provider: String
    /// The OAuth 1.0a client for the provider (consumer credentials, endpoints, callback),
    /// usually an `OAuth1Client`.
    public var client: any AuthorizationFlowClient
    /// Where request and access tokens are kept.
    public var store: any TokenStore
    /// How long a pending request token waits for its callback.
    public var requestTokenTimeToLive: Duration
    /// Where the flow reads the time for `createdAt`, `updatedAt` and `expiresAt`.
    public var clock: TokenClock
    /// Where the flow logs its steps; never receives a secret or a session id.
    public var logger: Logger
    /// The access-token response field holding the user's id (`user_id` for Twitter/X).
    public var userIDField: String

    /// The request-token context metadata key that carries `x_auth_access_type` from
    /// `begin` to the stored access token.
    public static let accessTypeMetadataKey = "tokenstore.access_type"

    /// Creates a flow.
    ///
    /// - Parameters:
    ///   - provider: The app's name for the provider, e.g. `twitter`.
    ///   - client: The OAuth 1.0a client, usually an `OAuth1Client`. Its callback is sent as
    ///     `oauth_callback`; use `oob` for the desktop flow.
    ///   - store: The store shared by every process that handles callbacks.
    ///   - requestTokenTimeToLive: How long a pending request token lives (10 minutes by default).
    ///   - clock: The time source; inject a manual clock in tests.
    ///   - logger: Where steps are logged; discards everything by default.
    ///   - userIDField: The access-token response field naming the user (`user_id`).
    public init(
        provider: String,
        client: some AuthorizationFlowClient,
        store: any TokenStore,
        requestTokenTimeToLive: Duration = RequestToken.defaultTimeToLive,
        clock: TokenClock = .system,
        logger: Logger = Logger(label: "tokenstore.flow", factory: { _ in SwiftLogNoOpLogHandler() }),
        userIDField: String = "user_id"
    ) {
        self.provider = provider
        self.client = client
        self.store = store
        self.requestTokenTimeToLive = requestTokenTimeToLive
        self.clock = clock
        self.logger = logger
        self.userIDField = userIDField
    }

    /// Throws when the configuration cannot work, before anything is sent or stored.
    func validateConfiguration() throws {
        guard !provider.isEmpty else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider,
                message: "the provider id is empty; name it, e.g. \"twitter\"")
        }
        guard requestTokenTimeToLive > .zero else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider,
                message: "the request token time to live must be positive (default 10 minutes)")
        }
        guard !userIDField.isEmpty else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider,
                message: "the user id field is empty; Twitter/X and most providers use \"user_id\"")
        }
    }
}
