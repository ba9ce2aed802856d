import CoreMetrics
import Foundation
import Logging
import OAuth2
import TokenStoreKit

/// Hands out access tokens that are not about to expire, refreshing them through the
/// store so that any number of tasks, processes and machines sharing the store refresh a
/// token set at most once at a time.
///
/// Providers that rotate refresh tokens (X, Atlassian, Auth0, Okta...) answer a second use
/// of a refresh token with `invalid_grant`, and many then revoke the whole token family:
/// two workers refreshing the same expired token sign the user out. In-process
/// single-flight does not help across processes. ``validAccessToken(for:)`` coordinates
/// through the store instead:
///
/// 1. Read the token set. Not expiring within ``skew``: return it (no write, no lease).
/// 2. Take the token set's refresh lease (`TokenStore.acquireRefreshLease`), an entry in
///    the store with an owner id and an expiry, held only across the provider call.
///    Re-read under the lease: a token set that changed since step 1 is evaluated again.
/// 3. Refresh at the provider, then write the new token set with a compare-and-set on the
///    version read (`TokenStore.replaceTokenSet(_:ifVersion:)`), which also releases the
///    lease. A slow refresh therefore never overwrites a newer token set.
/// 4. Callers that find the lease held do not call the provider: they re-read the store
///    with backoff (10 ms doubling to 250 ms) until the holder's write appears, or the
///    holder's lease expires and one of them takes it, for at most ``waitTimeout``.
///
/// `invalid_grant` on a refresh re-reads the store first: when another worker already
/// rotated the token set, that token is used. Only when the stored refresh token is the one
/// rejected is the token set marked dead (`invalidatedAt`) and ``OAuth2RefreshError/Code/signInRequired``
/// thrown.
///
/// A worker killed while holding the lease delays the others by at most the lease's
/// remaining time (``leaseDuration``). Killed after the provider rotated the refresh token
/// but before its write, the new token is lost with it: the next refresh presents the old
/// refresh token, the provider rejects it, and the user must sign in again
/// (``OAuth2RefreshError/Code/signInRequired``). No store can prevent that; a short window
/// between the provider's answer and the write keeps it rare.
public struct OAuth2TokenRefresher: Sendable {
    /// Where token sets and leases live; shared by every worker.
    public var store: any TokenStore
    /// The provider's client (token endpoint, client credentials).
    public var client: OAuth2Client
    /// A token expiring within this much time is refreshed first. Default 60 seconds.
    public var skew: Duration
    /// How long a refresh lease lasts: longer than the client's timeout (so it never expires
    /// under a holder still waiting for the provider), short enough that a dead holder does
    /// not stall the others for long. Default: the client's timeout plus 15 seconds (45
    /// seconds with the client's default).
    public var leaseDuration: Duration
    /// How long a caller waits for another worker's refresh before giving up with
    /// ``OAuth2RefreshError/Code/waitTimedOut``. Default: the lease duration plus 10 seconds,
    /// so a dead holder's lease expires inside the wait.
    public var waitTimeout: Duration
    /// Where expiry is judged: the store's clock.
    public var clock: TokenClock
    /// Refreshes and sign-outs at `info`, waits at `debug`; never a token.
    public var logger: Logger
    /// Where `tokenstore_oauth2_refreshes_total` goes; `nil` for the global factory.
    public var metricsFactory: (any MetricsFactory)?

    /// Creates a refresher.
    public init(
        store: any TokenStore,
        client: OAuth2Client,
        skew: Duration = .seconds(60),
        leaseDuration: Duration? = nil,
        waitTimeout: Duration? = nil,
        clock: TokenClock = .system,
        logger: Logger = Logger(label: "tokenstore.oauth2.refresh", factory: { _ in SwiftLogNoOpLogHandler() }),
        metricsFactory: (any MetricsFactory)? = nil
    ) {
        self.store = store
        self.client = client
        self.skew = skew
        let leaseDuration = leaseDuration ?? client.timeout + .seconds(15)
        self.leaseDuration = leaseDuration
        self.waitTimeout = waitTimeout ?? leaseDuration + .seconds(10)
        self.clock = clock
        self.logger = logger
        self.metricsFactory = metricsFactory
    }

    /// The label of the refresh counter, dimensions `provider` and `outcome` (`refreshed`,
    /// `another_worker`, `sign_in_required`, `failed`, `wait_timed_out`).
    public static let refreshesLabel = "tokenstore_oauth2_refreshes_total"

