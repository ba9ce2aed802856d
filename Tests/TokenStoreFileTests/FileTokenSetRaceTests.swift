import Foundation
import Testing
import TokenStoreFile
import TokenStoreKit
import TokenStoreTesting

/// The compare-and-set and the refresh lease raced by several stores over one directory:
/// each store has its own queue and its own open `lock` file, so they exclude each other
/// only through `flock`, as processes do.
@Suite("FileTokenStore token sets raced by several stores over one directory", .timeLimit(.minutes(5)))
struct FileTokenSetRaceTests {
    static let key = AccessTokenKey(provider: "p", userID: "raced")

    func withStores(_ body: ([FileTokenStore]) async throws -> Void) async throws {
        let directory = StoreTestDirectory("race")
        defer { directory.remove() }
        var stores: [FileTokenStore] = []
        for _ in 0..<4 { stores.append(try await FileTokenStore(configuration: .init(directory: directory.path))) }
        try await stores[0].saveTokenSet(OAuth2TokenSet(provider: "p", userID: "raced", accessToken: "a0", createdAt: Date()))
        try await body(stores)
        for store in stores { try await store.close() }
    }

    @Test("16 replaces at one version from 4 stores: exactly one wins, every round")
    func compareAndSet() async throws {
        try await withStores { stores in
            for round in 1...3 {
                let expected = Int64(round)
                let winners = try await TokenSetRace.compareAndSetAcrossStores(stores, key: Self.key, ifVersion: expected, attempts: 16)
                #expect(winners.count == 1, "round \(round): \(winners)")
                let stored = try await stores[round % stores.count].tokenSet(for: Self.key)
                #expect(stored?.version == expected + 1)
                #expect(stored?.accessToken == winners.first)
            }
        }
    }

    @Test("16 owners asking for the lease from 4 stores: exactly one holds it")
    func lease() async throws {
        try await withStores { stores in
            let holders = try await TokenSetRace.acquireLeaseAcrossStores(stores, key: Self.key, attempts: 16, duration: .seconds(30))
            #expect(holders.count == 1, "\(holders)")
            let holder = try #require(holders.first)
            for store in stores {
                #expect(!(try await store.acquireRefreshLease(for: Self.key, owner: "late", duration: .seconds(30))))
            }
            // A save from another store keeps the lease; the holder's release frees it.
            try await stores[2].saveTokenSet(OAuth2TokenSet(provider: "p", userID: "raced", accessToken: "saved", createdAt: Date()))
            #expect(!(try await stores[0].acquireRefreshLease(for: Self.key, owner: "late", duration: .seconds(30))))
            #expect(try await stores[3].releaseRefreshLease(for: Self.key, owner: holder))
            #expect(try await stores[1].acquireRefreshLease(for: Self.key, owner: "late", duration: .seconds(30)))
        }
    }
}
