import Foundation
import Testing
import TokenStoreKit

/// The conformance suite every `TokenStore` driver runs, ours and third parties'.
///
/// ```swift
/// @Test func conformance() async throws {
///     try await TokenStoreConformance(name: "sqlite") { clock in
///         try await SQLiteTokenStore(configuration: .init(path: dir + "/tokens.db", clock: clock))
///     }.run()
/// }
/// ```
///
/// The suite never assumes an empty store: every case works under its own random provider
/// names and token prefixes, listings start just below the case's prefix and stop past
/// it, and counts are checked as differences (retried, since another writer can shift
/// them). When every store shares one database, run the cases one at a time
/// (``run(sourceLocation:)``, or a parameterized test with the `.serialized` trait) so
/// the `counts` case is not disturbed by the others.
///
/// The cases (``caseNames``): request tokens (`requestTokenRoundTrip`, `requestTokenTakeOnce`,
/// `requestTokenUnknown`, `requestTokenReplace`, `requestTokenExpiry`, `requestTokenPurge`,
/// `requestTokenListing`, `requestTokenBatch`), races (`concurrentTake`: 32 tasks on each of 6 tokens;
/// `crossProcessTake`: 4 `tokenstore-test-worker` processes, only with
/// ``Capabilities/crossProcessURL``), access tokens (`accessTokenUpsert`,
/// `accessTokenGetDelete`, `accessTokenIfNewer`, `accessTokenBatch`, `accessTokenFields`,
/// `accessTokenConcurrentUpserts`), listing (`accessTokenListingPages`,
/// `accessTokenListingUnderInserts`, `listingInvalidLimit`), hostile input (`hostileKeys`,
/// `hostileValues`, `largeValues`) and housekeeping (`counts`, `countsByProvider`, `schemaVersion`,
/// `closeThenCall`, `errorsNameStoreNotSecrets`).
///
/// Rules the suite holds drivers to beyond the protocol's text: a store keeps the
/// `createdAt` and `updatedAt` it is given (the first `createdAt` survives every later
/// write, under both policies); `.ifNewer` skips an equal `updatedAt`; a page may hold
/// fewer than `limit` tokens, and `nextCursor` is `nil` only when nothing follows.
///
/// Each case gets a fresh store from `makeStore`, reading a ``ManualTokenClock`` that
/// starts at the current time, and closes it when done. Failures are recorded with Swift
/// Testing at the caller's source location, prefixed with the driver and case name; a
/// failing case does not stop the others.
public struct TokenStoreConformance: Sendable {
    /// What the driver under test can do beyond the contract.
    public struct Capabilities: Sendable {
        /// A URL that another process can open to reach the same storage as the stores
        /// `makeStore` returns. When set, the suite races `take` across processes.
        public var crossProcessURL: String?
        /// The worker executable for cross-process cases; `nil` looks for
        /// `tokenstore-test-worker` beside the test binary.
        public var workerExecutable: String?
        /// Whether the cross-process OAuth 2.0 refresh cases run (`refreshRace`, 30 s of 8
        /// worker processes, and `refreshHolderKilled`) when `crossProcessURL` is set. A
        /// driver tested in several configurations of the same storage may run them in one.
        public var refreshRace: Bool

        /// Creates capabilities.
        ///
        /// - Parameters:
        ///   - crossProcessURL: a URL other processes open to reach the same storage.
        ///   - workerExecutable: the path of `tokenstore-test-worker`, when not beside the
        ///     test binary.
        ///   - refreshRace: `false` skips the cross-process refresh cases.
        public init(crossProcessURL: String? = nil, workerExecutable: String? = nil, refreshRace: Bool = true) {
            self.crossProcessURL = crossProcessURL
            self.workerExecutable = workerExecutable
            self.refreshRace = refreshRace
        }
    }

    /// The driver's name, shown in every failure.
    public let name: String
    /// What the driver can do beyond the contract.
    public let capabilities: Capabilities
    let makeStore: @Sendable (_ clock: TokenClock) async throws -> any TokenStore

    /// Creates the suite for a driver. `makeStore` returns a store reading time from the
    /// given clock; it is called once per case and may return stores over the same storage.
    public init(
        name: String,
        capabilities: Capabilities = Capabilities(),
        makeStore: @escaping @Sendable (_ clock: TokenClock) async throws -> any TokenStore
    ) {
        self.name = name
        self.capabilities = capabilities
        self.makeStore = makeStore
    }

    /// The names of the cases, in the order ``run(sourceLocation:)`` runs them.
    public static var caseNames: [String] { cases.map(\.name) }

    /// Runs every case, recording failures at `sourceLocation`.
    public func run(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        for entry in Self.cases {
            await run(entry, sourceLocation: sourceLocation)
        }
    }

    /// Runs the case named `name` (one of ``caseNames``), recording failures at
    /// `sourceLocation`, so a driver can show each case as its own test.
    ///
    /// - Throws: nothing today; `throws` leaves room for setup failures.
    public func run(case name: String, sourceLocation: SourceLocation = #_sourceLocation) async throws {
        guard let entry = Self.cases.first(where: { $0.name == name }) else {
            Issue.record(
                "\(self.name): no conformance case named '\(name)'; known: \(Self.caseNames.joined(separator: ", "))",
                sourceLocation: sourceLocation)
            return
        }
        await run(entry, sourceLocation: sourceLocation)
    }

