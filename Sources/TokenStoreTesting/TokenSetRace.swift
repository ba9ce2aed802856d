import Foundation
import TokenStoreKit

/// Races on one token set from several stores open on the same storage (a directory, a
/// database file), so the stores exclude each other only as separate processes would.
///
/// The races return who won and leave the assertions to the caller's test:
///
/// ```swift
/// let winners = try await TokenSetRace.compareAndSetAcrossStores(stores, key: key, ifVersion: 1, attempts: 32)
/// #expect(winners.count == 1)
/// ```
public enum TokenSetRace {
    /// Runs `attempts` concurrent `replaceTokenSet(_:ifVersion:)` calls at
    /// version `expected` on the token set under `key`, attempt `i` on
    /// `stores[i % stores.count]` with the access token `"r<expected>-<i>"`.
    ///
    /// - Returns: the access tokens of the replaces that won; exactly one when the
    ///   compare-and-set is atomic across the stores and `expected` is the stored version.
    public static func compareAndSetAcrossStores(
        _ stores: [any TokenStore], key: AccessTokenKey, ifVersion expected: Int64, attempts: Int
    ) async throws -> [String] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<attempts {
                let store = stores[index % stores.count]
                let attempt = OAuth2TokenSet(
                    provider: key.provider, userID: key.userID, accessToken: "r\(expected)-\(index)", createdAt: Date())
                group.addTask { try await store.replaceTokenSet(attempt, ifVersion: expected)?.accessToken }
            }
            var winners: [String] = []
            for try await winner in group { if let winner { winners.append(winner) } }
            return winners
        }
    }

    /// Has `attempts` owners (`"o<i>"`, on `stores[i % stores.count]`) ask at once for the
    /// refresh lease on the token set under `key`, each for `duration`.
    ///
    /// - Returns: the owners that got the lease; exactly one when acquiring it is atomic
    ///   across the stores and nobody held it before.
    public static func acquireLeaseAcrossStores(
        _ stores: [any TokenStore], key: AccessTokenKey, attempts: Int, duration: Duration
    ) async throws -> [String] {
        try await withThrowingTaskGroup(of: String?.self) { group in
            for index in 0..<attempts {
                let store = stores[index % stores.count]
                group.addTask {
                    try await store.acquireRefreshLease(for: key, owner: "o\(index)", duration: duration) ? "o\(index)" : nil
                }
            }
            var holders: [String] = []
            for try await holder in group { if let holder { holders.append(holder) } }
            return holders
        }
    }
}
