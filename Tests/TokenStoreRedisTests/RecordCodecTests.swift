import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreRedis

@Suite("Redis record encoding", .inProcessTimeLimit)
struct RecordCodecTests {
    @Test func requestTokenRoundTripsHostileValues() throws {
        let token = RequestToken(
            provider: "p,1:2", token: "t\u{0}\r\n", secret: "s:,,3:",
            context: RequestTokenContext(
                callbackURL: "https://x/cb?a=1&b=2", returnTo: "", sessionBinding: "9:abc,",
                metadata: ["": "empty", "m:x": "v", "k": "日本"]),
            createdAt: Date(milliseconds: 1_700_000_000_123), expiresAt: Date(milliseconds: 1_700_000_600_123))
        let decoded = try RedisRecordCodec.decodeRequestToken(RedisRecordCodec.encode(token))
        #expect(decoded == token)
    }

    @Test func requestTokenWithoutOptionalsRoundTrips() throws {
        let token = RequestToken(provider: "p", token: "t", secret: "s", createdAt: Date(milliseconds: 0), expiresAt: Date(milliseconds: 1))
        #expect(try RedisRecordCodec.decodeRequestToken(RedisRecordCodec.encode(token)) == token)
    }

    @Test(arguments: ["", "garbage", "1:v,1:2,", "1:v,1:1,8:provider,", "1:v,1:1,999:x,", "1:v,1:1,8:provider,1:p,",
                      "99999999999:x,", "1:x,1:1,"])
    func corruptRequestRecordsFailWithoutCrashing(text: String) {
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeRequestToken(Array(text.utf8)) }
    }

    @Test func invalidUTF8IsRejected() {
        let bytes = Array("1:v,1:1,8:provider,".utf8) + Array("1:".utf8) + [0xFF] + Array(",".utf8)
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeRequestToken(bytes) }
    }

    @Test func accessTokenHashRoundTrips() throws {
        let token = AccessToken(
            provider: "twitter", userID: "42", token: "tok", secret: "sec", screenName: "me", accessType: "read",
            createdAt: Date(milliseconds: 1000), updatedAt: Date(milliseconds: 2000), metadata: ["m:nested": "x", "a": ""])
        var items: [RedisReply] = [.bulk(Array("created_at".utf8)), .bulk(Array("1000".utf8))]
        for (name, value) in RedisRecordCodec.hashFields(token) {
            items.append(.bulk(Array(name.utf8)))
            items.append(.bulk(Array(value.utf8)))
        }
        #expect(try RedisRecordCodec.decodeAccessToken(.array(items)) == token)
        #expect(try RedisRecordCodec.decodeAccessToken(.array([])) == nil)
        #expect(!RedisRecordCodec.hashFields(token).contains { $0.0 == "created_at" }, "the upsert script decides created_at")
    }

    @Test func corruptAccessHashesFail() {
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeAccessToken(.integer(1)) }
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeAccessToken(.array([.bulk([1])])) }
        #expect(throws: RedisRecordCodec.DecodeFailure.self) {
            try RedisRecordCodec.decodeAccessToken(.array([.bulk(Array("provider".utf8)), .bulk(Array("p".utf8))]))
        }
    }
}
