import Foundation
import Synchronization

/// A store in process memory, for tests and single-process apps (`memory:`).
///
/// Every operation runs inline under one `Mutex`: there is no I/O, so no call leaves the
/// calling task's thread. `take` is atomic because lookup and removal happen under the
/// same lock.
///
/// Access tokens are also kept in a sorted array of keys, so a listing page costs
/// O(log n + limit); an insert of a new key moves the keys after it (fine up to about a
/// million tokens).
///
/// `memory:` opens a fresh, private store on each open. `memory:NAME` opens the store
/// named `NAME`, shared by every open of the same name in this process (the storage lives
/// until the process exits); closing one handle does not close the others.
public final class InMemoryTokenStore: TokenStore {
    /// The storage itself, shared between handles of the same `memory:NAME`.
    final class Storage: Sendable {
        let state = Mutex(State())
    }

    struct State: Sendable {
        var requests: [String: RequestToken] = [:]
        var access: [AccessTokenKey: AccessToken] = [:]
        var accessOrder = SortedKeys<AccessTokenKey>()
        var tokenSets: [AccessTokenKey: OAuth2TokenSet] = [:]
        var tokenSetOrder = SortedKeys<AccessTokenKey>()
        var refreshLeases: [AccessTokenKey: RefreshLease] = [:]
    }

    /// Who holds a token set's refresh lease, and until when.
    struct RefreshLease: Sendable {
        var owner: String
        var expiresAt: Date
    }

    private static let named = Mutex<[String: Storage]>([:])

    let storage: Storage
    let clock: TokenClock
    private let isClosed = Atomic<Bool>(false)
    /// `memory:` for a private store, `memory:NAME` for a shared one.
    public let displayName: String

    /// Creates an empty, private store.
    ///
    /// - Parameter clock: where expiry checks read the time.
    public init(clock: TokenClock = .system) {
        self.storage = Storage()
        self.clock = clock
        self.displayName = "memory:"
    }

    /// Opens the process-wide store named `name`, creating it on first use.
    ///
    /// - Parameters:
    ///   - name: the name after `memory:`; every handle with this name sees the same tokens.
    ///   - clock: where this handle's expiry checks read the time.
    public init(named name: String, clock: TokenClock = .system) {
        self.storage = Self.named.withLock { table in
            if let existing = table[name] { return existing }
            let created = Storage()
            table[name] = created
            return created
        }
        self.clock = clock
        self.displayName = "memory:" + name
    }

