import Logging
import Testing
import TokenStoreKit
import TokenStoreTesting
@testable import TokenStoreRedis

@Suite("Redis URL parsing", .inProcessTimeLimit)
struct ConfigurationURLTests {
    typealias Configuration = RedisTokenStore.Configuration

    @Test func aclUserPasswordHostPortDatabase() throws {
        let config = try Configuration(url: "redis://app:s3cret@10.0.0.5:6380/3")
        #expect(config.endpoint == .tcp(host: "10.0.0.5", port: 6380))
        #expect(config.username == "app")
        #expect(config.password == "s3cret")
        #expect(config.database == 3)
        #expect(config.prefix == "tokenstore")
    }

    @Test func passwordOnlyForms() throws {
        let colon = try Configuration(url: "redis://:pw@localhost")
        #expect(colon.username == nil)
        #expect(colon.password == "pw")
        #expect(colon.endpoint == .tcp(host: "localhost", port: 6379))
        #expect(colon.database == 0)
        let lone = try Configuration(url: "redis://pw@host:1")
        #expect(lone.username == nil)
        #expect(lone.password == "pw")
    }

    @Test func percentEncodedCredentialsAndIPv6() throws {
        let config = try Configuration(url: "redis://us%40er:p%3Aw%2F%40@[::1]:7000/1")
        #expect(config.username == "us@er")
        #expect(config.password == "p:w/@")
        #expect(config.endpoint == .tcp(host: "::1", port: 7000))
        #expect(config.description == "redis://us%40er:***@[::1]:7000/1")
    }

    @Test(arguments: ["redis+unix:///var/run/redis.sock?db=2", "unix:///var/run/redis.sock?db=2"])
    func unixSocketForms(url: String) throws {
        let config = try Configuration(url: url)
        #expect(config.endpoint == .unixSocket(path: "/var/run/redis.sock"))
        #expect(config.database == 2)
    }

    @Test func unixSocketWithCredentials() throws {
        let config = try Configuration(url: "redis+unix://app:pw@/tmp/r.sock?prefix=x")
        #expect(config.username == "app")
        #expect(config.password == "pw")
        #expect(config.prefix == "x")
        #expect(!config.description.contains("pw"))
    }

    @Test func queryParameters() throws {
        let config = try Configuration(
            url: "redis://h/0?prefix=my%20app&pool_max=4&pool_min=1&pool_acquire_timeout=250ms&pool_idle_timeout=30"
                + "&connect_timeout=2.5&operation_timeout=3s")
        #expect(config.prefix == "my app")
        #expect(config.maxConnections == 4)
        #expect(config.minConnections == 1)
        #expect(config.acquireTimeout == .milliseconds(250))
        #expect(config.idleTimeout == .seconds(30))
        #expect(config.connectTimeout == .milliseconds(2500))
        #expect(config.operationTimeout == .seconds(3))
    }

