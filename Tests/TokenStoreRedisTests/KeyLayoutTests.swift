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

    // MARK: Spread layout (buckets)

    @Test func fnv1aReferenceValues() {
        // The published FNV-1a 64-bit test vectors.
        #expect(RedisStoreLayout.fnv1a([UInt8]()) == 0xcbf2_9ce4_8422_2325)
        #expect(RedisStoreLayout.fnv1a(Array("a".utf8)) == 0xaf63_dc4c_8601_ec8c)
        #expect(RedisStoreLayout.fnv1a(Array("foobar".utf8)) == 0x8594_4171_f739_67e8)
    }

    @Test func bucketChoiceIsFixed() {
        // Stored format: these values must never change.
        let layout = RedisStoreLayout(prefix: "myapp", buckets: 8)
        #expect(layout.bucket(ofRequestToken: "abc") == 3)
        #expect(layout.bucket(of: AccessTokenKey(provider: "twitter", userID: "alice")) == 4)
        #expect(layout.bucket(of: AccessTokenKey(provider: "p\u{0}", userID: "u")) == 5)
        for key in [AccessTokenKey(provider: "twitter", userID: "alice"), AccessTokenKey(provider: "a\u{0}b", userID: "日本")] {
            let member = RedisKeyLayout.member(of: key)
            #expect(layout.bucket(of: key) == Int(RedisStoreLayout.fnv1a(member) % 8), "the bucket hashes the index member")
        }
        #expect(RedisStoreLayout.tagNumbers(prefix: "tokenstore", buckets: 4) == [21, 20, 23, 22])
        #expect(RedisStoreLayout.tagNumbers(prefix: "myapp", buckets: 8) == [51, 20, 50, 21, 53, 22, 52, 23])
        #expect(String(decoding: layout.buckets[1].requestTokenKey("t"), as: UTF8.self) == "{myapp{20}:rt:t")
    }

    @Test(arguments: [2, 3, 8, 48, 1024])
    func bucketTagsLandInTheMiddleOfTheirRanges(buckets: Int) {
        let numbers = RedisStoreLayout.tagNumbers(prefix: "tokenstore", buckets: buckets)
        #expect(numbers == RedisStoreLayout.tagNumbers(prefix: "tokenstore", buckets: buckets), "deterministic")
        let layout = RedisStoreLayout(prefix: "tokenstore", buckets: buckets)
        #expect(layout.count == buckets)
        for (bucket, n) in numbers.enumerated() {
            let low = bucket * 16384 / buckets, high = (bucket + 1) * 16384 / buckets, quarter = (high - low) / 4
            let inMiddle = { (slot: Int) in slot >= low + quarter && slot < high - quarter }
            let slot = Self.slot(Array("{tokenstore{\(n)}".utf8))
            #expect(inMiddle(slot), "bucket \(bucket): slot \(slot) outside [\(low + quarter), \(high - quarter))")
            #expect(Int(layout.buckets[bucket].slot) == slot)
            if buckets <= 8 {
                // The smallest such n.
                for smaller in 0..<n { #expect(!inMiddle(Self.slot(Array("{tokenstore{\(smaller)}".utf8)))) }
            }
        }
    }

    @Test func fortyEightBucketsSplitEvenlyOverThreePrimaries() {
        // redis-cli --cluster create with 3 primaries: 0-5460, 5461-10922, 10923-16383.
        let layout = RedisStoreLayout(prefix: "tokenstore", buckets: 48)
        var perPrimary = [0, 0, 0]
        for bucket in layout.buckets { perPrimary[bucket.slot <= 5460 ? 0 : bucket.slot <= 10922 ? 1 : 2] += 1 }
        #expect(perPrimary == [16, 16, 16])
    }

    @Test func oneBucketIsTheSingleTagLayout() {
        let layout = RedisStoreLayout(prefix: "myapp", buckets: 1)
        let single = RedisKeyLayout(prefix: "myapp")
        #expect(layout.buckets.count == 1)
        #expect(layout.keys(forRequestToken: "x").requestTokenKey("x") == single.requestTokenKey("x"))
        #expect(layout.keys(for: AccessTokenKey(provider: "p", userID: "u")).fixedKeys == single.fixedKeys)
        #expect(layout.base.slot == single.slot)
    }

    @Test func everyKeyOfASpreadOperationSharesItsBucketSlot() {
        let layout = RedisStoreLayout(prefix: "myapp", buckets: 16)
        #expect(Set(layout.buckets.map(\.slot)).count == 16)
        for index in 0..<200 {
            let token = "token-\(index){x}"
            let keys = layout.keys(forRequestToken: token)
            let requestKeys = [keys.requestTokenKey(token), keys.requestExpiryIndex, keys.requestLexIndex]
            #expect(Set(requestKeys.map(Self.slot)) == [Int(keys.slot)])
            let key = AccessTokenKey(provider: "p{\(index)}", userID: "}u\(index)")
            let bucket = layout.keys(for: key)
            let member = RedisKeyLayout.member(of: key)
            let accessKeys = [
                bucket.accessTokenKey(member: member), bucket.accessIndex, bucket.accessCounts, bucket.accessCountCursor,
                bucket.tokenSetKey(member: member), bucket.tokenSetIndex,
            ]
            #expect(Set(accessKeys.map(Self.slot)) == [Int(bucket.slot)])
        }
        // The schema and bucket count stay under {prefix}, one slot.
        #expect(Self.slot(layout.bucketCountKey) == Self.slot(layout.base.schema))
        #expect(String(decoding: layout.bucketCountKey, as: UTF8.self) == "{myapp}:buckets")
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
