import Foundation
import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// `max_reply_bytes`: a server cannot make the client buffer more than the limit, whether it
/// announces a huge reply or streams one that never ends; the call fails with a typed error
/// naming the setting, its connection is discarded, and the buffer gives its memory back.
@Suite("Redis reply size limit", .inProcessTimeLimit)
struct RedisReplyLimitTests {
    static func end(_ text: String, limit: Int) throws -> Int? {
        try Array(text.utf8).withUnsafeBytes { try RESPParser.replyEnd(in: $0, from: 0, limit: limit) }
    }

    static func kind(_ text: String, limit: Int) -> RESPParser.Violation.Kind? {
        Array(text.utf8).withUnsafeBytes { buffer -> RESPParser.Violation.Kind? in
            do {
                _ = try RESPParser.replyEnd(in: buffer, from: 0, limit: limit)
                return nil
            } catch {
                return (error as? RESPParser.Violation)?.kind
            }
        }
    }

    @Test("a bulk string announced beyond the limit fails at its header")
    func hugeBulkHeader() {
        #expect(Self.kind("$1073741824\r\n", limit: 1 << 20) == .tooLarge)
        #expect(Self.kind("*2\r\n$5\r\nhello\r\n$2000000\r\n", limit: 1 << 20) == .tooLarge)
        // Within the limit, the same header just waits for its body.
        #expect(Self.kind("$1000\r\n", limit: 1 << 20) == nil)
    }

    @Test("an array announcing more elements than the limit has bytes fails at its header")
    func hugeArrayHeader() {
        #expect(Self.kind("*5000000\r\n", limit: 1 << 20) == .tooLarge)
        #expect(Self.kind("*5000\r\n", limit: 1 << 20) == nil)
    }

    @Test("an incomplete reply with more than the limit buffered fails")
    func accumulatedIncompleteReply() {
        let elements = String(repeating: ":1\r\n", count: 300)
        let text = "*1000\r\n" + elements
        #expect(Self.kind(text, limit: 1024) == .tooLarge)
        #expect(Self.kind(text, limit: 4096) == nil, "under the limit it is only incomplete")
    }

    @Test("a complete reply is accepted up to exactly the limit")
    func completeReplyAtTheLimit() throws {
        let text = "*2\r\n$3\r\nabc\r\n:12\r\n"
        let size = text.utf8.count
        #expect(try Self.end(text, limit: size) == size)
        #expect(Self.kind(text, limit: size - 1) == .tooLarge)
        #expect(Self.kind("+" + String(repeating: "k", count: 100) + "\r\n", limit: 50) == .tooLarge)
    }

    @Test("malformed bytes stay a protocol violation, not a size one")
    func malformedIsNotTooLarge() {
        #expect(Self.kind("$-7\r\n", limit: 1 << 20) == .malformed)
        #expect(Self.kind("?x\r\n", limit: 1 << 20) == .malformed)
    }

    @Test("the input buffer gives back what a large reply grew it to")
    func bufferShrinksAfterLargeReply() {
        var buffer = InputBuffer(capacity: 1024, retainedCapacity: 4096)
        defer { buffer.deallocate() }
        while buffer.capacity < 1 << 20 {
            buffer.count = buffer.capacity
            buffer.grow()
        }
        buffer.reset()
        #expect(buffer.count == 0)
        #expect(buffer.capacity == 4096)
        buffer.count = 100
        buffer.reset()
        #expect(buffer.capacity == 4096, "a buffer within the retained capacity keeps it")
    }

    @Test("max_reply_bytes is a URL parameter with a checked range")
    func urlParameter() throws {
        #expect(try RedisTokenStore.Configuration(url: "redis://h").maxReplyBytes == 64 << 20)
        #expect(try RedisTokenStore.Configuration(url: "redis://h?max_reply_bytes=1048576").maxReplyBytes == 1 << 20)
        for bad in ["100", "2147483648", "lots"] {
            let error = #expect(throws: TokenStoreError.self) {
                try RedisTokenStore.Configuration(url: "redis://h?max_reply_bytes=" + bad)
            }
            #expect(error?.code == .misconfigured)
            #expect(error?.message.contains("max_reply_bytes") == true, "\(error?.message ?? "")")
        }
    }
}

/// The limit against a server: the call fails at once (not at the command timeout) and the
/// pool replaces the connection.
@Suite("Redis reply size limit against a hostile server", .serverTimeLimit)
struct RedisReplyLimitServerTests {
    @Test("a 1 GiB bulk header fails the call and the pool recovers")
    func hugeBulk() async throws {
        let fake = try FakeRedisServer(.hugeBulkOn("HGETALL"))
        defer { fake.stop() }
        try await Self.expectLimitFailure(fake, limit: RedisTokenStore.Configuration.defaultMaxReplyBytes)
    }

    @Test("a reply that never ends fails once the limit is buffered and the pool recovers")
    func endlessArray() async throws {
        let fake = try FakeRedisServer(.endlessArrayOn("HGETALL"))
        defer { fake.stop() }
        try await Self.expectLimitFailure(fake, limit: 1 << 20)
    }

    static func expectLimitFailure(_ fake: FakeRedisServer, limit: Int) async throws {
        // A command timeout far beyond the test's limit: only the size check can end the call.
        let store = try await RedisTokenStore(url: fake.url + "?pool_max=1&operation_timeout=3600&max_reply_bytes=\(limit)")
        let error = await #expect(throws: TokenStoreError.self) {
            try await store.accessToken(provider: "p", userID: "u")
        }
        #expect(error?.code == .internal, "\(error?.description ?? "")")
        #expect(error?.message.contains("max_reply_bytes (\(limit) bytes") == true, "\(error?.message ?? "")")
        #expect(try await store.schemaVersion() == 1, "a new connection replaces the discarded one")
        try await store.close()
    }
}
