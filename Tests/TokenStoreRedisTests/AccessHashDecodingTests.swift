import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// `HGETALL` decoding matches field names as bytes; these pin down what it accepts.
@Suite("Access-token hash decoding", .inProcessTimeLimit)
struct AccessHashDecodingTests {
    static func hash(_ fields: [(String, [UInt8])]) -> RedisReply {
        .array(fields.flatMap { [RedisReply.bulk(Array($0.0.utf8)), .bulk($0.1)] })
    }

    static let required: [(String, [UInt8])] = [
        ("provider", Array("twitter".utf8)), ("user_id", Array("42".utf8)), ("token", Array("t".utf8)),
        ("secret", Array("s".utf8)), ("created_at", Array("1000".utf8)), ("updated_at", Array("2000".utf8)),
    ]

    @Test("unknown fields (a newer writer's) are ignored; optional fields may be absent")
    func unknownFieldsIgnored() throws {
        let token = try #require(try RedisRecordCodec.decodeAccessToken(Self.hash(Self.required + [("future", Array("x".utf8))])))
        #expect(token.provider == "twitter")
        #expect(token.userID == "42")
        #expect(token.screenName == nil)
        #expect(token.accessType == nil)
        #expect(token.metadata.isEmpty)
        #expect(token.updatedAt == Date(milliseconds: 2000))
    }

    @Test("metadata fields keep everything after the m: prefix, including colons")
    func metadataNames() throws {
        let token = try #require(
            try RedisRecordCodec.decodeAccessToken(
                Self.hash(Self.required + [("m:a:b", Array("1".utf8)), ("m:", Array("empty".utf8))])))
        #expect(token.metadata == ["a:b": "1", "": "empty"])
    }

    @Test("a field name that only starts like a known one is not taken for it")
    func prefixesDoNotMatch() throws {
        let fields = Self.required.filter { $0.0 != "token" } + [("tokens", Array("t".utf8))]
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeAccessToken(Self.hash(fields)) }
    }

    @Test("a non-UTF-8 unknown field name or metadata name is refused")
    func invalidNames() {
        let badName: [UInt8] = [0x66, 0xFF]
        var items = Self.required.flatMap { [RedisReply.bulk(Array($0.0.utf8)), .bulk($0.1)] }
        #expect(throws: RedisRecordCodec.DecodeFailure.self) {
            try RedisRecordCodec.decodeAccessToken(.array(items + [.bulk(badName), .bulk([0x31])]))
        }
        items += [.bulk(Array("m:".utf8) + [0xFF]), .bulk([0x31])]
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeAccessToken(.array(items)) }
    }

    @Test("a malformed timestamp is a decode failure")
    func malformedTimestamp() {
        let fields = Self.required.map { $0.0 == "updated_at" ? ($0.0, Array("soon".utf8)) : $0 }
        #expect(throws: RedisRecordCodec.DecodeFailure.self) { try RedisRecordCodec.decodeAccessToken(Self.hash(fields)) }
    }
}
