import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStoreRedis

/// A store spread over buckets (`buckets=8`, schema 4) against the single test Redis: the
/// whole conformance suite (the cross-process take race included), where its keys land,
/// and the schema keys that fix the bucket count. Runs beside the "Redis server" suite.
@Suite(
    "Redis spread layout", .serverTimeLimit,
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisSpreadLayoutTests {
    typealias Env = RedisTestEnvironment

    /// Deletes the keys of a store of any bucket count under `prefix`.
    static func removeKeys(prefix: String, using store: RedisTokenStore) async throws {
        for pattern in ["{\(prefix)}:*", "{\(prefix){*"] {
            let reply = try await store.rawCommand(["KEYS", pattern])
            guard case .array(let items) = reply, !items.isEmpty else { continue }
            let keys = items.compactMap { item -> [UInt8]? in if case .bulk(let bytes) = item { return bytes } else { return nil } }
            _ = try await store.rawCommand(bytes: [Array("DEL".utf8)] + keys)
        }
    }

    /// Every key under `prefix`, raw.
    static func keys(prefix: String, using store: RedisTokenStore) async throws -> [[UInt8]] {
        var keys: [[UInt8]] = []
        for pattern in ["{\(prefix)}:*", "{\(prefix){*"] {
            guard case .array(let items) = try await store.rawCommand(["KEYS", pattern]) else { continue }
            keys += items.compactMap { item -> [UInt8]? in if case .bulk(let bytes) = item { return bytes } else { return nil } }
        }
        return keys
    }

    static func open(_ prefix: String, _ extra: String = "buckets=8") async throws -> RedisTokenStore {
        try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: prefix, extra))
    }

    /// Opens a spread store (8 buckets) under a fresh prefix, runs `body`, cleans up.
    static func withSpreadStore(_ body: (RedisTokenStore, String) async throws -> Void) async throws {
        let prefix = Env.randomPrefix()
        let store = try await open(prefix)
        do {
            try await body(store, prefix)
        } catch {
            try? await removeKeys(prefix: prefix, using: store)
            try? await store.close()
            throw error
        }
        try await removeKeys(prefix: prefix, using: store)
        try await store.close()
    }

    @Test(arguments: TokenStoreConformance.caseNames)
    func conformance(case caseName: String) async throws {
        let prefix = Env.randomPrefix()
        let url = Env.url(try Env.requireACLURL(), prefix: prefix, "buckets=8")
        // Worker processes open the same URL, so `take` is raced across processes too; the
        // 30-second refresh race runs once per server, in the ACL configuration.
        try await TokenStoreConformance(name: "redis (8 buckets)", capabilities: .init(crossProcessURL: url, refreshRace: false)) { clock in
            try await RedisTokenStore(url: url, options: TokenStoreOptions(clock: clock))
        }.run(case: caseName)
        let cleaner = try await RedisTokenStore(url: url)
        try await Self.removeKeys(prefix: prefix, using: cleaner)
        try await cleaner.close()
    }

    @Test func keysSpreadOverTheBucketsAndListInKeyOrder() async throws {
        try await Self.withSpreadStore { store, prefix in
            #expect(store.layout.count == 8)
            #expect(try await store.schemaVersion() == RedisTokenStore.spreadSchemaVersion)
            #expect(try await store.rawCommand(["GET", "{\(prefix)}:buckets"]) == .bulk(Array("8".utf8)))
            let tokens = (0..<240).map { AccessToken(provider: "p\($0 % 3)", userID: "u\($0)", token: "t", secret: "s", createdAt: Date()) }
            #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == 240)
            let requests = (0..<40).map { RequestToken(provider: "p", token: "r\($0)", secret: "s", createdAt: Date(), timeToLive: .seconds(600)) }
            #expect(try await store.saveRequestTokens(requests) == 40)
            // Each record under the tag of its bucket; every bucket used.
            let layout = store.layout
            var perBucket = [Int](repeating: 0, count: 8)
            for token in tokens {
                let bucket = layout.bucket(of: token.key)
                perBucket[bucket] += 1
                #expect(try await store.rawCommand(bytes: [Array("EXISTS".utf8), layout.buckets[bucket].accessTokenKey(member: RedisKeyLayout.member(of: token.key))]) == .integer(1))
            }
            #expect(perBucket.allSatisfy { $0 > 10 }, "\(perBucket)")
            let tags = layout.buckets.map { Array($0.requestTokenPrefix.dropLast(3)) }
            #expect(Set(tags).count == 8)
            var baseKeys: Set<String> = []
            for key in try await Self.keys(prefix: prefix, using: store) where !tags.contains(where: { key.starts(with: $0) }) {
                baseKeys.insert(String(decoding: key, as: UTF8.self))
            }
            #expect(baseKeys == ["{\(prefix)}:schema", "{\(prefix)}:buckets"], "every other key lives in a bucket")
            #expect(Set(layout.buckets.map(\.slot)).count == 8)
            // Counts and counters sum over the buckets.
            let counts = try await store.counts()
            #expect(counts.accessTokens == 240 && counts.requestTokens == 40)
            #expect(try await store.countAccessTokensByProvider().byProvider == ["p0": 80, "p1": 80, "p2": 80])
            // Pages of any size list every key once, in key order.
            let expected = tokens.map(\.key).sorted()
            for limit in [1, 7, 1000] {
                var listed: [AccessTokenKey] = []
                var cursor: AccessTokenKey?
                repeat {
                    let page = try await store.listAccessTokens(after: cursor, limit: limit)
                    #expect(page.tokens.count <= limit)
                    listed += page.tokens.map(\.key)
                    cursor = page.nextCursor
                } while cursor != nil
                #expect(listed == expected, "limit \(limit)")
            }
            var names: [String] = []
            var cursor: String?
            repeat {
                let page = try await store.listRequestTokens(after: cursor, limit: 3)
                names += page.tokens.map(\.token)
                cursor = page.nextCursor
            } while cursor != nil
            #expect(names == requests.map(\.token).sorted())
            // An open without buckets= uses the stored count and sees the same tokens.
            let reader = try await Self.open(prefix, "")
            #expect(reader.layout.count == 8)
            #expect(try await reader.counts().accessTokens == 240)
            #expect(try await reader.takeRequestToken("r7")?.token == "r7")
            try await reader.close()
        }
    }

    @Test func storesCreatedAtOnceAgreeOnTheBucketCount() async throws {
        let prefix = Env.randomPrefix()
        let outcomes = await withTaskGroup(of: Result<Int, TokenStoreError>.self) { group in
            for index in 0..<6 {
                group.addTask {
                    do {
                        let store = try await Self.open(prefix, index % 2 == 0 ? "buckets=4" : "buckets=8")
                        let count = store.layout.count
                        try await store.close()
                        return .success(count)
                    } catch let error as TokenStoreError {
                        return .failure(error)
                    } catch {
                        return .failure(TokenStoreError(.internal, store: "", operation: "", message: "\(error)"))
                    }
                }
            }
            var outcomes: [Result<Int, TokenStoreError>] = []
            for await outcome in group { outcomes.append(outcome) }
            return outcomes
        }
        let store = try await Self.open(prefix, "")
        let stored = store.layout.count
        #expect(stored == 4 || stored == 8)
        #expect(try await store.rawCommand(["GET", "{\(prefix)}:buckets"]) == .bulk(Array(String(stored).utf8)))
        var opened = 0
        for outcome in outcomes {
            switch outcome {
            case .success(let count):
                #expect(count == stored)
                opened += 1
            case .failure(let error):
                #expect(error.code == .misconfigured, "\(error)")
            }
        }
        #expect(opened == 3, "the three asking for the stored count open, the others are refused")
        try await Self.removeKeys(prefix: prefix, using: store)
        try await store.close()
    }

    @Test func theBucketCountIsFixedAtCreation() async throws {
        try await Self.withSpreadStore { store, prefix in
            let other = await #expect(throws: TokenStoreError.self) { try await Self.open(prefix, "buckets=16") }
            #expect(other?.code == .misconfigured)
            #expect(other?.message.contains("8 buckets") == true && other?.message.contains("buckets=16") == true)
            let one = await #expect(throws: TokenStoreError.self) { try await Self.open(prefix, "buckets=1") }
            #expect(one?.code == .misconfigured)
            // A missing or garbled count is a damaged store, named by its key.
            for damage in [["DEL", "{\(prefix)}:buckets"], ["SET", "{\(prefix)}:buckets", "eight"], ["SET", "{\(prefix)}:buckets", "1"]] {
                _ = try await store.rawCommand(damage)
                for extra in ["", "buckets=8"] {
                    let error = await #expect(throws: TokenStoreError.self) { try await Self.open(prefix, extra) }
                    #expect(error?.code == .corruptedRecord)
                    #expect(error?.record == "{\(prefix)}:buckets")
                }
            }
            _ = try await store.rawCommand(["SET", "{\(prefix)}:buckets", "8"])
            try await Self.open(prefix, "").close()
        }
        // A single-tag store (schema 3) refuses buckets= above 1, takes buckets=1.
        try await Env.withStore(url: try Env.requireACLURL()) { store, prefix in
            let error = await #expect(throws: TokenStoreError.self) { try await Self.open(prefix, "buckets=8") }
            #expect(error?.code == .misconfigured)
            #expect(error?.message.contains("1 bucket") == true && error?.message.contains("buckets=8") == true)
            let same = try await Self.open(prefix, "buckets=1")
            #expect(same.layout.count == 1)
            try await same.close()
            #expect(try await store.schemaVersion() == 3)
            #expect(try await store.rawCommand(["EXISTS", "{\(prefix)}:buckets"]) == .integer(0))
        }
    }

    @Test func bucketsOneWritesTheSingleTagLayout() async throws {
        let prefix = Env.randomPrefix()
        let store = try await Self.open(prefix, "buckets=1")
        try await store.saveRequestToken(RequestToken(provider: "p", token: "k", secret: "s", createdAt: Date(), timeToLive: .seconds(600)))
        try await store.saveAccessToken(AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: Date()))
        #expect(try await store.schemaVersion() == 3)
        let keys = try await Self.keys(prefix: prefix, using: store).map { String(decoding: $0, as: UTF8.self) }.sorted()
        #expect(
            keys == ["{\(prefix)}:at:p\u{0}u", "{\(prefix)}:idx:at", "{\(prefix)}:idx:at:count", "{\(prefix)}:idx:rt:expiry",
                     "{\(prefix)}:idx:rt:lex", "{\(prefix)}:rt:k", "{\(prefix)}:schema"])
        try await Self.removeKeys(prefix: prefix, using: store)
        try await store.close()
    }

    @Test func urlParameter() throws {
        #expect(try RedisTokenStore.Configuration(url: "redis://h/0").buckets == nil)
        let spread = try RedisTokenStore.Configuration(url: "redis://h/0?buckets=48")
        #expect(spread.buckets == 48)
        #expect(spread.description == "redis://h:6379/0?buckets=48")
        for bad in ["0", "1025", "x", "-1"] {
            let error = #expect(throws: TokenStoreError.self) { try RedisTokenStore.Configuration(url: "redis://h/0?buckets=\(bad)") }
            #expect(error?.code == .misconfigured)
        }
    }
}
