import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// Schema 3 (token sets) over stores written by earlier releases: a store at 2 (tokens and
/// counters) is raised on open without a token touched; a store at 1 keeps its version
/// until its counters are built, then records 3; a newer store is refused.
@Suite(
    "Redis schema upgrade to token sets", .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisSchemaUpgradeTests {
    typealias Env = RedisTestEnvironment

    static func accessToken(_ provider: String, _ user: Int) -> AccessToken {
        AccessToken(
            provider: provider, userID: "u\(user)", token: "t\(user)", secret: "s\(user)", screenName: "n\(user)",
            createdAt: Date(timeIntervalSince1970: 1_700_000_000 + Double(user)), metadata: ["k": "v\(user)"])
    }

    static func tokenSet(_ user: String) -> OAuth2TokenSet {
        OAuth2TokenSet(
            provider: "p0", userID: user, accessToken: "oa-\(user)", refreshToken: "or-\(user)", createdAt: Date(timeIntervalSince1970: 1_700_000_000))
    }

    /// Fills a store with tokens as an earlier release wrote them (the access- and
    /// request-token layout did not change), then sets the schema key to `version`; at 1
    /// the counters are gone too, as schema 1 had none.
    static func writeEarlierStore(_ store: RedisTokenStore, prefix: String, version: Int) async throws -> [AccessToken] {
        let tokens = (0..<120).map { Self.accessToken("p\($0 % 3)", $0) }
        try await store.saveAccessTokens(tokens, policy: .overwrite)
        for index in 0..<3 {
            try await store.saveRequestToken(
                RequestToken(provider: "p0", token: "rt-\(index)", secret: "rs-\(index)", createdAt: Date(), timeToLive: .seconds(600)))
        }
        if version < 2 {
            _ = try await store.rawCommand(["DEL", "{\(prefix)}:idx:at:count", "{\(prefix)}:idx:at:count:cursor"])
        }
        _ = try await store.rawCommand(["SET", "{\(prefix)}:schema", String(version)])
        return tokens
    }

    /// Every key under `prefix` but the schema key, with its serialized value (`DUMP`).
    static func snapshot(_ store: RedisTokenStore, prefix: String) async throws -> [String: RedisReply] {
        guard case .array(let items) = try await store.rawCommand(["KEYS", "{\(prefix)}:*"]) else { return [:] }
        var values: [String: RedisReply] = [:]
        for case .bulk(let bytes) in items {
            let key = String(decoding: bytes, as: UTF8.self)
            if key == "{\(prefix)}:schema" { continue }
            values[key] = try await store.rawCommand(bytes: [Array("DUMP".utf8), bytes])
        }
        return values
    }

    static func open(_ prefix: String) async throws -> RedisTokenStore {
        try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: prefix))
    }

    /// Token sets work on the store: save, read, compare-and-set, lease.
    static func checkTokenSets(_ store: RedisTokenStore) async throws {
        let set = Self.tokenSet("upgraded")
        #expect(try await store.saveTokenSet(set))
        #expect(try await store.tokenSet(for: set.key)?.version == 1)
        #expect(try await store.acquireRefreshLease(for: set.key, owner: "w1", duration: .seconds(30)))
        #expect(try await store.replaceTokenSet(set, ifVersion: 1)?.version == 2)
        #expect(try await store.counts().tokenSets == 1)
    }

    @Test("a store of schema 2 full of tokens is raised to 3 on open, every token identical")
    func schemaTwoIsRaisedOnOpen() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (writer: RedisTokenStore, prefix: String) async throws -> Void in
            let tokens = try await Self.writeEarlierStore(writer, prefix: prefix, version: 2)
            #expect(try await writer.schemaVersion() == 2)
            let before = try await Self.snapshot(writer, prefix: prefix)
            let store = try await Self.open(prefix)
            do {
                #expect(try await store.schemaVersion() == 3)
                #expect(try await Self.snapshot(store, prefix: prefix) == before, "opening changed a token's key")
                for token in tokens { #expect(try await store.accessToken(for: token.key) == token) }
                #expect(try await store.listAccessTokens(after: nil, limit: 1000).tokens == tokens.sorted { $0.key < $1.key })
                #expect(try await store.countAccessTokensByProvider().byProvider == ["p0": 40, "p1": 40, "p2": 40])
                #expect(try await store.counts() == TokenCounts(requestTokens: 3, accessTokens: 120, tokenSets: 0))
                try await Self.checkTokenSets(store)
                #expect(try await store.takeRequestToken("rt-1")?.secret == "rs-1")
                #expect(try await store.schemaVersion() == 3)
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    @Test("stores opening a schema-2 store at once all open, and it is raised once")
    func concurrentOpens() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (writer: RedisTokenStore, prefix: String) async throws -> Void in
            _ = try await Self.writeEarlierStore(writer, prefix: prefix, version: 2)
            let before = try await Self.snapshot(writer, prefix: prefix)
            let versions = try await withThrowingTaskGroup(of: Int.self) { group in
                for _ in 0..<8 {
                    group.addTask {
                        let store = try await Self.open(prefix)
                        let version = try await store.schemaVersion()
                        try await store.close()
                        return version
                    }
                }
                return try await group.reduce(into: [Int]()) { $0.append($1) }
            }
            #expect(versions == Array(repeating: 3, count: 8))
            #expect(try await Self.snapshot(writer, prefix: prefix) == before)
        }
    }

    @Test("a store of schema 1 keeps its version until its counters are built, then records 3")
    func schemaOneIsUpgradedByTheCounterRebuild() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (writer: RedisTokenStore, prefix: String) async throws -> Void in
            let tokens = try await Self.writeEarlierStore(writer, prefix: prefix, version: 1)
            let store = try await Self.open(prefix)
            do {
                // Raising it now would skip the counters schema 2 added.
                #expect(try await store.schemaVersion() == 1)
                try await Self.checkTokenSets(store)
                #expect(try await store.countAccessTokensByProvider(rebuildStep: 7).byProvider == ["p0": 40, "p1": 40, "p2": 40])
                #expect(try await store.schemaVersion() == 3)
                for token in tokens { #expect(try await store.accessToken(for: token.key) == token) }
            } catch {
                try? await store.close()
                throw error
            }
            try await store.close()
        }
    }

    @Test("a schema key above 4 (4: spread over buckets) is refused as schemaTooNew and left as it is")
    func newerSchemaIsRefused() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            #expect(try await store.schemaVersion() == 3)
            _ = try await store.rawCommand(["SET", "{\(prefix)}:schema", "5"])
            let error = await #expect(throws: TokenStoreError.self) { _ = try await Self.open(prefix) }
            #expect(error?.code == .schemaTooNew)
            #expect(try await store.rawCommand(["GET", "{\(prefix)}:schema"]) == .bulk(Array("5".utf8)))
        }
    }
}
