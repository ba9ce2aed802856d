import Synchronization
import TokenStoreKit

/// A store opened on its first use: `migrate` hands one to the engine as the destination,
/// so a run that stops before its first write (a sealing key that does not open the first
/// page, `--resume` without a checkpoint, a dry run) never opens, and so never creates, it.
final class DeferredTokenStore: TokenStore {
    private enum State {
        case idle
        case opening(Task<any TokenStore, any Error>)
        case closed
    }

    /// The URL, redacted: the real store's name is known only once it is open.
    let displayName: String
    private let opener: @Sendable () async throws -> any TokenStore
    private let state = Mutex<State>(.idle)

    /// A store that calls `opener` on first use; `name` is shown until then.
    init(name: String, opener: @escaping @Sendable () async throws -> any TokenStore) {
        self.displayName = StoreURLRedaction.redact(name)
        self.opener = opener
    }

    /// Whether anything asked for the store (it was opened, or opening failed); `false`
    /// again after ``close()``.
    var wasOpened: Bool {
        state.withLock { state in
            if case .opening = state { return true }
            return false
        }
    }

    /// The store, opened by the first caller; later callers wait for the same open.
    ///
    /// - Throws: what opening throws, or ``TokenStoreError/Code/closed`` after ``close()``.
    func store() async throws -> any TokenStore {
        let task = state.withLock { state -> Task<any TokenStore, any Error>? in
            switch state {
            case .idle:
                let opener = self.opener
                let task = Task { try await opener() }
                state = .opening(task)
                return task
            case .opening(let task):
                return task
            case .closed:
                return nil
            }
        }
        guard let task else {
            throw TokenStoreError(.closed, store: displayName, operation: "open", message: "the store was closed")
        }
        return try await task.value
    }

    func saveRequestToken(_ token: RequestToken) async throws {
        try await store().saveRequestToken(token)
    }

    func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        try await store().saveRequestTokens(tokens)
    }

    func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try await store().takeRequestToken(oauthToken)
    }

    func purgeExpiredRequestTokens() async throws -> Int {
        try await store().purgeExpiredRequestTokens()
    }

    func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await store().listRequestTokens(after: cursor, limit: limit)
    }

    func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await store().saveAccessToken(token, policy: policy)
    }

    func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await store().saveAccessTokens(tokens, policy: policy)
    }

    func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try await store().accessToken(for: key)
    }

    func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try await store().deleteAccessToken(for: key)
    }

    func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await store().listAccessTokens(after: cursor, limit: limit)
    }

    func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try await store().saveTokenSet(tokenSet, policy: policy)
    }

    func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try await store().saveTokenSets(tokenSets, policy: policy)
    }

    func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        try await store().tokenSet(for: key)
    }

    func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try await store().deleteTokenSet(for: key)
    }

    func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try await store().listTokenSets(after: cursor, limit: limit)
    }

    func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try await store().replaceTokenSet(tokenSet, ifVersion: expected)
    }

    func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try await store().acquireRefreshLease(for: key, owner: owner, duration: duration)
    }

    func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try await store().releaseRefreshLease(for: key, owner: owner)
    }

    func counts() async throws -> TokenCounts {
        try await store().counts()
    }

    func schemaVersion() async throws -> Int {
        try await store().schemaVersion()
    }

    /// Closes the store when it was opened; later calls throw ``TokenStoreError/Code/closed``.
    func close() async throws {
        let task = state.withLock { state -> Task<any TokenStore, any Error>? in
            defer { state = .closed }
            if case .opening(let task) = state { return task }
            return nil
        }
        guard let task, let store = try? await task.value else { return }
        try await store.close()
    }
}
