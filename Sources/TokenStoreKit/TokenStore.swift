/// A place that keeps OAuth 1.0a tokens: request tokens for the minutes between the
/// redirect and the callback, access tokens for the long term.
///
/// Every driver keeps the same contract, proven by the conformance suite in
/// `TokenStoreTesting`:
///
/// - ``takeRequestToken(_:)`` returns a token and removes it in one atomic step: under any
///   contention, across processes, at most one caller gets it. Expired tokens are never
///   returned.
/// - Access tokens are keyed by ``AccessTokenKey`` (provider, user id). Listing pages by a
///   keyset cursor in ``AccessTokenKey`` order, so a page boundary never skips or repeats
///   a token that exists for the whole listing, even while others are inserted.
/// - Timestamps are kept to whole milliseconds from year 0001 through 9999 (see
///   ``TokenTimestamp``).
/// - A stored record that cannot be a token (a missing field, a date outside that range,
///   a record under another record's key, storage of the wrong kind) is
///   ``TokenStoreError/Code/corruptedRecord`` naming the record; it is never returned with
///   made-up or another token's fields.
/// - Every failure is a ``TokenStoreError`` naming the store and the operation, never a
///   secret.
///
/// Implementations are `Sendable` and safe to call from any number of tasks at once.
public protocol TokenStore: Sendable {
    /// A description of the store for messages and logs, e.g. `sqlite:///var/lib/app/tokens.db`,
    /// with any password removed.
    var displayName: String { get }

    // MARK: Request tokens

    /// Saves a request token until its ``RequestToken/expiresAt``; a token with the same
    /// ``RequestToken/token`` is replaced.
    func saveRequestToken(_ token: RequestToken) async throws

    /// Saves many request tokens, each keeping its own ``RequestToken/expiresAt``; SQL
    /// drivers do it in one transaction, Redis in one pipeline. Used by migration. The
    /// default implementation saves them one by one.
    ///
    /// - Returns: how many were written.
    @discardableResult
    func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int

    /// Returns the unexpired request token named `oauthToken` and deletes it, atomically.
    ///
    /// - Returns: the token, or `nil` when it is unknown, already taken or expired.
    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken?

    /// Deletes the request tokens whose expiry has passed.
    ///
    /// - Returns: how many were removed.
    func purgeExpiredRequestTokens() async throws -> Int

    /// Lists unexpired request tokens in ascending order of ``RequestToken/token`` (UTF-8
    /// byte order), starting after `cursor`. Used by migration; not part of the dance.
    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage

    // MARK: Access tokens

    /// Inserts or updates the access token stored under its ``AccessToken/key``.
    ///
    /// - Returns: `true` when the token was written, `false` when `policy` kept the
    ///   existing one.
    @discardableResult
    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool

    /// Saves many access tokens; SQL drivers do it in one transaction, Redis in one
    /// pipeline. The default implementation saves them one by one.
    ///
    /// - Returns: how many were written.
    @discardableResult
    func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int

    /// Returns the access token stored under `key`, or `nil`.
    func accessToken(for key: AccessTokenKey) async throws -> AccessToken?

    /// Deletes the access token stored under `key`.
    ///
    /// - Returns: whether a token was deleted.
    @discardableResult
    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool

    /// Lists access tokens in ascending ``AccessTokenKey`` order, starting after `cursor`
    /// (exclusive), at most `limit` per page.
    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage

    // MARK: Housekeeping

    /// Counts unexpired request tokens and access tokens.
    func counts() async throws -> TokenCounts

    /// The schema version of the underlying storage (0 for stores without one).
    func schemaVersion() async throws -> Int

    /// Releases connections and files. Calls after `close()` throw
    /// ``TokenStoreError/Code/closed``. Closing twice is harmless.
    func close() async throws
}

extension TokenStore {
    /// Saves each token with ``saveRequestToken(_:)``.
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        for token in tokens {
            try await saveRequestToken(token)
        }
        return tokens.count
    }

    /// Saves each token with ``saveAccessToken(_:policy:)``.
    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        var written = 0
        for token in tokens where try await saveAccessToken(token, policy: policy) {
            written += 1
        }
        return written
    }

    /// Inserts or replaces `token` (``WritePolicy/overwrite``).
    @discardableResult
    public func saveAccessToken(_ token: AccessToken) async throws -> Bool {
        try await saveAccessToken(token, policy: .overwrite)
    }

    /// Returns the access token of `userID` at `provider`, or `nil`.
    public func accessToken(provider: String, userID: String) async throws -> AccessToken? {
        try await accessToken(for: AccessTokenKey(provider: provider, userID: userID))
    }
}
