import Foundation
import Logging
import OAuth1
import OAuth2
import OAuth2Testing
import TokenStoreFlow
import TokenStoreKit

/// The app's OAuth 2.0 side: a local provider (an Allow/Deny page, short-lived access
/// tokens, rotating refresh tokens), the sign-in flow, and the refresher that renews access
/// tokens through the store.
struct OAuth2Setup: Sendable {
    /// The provider id: the routes are /auth/local-oauth2 and /auth/local-oauth2/callback.
    static let provider = "local-oauth2"
    static let clientID = "signin-app"
    static let clientSecret = "signin-app-oauth2-client-secret"
    /// The account the local provider signs in (it has no login of its own).
    static let user = LocalOAuth2Provider.User(id: "2001", username: "oauth2_user", name: "OAuth 2.0 User")

    let flow: OAuth2AuthorizationFlow
    let refresher: OAuth2TokenRefresher
    /// `GET /2/users/me` of the provider: who the Bearer token belongs to.
    let protectedResourceURL: URL
    let providerRoot: URL
    /// The provider started in this process, to stop on exit.
    let localProvider: LocalOAuth2Provider?

    /// Starts a local provider unless `providerURL` names another process's, whose client
    /// registration must then list `redirectURI` (the first process of a pair registers the
    /// second's callback).
    static func start(
        providerURL: URL?, redirectURI: URL, accessTokenLifetime: Duration, store: any TokenStore, logger: Logger
    ) async throws -> OAuth2Setup {
        var localProvider: LocalOAuth2Provider?
        let root: URL
        if let providerURL {
            root = providerURL
        } else {
            let started = try await LocalOAuth2Provider.start(
                LocalOAuth2Provider.Configuration(
                    clients: [.init(id: clientID, secret: clientSecret, redirectURIs: [redirectURI.absoluteString])],
                    user: user, accessTokenLifetime: accessTokenLifetime, showsAuthorizationPage: true))
            localProvider = started
            root = started.baseURL
        }
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: clientID, secret: clientSecret),
            endpoints: OAuth2ProviderEndpoints(
                authorizationURL: root.appendingPathComponent("oauth2/authorize"),
                tokenURL: root.appendingPathComponent("oauth2/token"),
                revocationURL: root.appendingPathComponent("oauth2/revoke")),
            redirectURI: redirectURI, timeout: .seconds(10))
        // A skew of one second: with the demo's few-second tokens the default minute
        // would refresh on every request.
        let refresher = OAuth2TokenRefresher(store: store, client: client, skew: .seconds(1), logger: logger)
        return OAuth2Setup(
            flow: OAuth2AuthorizationFlow(provider: provider, client: client, store: store, logger: logger),
            refresher: refresher, protectedResourceURL: root.appendingPathComponent("2/users/me"), providerRoot: root,
            localProvider: localProvider)
    }

    /// Who the token belongs to, from the protected resource: `{"data": {"id", "username"}}`.
    func user(accessToken: String) async throws -> OAuth2UserIdentity {
        let answer = try await flow.client.send(OAuth1HTTPRequest(url: protectedResourceURL), accessToken: accessToken)
        guard answer.status == 200 else {
            throw OAuth2Error(.providerRejected, message: "the protected resource answered HTTP \(answer.status)", httpStatus: answer.status)
        }
        guard let object = try? JSONSerialization.jsonObject(with: answer.body) as? [String: Any],
            let data = object["data"] as? [String: Any], let id = data["id"] as? String, !id.isEmpty
        else { throw OAuth2Error(.malformedResponse, message: "the protected resource's answer has no data.id") }
        return OAuth2UserIdentity(userID: id, screenName: data["username"] as? String)
    }
}
