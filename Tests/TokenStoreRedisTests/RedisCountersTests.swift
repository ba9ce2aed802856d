import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

/// The per-provider counters: kept by every write, and built once for a store written by
/// schema 1 (no counters), also while other clients write.
@Suite(
    "Redis per-provider counters", .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisCountersTests {
    typealias Env = RedisTestEnvironment

    static func token(_ provider: String, _ user: Int) -> AccessToken {
        AccessToken(provider: provider, userID: "u\(user)", token: "t\(user)", secret: "s\(user)", createdAt: Date())
    }

    /// The counts a full listing gives: what the counters must equal.
    static func listedCounts(_ store: RedisTokenStore) async throws -> [String: Int] {
        var counts: [String: Int] = [:]
        var cursor: AccessTokenKey?
        repeat {
            let page = try await store.listAccessTokens(after: cursor, limit: 500)
            for token in page.tokens { counts[token.provider, default: 0] += 1 }
            cursor = page.nextCursor
        } while cursor != nil
        return counts
    }

    /// Makes the store look written by schema 1: no counters, schema key "1".
    static func downgrade(_ store: RedisTokenStore, prefix: String) async throws {
        _ = try await store.rawCommand(["DEL", "{\(prefix)}:idx:at:count", "{\(prefix)}:idx:at:count:cursor"])
        _ = try await store.rawCommand(["SET", "{\(prefix)}:schema", "1"])
    }

    @Test("a new store counts from its first write; a provider with a NUL byte keeps its name")
    func countersFollowWrites() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, _: String) async throws -> Void in
            let providers = ["p", "p\u{0}q", "r"]
            var tokens: [AccessToken] = []
            for (index, provider) in providers.enumerated() {
                for user in 0..<(index + 2) { tokens.append(Self.token(provider, user)) }
            }
            // More than one script call and one round trip.
            for user in 0..<1_234 { tokens.append(Self.token("bulk", user)) }
            #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == tokens.count)
            #expect(try await store.saveAccessTokens(tokens, policy: .ifNewer) == 0)
            #expect(try await store.countAccessTokensByProvider().byProvider == ["p": 2, "p\u{0}q": 3, "r": 4, "bulk": 1_234])
            #expect(try await store.deleteAccessToken(for: AccessTokenKey(provider: "p\u{0}q", userID: "u0")))
            #expect(try await store.countAccessTokensByProvider().byProvider == (try await Self.listedCounts(store)))
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion)
        }
    }

    @Test("a schema-1 store gets its counters built on first count, then records the current schema")
    func schemaOneStoreIsUpgraded() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let tokens = (0..<300).map { Self.token("p\($0 % 3)", $0) }
            try await store.saveAccessTokens(tokens, policy: .overwrite)
            try await Self.downgrade(store, prefix: prefix)
            #expect(try await store.schemaVersion() == 1)
            // Writes of a schema-1 store before the rebuild leave garbage the rebuild resets.
            try await store.saveAccessToken(Self.token("p0", 1_000))
            let counts = try await store.countAccessTokensByProvider(rebuildStep: 7)
            #expect(counts.byProvider == ["p0": 101, "p1": 100, "p2": 100])
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion)
            #expect(try await store.rawCommand(["EXISTS", "{\(prefix)}:idx:at:count:cursor"]) == .integer(0))
        }
    }

    @Test("writes during a stepwise rebuild are counted exactly once")
    func rebuildUnderConcurrentWrites() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let initial = (0..<600).map { Self.token("p\($0 % 4)", $0) }
            try await store.saveAccessTokens(initial, policy: .overwrite)
            try await Self.downgrade(store, prefix: prefix)
            try await withThrowingTaskGroup(of: Void.self) { group in
                group.addTask {
                    // Steps of 5 members: ~120 steps, interleaved with the writers below.
                    _ = try await store.countAccessTokensByProvider(rebuildStep: 5)
                }
                for writer in 0..<3 {
                    group.addTask {
                        for round in 0..<60 {
                            let user = 1_000 + writer * 100 + round
                            // Inserts on both sides of the rebuild's cursor, updates, deletes.
                            try await store.saveAccessToken(Self.token("p\(round % 4)", user))
                            try await store.saveAccessToken(Self.token("a-first", user))
                            try await store.saveAccessToken(Self.token("z-last", user))
                            try await store.saveAccessToken(initial[(round * 7 + writer) % initial.count])
                            try await store.deleteAccessToken(for: initial[(round * 11 + writer * 3) % initial.count].key)
                            try await store.deleteAccessToken(for: AccessTokenKey(provider: "a-first", userID: "u\(user - 1)"))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let counts = try await store.countAccessTokensByProvider()
            #expect(counts.byProvider == (try await Self.listedCounts(store)))
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion)
        }
    }

    @Test("a counter that is not a count is a corrupted record naming the key")
    func damagedCounter() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            try await store.saveAccessToken(Self.token("p", 1))
            _ = try await store.rawCommand(["HSET", "{\(prefix)}:idx:at:count", "p", "many"])
            let error = await #expect(throws: TokenStoreError.self) { try await store.countAccessTokensByProvider() }
            #expect(error?.code == .corruptedRecord)
            #expect(error?.record?.contains("idx:at:count") == true)
        }
    }
}
