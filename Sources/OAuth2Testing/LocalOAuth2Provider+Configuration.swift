import Foundation
import OAuth2

extension LocalOAuth2Provider {
    /// A registered client of the provider.
    public struct Client: Sendable, Hashable {
        /// `client_id`.
        public var id: String
        /// The client secret; `nil` for a public client.
        public var secret: String?
        /// The redirect URIs the client may use, compared exactly (RFC 6749 section 3.1.2.3).
        public var redirectURIs: [String]
        /// How the client must authenticate at the token and revocation endpoints; another
        /// method is answered `invalid_client`.
        public var authenticationMethod: OAuth2ClientAuthenticationMethod

        /// Creates a client.
        ///
        /// - Parameters:
        ///   - id: `client_id`.
        ///   - secret: the secret of a confidential client; `nil` for a public one.
        ///   - redirectURIs: the exact redirect URIs allowed.
        ///   - authenticationMethod: how it authenticates; by default `client_secret_basic`
        ///     with a secret and `none` without.
        public init(
            id: String, secret: String? = nil, redirectURIs: [String],
            authenticationMethod: OAuth2ClientAuthenticationMethod? = nil
        ) {
            self.id = id
            self.secret = secret
            self.redirectURIs = redirectURIs
            self.authenticationMethod = authenticationMethod ?? (secret == nil ? .none : .clientSecretBasic)
        }
    }

    /// The account that signs in and approves at the authorize endpoint.
    public struct User: Sendable, Hashable {
        /// Returned as `data.id` by `GET /2/users/me`.
        public var id: String
        /// Returned as `data.username`.
        public var username: String
        /// Returned as `data.name`.
        public var name: String

        /// Creates a user.
        public init(id: String, username: String, name: String? = nil) {
            self.id = id
            self.username = username
            self.name = name ?? username
        }
    }

    /// How the provider behaves.
    public struct Configuration: Sendable {
        /// The registered clients.
        public var clients: [Client]
        /// The user who approves authorization requests.
        public var user: User
        /// How long an access token is valid; at least one second (`expires_in` is whole seconds).
        public var accessTokenLifetime: Duration
        /// How long an authorization code can be exchanged.
        public var authorizationCodeLifetime: Duration
        /// The scopes clients may ask for; `nil` accepts any.
        public var supportedScopes: Set<String>?
        /// Whether `GET /oauth2/authorize` shows a page with "Allow" and "Deny" buttons (a
        /// form POST back to `/oauth2/authorize`) instead of approving at once as ``user``.
        public var showsAuthorizationPage: Bool
        /// The provider's clock.
        public var clock: OAuth2Clock
        /// The issuer identifier sent as `iss` with every authorization response (RFC 9207),
        /// or `nil` to send none.
        public var issuer: String?

        /// Creates a configuration.
        public init(
            clients: [Client],
            user: User = User(id: "2244994945", username: "test_user", name: "Test User"),
            accessTokenLifetime: Duration = .seconds(7200),
            authorizationCodeLifetime: Duration = .seconds(60),
            supportedScopes: Set<String>? = nil,
            showsAuthorizationPage: Bool = false,
            clock: OAuth2Clock = .system,
            issuer: String? = nil
        ) {
            self.clients = clients
            self.user = user
            self.accessTokenLifetime = accessTokenLifetime
            self.authorizationCodeLifetime = authorizationCodeLifetime
            self.supportedScopes = supportedScopes
            self.showsAuthorizationPage = showsAuthorizationPage
            self.clock = clock
            self.issuer = issuer
        }
    }

    /// The provider's HTTP endpoints, for ``inject(_:at:)`` and ``requestCount(at:)``.
    public enum Endpoint: Sendable, Hashable, CaseIterable {
        /// `GET /oauth2/authorize`, and the authorization page's `POST /oauth2/authorize`.
        case authorize
        /// `POST /oauth2/token`.
        case token
        /// `POST /oauth2/revoke`.
        case revocation
        /// `GET /2/users/me`.
        case protectedResource
    }

    /// A misbehaviour to inject, so tests can see how a client copes with it.
    public enum Failure: Sendable, Hashable {
        /// Answer with this status, body and content type instead of processing the request.
        case status(Int, body: String, contentType: String)
        /// Wait this long before processing the request (to trigger client timeouts).
        case delay(Duration)
    }

    /// What the provider has done so far, for tests to assert on.
    public struct Counters: Sendable, Hashable {
        /// Access tokens issued (by code exchanges and refreshes).
        public var tokensIssued = 0
        /// Refreshes answered with new tokens.
        public var refreshesServed = 0
        /// `invalid_grant` answers of the token endpoint.
        public var invalidGrantAnswers = 0
        /// Token families revoked because a rotated refresh token (or a used code) came back.
        public var familyRevocations = 0
        /// Tokens revoked through the revocation endpoint.
        public var revocations = 0
    }
}

extension LocalOAuth2Provider.Client {
    /// Whether `redirectURI` is registered: exactly, or (RFC 8252 section 7.3) as an `http`
    /// loopback IP literal that differs only in its port, which a native app picks when it
    /// starts listening.
    func allowsRedirect(to redirectURI: String) -> Bool {
        if redirectURIs.contains(redirectURI) { return true }
        guard let asked = URLComponents(string: redirectURI), asked.scheme == "http",
            asked.host == "127.0.0.1" || asked.host == "[::1]" || asked.host == "::1"
        else { return false }
        return redirectURIs.contains { registered in
            guard var loopback = URLComponents(string: registered), loopback.scheme == "http",
                loopback.host == asked.host
            else { return false }
            loopback.port = asked.port
            return loopback.string == redirectURI
        }
    }
}