    /// The driver for `memory:` URLs: `memory:` is private to the handle, `memory:NAME`
    /// is shared in-process by name.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["memory"], summary: "in-process memory (memory: private, memory:NAME shared by name)") { url, options in
            guard let colon = url.firstIndex(of: ":") else {
                throw TokenStoreError(.misconfigured, store: url, operation: "open", message: "expected memory: or memory:NAME")
            }
            var name = String(url[url.index(after: colon)...])
            if name.hasPrefix("//") { name.removeFirst(2) }
            if name.isEmpty { return InMemoryTokenStore(clock: options.clock) }
            return InMemoryTokenStore(named: name.removingPercentEncoding ?? name, clock: options.clock)
        }
    }

    func checkOpen(_ operation: String) throws {
        if isClosed.load(ordering: .acquiring) {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        }
    }

    func invalidLimit(_ operation: String, _ limit: Int) -> TokenStoreError {
        TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "limit must be at least 1, got \(limit)")
    }

    // MARK: Request tokens

    public func saveRequestToken(_ token: RequestToken) async throws {
        try checkOpen("saveRequestToken")
        storage.state.withLock { state in
            state.requests[token.token] = token
        }
    }

    /// Saves the batch under one lock: no other call sees half of it.
    @discardableResult
    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        try checkOpen("saveRequestTokens")
        storage.state.withLock { state in
            for token in tokens { state.requests[token.token] = token }
        }
        return tokens.count
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try checkOpen("takeRequestToken")
        let now = clock.now()
        return storage.state.withLock { state in
            guard let token = state.requests.removeValue(forKey: oauthToken) else { return nil }
            return token.isExpired(at: now) ? nil : token
        }
    }

    public func purgeExpiredRequestTokens() async throws -> Int {
        try checkOpen("purgeExpiredRequestTokens")
        let now = clock.now()
        return storage.state.withLock { state in
            let expired = state.requests.values.filter { $0.isExpired(at: now) }
            for token in expired {
                state.requests.removeValue(forKey: token.token)
            }
            return expired.count
        }
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try checkOpen("listRequestTokens")
        guard limit >= 1 else { throw invalidLimit("listRequestTokens", limit) }
        let now = clock.now()
        return storage.state.withLock { state in
            // Request tokens are listed only by migrations, so they keep no sorted index
            // (which would make every take O(n)); a page scans and keeps the smallest names.
            let after = cursor.map(ByteOrderedString.init)
            // At most 10,000 per page, so a huge limit cannot make the scan quadratic.
            let limit = min(limit, 10_000)
            let capacity = limit + 1
            var smallest = BoundedSmallest<ByteOrderedString, RequestToken>(capacity: capacity)
            for (name, token) in state.requests where !token.isExpired(at: now) {
                let key = ByteOrderedString(name)
                if let after, !(after < key) { continue }
                if smallest.admits(key) { smallest.insert(key, token) }
            }
            var page = smallest.values
            let more = page.count > limit
            if more { page.removeLast() }
            return RequestTokenPage(tokens: page, nextCursor: more ? page.last?.token : nil)
        }
    }

    // MARK: Access tokens

    @discardableResult
    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try checkOpen("saveAccessToken")
        return storage.state.withLock { state in Self.write(token, policy: policy, into: &state) }
    }

    @discardableResult
    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try checkOpen("saveAccessTokens")
        return storage.state.withLock { state in
            tokens.reduce(0) { written, token in written + (Self.write(token, policy: policy, into: &state) ? 1 : 0) }
        }
    }

    /// The upsert rule every driver keeps: the stored `createdAt` survives a replacement,
    /// and `.ifNewer` writes only a later `updatedAt`.
    private static func write(_ token: AccessToken, policy: WritePolicy, into state: inout State) -> Bool {
        let key = token.key
        guard let existing = state.access[key] else {
            state.access[key] = token
            state.accessOrder.insert(key)
            return true
        }
        if policy == .ifNewer, token.updatedAt <= existing.updatedAt { return false }
        var replacement = token
        replacement.createdAt = existing.createdAt
        state.access[key] = replacement
        return true
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try checkOpen("accessToken")
        return storage.state.withLock { $0.access[key] }
    }

    @discardableResult
    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try checkOpen("deleteAccessToken")
        return storage.state.withLock { state in
            guard state.access.removeValue(forKey: key) != nil else { return false }
            state.accessOrder.remove(key)
            return true
        }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try checkOpen("listAccessTokens")
        guard limit >= 1 else { throw invalidLimit("listAccessTokens", limit) }
        return storage.state.withLock { state in
            let keys = state.accessOrder.keys
            let start = cursor.map { state.accessOrder.upperBound($0) } ?? 0
            let end = keys.count - start <= limit ? keys.count : start + limit
            let page = keys[start..<end].compactMap { state.access[$0] }
            return AccessTokenPage(tokens: page, nextCursor: end < keys.count ? page.last?.key : nil)
        }
    }

    // MARK: Housekeeping

    public func counts() async throws -> TokenCounts {
        try checkOpen("counts")
        let now = clock.now()
        return storage.state.withLock { state in
            TokenCounts(
                requestTokens: state.requests.values.reduce(0) { $0 + ($1.isExpired(at: now) ? 0 : 1) },
                accessTokens: state.access.count,
                tokenSets: state.tokenSets.count)
        }
    }

    /// Counts the keys of the stored access tokens.
    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        try checkOpen("countAccessTokensByProvider")
        return storage.state.withLock { state in AccessTokenCounts(countingKeys: state.access.keys) }
    }

    public func schemaVersion() async throws -> Int {
        try checkOpen("schemaVersion")
        return 0
    }

    public func close() async throws {
        isClosed.store(true, ordering: .releasing)
    }
}
