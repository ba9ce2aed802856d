import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

/// The bulk upsert script's arguments (fixed field names are the script's, values and
/// optional fields are passed): every field round-trips at the edges of the script's
/// one-`HSET` limit, an overwrite drops fields the new token lacks and keeps `createdAt`,
/// and `ifNewer` keeps a newer stored token.
@Suite(
    "Redis bulk upsert arguments", .timeLimit(.minutes(5)),
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisBulkUpsertArgumentsTests {
    typealias Env = RedisTestEnvironment

    static let created = Date(timeIntervalSince1970: 1_700_000_000)

    static func token(_ user: String, metadata count: Int, screenName: String?, accessType: String?, updated: Date) -> AccessToken {
        AccessToken(
            provider: "p", userID: user, token: "t-" + user, secret: "s-" + user, screenName: screenName,
            accessType: accessType, createdAt: created, updatedAt: updated,
            metadata: Dictionary(uniqueKeysWithValues: (0..<count).map { ("k\($0)", "v\($0)-" + user) }))
    }

    @Test("tokens with no, few and many optional fields round-trip through one bulk call")
    func optionalFieldsRoundTrip() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, _: String) async throws -> Void in
            let updated = Self.created + 5
            // 98 metadata entries and a screen name fill one HSET; 99 need a second.
            let tokens = [
                Self.token("bare", metadata: 0, screenName: nil, accessType: nil, updated: updated),
                Self.token("both", metadata: 1, screenName: "", accessType: "read", updated: updated),
                Self.token("fits", metadata: 98, screenName: "n", accessType: nil, updated: updated),
                Self.token("over", metadata: 99, screenName: "n", accessType: nil, updated: updated),
                Self.token("many", metadata: 250, screenName: "n", accessType: "write", updated: updated),
            ]
            #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == tokens.count)
            for token in tokens {
                #expect(try await store.accessToken(for: token.key) == token, "\(token.userID)")
            }
        }
    }

    @Test("an overwrite drops fields the new token lacks and keeps createdAt; ifNewer keeps a newer token")
    func overwriteAndIfNewer() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, _: String) async throws -> Void in
            let first = Self.created + 10
            let before = ["a", "b", "c"].map { Self.token($0, metadata: 120, screenName: "n", accessType: "read", updated: first) }
            #expect(try await store.saveAccessTokens(before, policy: .overwrite) == 3)
            let later = Self.created + 20
            var after = ["a", "b", "c"].map { user in
                var token = Self.token(user, metadata: 1, screenName: nil, accessType: nil, updated: later)
                token.createdAt = later
                return token
            }
            // ifNewer: "b" is given older than stored and must be kept as stored.
            after[1] = Self.token("b", metadata: 0, screenName: nil, accessType: nil, updated: Self.created + 1)
            #expect(try await store.saveAccessTokens(after, policy: .ifNewer) == 2)
            for (index, token) in after.enumerated() {
                let stored = try #require(try await store.accessToken(for: token.key))
                if index == 1 {
                    #expect(stored == before[1])
                } else {
                    #expect(stored.createdAt == Self.created, "createdAt is kept through an overwrite")
                    #expect(stored.updatedAt == later)
                    #expect(stored.metadata == token.metadata)
                    #expect(stored.screenName == nil && stored.accessType == nil)
                    #expect(stored.secret == token.secret)
                }
            }
            #expect(try await store.countAccessTokensByProvider().byProvider == ["p": 3])
        }
    }

    @Test("a key given twice in one call into an empty store: the second sees the first (createdAt kept, ifNewer compared)")
    func repeatedKeyInOneCall() async throws {
        try await Env.withStore(url: try Env.requireACLURL()) { (store: RedisTokenStore, _: String) async throws -> Void in
            let first = Self.token("d", metadata: 2, screenName: "n", accessType: nil, updated: Self.created + 10)
            var second = Self.token("d", metadata: 0, screenName: nil, accessType: nil, updated: Self.created + 20)
            second.createdAt = Self.created + 20
            second.secret = "second"
            let others = (0..<5).map { Self.token("o\($0)", metadata: 0, screenName: nil, accessType: nil, updated: Self.created) }
            #expect(try await store.saveAccessTokens([first] + others + [second], policy: .overwrite) == 7)
            let stored = try #require(try await store.accessToken(for: first.key))
            #expect(stored.secret == "second")
            #expect(stored.createdAt == Self.created, "the first token's createdAt is kept")
            #expect(stored.metadata.isEmpty && stored.screenName == nil)

            // Into a store without them: the older second token is not written over the first.
            var older = second
            older.updatedAt = Self.created + 1
            let fresh = Self.token("e", metadata: 0, screenName: nil, accessType: nil, updated: Self.created + 10)
            var freshOlder = older
            freshOlder.userID = "e"
            #expect(try await store.saveAccessTokens([fresh, freshOlder], policy: .ifNewer) == 1)
            #expect(try await store.accessToken(for: fresh.key) == fresh)
            #expect(try await store.countAccessTokensByProvider().byProvider == ["p": 7])
        }
    }
}
