/// How the client proves its identity at the token and revocation endpoints (RFC 6749
/// section 2.3, named as in RFC 7591's `token_endpoint_auth_method`).
public enum OAuth2ClientAuthenticationMethod: String, Sendable, Hashable, CaseIterable {
    /// A public client (a desktop, mobile or single-page app that cannot keep a secret):
    /// `client_id` in the form body, no secret. PKCE is then the only proof.
    case none = "none"
    /// `Authorization: Basic` with the client id and secret, each form-urlencoded first
    /// (RFC 6749 section 2.3.1). What X asks of confidential clients.
    case clientSecretBasic = "client_secret_basic"
    /// `client_id` and `client_secret` in the form body (RFC 6749 section 2.3.1, "NOT
    /// RECOMMENDED" there, but what GitHub and Google document).
    case clientSecretPost = "client_secret_post"
}

/// The client id a provider issued to the app, its secret if the app is confidential, and
/// how to present them.
///
/// ``description``, ``debugDescription`` and the reflection mirror never show the secret.
public struct OAuth2ClientCredentials: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible,
    CustomReflectable
{
    /// `client_id`.
    public var id: String
    /// The client secret; `nil` for a public client. Never printed.
    public var secret: String?
    /// How the credentials are sent to the token and revocation endpoints.
    public var authenticationMethod: OAuth2ClientAuthenticationMethod

    /// Credentials of a public client: `client_id` only (``OAuth2ClientAuthenticationMethod/none``).
    public init(publicClientID id: String) {
        self.id = id
        self.secret = nil
        self.authenticationMethod = .none
    }

    /// Credentials of a confidential client.
    ///
    /// - Parameters:
    ///   - id: `client_id`.
    ///   - secret: the client secret.
    ///   - authenticationMethod: ``OAuth2ClientAuthenticationMethod/clientSecretBasic`` by
    ///     default (RFC 6749 section 2.3.1 requires providers to support it).
    public init(id: String, secret: String, authenticationMethod: OAuth2ClientAuthenticationMethod = .clientSecretBasic) {
        self.id = id
        self.secret = secret
        self.authenticationMethod = authenticationMethod
    }

    public var description: String {
        "OAuth2ClientCredentials(id: \(id), secret: \(secret == nil ? "none" : "<redacted>"), "
            + "method: \(authenticationMethod.rawValue))"
    }
    public var debugDescription: String { description }
    public var customMirror: Mirror {
        Mirror(
            self,
            children: [
                "id": id, "secret": secret == nil ? "none" : "<redacted>",
                "authenticationMethod": authenticationMethod.rawValue,
            ], displayStyle: .struct)
    }
}
