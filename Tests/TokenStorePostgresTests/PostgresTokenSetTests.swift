import Foundation
import Logging
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

extension PostgresServerTests {
    /// What the conformance suite cannot see of this driver's token sets: the bulk save's
    /// chunks and paths, and the lease and compare-and-set between stores with pools of
    /// their own (as separate processes have).
    @Suite("PostgreSQL token sets", .serverTimeLimit)
    struct TokenSets {
        private static let base = Date(timeIntervalSince1970: 1_700_000_000)

        private static func tokenSet(_ user: String, _ offset: Double, created: Double = 0) -> OAuth2TokenSet {
            OAuth2TokenSet(
                provider: "p", userID: user, accessToken: "a-\(user)-\(offset)", expiresAt: base.addingTimeInterval(offset + 3600),
                refreshToken: offset.truncatingRemainder(dividingBy: 2) == 0 ? "r-\(offset)" : nil,
                metadata: ["offset": "\(offset)"], createdAt: base.addingTimeInterval(created), updatedAt: base.addingTimeInterval(offset))
        }

        @Test(
            "a bulk save in chunks writes, counts and versions like saving one by one, keys repeated within and across chunks",
            arguments: [WritePolicy.overwrite, .ifNewer])
        func bulkLikeOneByOne(policy: WritePolicy) async throws {
            let log = ChunkLog()
            var configuration = try PostgresTokenStore.Configuration(url: try PostgresTestServer.urlWithFreshSchema())
            configuration.bulkChunkRows = 4
            var logger = log.capture.logger()
            logger.logLevel = .trace
            configuration.logger = logger
            let store = try await PostgresTokenStore(configuration: configuration)
            let reference = InMemoryTokenStore()

            // Into an empty table: copied straight in, every version 1.
            let fresh = [Self.tokenSet("x", 1), Self.tokenSet("y", 2), Self.tokenSet("z", 3)]
            #expect(try await store.saveTokenSets(fresh, policy: policy) == 3)
            _ = try await reference.saveTokenSets(fresh, policy: policy)
            #expect(log.direct == [true])

            let existing = [Self.tokenSet("a", 5), Self.tokenSet("d", 1)]
            _ = try await store.saveTokenSets(existing, policy: .overwrite)
            _ = try await reference.saveTokenSets(existing, policy: .overwrite)
            log.reset()
            let batch = [
                Self.tokenSet("a", 1, created: 9), Self.tokenSet("b", 2), Self.tokenSet("a", 7), Self.tokenSet("c", 3),
                Self.tokenSet("b", 1), Self.tokenSet("d", 9), Self.tokenSet("a", 8), Self.tokenSet("e", 1),
                Self.tokenSet("a", 6), Self.tokenSet("c", 4), Self.tokenSet("x", 9),
            ]
            let written = try await store.saveTokenSets(batch, policy: policy)
            #expect(written == (try await reference.saveTokenSets(batch, policy: policy)))
            #expect(log.chunks == [4, 4, 3])
            let stored = try await store.listTokenSets(after: nil, limit: 100).tokenSets
            #expect(stored == (try await reference.listTokenSets(after: nil, limit: 100).tokenSets))
            #expect(try await store.counts().tokenSets == 8)
            try await store.close()
        }

        @Test("a bulk save leaves a refresh lease alone, and its holder's compare-and-set then fails")
        func bulkSaveKeepsLease() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            let set = Self.tokenSet("leased", 1)
            try await store.saveTokenSet(set)
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "holder", duration: .seconds(30)))
            #expect(try await store.saveTokenSets([Self.tokenSet("leased", 2), Self.tokenSet("other", 1)], policy: .overwrite) == 2)
            #expect(!(try await store.acquireRefreshLease(for: set.key, owner: "intruder", duration: .seconds(30))))
            #expect(try await store.replaceTokenSet(set, ifVersion: 1) == nil)
            #expect(try await store.releaseRefreshLease(for: set.key, owner: "holder"))
            try await store.close()
        }

        @Test("staged token sets (secrets) do not outlive the call's transaction")
        func stagingEmptiedAtCommit() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=1"))
            let sets = (0..<7).map { Self.tokenSet("u\($0 % 5)", Double($0)) }
            // Stored keys and a repeated one: the batch goes through the staging table.
            _ = try await store.saveTokenSets(sets, policy: .overwrite)
            #expect(try await store.saveTokenSets(sets, policy: .overwrite) == 7)
            #expect(try await store.tokenSet(for: sets[0].key)?.version == 4)
            let rows = try await store.withConnection("test") { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "SELECT count(*) FROM pg_temp.\(PostgresStatements.tokenSetStage)", deadline: deadline)
            }
            #expect(rows.first?.first == "0")
            try await store.close()
        }

        @Test("stores with pools of their own race for one lease and one compare-and-set: exactly one wins each")
        func raceBetweenStores() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=4")
            var stores: [PostgresTokenStore] = []
            for _ in 0..<4 { stores.append(try await PostgresTokenStore(url: url)) }
            let set = Self.tokenSet("race", 1)
            try await stores[0].saveTokenSet(set)
            let contenders = stores
            let holders = try await withThrowingTaskGroup(of: Bool.self) { group in
                for (index, store) in contenders.enumerated() {
                    for task in 0..<8 {
                        group.addTask {
                            try await store.acquireRefreshLease(for: set.key, owner: "w\(index)-\(task)", duration: .seconds(30))
                        }
                    }
                }
                return try await group.reduce(0) { $0 + ($1 ? 1 : 0) }
            }
            #expect(holders == 1)
            let winners = try await withThrowingTaskGroup(of: Int64?.self) { group in
                for (index, store) in contenders.enumerated() {
                    for task in 0..<8 {
                        var attempt = set
                        attempt.accessToken = "writer-\(index)-\(task)"
                        group.addTask { try await store.replaceTokenSet(attempt, ifVersion: 1)?.version }
                    }
                }
                return try await group.reduce(into: [Int64]()) { if let version = $1 { $0.append(version) } }
            }
            #expect(winners == [2])
            // The winning write released the lease.
            #expect(try await stores[3].acquireRefreshLease(for: set.key, owner: "next", duration: .seconds(30)))
            for store in stores { try await store.close() }
        }

        @Test("NUL: a key that holds one names no token set; an owner or a field that holds one is refused before sending")
        func nul() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema())
            let key = AccessTokenKey(provider: "p", userID: "nul\u{0}")
            #expect(try await store.tokenSet(for: key) == nil)
            #expect(!(try await store.deleteTokenSet(for: key)))
            #expect(!(try await store.acquireRefreshLease(for: key, owner: "o", duration: .seconds(1))))
            #expect(!(try await store.releaseRefreshLease(for: key, owner: "o")))
            let set = Self.tokenSet("ok", 1)
            try await store.saveTokenSet(set)
            let owner = try #require(await storeError { _ = try await store.acquireRefreshLease(for: set.key, owner: "o\u{0}", duration: .seconds(1)) })
            #expect(owner.code == .invalidArgument)
            var bad = set
            bad.refreshToken = "r\u{0}"
            #expect(await storeError { try await store.saveTokenSet(bad) }?.code == .invalidArgument)
            #expect(await storeError { _ = try await store.replaceTokenSet(bad, ifVersion: 1) }?.code == .invalidArgument)
            #expect(await storeError { try await store.saveTokenSets([set, bad], policy: .overwrite) }?.code == .invalidArgument)
            #expect(try await store.tokenSet(for: set.key)?.version == 1)
            try await store.close()
        }
    }
}
