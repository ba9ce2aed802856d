import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// Records damaged behind the store's back with raw commands: timestamps out of range, a
/// record copied onto another token's key, keys of the wrong Redis type. Each must be
/// `corruptedRecord` naming the record, never a trap, never another token's secret.
@Suite(
    "Redis damaged records", .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisDamagedRecordTests {
    typealias Env = RedisTestEnvironment
    static let otherSecret = "OTHER-SECRET-must-not-leak"
    static let victimSecret = "VICTIM-SECRET"

    static func accessToken(_ user: String, secret: String) -> AccessToken {
        AccessToken(provider: "p", userID: user, token: "token-\(user)", secret: secret, createdAt: Date())
    }

    static func requestToken(_ token: String, secret: String) -> RequestToken {
        RequestToken(provider: "p", token: token, secret: secret, createdAt: Date(), timeToLive: .seconds(600))
    }

    static func accessKey(_ store: RedisTokenStore, _ user: String) -> String {
        String(decoding: store.keys.accessTokenKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: "p", userID: user))), as: UTF8.self)
    }

    static func requestKey(_ store: RedisTokenStore, _ token: String) -> String {
        String(decoding: store.keys.requestTokenKey(token), as: UTF8.self)
    }

    /// A request-token record in the driver's netstring format, written by hand.
    static func requestRecord(token: String, createdAt: String, expiresAt: String) -> String {
        let fields = [("v", "1"), ("provider", "p"), ("token", token), ("secret", victimSecret), ("created_at", createdAt), ("expires_at", expiresAt)]
        return fields.map { name, value in "\(name.utf8.count):\(name),\(value.utf8.count):\(value)," }.joined()
    }

    static func expectCorrupted(_ error: TokenStoreError?, record: String, operation: String) {
        #expect(error?.code == .corruptedRecord, "\(String(describing: error))")
        #expect(error?.record?.contains(record) == true, "\(error?.record ?? "no record")")
        #expect(error?.operation == operation)
        let text = error.map { String(reflecting: $0) } ?? ""
        #expect(!text.contains(otherSecret) && !text.contains(victimSecret), "\(text)")
    }

    // MARK: Timestamps

    @Test(
        "an access token's timestamp field out of range is corruptedRecord",
        arguments: [("created_at", "9223372036854775807"), ("updated_at", "9223372036854775807"), ("created_at", "-9223372036854775808")])
    func accessTimestamp(field: String, value: String) async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveAccessToken(Self.accessToken("victim", secret: Self.victimSecret))
            _ = try await store.rawCommand(["HSET", Self.accessKey(store, "victim"), field, value])
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.accessToken(provider: "p", userID: "victim") }
            Self.expectCorrupted(read, record: "p/victim", operation: "accessToken")
            #expect(read?.message.contains(field) == true, "\(read?.message ?? "")")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listAccessTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "p/victim", operation: "listAccessTokens")
        }
    }

    @Test(
        "a request token's timestamp field out of range is corruptedRecord",
        arguments: [("9223372036854775807", "1"), ("1", "9223372036854775807"), ("-9223372036854775808", "1")])
    func requestTimestamp(created: String, expires: String) async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveRequestToken(Self.requestToken("rt", secret: Self.victimSecret))
            // KEEPTTL: the record keeps the expiry the save gave it.
            let record = Self.requestRecord(token: "rt", createdAt: created, expiresAt: expires)
            _ = try await store.rawCommand(["SET", Self.requestKey(store, "rt"), record, "KEEPTTL"])
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listRequestTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "rt", operation: "listRequestTokens")
            let take = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("rt") }
            Self.expectCorrupted(take, record: "rt", operation: "takeRequestToken")
        }
    }

    // MARK: A record under another record's key

    @Test("an access token hash copied onto another key is corruptedRecord, not the other token")
    func copiedAccessToken() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveAccessToken(Self.accessToken("victim", secret: Self.victimSecret))
            try await store.saveAccessToken(Self.accessToken("other", secret: Self.otherSecret))
            let copied = try await store.rawCommand(["COPY", Self.accessKey(store, "other"), Self.accessKey(store, "victim"), "REPLACE"])
            #expect(copied == .integer(1))
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.accessToken(provider: "p", userID: "victim") }
            Self.expectCorrupted(read, record: "p/victim", operation: "accessToken")
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listAccessTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "p/victim", operation: "listAccessTokens")
            #expect(try await store.accessToken(provider: "p", userID: "other")?.secret == Self.otherSecret)
        }
    }

    @Test("a request token record copied onto another token's key is never handed out by a take")
    func copiedRequestToken() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveRequestToken(Self.requestToken("victim", secret: Self.victimSecret))
            try await store.saveRequestToken(Self.requestToken("other", secret: Self.otherSecret))
            let copied = try await store.rawCommand(["COPY", Self.requestKey(store, "other"), Self.requestKey(store, "victim"), "REPLACE"])
            #expect(copied == .integer(1))
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listRequestTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "victim", operation: "listRequestTokens")
            let take = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("victim") }
            Self.expectCorrupted(take, record: "victim", operation: "takeRequestToken")
            // The take's atomic GETDEL consumed the misplaced copy (see takeRequestToken's
            // documentation); the real token is untouched under its own key.
            #expect(try await store.rawCommand(["EXISTS", Self.requestKey(store, "victim")]) == .integer(0))
            #expect(try await store.takeRequestToken("victim") == nil)
            #expect(try await store.takeRequestToken("other")?.secret == Self.otherSecret)
        }
    }

    // MARK: Keys of the wrong type

    @Test("a string or list where an access token's hash belongs is corruptedRecord", arguments: ["string", "list"])
    func wrongTypeAccessKey(kind: String) async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            let key = Self.accessKey(store, "victim")
            _ = try await store.rawCommand(kind == "string" ? ["SET", key, "not a hash"] : ["RPUSH", key, "a", "b"])
            let read = await #expect(throws: TokenStoreError.self) { _ = try await store.accessToken(provider: "p", userID: "victim") }
            Self.expectCorrupted(read, record: "p/victim", operation: "accessToken")
            let save = await #expect(throws: TokenStoreError.self) {
                try await store.saveAccessToken(Self.accessToken("victim", secret: Self.victimSecret))
            }
            Self.expectCorrupted(save, record: "p/victim", operation: "saveAccessToken")
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion, "the connection stays usable")
        }
    }

    @Test("a hash where a request token's string belongs is corruptedRecord for a take")
    func wrongTypeRequestKey() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            try await store.saveRequestToken(Self.requestToken("victim", secret: Self.victimSecret))
            let key = Self.requestKey(store, "victim")
            _ = try await store.rawCommand(["DEL", key])
            _ = try await store.rawCommand(["HSET", key, "secret", Self.otherSecret])
            let take = await #expect(throws: TokenStoreError.self) { _ = try await store.takeRequestToken("victim") }
            Self.expectCorrupted(take, record: "victim", operation: "takeRequestToken")
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion, "the connection stays usable")
        }
    }

    @Test("a listing names a request token whose key holds another type, and skips one that expired since the index was read")
    func wrongTypeRequestKeyInListing() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, _ in
            for name in ["a-gone", "b-victim", "c-fine"] { try await store.saveRequestToken(Self.requestToken(name, secret: Self.victimSecret)) }
            // Gone without its index entry, as an expired key is until purge prunes it.
            _ = try await store.rawCommand(["DEL", Self.requestKey(store, "a-gone")])
            #expect(try await store.listRequestTokens(after: nil, limit: 10).tokens.map(\.token) == ["b-victim", "c-fine"])
            _ = try await store.rawCommand(["DEL", Self.requestKey(store, "b-victim")])
            _ = try await store.rawCommand(["HSET", Self.requestKey(store, "b-victim"), "secret", Self.otherSecret])
            let list = await #expect(throws: TokenStoreError.self) { _ = try await store.listRequestTokens(after: nil, limit: 10) }
            Self.expectCorrupted(list, record: "b-victim", operation: "listRequestTokens")
            #expect(list?.message.contains("hash") == true, "\(String(describing: list))")
            #expect(try await store.schemaVersion() == RedisTokenStore.schemaVersion, "the connection stays usable")
        }
    }

    @Test("an index of the wrong type is corruptedRecord")
    func wrongTypeIndex() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { store, prefix in
            _ = try await store.rawCommand(["SET", "{\(prefix)}:idx:at", "x"])
            let counts = await #expect(throws: TokenStoreError.self) { try await store.counts() }
            #expect(counts?.code == .corruptedRecord, "\(String(describing: counts))")
            #expect(counts?.message.contains("WRONGTYPE") == true)
        }
    }
}

/// The connect timeout's own words when it fires; no real Redis needed.
@Suite("Redis connect timeout message", .timeLimit(.minutes(1)))
struct RedisConnectTimeoutMessageTests {
    @Test("a silent server fails the connect naming connect_timeout and its value, not the command timeout")
    func silentServerNamesTheConnectTimeout() async throws {
        let fake = try FakeRedisServer(.silent)
        defer { fake.stop() }
        let error = await #expect(throws: TokenStoreError.self) {
            try await RedisTokenStore(url: fake.url + "?connect_timeout=1&operation_timeout=5")
        }
        #expect(error?.code == .timedOut)
        let message = error?.message ?? ""
        #expect(message.contains("connect timeout of 1.0 seconds"), "\(message)")
        #expect(message.contains("connect_timeout"), "\(message)")
        #expect(!message.contains("command timeout") && !message.contains("5.0 seconds"), "\(message)")
    }
}
