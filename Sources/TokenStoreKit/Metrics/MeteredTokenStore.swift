import CoreMetrics

/// A ``TokenStore`` that reports every call of the store it wraps to swift-metrics: how
/// long it took and how it ended. The library picks no backend; the app bootstraps one
/// (Prometheus, StatsD, OpenTelemetry...) with `MetricsSystem.bootstrap` as usual.
///
/// ```swift
/// let store = MeteredTokenStore(wrapping: try await TokenStoreRegistry.shared.open(url), driver: "postgres")
/// ```
///
/// Metrics, with their dimensions:
/// - `tokenstore_operation_duration_seconds` (timer, nanoseconds): `driver`, `operation`
///   (the ``TokenStore`` method, e.g. `takeRequestToken`), `outcome` (`ok`, or the failure's
///   ``TokenStoreError/Code/identifier``, e.g. `unavailable`, `timed_out`).
/// - `tokenstore_operation_errors_total` (counter): `driver`, `operation`, `code` (as
///   `outcome` above; `cancelled` for a cancelled task, `other` for an error that is not a
///   ``TokenStoreError``).
///
/// Nothing about a token (provider, user, secret) is ever a dimension. Wrap the store
/// outermost, around a `SealedTokenStore` too, so sealing failures are counted.
///
/// The SQLite, PostgreSQL and Redis stores also report their connection pools (open, idle
/// and waiting, wrapped or not); `Docs/metrics.md` lists every metric the project emits.
public final class MeteredTokenStore: TokenStore {
    /// The store every call goes to.
    public let wrapped: any TokenStore
    /// The `driver` dimension of every metric.
    public let driver: String
    private let factory: any MetricsFactory
    /// One success timer per operation, made once: the hot path allocates no metric.
    private let succeeded: [Operation: Timer]

    /// The operations measured, named as the ``TokenStore`` methods.
    enum Operation: String, CaseIterable, Sendable {
        case saveRequestToken, saveRequestTokens, takeRequestToken, purgeExpiredRequestTokens, listRequestTokens
        case saveAccessToken, saveAccessTokens, accessToken, deleteAccessToken, listAccessTokens
        case saveTokenSet, saveTokenSets, tokenSet, deleteTokenSet, listTokenSets, replaceTokenSet
        case acquireRefreshLease, releaseRefreshLease
        case counts, countAccessTokensByProvider, schemaVersion
    }

    /// Wraps `store`.
    ///
    /// - Parameters:
    ///   - store: the store that does the work; closing this store closes it.
    ///   - driver: the `driver` dimension, e.g. `sqlite`, `postgres`, `redis` (the URL scheme).
    ///   - factory: where the metrics go; `nil` is the factory `MetricsSystem.bootstrap` set.
    public init(wrapping store: any TokenStore, driver: String, factory: (any MetricsFactory)? = nil) {
        let factory = factory ?? MetricsSystem.factory
        self.wrapped = store
        self.driver = driver
        self.factory = factory
        var succeeded: [Operation: Timer] = [:]
        for operation in Operation.allCases {
            succeeded[operation] = Timer(
                label: Self.durationLabel, dimensions: Self.dimensions(driver, operation, outcome: "ok"), factory: factory)
        }
        self.succeeded = succeeded
    }

    /// The timer's label.
    public static let durationLabel = "tokenstore_operation_duration_seconds"
    /// The error counter's label.
    public static let errorsLabel = "tokenstore_operation_errors_total"

    public var displayName: String { wrapped.displayName }

    public func saveRequestToken(_ token: RequestToken) async throws {
        try await measure(.saveRequestToken) { try await wrapped.saveRequestToken(token) }
    }

    public func saveRequestTokens(_ tokens: [RequestToken]) async throws -> Int {
        try await measure(.saveRequestTokens) { try await wrapped.saveRequestTokens(tokens) }
    }

    public func takeRequestToken(_ oauthToken: String) async throws -> RequestToken? {
        try await measure(.takeRequestToken) { try await wrapped.takeRequestToken(oauthToken) }
    }

    public func purgeExpiredRequestTokens() async throws -> Int {
        try await measure(.purgeExpiredRequestTokens) { try await wrapped.purgeExpiredRequestTokens() }
    }

    public func listRequestTokens(after cursor: String?, limit: Int) async throws -> RequestTokenPage {
        try await measure(.listRequestTokens) { try await wrapped.listRequestTokens(after: cursor, limit: limit) }
    }

    public func saveAccessToken(_ token: AccessToken, policy: WritePolicy) async throws -> Bool {
        try await measure(.saveAccessToken) { try await wrapped.saveAccessToken(token, policy: policy) }
    }

