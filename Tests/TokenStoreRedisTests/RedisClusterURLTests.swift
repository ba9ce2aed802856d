import Testing
import TokenStoreKit
@testable import TokenStoreRedis

/// `redis+cluster://` URLs and the pieces of the router that need no server.
@Suite("Redis Cluster URL and routing", .inProcessTimeLimit)
struct RedisClusterURLTests {
    typealias Configuration = RedisTokenStore.Configuration

    @Test func seedListWithUserIPv6AndHostNames() throws {
        let url = "redis+cluster://app:s3cret@10.0.0.1:7000,[::1]:7001,redis-c.internal/0?prefix=myapp&pool_max=4"
        let configuration = try Configuration(url: url)
        #expect(configuration.isCluster)
        #expect(configuration.seeds == [.tcp(host: "10.0.0.1", port: 7000), .tcp(host: "::1", port: 7001), .tcp(host: "redis-c.internal", port: 6379)])
        #expect(configuration.endpoint == .tcp(host: "10.0.0.1", port: 7000))
        #expect(configuration.username == "app")
        #expect(configuration.password == "s3cret")
        #expect(configuration.prefix == "myapp")
        #expect(configuration.maxConnections == 4)
        #expect(configuration.description == "redis+cluster://app:***@10.0.0.1:7000,[::1]:7001,redis-c.internal:6379/0?prefix=myapp")
        #expect(!"\(configuration)".contains("s3cret"))
    }

    @Test func oneSeedWithoutPathAndPlainRedisIsNoCluster() throws {
        let one = try Configuration(url: "redis+cluster://127.0.0.1:7000")
        #expect(one.isCluster && one.seeds == [.tcp(host: "127.0.0.1", port: 7000)] && one.database == 0)
        #expect(try !Configuration(url: "redis://127.0.0.1:7000").isCluster)
    }

    @Test(arguments: [
        ("redis+cluster://:pw1secret@h1:7000,h2:7001/1", "database 0"),
        ("redis+cluster://:pw1secret@h1:7000,,h2:7001", "entry is empty"),
        ("redis+cluster://:pw1secret@h1:7000,h2:99999", "port"),
        ("redis+cluster://:pw1secret@h1:7000,[::1:7001", "']'"),
        ("redis+cluster://:pw1secret@h1:7000?db=2", "database 0"),
        ("redis+cluster://:pw1secret@/0", "entry is empty"),
    ])
    func badClusterURLsAreMisconfigured(url: String, says: String) {
        do {
            _ = try Configuration(url: url)
            Issue.record("\(url) was accepted")
        } catch {
            #expect(error.code == .misconfigured)
            #expect(error.message.contains(says), "\(error.message)")
            #expect(!"\(error)".contains("pw1secret"))
        }
    }

    @Test func redirectsParse() {
        #expect(RedisRedirect(message: "MOVED 3999 127.0.0.1:6381", currentHost: "h") == .moved(slot: 3999, to: .tcp(host: "127.0.0.1", port: 6381)))
        #expect(RedisRedirect(message: "ASK 12 ::1:7002", currentHost: "h") == .ask(slot: 12, to: .tcp(host: "::1", port: 7002)))
        #expect(RedisRedirect(message: "MOVED 7 :7005", currentHost: "10.1.1.1") == .moved(slot: 7, to: .tcp(host: "10.1.1.1", port: 7005)))
        #expect(RedisRedirect(message: "TRYAGAIN Multiple keys request during rehashing of slot", currentHost: "h") == .tryAgain)
        #expect(RedisRedirect(message: "CLUSTERDOWN The cluster is down", currentHost: "h") == .clusterDown)
        #expect(RedisRedirect(message: "MOVED 16384 a:1", currentHost: "h") == nil)
        #expect(RedisRedirect(message: "ERR unknown command", currentHost: "h") == nil)
    }

    @Test func clusterSlotsReplyParses() throws {
        let reply = RedisReply.array([
            .array([.integer(0), .integer(5460), .array([.bulk(Array("127.0.0.1".utf8)), .integer(7000), .bulk([])]),
                    .array([.bulk(Array("127.0.0.1".utf8)), .integer(7003)])]),
            .array([.integer(5461), .integer(16383), .array([.bulk([]), .integer(7001)])]),
        ])
        let map = try #require(RedisClusterMap(slotsReply: reply, askedHost: "10.0.0.9"))
        #expect(map.ranges == [
            .init(slots: 0...5460, primary: .tcp(host: "127.0.0.1", port: 7000)),
            .init(slots: 5461...16383, primary: .tcp(host: "10.0.0.9", port: 7001)),
        ])
        #expect(RedisClusterMap(slotsReply: .error("ERR"), askedHost: "h") == nil)
    }

    /// A redirected call is cut into commands and MULTI...EXEC blocks; the parts that ran
    /// keep their replies, the refused ones wait with their redirect.
    @Test func routedCallKeepsWhatRanAndResendsTheRest() {
        var writer = RESPWriter()
        for command in [["GET", "{p}:a"], ["MULTI"], ["SET", "{p}:b", "1"], ["EXEC"], ["GET", "{p}:c"]] {
            writer.command(command.count)
            for argument in command { writer.argument(argument) }
        }
        var call = RedisRoutedCall(request: writer.bytes, commands: 5)
        #expect(call.parts.map(\.commands) == [1, 3, 1])
        let first = Array("$1\r\nx\r\n+OK\r\n-ASK 5 127.0.0.1:7001\r\n-EXECABORT Transaction discarded\r\n-ASK 5 127.0.0.1:7001\r\n".utf8)
        call.record(first, from: .tcp(host: "127.0.0.1", port: 7000))
        #expect(call.pendingRedirect == .ask(slot: 5, to: .tcp(host: "127.0.0.1", port: 7001)))
        #expect(call.pendingParts.map(\.commands) == [3, 1])
        call.record(Array("+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\ny\r\n".utf8), from: .tcp(host: "127.0.0.1", port: 7001))
        #expect(call.pendingRedirect == nil)
        #expect(String(decoding: call.replyBytes, as: UTF8.self) == "$1\r\nx\r\n+OK\r\n+QUEUED\r\n*1\r\n+OK\r\n$1\r\ny\r\n")
    }

    @Test func onlyReadOnlyCallsMayRunAgain() {
        func request(_ commands: [[String]]) -> [UInt8] {
            var writer = RESPWriter()
            for command in commands {
                writer.command(command.count)
                for argument in command { writer.argument(argument) }
            }
            return writer.bytes
        }
        #expect(RedisRoutedCall.isReadOnly(request([["HGETALL", "{p}:a"], ["zcard", "{p}:i"]]), commands: 2))
        #expect(!RedisRoutedCall.isReadOnly(request([["GET", "{p}:a"], ["GETDEL", "{p}:b"]]), commands: 2))
        #expect(!RedisRoutedCall.isReadOnly(request([["EVALSHA", "abc", "1", "{p}:a"]]), commands: 1))
        #expect(!RedisRoutedCall.isReadOnly(request([["MULTI"], ["GET", "{p}:a"], ["EXEC"]]), commands: 3))
    }
}
