import Foundation
import OAuth1
import TokenStoreKit

/// What ``AuthorizationFlow`` needs from an OAuth 1.0a client: the three legs of the
/// dance and signing. `OAuth1Client` conforms; a test can pass a fake.
///
/// Implementations must verify `oauth_callback_confirmed` when fetching a request token
/// and must never put a secret into an error's `description`.
public protocol AuthorizationFlowClient: Sendable {
    /// The `oauth_callback` sent with request tokens: the app's callback URL, or `oob`.
    var oauthCallback: String { get }

    /// Fetches a request token (temporary credentials), sending ``oauthCallback`` and, when
    /// given, `x_auth_access_type`.
    ///
    /// - Throws: `OAuth1Error` (provider rejected, callback not confirmed, transport, ...).
    func fetchRequestToken(accessType: String?) async throws -> TokenCredentials

    /// The provider page the user is sent to for `requestToken`.
    ///
    /// - Throws: `OAuth1Error` when the URL cannot be built.
    func authorizeURL(requestToken: TokenCredentials, options: AuthorizeOptions) throws -> URL

    /// Exchanges an authorized request token and its verifier for the access token.
    ///
    /// - Returns: Every field of the provider's response, in order (`oauth_token`,
    ///   `oauth_token_secret`, `user_id`, `screen_name`, and any others).
    /// - Throws: `OAuth1Error`.
    func exchangeRequestToken(_ requestToken: TokenCredentials, verifier: String) async throws -> [OAuth1Parameter]

    /// A signer for requests made with `token` and the client's consumer credentials.
    func signer(token: TokenCredentials) -> OAuth1Signer

    /// Signs `request` with `token` and sends it.
    ///
    /// - Throws: `OAuth1Error` for signing or transport failures; any HTTP status is returned.
    func send(_ request: OAuth1HTTPRequest, signedWith token: TokenCredentials) async throws -> OAuth1HTTPResponse
}

/// How the authorize page is asked to behave.
public struct AuthorizeOptions: Sendable, Hashable {
    /// Use the authenticate endpoint ("Sign in with ...") instead of authorize.
    public var authenticate: Bool
    /// Ask the provider to show its login form even to a signed-in user (`force_login`).
    public var forceLogin: Bool
    /// Prefill the provider's login form (`screen_name`).
    public var screenName: String?

    /// Creates options; by default the plain authorize page.
    public init(authenticate: Bool = false, forceLogin: Bool = false, screenName: String? = nil) {
        self.authenticate = authenticate
        self.forceLogin = forceLogin
        self.screenName = screenName
    }
}
