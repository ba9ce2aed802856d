import Foundation
import OAuth1

extension LocalOAuth1Provider {
    /// A registered client (consumer) of the provider.
    public struct Consumer: Sendable, Hashable {
        /// `oauth_consumer_key`.
        public var key: String
        /// The consumer secret, used by the HMAC and PLAINTEXT methods.
        public var secret: String
        /// The PEM public key (or certificate) that verifies RSA-SHA1 / RSA-SHA256 signatures.
        public var rsaPublicKeyPEM: String?

        /// Creates a consumer.
        public init(key: String, secret: String, rsaPublicKeyPEM: String? = nil) {
            self.key = key
            self.secret = secret
            self.rsaPublicKeyPEM = rsaPublicKeyPEM
        }
    }

    /// The account that "signs in" and approves at the authorize endpoint.
    public struct User: Sendable, Hashable {
        /// Returned as `user_id`.
        public var id: String
        /// Returned as `screen_name`.
        public var screenName: String

        /// Creates a user.
        public init(id: String, screenName: String) {
            self.id = id
            self.screenName = screenName
        }
    }

    /// How the provider behaves.
    public struct Configuration: Sendable {
        /// The registered clients.
        public var consumers: [Consumer]
        /// The user who approves authorization requests.
        public var user: User
        /// The signature method names accepted (all built-in methods by default).
        public var acceptedSignatureMethods: Set<String>
        /// How far `oauth_timestamp` may be from the provider's clock, in seconds.
        public var timestampWindow: Int64
        /// How long an issued request token can be authorized and exchanged.
        public var requestTokenTimeToLive: Duration
        /// The provider's clock.
        public var clock: OAuth1Clock
        /// Whether `GET /oauth/authorize` shows a page with "Allow" and "Deny" buttons (a
        /// form POST back to `/oauth/authorize`, with a screen-name field naming who signs
        /// in) instead of approving at once as ``user``: for driving the provider with a
        /// real browser. Off by default, so tests that follow the redirect keep working.
        public var showsAuthorizationPage: Bool

        /// Creates a configuration.
        public init(
            consumers: [Consumer],
            user: User = User(id: "783214", screenName: "test_user"),
            acceptedSignatureMethods: Set<String> = [
                "HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "PLAINTEXT",
            ],
            timestampWindow: Int64 = 300,
            requestTokenTimeToLive: Duration = .seconds(600),
            clock: OAuth1Clock = .system,
            showsAuthorizationPage: Bool = false
        ) {
            self.consumers = consumers
            self.user = user
            self.acceptedSignatureMethods = acceptedSignatureMethods
            self.timestampWindow = timestampWindow
            self.requestTokenTimeToLive = requestTokenTimeToLive
            self.clock = clock
            self.showsAuthorizationPage = showsAuthorizationPage
        }
    }

    /// The provider's HTTP endpoints, for ``inject(_:at:)``.
    public enum Endpoint: Sendable, Hashable, CaseIterable {
        /// `POST /oauth/request_token`
        case requestToken
        /// `GET /oauth/authorize` and `/oauth/authenticate`, and the authorization page's
        /// `POST /oauth/authorize`
        case authorize
        /// `POST /oauth/access_token`
        case accessToken
        /// `GET|POST /1.1/account/verify_credentials.json` and `POST /1.1/statuses/update.json`
        case protectedResource
    }

    /// A misbehaviour to inject, so tests can see how a client copes with it.
    public enum Failure: Sendable, Hashable {
        /// Answer with this status, body and content type instead of processing the request.
        case status(Int, body: String, contentType: String)
        /// Answer 200 with a body that is not a token response.
        case malformedBody
        /// Leave `oauth_callback_confirmed` out of the request-token response.
        case omitCallbackConfirmed
        /// Wait this long before processing the request (to trigger client timeouts).
        case delay(Duration)
        /// Answer `302 Found` with `Location: url` (a client must not re-send a signed request there).
        case redirect(to: URL)
        /// Answer 200 with a valid-looking token body, sent one byte per `interval`, so the
        /// connection never goes idle but the whole answer takes long (total-timeout tests).
        case trickle(interval: Duration)
    }

    /// What approving a request token gives the browser and the app.
    public struct Approval: Sendable, Hashable {
        /// `oauth_verifier` (the PIN of the out-of-band flow).
        public var verifier: String
        /// The callback URL the browser is redirected to, or `nil` for `oob`.
        public var callbackURL: URL?
    }
}
