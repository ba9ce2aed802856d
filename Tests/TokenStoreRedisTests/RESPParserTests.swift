import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// The reply parser the driver reads every reply with: framing, refusal of bytes that are
/// not RESP2, and in-place decoding agreeing with the copied replies.
@Suite("RESP parser", .inProcessTimeLimit)
struct RESPParserTests {
    static func end(_ text: [UInt8], from start: Int = 0) throws -> Int? {
        try text.withUnsafeBytes { try RESPParser.replyEnd(in: $0, from: start) }
    }

    static func replies(_ text: [UInt8], _ count: Int) -> [RedisReply] {
        text.withUnsafeBytes { bytes in
            var parser = RESPParser(bytes)
            return parser.replies(count)
        }
    }

    @Test("every reply type is framed and copied")
    func framesEveryType() throws {
        let text = Array("+OK\r\n-ERR bad\r\n:-42\r\n$3\r\na\r\n\r\n$-1\r\n*2\r\n$1\r\nx\r\n*0\r\n*-1\r\n".utf8)
        var offset = 0
        var count = 0
        while let end = try Self.end(text, from: offset) {
            offset = end
            count += 1
        }
        #expect(count == 7)
        #expect(offset == text.count)
        #expect(
            Self.replies(text, 7) == [
                .status("OK"), .error("ERR bad"), .integer(-42), .bulk(Array("a\r\n".utf8)), .null,
                .array([.bulk([UInt8(ascii: "x")]), .array([])]), .null,
            ])
    }

    @Test("an incomplete reply is not framed, at any cut")
    func incompleteReplies() throws {
        let text = Array("*2\r\n$5\r\nhello\r\n:7\r\n".utf8)
        for cut in 0..<text.count {
            #expect(try Self.end(Array(text[..<cut])) == nil, "cut at \(cut)")
        }
        #expect(try Self.end(text) == text.count)
    }

    @Test("bytes that are not RESP2 are a violation", arguments: [
        "?what\r\n", ":12x\r\n", "$-2\r\n", "$3\r\nabcXY", "*-5\r\n", ":99999999999999999999\r\n",
        String(repeating: "*1\r\n", count: 40) + ":1\r\n",
    ])
    func violations(_ text: String) {
        #expect(throws: RESPParser.Violation.self) { try Self.end(Array(text.utf8)) }
    }

    @Test("an access-token hash decodes in place exactly as from copied replies")
    func accessTokenInPlace() throws {
        let fields: [(String, String)] = [
            ("provider", "twitter"), ("user_id", "42"), ("token", "tok-ü"), ("secret", String(repeating: "s", count: 40)),
            ("created_at", "1000"), ("updated_at", "2000"), ("m:a:b", "1"), ("screen_name", "me"),
        ]
        var text = Array("*\(fields.count * 2)\r\n".utf8)
        for (name, value) in fields {
            for part in [name, value] { text += Array("$\(part.utf8.count)\r\n\(part)\r\n".utf8) }
        }
        let copied = try RedisRecordCodec.decodeAccessToken(Self.replies(text, 1)[0])
        let read = text.withUnsafeBytes { bytes in
            var parser = RESPParser(bytes)
            return parser.decode(1) { parser, _ in parser.accessTokenHash() }
        }
        guard case .found(let token) = read else {
            Issue.record("not found: \(read)")
            return
        }
        #expect(token == copied)
        #expect(token.token == "tok-ü")
        #expect(token.metadata == ["a:b": "1"])
    }

    @Test("a hash with a non-UTF-8 value or a non-bulk field is corrupt; an empty one is missing")
    func accessTokenInPlaceFailures() {
        func read(_ text: [UInt8]) -> AccessTokenRead {
            text.withUnsafeBytes { bytes in
                var parser = RESPParser(bytes)
                return parser.decode(1) { parser, _ in parser.accessTokenHash() }
            }
        }
        let badValue = Array("*2\r\n$5\r\ntoken\r\n$1\r\n".utf8) + [0xFF] + Array("\r\n".utf8)
        guard case .corrupt = read(badValue) else { Issue.record("accepted a non-UTF-8 value"); return }
        guard case .corrupt = read(Array("*2\r\n:1\r\n:2\r\n".utf8)) else { Issue.record("accepted integers"); return }
        guard case .missing = read(Array("*0\r\n".utf8)) else { Issue.record("empty hash not missing"); return }
        guard case .other(.error("WRONGTYPE x")) = read(Array("-WRONGTYPE x\r\n".utf8)) else {
            Issue.record("error reply not passed on")
            return
        }
    }

    @Test("a decoder that stops early still leaves the parser after its replies")
    func decodeSkipsTheRest() {
        let text = Array("*2\r\n$1\r\na\r\n$1\r\nb\r\n:5\r\n".utf8)
        let next = text.withUnsafeBytes { bytes in
            var parser = RESPParser(bytes)
            _ = parser.decode(1) { _, _ in 0 }
            return parser.reply()
        }
        #expect(next == .integer(5))
    }
}
