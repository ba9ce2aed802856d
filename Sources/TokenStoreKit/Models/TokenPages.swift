/// One page of access tokens from ``TokenStore/listAccessTokens(after:limit:)``.
public struct AccessTokenPage: Sendable {
    /// The tokens, ascending by ``AccessToken/key``.
    public var tokens: [AccessToken]
    /// The cursor for the next page, or `nil` when this was the last page.
    public var nextCursor: AccessTokenKey?

    /// Creates a page.
    public init(tokens: [AccessToken], nextCursor: AccessTokenKey?) {
        self.tokens = tokens
        self.nextCursor = nextCursor
    }
}

/// One page of request tokens from ``TokenStore/listRequestTokens(after:limit:)``.
public struct RequestTokenPage: Sendable {
    /// The tokens, ascending by ``RequestToken/token``.
    public var tokens: [RequestToken]
    /// The cursor for the next page, or `nil` when this was the last page.
    public var nextCursor: String?

    /// Creates a page.
    public init(tokens: [RequestToken], nextCursor: String?) {
        self.tokens = tokens
        self.nextCursor = nextCursor
    }
}

/// How many tokens a store holds.
public struct TokenCounts: Sendable, Hashable {
    /// Unexpired request tokens.
    public var requestTokens: Int
    /// Access tokens.
    public var accessTokens: Int
    /// OAuth 2.0 token sets.
    public var tokenSets: Int

    /// Creates counts.
    public init(requestTokens: Int, accessTokens: Int, tokenSets: Int = 0) {
        self.requestTokens = requestTokens
        self.accessTokens = accessTokens
        self.tokenSets = tokenSets
    }
}

/// What ``TokenStore/saveAccessToken(_:policy:)`` does when a token already exists.
public enum WritePolicy: Sendable, Hashable {
    /// Replace the stored token. `createdAt` of the stored token is kept.
    case overwrite
    /// Replace the stored token only when the new one's ``AccessToken/updatedAt`` is later;
    /// used by migration so an older copy never overwrites a newer token.
    case ifNewer
}