    private func run(_ entry: ConformanceCase, sourceLocation: SourceLocation) async {
        let clock = ManualTokenClock()
        let store: any TokenStore
        do {
            store = try await makeStore(clock.clock)
        } catch {
            Issue.record(error, "\(name) [\(entry.name)]: makeStore failed", sourceLocation: sourceLocation)
            return
        }
        let context = ConformanceContext(
            driver: name, caseName: entry.name, store: store, clock: clock,
            capabilities: capabilities, makeStore: makeStore, sourceLocation: sourceLocation)
        do {
            try await entry.body(context)
        } catch {
            Issue.record(error, "\(name) [\(entry.name)]: unexpected error: \(String(reflecting: error))", sourceLocation: sourceLocation)
        }
        do {
            try await store.close()
        } catch {
            Issue.record(error, "\(name) [\(entry.name)]: close failed", sourceLocation: sourceLocation)
        }
    }
}

/// One named case of the suite.
struct ConformanceCase: Sendable {
    let name: String
    let body: @Sendable (ConformanceContext) async throws -> Void
}

extension TokenStoreConformance {
    static let cases: [ConformanceCase] = [
        ConformanceCase(name: "requestTokenRoundTrip", body: RequestTokenCases.roundTrip),
        ConformanceCase(name: "requestTokenTakeOnce", body: RequestTokenCases.takeOnce),
        ConformanceCase(name: "requestTokenUnknown", body: RequestTokenCases.unknown),
        ConformanceCase(name: "requestTokenReplace", body: RequestTokenCases.replace),
        ConformanceCase(name: "requestTokenExpiry", body: RequestTokenCases.expiry),
        ConformanceCase(name: "requestTokenPurge", body: RequestTokenCases.purge),
        ConformanceCase(name: "requestTokenListing", body: RequestTokenCases.listing),
        ConformanceCase(name: "requestTokenBatch", body: RequestTokenCases.batch),
        ConformanceCase(name: "concurrentTake", body: TakeRaceCases.concurrentTake),
        ConformanceCase(name: "crossProcessTake", body: TakeRaceCases.crossProcessTake),
        ConformanceCase(name: "accessTokenUpsert", body: AccessTokenCases.upsert),
        ConformanceCase(name: "accessTokenGetDelete", body: AccessTokenCases.getDelete),
        ConformanceCase(name: "accessTokenIfNewer", body: AccessTokenCases.ifNewer),
        ConformanceCase(name: "accessTokenBatch", body: AccessTokenCases.batch),
        ConformanceCase(name: "accessTokenFields", body: AccessTokenCases.fields),
        ConformanceCase(name: "accessTokenConcurrentUpserts", body: AccessTokenCases.concurrentUpserts),
        ConformanceCase(name: "accessTokenListingPages", body: ListingCases.pages),
        ConformanceCase(name: "accessTokenListingUnderInserts", body: ListingCases.underInserts),
        ConformanceCase(name: "listingInvalidLimit", body: ListingCases.invalidLimit),
        ConformanceCase(name: "pendingAuthorizationTakeOnce", body: PendingAuthorizationCases.takeOnce),
        ConformanceCase(name: "pendingAuthorizationLifecycle", body: PendingAuthorizationCases.lifecycle),
        ConformanceCase(name: "tokenSetRoundTrip", body: TokenSetCases.roundTrip),
        ConformanceCase(name: "tokenSetUpsert", body: TokenSetCases.upsert),
        ConformanceCase(name: "tokenSetGetDelete", body: TokenSetCases.getDelete),
        ConformanceCase(name: "tokenSetCompareAndSet", body: TokenSetCases.compareAndSet),
        ConformanceCase(name: "tokenSetRefreshLease", body: TokenSetCases.refreshLease),
        ConformanceCase(name: "tokenSetListing", body: TokenSetCases.listing),
        ConformanceCase(name: "tokenSetCounts", body: TokenSetCases.counts),
        ConformanceCase(name: "tokenSetHostileValues", body: TokenSetCases.hostileValues),
        ConformanceCase(name: "refreshRace", body: RefreshRaceCases.race),
        ConformanceCase(name: "refreshHolderKilled", body: RefreshRaceCases.holderKilled),
        ConformanceCase(name: "hostileKeys", body: HostileCases.keys),
        ConformanceCase(name: "hostileValues", body: HostileCases.values),
        ConformanceCase(name: "largeValues", body: HostileCases.large),
        ConformanceCase(name: "counts", body: HousekeepingCases.counts),
        ConformanceCase(name: "countsByProvider", body: CountingCases.byProvider),
        ConformanceCase(name: "schemaVersion", body: HousekeepingCases.schemaVersion),
        ConformanceCase(name: "closeThenCall", body: HousekeepingCases.closeThenCall),
        ConformanceCase(name: "errorsNameStoreNotSecrets", body: HousekeepingCases.errorsRedact),
    ]
}
