import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// Token sets as Redis holds them: the lease as hash fields, and damaged hashes (written
/// behind the store's back) reported as `corruptedRecord` naming the token set, never a
/// trap, never a secret, nothing written.
@Suite(
    "Redis token sets: layout and damaged records", .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisTokenSetLayoutTests {
    typealias Env = RedisTestEnvironment
    static let secret = "TOKENSET-SECRET-must-not-leak"

    static func tokenSet(_ user: String) -> OAuth2TokenSet {
        OAuth2TokenSet(provider: "p", userID: user, accessToken: secret, refreshToken: secret, createdAt: Date())
    }

    static func hashKey(_ store: RedisTokenStore, _ user: String) -> String {
        String(decoding: store.keys.tokenSetKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: "p", userID: user))), as: UTF8.self)
    }

    static func expectCorrupted(_ error: TokenStoreError?, operation: String) {
        #expect(error?.code == .corruptedRecord, "\(String(describing: error))")
        #expect(error?.record == "token set p/victim", "\(error?.record ?? "no record")")
        #expect(error?.operation == operation)
        #expect(!(error.map { String(reflecting: $0) } ?? "").contains(secret))
    }

    /// Every operation on the damaged key `p/victim`: each is `corruptedRecord`.
    static func expectEveryOperationRefuses(_ store: RedisTokenStore) async throws {
        let key = AccessTokenKey(provider: "p", userID: "victim")
        let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: key) }
        expectCorrupted(read, operation: "tokenSet")
        let save = await #expect(throws: TokenStoreError.self) { try await store.saveTokenSet(Self.tokenSet("victim")) }
        expectCorrupted(save, operation: "saveTokenSet")
        let replace = await #expect(throws: TokenStoreError.self) { _ = try await store.replaceTokenSet(Self.tokenSet("victim"), ifVersion: 1) }
        expectCorrupted(replace, operation: "replaceTokenSet")
        let lease = await #expect(throws: TokenStoreError.self) {
            _ = try await store.acquireRefreshLease(for: key, owner: "w", duration: .seconds(5))
        }
        expectCorrupted(lease, operation: "acquireRefreshLease")
        #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion, "the connection stays usable")
    }

    @Test("the lease lives in the token set's hash: a save keeps it, a compare-and-set and a delete remove it")
    func leaseFields() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            let set = Self.tokenSet("lease")
            let hash = Self.hashKey(store, "lease")
            try await store.saveTokenSet(set)
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "w1", duration: .seconds(30)))
            #expect(try await store.rawCommand(["HGET", hash, "lease_owner"]) == .bulk(Array("w1".utf8)))
            try await store.saveTokenSet(set)
            #expect(try await store.rawCommand(["HGET", hash, "lease_owner"]) == .bulk(Array("w1".utf8)))
            #expect(try await store.rawCommand(["HGET", hash, "version"]) == .bulk(Array("2".utf8)))
            #expect(try await store.replaceTokenSet(set, ifVersion: 2)?.version == 3)
            #expect(try await store.rawCommand(["HEXISTS", hash, "lease_owner"]) == .integer(0))
            #expect(try await store.rawCommand(["HEXISTS", hash, "lease_expires_at"]) == .integer(0))
            #expect(try await store.acquireRefreshLease(for: set.key, owner: "w2", duration: .seconds(30)))
            #expect(try await store.deleteTokenSet(for: set.key))
            #expect(try await store.rawCommand(["EXISTS", hash]) == .integer(0))
        }
    }

    @Test("a save drops the optional fields the new token set lacks")
    func saveReplacesEveryField() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            var set = Self.tokenSet("fields")
            set.scope = "a b"
            set.metadata = ["x": "1"]
            try await store.saveTokenSet(set)
            set.scope = nil
            set.refreshToken = nil
            set.metadata = [:]
            try await store.saveTokenSet(set)
            var expected = set
            expected.version = 2
            #expect(try await store.tokenSet(for: set.key) == expected)
        }
    }

    @Test("a token-set hash without its version is corruptedRecord for every operation", arguments: ["version", "created_at"])
    func missingField(field: String) async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveTokenSet(Self.tokenSet("victim"))
            _ = try await store.rawCommand(["HDEL", Self.hashKey(store, "victim"), field])
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: AccessTokenKey(provider: "p", userID: "victim")) }
            Self.expectCorrupted(read, operation: "tokenSet")
            let save = await #expect(throws: TokenStoreError.self) { try await store.saveTokenSet(Self.tokenSet("victim")) }
            Self.expectCorrupted(save, operation: "saveTokenSet")
            if field == "version" { try await Self.expectEveryOperationRefuses(store) }
        }
    }

    @Test("a string or list where a token set's hash belongs is corruptedRecord", arguments: ["string", "list"])
    func wrongType(kind: String) async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            let key = Self.hashKey(store, "victim")
            _ = try await store.rawCommand(kind == "string" ? ["SET", key, Self.secret] : ["RPUSH", key, "a", "b"])
            try await Self.expectEveryOperationRefuses(store)
        }
    }

    @Test("a token set's hash copied to another key is refused on read")
    func copiedHash() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveTokenSet(Self.tokenSet("other"))
            _ = try await store.rawCommand(["COPY", Self.hashKey(store, "other"), Self.hashKey(store, "victim")])
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: AccessTokenKey(provider: "p", userID: "victim")) }
            Self.expectCorrupted(read, operation: "tokenSet")
        }
    }

    @Test("a lease without a readable expiry is corruptedRecord for another owner, and out-of-range dates are refused")
    func damagedLeaseAndDates() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            let key = AccessTokenKey(provider: "p", userID: "victim")
            try await store.saveTokenSet(Self.tokenSet("victim"))
            _ = try await store.rawCommand(["HSET", Self.hashKey(store, "victim"), "lease_owner", "w1", "lease_expires_at", "soon"])
            let lease = await #expect(throws: TokenStoreError.self) {
                _ = try await store.acquireRefreshLease(for: key, owner: "w2", duration: .seconds(5))
            }
            Self.expectCorrupted(lease, operation: "acquireRefreshLease")
            #expect(try await store.releaseRefreshLease(for: key, owner: "w1"), "its owner can still release it")
            _ = try await store.rawCommand(["HSET", Self.hashKey(store, "victim"), "expires_at", "9223372036854775807"])
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.tokenSet(for: key) }
            Self.expectCorrupted(read, operation: "tokenSet")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listTokenSets(after: nil, limit: 10) }
            Self.expectCorrupted(list, operation: "listTokenSets")
        }
    }
}