    public func saveAccessTokens(_ tokens: [AccessToken], policy: WritePolicy) async throws -> Int {
        try await measure(.saveAccessTokens) { try await wrapped.saveAccessTokens(tokens, policy: policy) }
    }

    public func accessToken(for key: AccessTokenKey) async throws -> AccessToken? {
        try await measure(.accessToken) { try await wrapped.accessToken(for: key) }
    }

    public func deleteAccessToken(for key: AccessTokenKey) async throws -> Bool {
        try await measure(.deleteAccessToken) { try await wrapped.deleteAccessToken(for: key) }
    }

    public func listAccessTokens(after cursor: AccessTokenKey?, limit: Int) async throws -> AccessTokenPage {
        try await measure(.listAccessTokens) { try await wrapped.listAccessTokens(after: cursor, limit: limit) }
    }

    public func saveTokenSet(_ tokenSet: OAuth2TokenSet, policy: WritePolicy) async throws -> Bool {
        try await measure(.saveTokenSet) { try await wrapped.saveTokenSet(tokenSet, policy: policy) }
    }

    public func saveTokenSets(_ tokenSets: [OAuth2TokenSet], policy: WritePolicy) async throws -> Int {
        try await measure(.saveTokenSets) { try await wrapped.saveTokenSets(tokenSets, policy: policy) }
    }

    public func tokenSet(for key: AccessTokenKey) async throws -> OAuth2TokenSet? {
        try await measure(.tokenSet) { try await wrapped.tokenSet(for: key) }
    }

    public func deleteTokenSet(for key: AccessTokenKey) async throws -> Bool {
        try await measure(.deleteTokenSet) { try await wrapped.deleteTokenSet(for: key) }
    }

    public func listTokenSets(after cursor: AccessTokenKey?, limit: Int) async throws -> OAuth2TokenSetPage {
        try await measure(.listTokenSets) { try await wrapped.listTokenSets(after: cursor, limit: limit) }
    }

    public func replaceTokenSet(_ tokenSet: OAuth2TokenSet, ifVersion expected: Int64) async throws -> OAuth2TokenSet? {
        try await measure(.replaceTokenSet) { try await wrapped.replaceTokenSet(tokenSet, ifVersion: expected) }
    }

    public func acquireRefreshLease(for key: AccessTokenKey, owner: String, duration: Duration) async throws -> Bool {
        try await measure(.acquireRefreshLease) {
            try await wrapped.acquireRefreshLease(for: key, owner: owner, duration: duration)
        }
    }

    public func releaseRefreshLease(for key: AccessTokenKey, owner: String) async throws -> Bool {
        try await measure(.releaseRefreshLease) { try await wrapped.releaseRefreshLease(for: key, owner: owner) }
    }

    public func counts() async throws -> TokenCounts {
        try await measure(.counts) { try await wrapped.counts() }
    }

    public func countAccessTokensByProvider() async throws -> AccessTokenCounts {
        try await measure(.countAccessTokensByProvider) { try await wrapped.countAccessTokensByProvider() }
    }

    public func schemaVersion() async throws -> Int {
        try await measure(.schemaVersion) { try await wrapped.schemaVersion() }
    }

    public func close() async throws {
        try await wrapped.close()
    }

    /// Runs `body`, then records its duration under its outcome, and counts a failure.
    private func measure<Result>(_ operation: Operation, _ body: () async throws -> Result) async throws -> Result {
        let start = ContinuousClock.now
        do {
            let result = try await body()
            succeeded[operation]?.recordNanoseconds((ContinuousClock.now - start).wholeNanoseconds)
            return result
        } catch {
            let elapsed = (ContinuousClock.now - start).wholeNanoseconds
            let code = Self.code(of: error)
            Timer(label: Self.durationLabel, dimensions: Self.dimensions(driver, operation, outcome: code), factory: factory)
                .recordNanoseconds(elapsed)
            Counter(
                label: Self.errorsLabel, dimensions: [("driver", driver), ("operation", operation.rawValue), ("code", code)],
                factory: factory
            ).increment()
            throw error
        }
    }

    private static func dimensions(_ driver: String, _ operation: Operation, outcome: String) -> [(String, String)] {
        [("driver", driver), ("operation", operation.rawValue), ("outcome", outcome)]
    }

    /// A failure's code as a dimension value (``TokenStoreError/Code/identifier``).
    static func code(of error: any Error) -> String {
        if let error = error as? TokenStoreError { return error.code.identifier }
        if error is CancellationError { return "cancelled" }
        return "other"
    }
}
