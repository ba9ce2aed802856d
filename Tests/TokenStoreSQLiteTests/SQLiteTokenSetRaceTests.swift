import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreTesting

/// The compare-and-set and the refresh lease raced by several stores over one file: each
/// store has its own connections, so they contend for SQLite's locks as processes do.
@Suite("SQLite token sets raced by several stores over one file", .inProcessTimeLimit)
struct SQLiteTokenSetRaceTests {
    static let key = AccessTokenKey(provider: "p", userID: "raced")

    func withStores(_ body: ([SQLiteTokenStore]) async throws -> Void) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        var stores: [SQLiteTokenStore] = []
        for _ in 0..<4 { stores.append(try await SQLiteTokenStore(configuration: .init(path: directory.path + "/t.db"))) }
        try await stores[0].saveTokenSet(OAuth2TokenSet(provider: "p", userID: "raced", accessToken: "a0", createdAt: Date()))
        try await body(stores)
        for store in stores { try await store.close() }
    }

    @Test("32 replaces at one version from 4 stores: exactly one wins, every round")
    func compareAndSet() async throws {
        try await withStores { stores in
            for round in 1...5 {
                let expected = Int64(round)
                let winners = try await TokenSetRace.compareAndSetAcrossStores(stores, key: Self.key, ifVersion: expected, attempts: 32)
                #expect(winners.count == 1, "round \(round): \(winners)")
                let stored = try await stores[round % stores.count].tokenSet(for: Self.key)
                #expect(stored?.version == expected + 1)
                #expect(stored?.accessToken == winners.first)
            }
        }
    }

    @Test("32 owners asking for the lease from 4 stores: exactly one holds it")
    func lease() async throws {
        try await withStores { stores in
            let holders = try await TokenSetRace.acquireLeaseAcrossStores(stores, key: Self.key, attempts: 32, duration: .seconds(30))
            #expect(holders.count == 1, "\(holders)")
            let holder = try #require(holders.first)
            for store in stores {
                #expect(!(try await store.acquireRefreshLease(for: Self.key, owner: "late", duration: .seconds(30))))
            }
            #expect(try await stores[3].releaseRefreshLease(for: Self.key, owner: holder))
            #expect(try await stores[1].acquireRefreshLease(for: Self.key, owner: "late", duration: .seconds(30)))
        }
    }
}
