import Foundation

/// Where a provider's OAuth 2.0 endpoints are.
///
/// Presets cover X, GitHub and Google; any other provider is described by its URLs (from
/// its documentation or its RFC 8414 metadata).
public struct OAuth2ProviderEndpoints: Sendable, Hashable {
    /// Where the user's browser is sent to authorize the app.
    public var authorizationURL: URL
    /// Where codes and refresh tokens are exchanged for tokens.
    public var tokenURL: URL
    /// Where tokens are revoked (RFC 7009), if the provider has such an endpoint.
    public var revocationURL: URL?
    /// The provider's issuer identifier, for a provider that sends `iss` in its
    /// authorization responses (RFC 9207, `authorization_response_iss_parameter_supported`
    /// in its metadata). When set, a callback must carry exactly this `iss`; `nil` skips the
    /// check (the presets, whose providers do not document `iss`).
    public var issuer: String?

    /// Creates endpoints for any provider.
    public init(authorizationURL: URL, tokenURL: URL, revocationURL: URL? = nil, issuer: String? = nil) {
        self.authorizationURL = authorizationURL
        self.tokenURL = tokenURL
        self.revocationURL = revocationURL
        self.issuer = issuer
    }

    /// X (OAuth 2.0 authorization code with PKCE): `x.com/i/oauth2/authorize`,
    /// `api.x.com/2/oauth2/token` and `api.x.com/2/oauth2/revoke`. Ask for the
    /// `offline.access` scope to get a refresh token; confidential clients use
    /// ``OAuth2ClientAuthenticationMethod/clientSecretBasic``.
    public static let x = OAuth2ProviderEndpoints(
        authorizationURL: URL(string: "https://x.com/i/oauth2/authorize")!,
        tokenURL: URL(string: "https://api.x.com/2/oauth2/token")!,
        revocationURL: URL(string: "https://api.x.com/2/oauth2/revoke")!)

    /// GitHub (OAuth apps and GitHub Apps): `github.com/login/oauth/authorize` and
    /// `github.com/login/oauth/access_token`. GitHub has no RFC 7009 revocation endpoint
    /// (its REST API revokes with the app's credentials instead), answers some errors with
    /// HTTP 200 and an `error` field, which the client reads as errors all the same, and
    /// separates scopes with commas in its token responses, so
    /// ``OAuth2TokenResponse/scopes`` holds them as one `"repo,gist"` element.
    public static let github = OAuth2ProviderEndpoints(
        authorizationURL: URL(string: "https://github.com/login/oauth/authorize")!,
        tokenURL: URL(string: "https://github.com/login/oauth/access_token")!)

    /// Google: `accounts.google.com/o/oauth2/v2/auth`, `oauth2.googleapis.com/token` and
    /// `oauth2.googleapis.com/revoke`. Pass `access_type=offline` as an extra parameter to
    /// get a refresh token.
    public static let google = OAuth2ProviderEndpoints(
        authorizationURL: URL(string: "https://accounts.google.com/o/oauth2/v2/auth")!,
        tokenURL: URL(string: "https://oauth2.googleapis.com/token")!,
        revocationURL: URL(string: "https://oauth2.googleapis.com/revoke")!)
}
