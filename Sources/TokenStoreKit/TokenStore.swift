/// A place that keeps OAuth tokens: request tokens (and OAuth 2.0 pending authorizations)
/// for the minutes between the redirect and the callback, OAuth 1.0a access tokens and
/// OAuth 2.0 token sets for the long term.
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
/// - Token sets share that key and order. Every write gives a token set a new
///   ``OAuth2TokenSet/version``; ``replaceTokenSet(_:ifVersion:)`` is a compare-and-set on
///   it, and a refresh lease (``acquireRefreshLease(for:owner:duration:)``) lets one
///   worker at a time, across processes, refresh a token set.
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

    // MARK: OAuth 2.0 token sets

    /// Inserts or updates the token set stored under its ``OAuth2TokenSet/key``, with the
    /// access tokens' upsert rules: a replacement keeps the stored
    /// ``OAuth2TokenSet/createdAt``, and `.ifNewer` writes only a later
    /// ``OAuth2TokenSet/updatedAt``. The store assigns ``OAuth2TokenSet/version``: 1 for a
    /// new key, one more than the stored version otherwise. A refresh lease on the key is
    /// left as it is (its holder's ``replaceTokenSet(_:ifVersion:)`` will then fail).
    ///
    /// - Returns: `true` when the token set was written, `false` when `policy` kept the
    ///   existing one.
    @discardableResult
    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool

    /// Saves many token sets; SQL drivers do it in one transaction, Redis in one pipeline.
    /// Used by migration. The default implementation saves them one by one.
    ///
    /// - Returns: how many were written.
    @discardableResult
    func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int

    /// Returns the token set stored under `key`, or `nil`.
    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet?

    /// Deletes the token set stored under `key` (and any refresh lease on it).
    ///
    /// - Returns: whether a token set was deleted.
    @discardableResult
    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool

    /// Lists token sets in ascending ``AccessTokenKey`` order, starting after `cursor`
    /// (exclusive), at most `limit` per page, with the access tokens' keyset guarantees.
    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage

    /// Compare-and-set: replaces the token set under `tokenSet`'s key only when the stored
    /// version is `expected`, in one atomic step, and releases any refresh lease on it.
    /// The stored ``OAuth2TokenSet/createdAt`` is kept; every other field is `tokenSet`'s.
    ///
    /// - Returns: the token set as stored, with its new version (`expected + 1`), or `nil`
    ///   when no token set is stored under the key or its version is not `expected`.
    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet?

    /// Takes the refresh lease of the token set under `key` for `owner`, until `duration`
    /// from now by the store's clock, when no other owner holds an unexpired one. At most
    /// one owner holds a key's lease at any time, across processes. The same owner taking
    /// it again extends it.
    ///
    /// - Parameters:
    ///   - key: the token set's key.
    ///   - owner: who takes the lease: unique per attempt (a process id and a UUID).
    ///   - duration: more than zero, at most ``RefreshLeaseDuration/maximum``; anything
    ///     else is ``TokenStoreError/Code/invalidArgument``.
    /// - Returns: whether `owner` now holds the lease; `false` when another owner holds it
    ///   or no token set is stored under `key`.
    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool

    /// Releases the refresh lease of the token set under `key` if `owner` holds it
    /// (compare-and-delete: a lease that expired and went to another owner is left alone).
    ///
    /// - Returns: whether `owner`'s lease was released.
    @discardableResult
    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool

    // MARK: Housekeeping

    /// Counts unexpired request tokens, access tokens and token sets.
    func counts() async throws -> TokenCounts

    /// Counts access tokens by provider without reading the tokens themselves where the
    /// storage allows it: an aggregate query in SQL, counters kept with the writes in
    /// Redis. Used by `tokenstore stats`. The default implementation pages through
    /// ``listAccessTokens(after:limit:)``, reading every token: a driver should override it.
    func countAccessTokensByProvider() async throws -> AccessTokenCounts

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

    @discardableResult
    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        var written = 0
        for tokenSet in tokenSets where try await saveTokenSet(tokenSet, policy: policy) {
            written += 1
        }
        return written
    }

    /// Saves `tokenSet`, replacing any stored under its key.
    @discardableResult
    public func saveTokenSet(_ tokenSet: OAuth2TokenSet) async throws -> Bool {
        try await saveTokenSet(tokenSet, policy: .overwrite)
    }

    /// Pages through ``listAccessTokens(after:limit:)`` and counts the tokens by provider
    /// (reads every token; drivers override it with something cheaper).
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        var counts = AccessTokenCounts(byProvider: [:])
        var cursor: AccessTokenKey?
        repeat {
            let page = try await listAccessTokens(after: cursor, limit: 500)
            for token in page.tokens { counts.add(token.provider) }
            cursor = page.nextCursor
        } while cursor != nil
        return counts
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