    /// Returns the user's token set with an access token valid for at least ``skew``,
    /// refreshing it first when needed (see the type's documentation for how workers share
    /// that refresh).
    ///
    /// - Throws: ``OAuth2RefreshError`` (``OAuth2RefreshError/Code/notSignedIn``,
    ///   ``OAuth2RefreshError/Code/signInRequired``, ``OAuth2RefreshError/Code/waitTimedOut``),
    ///   `OAuth2Error` for a provider failure other than a rejected refresh token (the
    ///   token set is left as it was; retrying later is safe), `TokenStoreError`.
    public func validAccessToken(for key: AccessTokenKey) async throws -> OAuth2TokenSet {
        try validateConfiguration(key)
        let started = ContinuousClock.now
        var backoff = Duration.milliseconds(10)
        let owner = "\(ProcessInfo.processInfo.processIdentifier)-\(UUID().uuidString)"
        while true {
            guard let stored = try await store.tokenSet(for: key) else {
                throw OAuth2RefreshError(.notSignedIn, key: key, message: "no token set is stored; the user must sign in")
            }
            try checkUsable(stored)
            if !stored.expires(within: skew, of: clock.now()) { return stored }
            guard stored.refreshToken != nil else {
                count("sign_in_required", key)
                throw OAuth2RefreshError(
                    .signInRequired, key: key,
                    message: "the access token expired and the provider issued no refresh token; the user must sign in again")
            }
            let leased = try await store.acquireRefreshLease(for: key, owner: owner, duration: leaseDuration)
            if leased, let refreshed = try await refreshHoldingLease(key, read: stored, owner: owner) {
                return refreshed
            }
            // Another worker refreshes (wait for its write, or for its lease to expire), or
            // the token set changed under our lease (look again). Either way, bounded.
            guard ContinuousClock.now - started < waitTimeout else {
                count("wait_timed_out", key)
                throw OAuth2RefreshError(
                    .waitTimedOut, key: key,
                    message: "no valid access token within \(waitTimeout): another worker held the refresh lease "
                        + "without writing a new token, or the token set kept changing; retry later")
            }
            if !leased {
                logger.debug("waiting for another worker's refresh", metadata: ["key": "\(key)"])
                try await Task.sleep(for: backoff)
                backoff = min(backoff * 2, .milliseconds(250))
            }
        }
    }

    /// Under the lease: re-read, refresh, compare-and-set. Returns `nil` when the caller
    /// should look at the store again (the token set changed meanwhile).
    private func refreshHoldingLease(_ key: AccessTokenKey, read: OAuth2TokenSet, owner: String) async throws
        -> OAuth2TokenSet?
    {
        guard let current = try await store.tokenSet(for: key), current.version == read.version else {
            // Refreshed (or replaced) between our read and our lease.
            try await store.releaseRefreshLease(for: key, owner: owner)
            return nil
        }
        guard let refreshToken = current.refreshToken else {
            try await store.releaseRefreshLease(for: key, owner: owner)
            return nil
        }
        let response: OAuth2TokenResponse
        do {
            response = try await client.refresh(refreshToken: refreshToken)
        } catch let error as OAuth2Error where error.code == .invalidGrant {
            return try await handleRejectedRefresh(key, current: current, owner: owner)
        } catch {
            count("failed", key)
            _ = try? await store.releaseRefreshLease(for: key, owner: owner)
            throw error
        }
        let next = current.refreshed(with: response, at: clock.now())
        guard let written = try await store.replaceTokenSet(next, ifVersion: current.version) else {
            // A newer token set was written while we refreshed (the user signed in again):
            // it wins; ours is dropped.
            try await store.releaseRefreshLease(for: key, owner: owner)
            logger.notice("a refreshed token set lost to a newer write", metadata: ["key": "\(key)"])
            return nil
        }
        count("refreshed", key)
        logger.info("access token refreshed", metadata: ["key": "\(key)", "version": "\(written.version)"])
        return written
    }

    /// `invalid_grant`: another worker may have rotated the token already; only when the
    /// store still holds the rejected refresh token is the token set dead.
    private func handleRejectedRefresh(_ key: AccessTokenKey, current: OAuth2TokenSet, owner: String) async throws
        -> OAuth2TokenSet?
    {
        let latest = try await store.tokenSet(for: key)
        if let latest, latest.version != current.version {
            try await store.releaseRefreshLease(for: key, owner: owner)
            count("another_worker", key)
            return nil
        }
        var dead = current
        dead.invalidatedAt = clock.now()
        guard try await store.replaceTokenSet(dead, ifVersion: current.version) != nil else {
            // Written meanwhile (a new sign-in): that token set is not the one rejected.
            try await store.releaseRefreshLease(for: key, owner: owner)
            return nil
        }
        count("sign_in_required", key)
        logger.info("refresh token rejected; the user must sign in again", metadata: ["key": "\(key)"])
        throw OAuth2RefreshError(
            .signInRequired, key: key,
            message: "the provider rejected the stored refresh token (invalid_grant); the user must sign in again")
    }

    /// A lease must outlast the provider call it guards: one that expires while its holder
    /// still waits for the provider lets a second worker present the same refresh token.
    private func validateConfiguration(_ key: AccessTokenKey) throws {
        guard leaseDuration > client.timeout, leaseDuration <= RefreshLeaseDuration.maximum else {
            throw OAuth2RefreshError(
                .invalidConfiguration, key: key,
                message: "the lease (\(leaseDuration)) must be longer than the client's timeout (\(client.timeout)) "
                    + "and at most an hour")
        }
        guard skew >= .zero, waitTimeout > .zero else {
            throw OAuth2RefreshError(
                .invalidConfiguration, key: key, message: "the skew must not be negative and the wait must be positive")
        }
    }

    private func checkUsable(_ tokenSet: OAuth2TokenSet) throws {
        guard let invalidatedAt = tokenSet.invalidatedAt else { return }
        throw OAuth2RefreshError(
            .signInRequired, key: tokenSet.key,
            message: "the token set was invalidated at \(invalidatedAt) (its refresh token was rejected); "
                + "the user must sign in again")
    }

    private func count(_ outcome: String, _ key: AccessTokenKey) {
        let dimensions = [("provider", key.provider), ("outcome", outcome)]
        if let metricsFactory {
            Counter(label: Self.refreshesLabel, dimensions: dimensions, factory: metricsFactory).increment()
        } else {
            Counter(label: Self.refreshesLabel, dimensions: dimensions).increment()
        }
    }
}
