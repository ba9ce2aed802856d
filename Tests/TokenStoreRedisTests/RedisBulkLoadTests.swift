import Foundation
import Synchronization
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

/// Bulk saves of records that do not exist yet go through `WATCH` + `MULTI`/`EXEC`
/// instead of the upsert script: they must write exactly what the script writes, fall back
/// to the script whenever something is stored or changes under them, keep the counters
/// exact, and never hand a pooled connection back with watched keys.
@Suite(
    "Redis bulk load without the script", .serverTimeLimit,
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisBulkLoadTests {
    typealias Env = RedisTestEnvironment

    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    /// Counts calls: 0, 1, 2, ...
    final class Counter: Sendable {
        private let calls = Atomic<Int>(0)
        func next() -> Int { calls.add(1, ordering: .relaxed).oldValue }
        var count: Int { calls.load(ordering: .relaxed) }
    }

    /// True the first time only.
    final class Once: Sendable {
        private let fired = Atomic<Bool>(false)
        func first() -> Bool { !fired.exchange(true, ordering: .relaxed) }
    }

    /// `count` tokens over four providers (one with a NUL byte), with every optional field
    /// in some of them and `createdAt` before `updatedAt`.
    static func tokens(_ count: Int, updated: Date = created + 60, secret: String = "s") -> [AccessToken] {
        let providers = ["p0", "p1", "p\u{0}nul", "p3"]
        return (0..<count).map { index in
            AccessToken(
                provider: providers[index % providers.count], userID: "u\(index)", token: "t\(index)",
                secret: "\(secret)\(index)", screenName: index % 3 == 0 ? "name\(index)" : nil,
                accessType: index % 5 == 0 ? "read" : nil, createdAt: created + Double(index % 7), updatedAt: updated,
                metadata: index % 4 == 0 ? ["plan": "pro", "z": "\(index)"] : [:])
        }
    }

    /// Per provider, how many of `tokens` have distinct keys.
    static func expectedCounts(_ tokens: [AccessToken]) -> [String: Int] {
        var counts: [String: Int] = [:]
        for key in Set(tokens.map(\.key)) { counts[key.provider, default: 0] += 1 }
        return counts
    }

    static func recordKey(_ key: AccessTokenKey, _ store: RedisTokenStore) -> [UInt8] {
        store.keys.accessTokenKey(member: RedisKeyLayout.member(of: key))
    }

    /// Everything a store holds for `keys`, as the server returns it: each record's
    /// `HGETALL` (field order included), the index, and the counters as field/value pairs.
    static func rawState(_ store: RedisTokenStore, keys: [AccessTokenKey]) async throws -> (
        records: [RedisReply], index: RedisReply, counters: [[UInt8]: [UInt8]]
    ) {
        var records: [RedisReply] = []
        for key in keys {
            records.append(try await store.rawCommand(bytes: [Array("HGETALL".utf8), recordKey(key, store)]))
        }
        let index = try await store.rawCommand(bytes: [Array("ZRANGE".utf8), store.keys.accessIndex, Array("0".utf8), Array("-1".utf8)])
        let reply = try await store.rawCommand(bytes: [Array("HGETALL".utf8), store.keys.accessCounts])
        var counters: [[UInt8]: [UInt8]] = [:]
        guard case .array(let items) = reply else {
            Issue.record("counters are not a hash: \(reply)")
            return (records, index, counters)
        }
        var position = 0
        while position + 1 < items.count {
            if case .bulk(let field) = items[position], case .bulk(let value) = items[position + 1] { counters[field] = value }
            position += 2
        }
        return (records, index, counters)
    }

    /// Opens a second client of the same store (another connection, as another process).
    static func otherClient(of prefix: String) async throws -> RedisTokenStore {
        try await RedisTokenStore(url: Env.url(try Env.requireACLURL(), prefix: prefix))
    }

    @Test("records, index and counters are byte for byte what the script writes", arguments: [WritePolicy.overwrite, .ifNewer])
    func writesWhatTheScriptWrites(policy: WritePolicy) async throws {
        let tokens = Self.tokens(1_150)
        let keys = tokens.map(\.key)
        let base = try Env.requireACLURL()
        try await Env.withStore(url: base) { (scripted: RedisTokenStore, _: String) async throws -> Void in
            try await Env.withStore(url: base) { (loaded: RedisTokenStore, _: String) async throws -> Void in
                let scriptProbe = RedisBulkLoadProbe(scriptOnly: true)
                let written = try await RedisTokenStore.$bulkLoadProbe.withValue(scriptProbe) {
                    try await scripted.saveAccessTokens(tokens, policy: policy)
                }
                #expect(written == tokens.count)
                #expect(scriptProbe.loaded.load(ordering: .relaxed) == 0)

                let loadProbe = RedisBulkLoadProbe()
                let loadedCount = try await RedisTokenStore.$bulkLoadProbe.withValue(loadProbe) {
                    try await loaded.saveAccessTokens(tokens, policy: policy)
                }
                #expect(loadedCount == tokens.count)
                // 1,150 tokens: chunks of 500, 500 and 150, none stored before.
                #expect(loadProbe.loaded.load(ordering: .relaxed) == 3)
                #expect(loadProbe.fallbacks.load(ordering: .relaxed) == 0)

                let expected = try await Self.rawState(scripted, keys: keys)
                let actual = try await Self.rawState(loaded, keys: keys)
                #expect(actual.records == expected.records)
                #expect(actual.index == expected.index)
                #expect(actual.counters == expected.counters)
                #expect(try await loaded.countAccessTokensByProvider().byProvider == Self.expectedCounts(tokens))
                for token in tokens.prefix(40) {
                    #expect(try await loaded.accessToken(for: token.key) == token)
                }
            }
        }
    }

    @Test("a record written by another client between WATCH and EXEC sends the chunk to the script")
    func raceFallsBackToTheScript() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let other = try await Self.otherClient(of: prefix)
            let tokens = Self.tokens(700)
            // The other client writes an older version of token 3 and a newer one of token 9.
            var older = tokens[3]
            older.secret = "older"
            older.createdAt = Self.created - 1_000
            older.updatedAt = Self.created
            var newer = tokens[9]
            newer.secret = "newer"
            newer.updatedAt = Self.created + 3_600
            let raced = [older, newer]
            let once = Once()
            let probe = RedisBulkLoadProbe(beforeTransaction: {
                guard once.first() else { return }
                try await other.saveAccessTokens(raced, policy: .overwrite)
            })
            let written = try await RedisTokenStore.$bulkLoadProbe.withValue(probe) {
                try await store.saveAccessTokens(tokens, policy: .ifNewer)
            }
            try await other.close()
            // Token 9 stays the other client's newer one; everything else is the batch's.
            #expect(written == tokens.count - 1)
            #expect(probe.fallbacks.load(ordering: .relaxed) == 1)
            #expect(probe.loaded.load(ordering: .relaxed) == 1)
            var expected = tokens
            expected[3].createdAt = older.createdAt
            expected[9] = newer
            for token in expected {
                #expect(try await store.accessToken(for: token.key) == token)
            }
            #expect(try await store.countAccessTokensByProvider().byProvider == Self.expectedCounts(tokens))
            #expect(try await store.rawCommand(bytes: [Array("ZCARD".utf8), store.keys.accessIndex]) == .integer(700))
        }
    }

    @Test("any new access token of the store in the window aborts the chunk; a call stops trying after two")
    func unrelatedWritesAbortAndTheCallGivesUp() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let other = try await Self.otherClient(of: prefix)
            let tokens = Self.tokens(1_200)
            let unrelated = (0..<3).map { AccessToken(provider: "elsewhere", userID: "x\($0)", token: "t", secret: "s", createdAt: Self.created) }
            let counter = Counter()
            let probe = RedisBulkLoadProbe(beforeTransaction: {
                let next = counter.next()
                try await other.saveAccessToken(unrelated[next], policy: .overwrite)
            })
            let written = try await RedisTokenStore.$bulkLoadProbe.withValue(probe) {
                try await store.saveAccessTokens(tokens, policy: .overwrite)
            }
            try await other.close()
            #expect(written == tokens.count)
            // Chunks 1 and 2 raced and went to the script; chunk 3 was not offered.
            #expect(probe.fallbacks.load(ordering: .relaxed) == 2)
            #expect(probe.loaded.load(ordering: .relaxed) == 0)
            #expect(counter.count == 2)
            for token in tokens.prefix(10) + tokens.suffix(10) {
                #expect(try await store.accessToken(for: token.key) == token)
            }
            var expected = Self.expectedCounts(tokens)
            expected["elsewhere"] = 2
            #expect(try await store.countAccessTokensByProvider().byProvider == expected)
        }
    }

    @Test("stored records, an index entry without its record, or a token named twice go to the script")
    func storedStateGoesToTheScript() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, _: String) async throws -> Void in
            let tokens = Self.tokens(1_300, updated: Self.created + 60)
            // An index entry whose record is gone (damage): counted already, not again.
            let orphan = tokens[1_250]
            _ = try await store.rawCommand(bytes: [
                Array("ZADD".utf8), store.keys.accessIndex, Array("0".utf8), RedisKeyLayout.member(of: orphan.key),
            ])
            _ = try await store.rawCommand(bytes: [
                Array("HINCRBY".utf8), store.keys.accessCounts, RedisKeyLayout.counterField(ofProvider: orphan.provider),
                Array("1".utf8),
            ])
            // Chunk 1: new, with token 7 twice (the later, older copy must lose).
            var stale = tokens[7]
            stale.secret = "stale"
            stale.updatedAt = Self.created
            let first = Array(tokens[0..<499]) + [stale]
            let firstProbe = RedisBulkLoadProbe()
            _ = try await RedisTokenStore.$bulkLoadProbe.withValue(firstProbe) {
                try await store.saveAccessTokens(first, policy: .ifNewer)
            }
            #expect(firstProbe.loaded.load(ordering: .relaxed) == 0)
            #expect(firstProbe.fallbacks.load(ordering: .relaxed) == 1)
            #expect(try await store.accessToken(for: tokens[7].key) == tokens[7])

            // Then 500..<1,000 new (loaded) and 1,000..<1,300 holding the orphan (script).
            let secondProbe = RedisBulkLoadProbe()
            _ = try await RedisTokenStore.$bulkLoadProbe.withValue(secondProbe) {
                try await store.saveAccessTokens(Array(tokens[500...]), policy: .overwrite)
            }
            #expect(secondProbe.loaded.load(ordering: .relaxed) == 1)
            #expect(secondProbe.fallbacks.load(ordering: .relaxed) == 1)

            // Everything again, newer: stored records, the script from the first chunk on.
            let again = Self.tokens(1_300, updated: Self.created + 120, secret: "again")
            let thirdProbe = RedisBulkLoadProbe()
            let written = try await RedisTokenStore.$bulkLoadProbe.withValue(thirdProbe) {
                try await store.saveAccessTokens(again, policy: .ifNewer)
            }
            #expect(written == again.count)
            #expect(thirdProbe.loaded.load(ordering: .relaxed) == 0)
            #expect(thirdProbe.fallbacks.load(ordering: .relaxed) == 1)
            for token in again.prefix(20) + again.suffix(60) {
                #expect(try await store.accessToken(for: token.key) == token)
            }
            #expect(try await store.countAccessTokensByProvider().byProvider == Self.expectedCounts(tokens))
        }
    }

    /// Makes a watched key change from another client, then runs a `MULTI`/`EXEC` of the
    /// store on its only connection: it aborts if that connection still watches the key.
    static func expectConnectionClean(_ store: RedisTokenStore, prefix: String, watched key: AccessTokenKey) async throws {
        let other = try await otherClient(of: prefix)
        _ = try await other.rawCommand(bytes: [Array("HSET".utf8), recordKey(key, store), Array("f".utf8), Array("v".utf8)])
        _ = try await other.rawCommand(bytes: [Array("DEL".utf8), recordKey(key, store)])
        try await other.close()
        try await store.saveRequestToken(
            RequestToken(provider: "p", token: "rt-after-error", secret: "s", createdAt: Date(), timeToLive: .seconds(600)))
        #expect(try await store.countAccessTokensByProvider().byProvider.isEmpty)
        let tokens = tokens(200)
        #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == tokens.count)
        #expect(try await store.countAccessTokensByProvider().byProvider == expectedCounts(tokens))
    }

    @Test("an error reply after WATCH leaves the only pooled connection unwatched")
    func errorReplyLeavesConnectionClean() async throws {
        try await Env.withStore(url: try Env.requireACLURL(), extra: "pool_max=1") { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let tokens = Self.tokens(300)
            // An index of the wrong type: ZMSCORE fails after WATCH succeeded.
            _ = try await store.rawCommand(bytes: [Array("SET".utf8), store.keys.accessIndex, Array("x".utf8)])
            await #expect(throws: TokenStoreError.self) {
                try await store.saveAccessTokens(tokens, policy: .overwrite)
            }
            _ = try await store.rawCommand(bytes: [Array("DEL".utf8), store.keys.accessIndex])
            try await Self.expectConnectionClean(store, prefix: prefix, watched: tokens[0].key)
        }
    }

    @Test("a failure between WATCH and MULTI leaves the only pooled connection unwatched")
    func failureBeforeTransactionLeavesConnectionClean() async throws {
        struct Interrupted: Error {}
        try await Env.withStore(url: try Env.requireACLURL(), extra: "pool_max=1") { (store: RedisTokenStore, prefix: String) async throws -> Void in
            let tokens = Self.tokens(300)
            let probe = RedisBulkLoadProbe(beforeTransaction: { throw Interrupted() })
            await #expect(throws: Interrupted.self) {
                try await RedisTokenStore.$bulkLoadProbe.withValue(probe) {
                    try await store.saveAccessTokens(tokens, policy: .overwrite)
                }
            }
            #expect(try await store.rawCommand(bytes: [Array("EXISTS".utf8), Self.recordKey(tokens[0].key, store)]) == .integer(0))
            try await Self.expectConnectionClean(store, prefix: prefix, watched: tokens[0].key)
        }
    }
}
