/// `token_type_hint` of a revocation request (RFC 7009 section 2.1).
public enum OAuth2TokenTypeHint: String, Sendable, Hashable, CaseIterable {
    /// The token is an access token.
    case accessToken = "access_token"
    /// The token is a refresh token.
    case refreshToken = "refresh_token"
}
