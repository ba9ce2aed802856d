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

    /// The token set's hash as the scripts store it: `writeTokenSetFields`' pairs (written
    /// as a command and read back as a reply) plus what the scripts add.
    static func storedHash(_ tokenSet: OAuth2TokenSet, extra: [(String, String)]) -> RedisReply {
        var out = RESPWriter()
        out.command(RedisRecordCodec.tokenSetFieldArgumentCount(tokenSet))
        RedisRecordCodec.writeTokenSetFields(of: tokenSet, to: &out)
        let written = out.bytes.withUnsafeBytes { bytes in
            var parser = RESPParser(bytes)
            return parser.reply()
        }
        guard case .array(var items) = written else { return written }
        for (name, value) in extra { items += [.bulk(Array(name.utf8)), .bulk(Array(value.utf8))] }
        return .array(items)
    }

    @Test func tokenSetHashRoundTripsAndSkipsTheLease() throws {
        var full = OAuth2TokenSet(
            provider: "p\u{0}", userID: "42", accessToken: "at", tokenType: "bearer", expiresAt: Date(milliseconds: 5000),
            refreshToken: "", scope: "a b", idToken: "eyJ", screenName: "me", metadata: ["m:nested": "x", "": "e", "version": "9"],
            createdAt: Date(milliseconds: 1000), updatedAt: Date(milliseconds: 2000), invalidatedAt: Date(milliseconds: -1_000))
        let extra = [("created_at", "1000"), ("version", "7"), ("lease_owner", "w"), ("lease_expires_at", "1"), ("future_field", "x")]
        full.version = 7
        #expect(try RedisRecordCodec.decodeTokenSet(Self.storedHash(full, extra: extra), expecting: full.key) == full)
        var bare = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: Date(milliseconds: 0))
        bare.version = 1
        #expect(try RedisRecordCodec.decodeTokenSet(Self.storedHash(bare, extra: [("created_at", "0"), ("version", "1")])) == bare)
        #expect(try RedisRecordCodec.decodeTokenSet(.array([])) == nil)
    }

    @Test(arguments: [
        [("created_at", "0")],  // no version
        [("created_at", "0"), ("version", "0")],
        [("created_at", "0"), ("version", "x")],
        [("version", "1")],  // no created_at
        [("created_at", "9223372036854775807"), ("version", "1")],
    ])
    func damagedTokenSetHashesFail(extra: [(String, String)]) {
        let set = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: Date(milliseconds: 0))
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeTokenSet(Self.storedHash(set, extra: extra)) }
        let other = AccessTokenKey(provider: "p", userID: "v")
        #expect(throws: RedisRecordCodec.DecodeFailure.self) {
            try RedisRecordCodec.decodeTokenSet(Self.storedHash(set, extra: [("created_at", "0"), ("version", "1")]), expecting: other)
        }
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeTokenSet(.integer(1)) }
    }
}
