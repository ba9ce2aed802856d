import Foundation
import Logging
import OAuth2
import TokenStoreKit

/// The OAuth 2.0 authorization code flow with PKCE (RFC 6749, RFC 7636) across workers:
/// ``begin(session:returnTo:scopes:redirectURI:extraParameters:metadata:)`` keeps a
/// pending authorization in the store and returns the provider's URL;
/// ``complete(callbackQuery:session:identify:)`` takes it back exactly once on the callback
/// (which may land on any worker), exchanges the code and stores the user's token set.
///
/// A pending authorization has the request token's contract and lives beside request
/// tokens: `state` (from a CSPRNG) is its name, the PKCE verifier its secret (sealed by
/// `SealedTokenStore` like any secret), the redirect URI its callback URL, and it carries
/// the session binding, the return-to path and a TTL. So every driver's atomic take, expiry
/// and purge apply to it unchanged, and the session rules are the OAuth 1.0a flow's: the
/// binding is a hash of the session id, compared in constant time; each tab's flow has its
/// own state; `.outOfBand` is the desktop (RFC 8252 loopback) mode.
public struct OAuth2AuthorizationFlow: Sendable {
    /// The app's name for the provider, e.g. `github`; the token sets' provider.
    public var provider: String
    /// The provider's client.
    public var client: OAuth2Client
    /// Where pending authorizations and token sets live.
    public var store: any TokenStore
    /// How long a pending authorization waits for its callback. Default 10 minutes.
    public var pendingTimeToLive: Duration
    /// Where expiry and timestamps are read.
    public var clock: TokenClock
    /// Begin and completion at `debug`/`info`; never a code, verifier or token.
    public var logger: Logger

    /// The metadata key that marks a stored request token as an OAuth 2.0 pending
    /// authorization (so an OAuth 1.0a request token cannot complete this flow).
    public static let kindMetadataKey = "tokenstore.kind"
    static let kind = "oauth2-authorization"
    static let scopesMetadataKey = "tokenstore.oauth2.scopes"

    /// Creates a flow.
    public init(
        provider: String,
        client: OAuth2Client,
        store: any TokenStore,
        pendingTimeToLive: Duration = RequestToken.defaultTimeToLive,
        clock: TokenClock = .system,
        logger: Logger = Logger(label: "tokenstore.oauth2.flow", factory: { _ in SwiftLogNoOpLogHandler() })
    ) {
        self.provider = provider
        self.client = client
        self.store = store
        self.pendingTimeToLive = pendingTimeToLive
        self.clock = clock
        self.logger = logger
    }

    func validateConfiguration() throws {
        guard !provider.isEmpty else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider, message: "the provider id is empty; name it, e.g. \"github\"")
        }
        guard pendingTimeToLive > .zero else {
            throw AuthorizationFlowError(
                .invalidConfiguration, provider: provider,
                message: "the pending authorization's time to live must be positive (default 10 minutes)")
        }
    }
}

/// Where an OAuth 2.0 authorization begun by ``OAuth2AuthorizationFlow`` sends the user.
public struct OAuth2AuthorizationStart: Sendable, Hashable, CustomStringConvertible {
    /// The provider's authorization URL (with state and PKCE challenge): redirect the user here.
    public var authorizationURL: URL
    /// The authorization's `state` (public: it is in the URL).
    public var state: String
    /// When the pending authorization expires.
    public var expiresAt: Date

    /// Creates a start.
    public init(authorizationURL: URL, state: String, expiresAt: Date) {
        self.authorizationURL = authorizationURL
        self.state = state
        self.expiresAt = expiresAt
    }

    public var description: String {
        "OAuth2AuthorizationStart(\(authorizationURL.absoluteString), expiresAt: \(expiresAt))"
    }
}

/// Who signed in, as the app learned it from the provider (OAuth 2.0 token responses do
/// not name the user: an API call such as GitHub's `GET /user` does).
public struct OAuth2UserIdentity: Sendable, Hashable {
    /// The user's stable id at the provider.
    public var userID: String
    /// A display name, when the provider has one.
    public var screenName: String?

    /// Creates an identity.
    public init(userID: String, screenName: String? = nil) {
        self.userID = userID
        self.screenName = screenName
    }
}

/// What a completed OAuth 2.0 authorization stored.
public struct OAuth2AuthorizationCompletion: Sendable, Hashable, CustomStringConvertible {
    /// The token set as stored (its version assigned by the store).
    public var tokenSet: OAuth2TokenSet
    /// The return-to path given to `begin`.
    public var returnTo: String?
    /// The app's metadata given to `begin`.
    public var metadata: [String: String]

    /// Creates a completion.
    public init(tokenSet: OAuth2TokenSet, returnTo: String?, metadata: [String: String]) {
        self.tokenSet = tokenSet
        self.returnTo = returnTo
        self.metadata = metadata
    }

    public var description: String {
        "OAuth2AuthorizationCompletion(\(tokenSet), returnTo: \(returnTo ?? "nil"))"
    }
}
