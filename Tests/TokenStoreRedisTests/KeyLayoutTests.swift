import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

@Suite("Redis key layout", .inProcessTimeLimit)
struct KeyLayoutTests {
    static func slot(_ key: [UInt8]) -> Int { Int(RedisSlot.of(key)) }

    @Test func clusterSlotReferenceValues() {
        // Values from the Redis Cluster specification / CLUSTER KEYSLOT.
        #expect(Self.slot(Array("123456789".utf8)) == 12739)
        #expect(Self.slot(Array("{user1000}.following".utf8)) == Self.slot(Array("{user1000}.followers".utf8)))
        // An empty tag hashes the whole key; only the first tag counts.
        #expect(Self.slot(Array("foo{}{bar}".utf8)) != Self.slot(Array("bar".utf8)))
        #expect(Self.slot(Array("foo{{bar}}zap".utf8)) == Self.slot(Array("{bar".utf8)))
        #expect(RedisKeyLayout(prefix: "myapp").slot == RedisSlot.of(Array("myapp".utf8)))
    }

    @Test func everyKeyOfAStoreSharesOneSlot() {
        let layout = RedisKeyLayout(prefix: "myapp")
        let keys = layout.fixedKeys + [
            layout.requestTokenKey("abc"), layout.requestTokenKey("{evil}"), layout.requestTokenKey(""),
            layout.accessTokenKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: "x{y}", userID: "}{"))),
            layout.tokenSetKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: "x{y}", userID: "}{"))),
        ]
        let slots = Set(keys.map(Self.slot))
        #expect(slots.count == 1)
        #expect(slots.first == Self.slot(Array("myapp".utf8)))
        for key in keys { #expect(key.starts(with: Array("{myapp}:".utf8))) }
    }

    @Test func recordKeysNeverCollideWithIndexKeys() {
        let layout = RedisKeyLayout(prefix: "p")
        let indexes = Set(layout.fixedKeys)
        for token in ["expiry", "idx:rt:expiry", "../idx:at", "../idx:ts", "schema", ":schema"] {
            #expect(!indexes.contains(layout.requestTokenKey(token)))
            #expect(!indexes.contains(layout.accessTokenKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: token, userID: token)))))
            #expect(!indexes.contains(layout.tokenSetKey(member: RedisKeyLayout.member(of: AccessTokenKey(provider: token, userID: token)))))
        }
    }

    @Test func membersRoundTripAndSortLikeAccessTokenKeys() {
        let parts = ["", "a", "a\u{0}", "a\u{0}\u{0}b", "ab", "\u{0}", "é", "z", "a\u{1}", "\u{7F}", "日本"]
        var keys: [AccessTokenKey] = []
        for provider in parts { for user in parts { keys.append(AccessTokenKey(provider: provider, userID: user)) } }
        for key in keys { #expect(RedisKeyLayout.key(ofMember: RedisKeyLayout.member(of: key)) == key) }
        let byKey = keys.sorted()
        let byMember = keys.sorted { RedisKeyLayout.member(of: $0).lexicographicallyPrecedes(RedisKeyLayout.member(of: $1)) }
        #expect(byKey == byMember)
        #expect(Set(keys.map(RedisKeyLayout.member)).count == keys.count, "distinct keys have distinct members")
    }

    @Test func foreignMembersAreRejected() {
        #expect(RedisKeyLayout.key(ofMember: Array("no-separator".utf8)) == nil)
        #expect(RedisKeyLayout.key(ofMember: [0xC3, 0x00, 0x61]) == nil)
    }

    @Test func respEncodingIsBinarySafe() {
        var writer = RESPWriter()
        writer.command(3)
        writer.argument("SET")
        writer.argument([0, 13, 10, 255] as [UInt8])
        writer.argument(Array("ab".utf8), "c\r\n")
        let expected: [UInt8] = Array("*3\r\n$3\r\nSET\r\n$4\r\n".utf8) + [0, 13, 10, 255] + Array("\r\n$5\r\nabc\r\n\r\n".utf8)
        #expect(writer.bytes == expected)
        writer.reset()
        writer.command(12)
        writer.argument(1234567890 as Int)
        #expect(writer.bytes == Array("*12\r\n$10\r\n1234567890\r\n".utf8))
    }
}