    @Test func renamedParametersOldNamesStillWorkWithAWarning() throws {
        let handler = LogCapture()
        let logger = handler.logger()
        let config = try Configuration(url: "redis://h/0?pool_timeout=250ms&command_timeout=3", logger: logger)
        #expect(config.acquireTimeout == .milliseconds(250))
        #expect(config.operationTimeout == .seconds(3))
        let logged = handler.text
        #expect(logged.contains("'pool_timeout' is deprecated") && logged.contains("use 'pool_acquire_timeout'"), "\(logged)")
        #expect(logged.contains("'command_timeout' is deprecated") && logged.contains("use 'operation_timeout'"), "\(logged)")

        let quiet = LogCapture()
        _ = try Configuration(
            url: "redis://h/0?pool_acquire_timeout=1&operation_timeout=2", logger: quiet.logger())
        #expect(quiet.text.isEmpty, "the new names log nothing")

        let twice = try #require(throws: TokenStoreError.self) {
            try Configuration(url: "redis://h/0?pool_acquire_timeout=1&pool_timeout=2")
        }
        #expect(twice.message.contains("given twice"), "\(twice.message)")
    }

    @Test(arguments: [
        ("pool_acquire_timeout", "abc"), ("pool_timeout", "abc"), ("operation_timeout", "0"), ("command_timeout", "99999"),
        ("pool_idle_timeout", "-1"), ("connect_timeout", "nan"), ("operation_timeout", "4000s"),
    ])
    func badTimeoutsGetTheSharedMessage(name: String, value: String) throws {
        let error = try #require(throws: TokenStoreError.self) { try Configuration(url: "redis://h/0?\(name)=\(value)") }
        let shared = try #require(throws: TokenStoreError.self) {
            _ = try ConnectionLimits.seconds(name, in: [name: value], store: "redis://h/0")
        }
        #expect(error.code == .misconfigured)
        #expect(error.message == shared.message)
    }

    @Test func replyWaitIsAdaptiveByDefaultAndRefusesUnknownValues() throws {
        #expect(try Configuration(url: "redis://h/0").replyWait == .adaptive)
        #expect(try Configuration(url: "redis://h/0?reply_wait=spin").replyWait == .spin)
        #expect(try Configuration(url: "redis://h/0?reply_wait=Park").replyWait == .park)
        let error = try #require(throws: TokenStoreError.self) { try Configuration(url: "redis://:hunter2@h/0?reply_wait=busy") }
        #expect(error.code == .misconfigured)
        #expect(error.message == "reply_wait must be one of adaptive, park, spin, got 'busy'")
        #expect(!"\(error)".contains("hunter2"))
    }

    @Test(arguments: [("pool_max", "0"), ("pool_max", "abc"), ("pool_min", "-1")])
    func badPoolSizesGetTheSharedMessage(name: String, value: String) throws {
        let error = try #require(throws: TokenStoreError.self) { try Configuration(url: "redis://h/0?\(name)=\(value)") }
        let range = name == "pool_max" ? ConnectionLimits.maxConnectionsRange : 0...ConnectionLimits.maxConnectionsRange.upperBound
        let shared = try #require(throws: TokenStoreError.self) {
            _ = try ConnectionLimits.count(name, in: [name: value], range: range, store: "redis://h/0")
        }
        #expect(error.message == shared.message)
    }

    @Test func poolFloorAboveCeilingGetsTheSharedMessage() throws {
        let floorAboveCeiling = try #require(throws: TokenStoreError.self) { try Configuration(url: "redis://h/0?pool_min=5&pool_max=2") }
        let sharedLimits = try #require(throws: TokenStoreError.self) {
            try ConnectionLimits.validate(minConnections: 5, maxConnections: 2, store: "redis://h/0")
        }
        #expect(floorAboveCeiling.message == sharedLimits.message)
    }

    @Test func passwordAsQueryParameterIsRedacted() throws {
        let config = try Configuration(url: "redis://h?user=u&password=topsecret")
        #expect(config.username == "u")
        #expect(config.password == "topsecret")
        #expect(!config.description.contains("topsecret"))
    }

    @Test(arguments: [
        ("redis://h?bogus=1", "valid parameters: prefix, db"),
        ("redis://h?pool_max=0", "pool_max"),
        ("redis://h?pool_max=abc", "pool_max"),
        ("redis://h?pool_min=5&pool_max=2", "pool_min"),
        ("redis://h?connect_timeout=-1", "connect_timeout"),
        ("redis://h?operation_timeout=nan", "operation_timeout"),
        ("redis://h?operation_timeout=99999", "operation_timeout"),
        ("redis://h:0", "port"),
        ("redis://h:70000", "port"),
        ("redis://h:12ab", "port"),
        ("redis://h/abc", "database"),
        ("redis://h/-1", "database"),
        ("redis://h/1?db=2", "both"),
        ("redis://h?prefix=a%7Bb", "prefix"),
        ("redis://h?prefix=", "prefix"),
        ("redis://h?prefix=a%0Ab", "prefix"),
        ("redis://h?prefix=x&prefix=y", "twice"),
        ("redis://h?password=%zz", "percent"),
        ("redis://[::1", "IPv6"),
        ("redis+unix://host/tmp/sock", "no host"),
        ("redis+unix://", "absolute path"),
        ("rediss://h", "stunnel"),
        ("http://h", "unknown scheme"),
        ("redis:h", "redis://"),
        ("redis://h%00x", "host"),
        ("redis://a b", "host"),
    ])
    func malformedURLsAreMisconfigured(url: String, mention: String) throws {
        let error = try #require(throws: TokenStoreError.self) { try Configuration(url: url) }
        #expect(error.code == .misconfigured)
        #expect(error.message.contains(mention), "\(error.message)")
    }

    @Test func hostileValuesNeverEchoSecrets() throws {
        let error = try #require(throws: TokenStoreError.self) {
            try Configuration(url: "redis://user:hunter2hunter2@h:1/0?pool_max=\(String(repeating: "9", count: 500))")
        }
        #expect(!error.description.contains("hunter2"))
        #expect(!error.debugDescription.contains("hunter2"))
        #expect(error.description.count < 600, "user input is clipped in messages")
    }

    @Test func validationOfProgrammaticConfiguration() {
        var config = Configuration(endpoint: .unixSocket(path: "relative.sock"))
        #expect(throws: TokenStoreError.self) { try config.validate() }
        config.endpoint = .unixSocket(path: "/" + String(repeating: "a", count: 200))
        #expect(throws: TokenStoreError.self) { try config.validate() }
        config.endpoint = .tcp(host: "h", port: 6379)
        config.prefix = "}"
        #expect(throws: TokenStoreError.self) { try config.validate() }
        config.prefix = "ok"
        #expect(throws: Never.self) { try config.validate() }
    }

    @Test func driverSchemes() {
        #expect(RedisTokenStore.driver.schemes == ["redis", "redis+cluster", "redis+unix", "unix"])
    }

    @Test func versionComparison() {
        #expect(RedisTokenStore.version("6.2.0", atLeast: [6, 2]))
        #expect(RedisTokenStore.version("7.0.15", atLeast: [6, 2]))
        #expect(!RedisTokenStore.version("6.0.16", atLeast: [6, 2]))
        #expect(!RedisTokenStore.version("5.0.7", atLeast: [6, 2]))
        #expect(!RedisTokenStore.version("", atLeast: [6, 2]))
        #expect(RedisTokenStore.redisVersion(fromInfo: "# Server\r\nredis_version:7.2.4\r\nredis_mode:standalone\r\n") == "7.2.4")
    }
}
