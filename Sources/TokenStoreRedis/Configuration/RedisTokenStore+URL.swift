import Foundation
import Logging
import TokenStoreKit

extension RedisTokenStore.Configuration {
    /// The query parameters a store URL may carry.
    static let urlParameters = [
        "prefix", "db", "user", "password", "pool_max", "pool_min", "pool_acquire_timeout", "pool_idle_timeout",
        "connect_timeout", "operation_timeout", "max_reply_bytes", ReplyWait.urlParameter, "buckets",
        "wait_replicas", "wait_replicas_timeout",
    ]

    /// Parameters renamed to the name every driver uses, old name first. The old names are
    /// still accepted, with a logged warning, for one release.
    static let renamedURLParameters = ["pool_timeout": "pool_acquire_timeout", "command_timeout": "operation_timeout"]

    /// Parses a store URL.
    ///
    /// Forms:
    /// - `redis://[user:password@]host[:port][/db][?params]`; `redis://:password@host`
    ///   authenticates the `default` user; a lone `redis://password@host` is a password,
    ///   as in redis-cli. IPv6 hosts in brackets: `redis://[::1]:6379`.
    /// - `redis+cluster://[user:password@]host1:port1,host2:port2[/0][?params]`: a Redis
    ///   Cluster, reached through any of these seed nodes (the store reads the cluster's slot
    ///   map from the first that answers; a server with cluster support disabled is used as
    ///   a single server). The database must be 0, the only one a cluster has.
    /// - `redis+unix:///path/redis.sock[?db=N&params]` or `unix:///path/redis.sock`;
    ///   credentials as `redis+unix://user:password@/path/redis.sock`.
    ///
    /// Parameters: `prefix`, `db`, `user`, `password`, `pool_max`, `pool_min`, and the
    /// timeouts `pool_acquire_timeout`, `pool_idle_timeout`, `connect_timeout`,
    /// `operation_timeout` in seconds (`2.5`) or with a unit (`250ms`, `3s`), and
    /// `max_reply_bytes` (an integer of bytes, see ``maxReplyBytes``), `reply_wait` (`adaptive`,
    /// `park` or `spin`, see ``replyWait``), `buckets` (1...1024, see ``buckets``),
    /// `wait_replicas` (0...16, see ``waitReplicas``) and `wait_replicas_timeout` (a
    /// timeout as above, see ``waitReplicasTimeout``). User info and values
    /// are percent-decoded. The old names `pool_timeout` and `command_timeout` are still
    /// accepted, with a warning logged to `logger`.
    ///
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` naming
    ///   what is wrong (never the password).
    public init(url: String, clock: TokenClock = .system, logger: Logger? = nil) throws(TokenStoreError) {
        let redacted = StoreURLRedaction.redact(url)
        let shown = redacted.count > 200 ? String(redacted.prefix(200)) + "..." : redacted
        func fail(_ message: String) -> TokenStoreError {
            TokenStoreError(.misconfigured, store: shown, operation: "open", message: message)
        }
        guard let schemeEnd = url.range(of: "://") else {
            throw fail("a Redis URL looks like redis://[user:password@]host:port/db or redis+unix:///path/redis.sock")
        }
        let scheme = url[..<schemeEnd.lowerBound].lowercased()
        var isUnix = false
        var isCluster = false
        switch scheme {
        case "redis": break
        case "redis+unix", "unix": isUnix = true
        case "redis+cluster": isCluster = true
        case "rediss":
            throw fail("TLS (rediss://) is not supported by the system hiredis 0.14; run a TLS proxy such as stunnel or HAProxy on loopback and connect with redis://")
        default:
            throw fail("unknown scheme '\(scheme)'; use redis://, redis+cluster://, redis+unix:// or unix://")
        }
        var rest = url[schemeEnd.upperBound...]
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var queryText: Substring = ""
        if let question = rest.firstIndex(of: "?") {
            queryText = rest[rest.index(after: question)...]
            rest = rest[..<question]
        }

        var username: String?
        var password: String?
        let authorityEnd = isUnix ? (rest.firstIndex(of: "/") ?? rest.endIndex) : (rest.firstIndex(of: "/") ?? rest.endIndex)
        var authority = rest[..<authorityEnd]
        let path = rest[authorityEnd...]
        if let at = authority.lastIndex(of: "@") {
            let userInfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            if let colon = userInfo.firstIndex(of: ":") {
                let user = try Self.percentDecode(userInfo[..<colon], what: "the user name", fail: fail)
                username = user.isEmpty ? nil : user
                password = try Self.percentDecode(userInfo[userInfo.index(after: colon)...], what: "the password", fail: fail)
            } else if !userInfo.isEmpty {
                password = try Self.percentDecode(userInfo, what: "the password", fail: fail)
            }
        }

        var database: Int?
        let endpoint: RedisTokenStore.Endpoint
        var seeds: [RedisTokenStore.Endpoint] = []
        if isUnix {
            guard authority.isEmpty else {
                throw fail("a unix socket URL has no host: redis+unix:///path/redis.sock (three slashes)")
            }
            let socketPath = try Self.percentDecode(path, what: "the socket path", fail: fail)
            guard socketPath.hasPrefix("/"), socketPath.count > 1 else {
                throw fail("a unix socket URL needs an absolute path: redis+unix:///path/redis.sock")
            }
            endpoint = .unixSocket(path: socketPath)
        } else if isCluster {
            // Parsed here: Foundation's URLComponents refuses a comma-separated host list.
            seeds = try authority.split(separator: ",", omittingEmptySubsequences: false).map { item throws(TokenStoreError) in
                guard !item.isEmpty else {
                    throw fail("a redis+cluster:// URL lists its seed nodes as host:port,host:port; an entry is empty")
                }
                return try Self.tcpEndpoint(item, fail: fail)
            }
            if seeds.count > 64 { throw fail("at most 64 seed nodes, got \(seeds.count)") }
            endpoint = seeds[0]
        } else {
            endpoint = try Self.tcpEndpoint(authority, fail: fail)
        }
        if !isUnix {
            let dbText = path.drop(while: { $0 == "/" })
            if !dbText.isEmpty {
                guard let value = Int(dbText), value >= 0 else {
                    throw fail("the path names the database as a number, e.g. redis://host:6379/0; got '\(Self.clip(dbText))'")
                }
                database = value
            }
        }

        let defaults = RedisTokenStore.Configuration(endpoint: endpoint)
        var config = defaults
        config.username = username
        config.password = password
        config.isCluster = isCluster
        config.seeds = seeds
        var seen = Set<String>()
        for pair in queryText.split(separator: "&", omittingEmptySubsequences: true) {
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let given = String(parts[0]).lowercased()
            let value = try Self.percentDecode(parts.count > 1 ? parts[1] : "", what: "parameter \(Self.clip(given))", fail: fail)
            let name = Self.renamedURLParameters[given] ?? given
            guard Self.urlParameters.contains(name) else {
                throw fail("unknown parameter '\(Self.clip(given))'; valid parameters: " + Self.urlParameters.joined(separator: ", "))
            }
            guard seen.insert(name).inserted else {
                throw fail("parameter '\(name)' given twice" + (given != name ? " (also as its old name '\(given)')" : ""))
            }
            if given != name {
                (logger ?? config.logger).warning(
                    "redis URL parameter '\(given)' is deprecated and will be removed; use '\(name)'",
                    metadata: ["store": "\(shown)"])
            }
            switch name {
            case "prefix": config.prefix = value
            case "db":
                guard let number = Int(value), number >= 0 else { throw fail("db must be a non-negative integer, got '\(Self.clip(value))'") }
                if let database, database != number { throw fail("the database is given both in the path (\(database)) and as db=\(number)") }
                database = number
            case "user":
                if username != nil { throw fail("the user is given both before '@' and as user=") }
                config.username = value.isEmpty ? nil : value
            case "password":
                if password != nil { throw fail("the password is given both before '@' and as password=") }
                config.password = value
            case "pool_max":
                config.maxConnections = try Self.count(value, name: name, range: ConnectionLimits.maxConnectionsRange, store: shown)
            case "pool_min":
                config.minConnections = try Self.count(value, name: name, range: 0...ConnectionLimits.maxConnectionsRange.upperBound, store: shown)
            case "pool_acquire_timeout": config.acquireTimeout = try Self.duration(value, name: given, store: shown)
            case "pool_idle_timeout": config.idleTimeout = try Self.duration(value, name: given, store: shown)
            case "connect_timeout": config.connectTimeout = try Self.duration(value, name: given, store: shown)
            case "operation_timeout": config.operationTimeout = try Self.duration(value, name: given, store: shown)
            case "max_reply_bytes": config.maxReplyBytes = try Self.integer(value, name: name, fail: fail)
            case "buckets": config.buckets = try Self.integer(value, name: name, fail: fail)
            case "wait_replicas": config.waitReplicas = try Self.integer(value, name: name, fail: fail)
            case "wait_replicas_timeout": config.waitReplicasTimeout = try Self.duration(value, name: name, store: shown)
            case ReplyWait.urlParameter: config.replyWait = try ReplyWait.parse([name: Self.clip(value)], store: shown) ?? .adaptive
            default: break
            }
        }
        config.database = database ?? 0
        config.clock = clock
        if let logger { config.logger = logger }
        do {
            try config.validate()
        } catch {
            throw fail(error.message)
        }
        self = config
    }

    /// `host[:port]` or `[ipv6][:port]` (port 6379 when left out; an empty text is
    /// 127.0.0.1), host percent-decoded.
    static func tcpEndpoint(_ text: Substring, fail: (String) -> TokenStoreError) throws(TokenStoreError) -> RedisTokenStore.Endpoint {
        var host = "127.0.0.1"
        var port = 6379
        var hostPort = text
        if hostPort.hasPrefix("[") {
            guard let close = hostPort.firstIndex(of: "]") else { throw fail("an IPv6 host needs a closing ']'") }
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            hostPort = hostPort[hostPort.index(after: close)...]
            if !hostPort.isEmpty {
                guard hostPort.hasPrefix(":") else { throw fail("unexpected text after the IPv6 host") }
                port = try Self.port(hostPort.dropFirst(), fail: fail)
            }
        } else {
            if let colon = hostPort.lastIndex(of: ":") {
                port = try Self.port(hostPort[hostPort.index(after: colon)...], fail: fail)
                hostPort = hostPort[..<colon]
            }
            if !hostPort.isEmpty { host = try Self.percentDecode(hostPort, what: "the host", fail: fail) }
        }
        guard !host.isEmpty, host.unicodeScalars.allSatisfy({ $0.value > 0x20 && $0 != "/" && $0 != "@" }) else {
            throw fail("the host is empty or contains spaces, control characters, '/' or '@'")
        }
        return .tcp(host: host, port: port)
    }

    /// At most 40 characters of user input, for messages.
    static func clip(_ text: some StringProtocol) -> String {
        let clean = String(text.unicodeScalars.map { $0.value < 0x20 || $0.value == 0x7F ? "?" : Character($0) })
        return clean.count > 40 ? String(clean.prefix(40)) + "..." : clean
    }

    static func port(_ text: Substring, fail: (String) -> TokenStoreError) throws(TokenStoreError) -> Int {
        guard !text.isEmpty, text.utf8.count <= 5, let port = Int(text), (1...65535).contains(port) else {
            throw fail("the port must be a number between 1 and 65535, got '\(clip(text))'")
        }
        return port
    }

    static func integer(_ text: String, name: String, fail: (String) -> TokenStoreError) throws(TokenStoreError) -> Int {
        guard let value = Int(text) else { throw fail("\(name) must be an integer, got '\(clip(text))'") }
        return value
    }

    /// A pool size within `range`, parsed and checked by ``ConnectionLimits`` (so its
    /// message is every driver's); the value is clipped first, for the message.
    static func count(_ text: String, name: String, range: ClosedRange<Int>, store: String) throws(TokenStoreError) -> Int {
        try ConnectionLimits.count(name, in: [name: clip(text)], range: range, store: store) ?? range.lowerBound
    }

    /// Seconds (`2`, `0.25`), as every driver takes them, or, as Redis URLs also have, a
    /// number with `ms` or `s`. Anything else, or a value out of range, gets
    /// ``ConnectionLimits``' message with the text as given.
    static func duration(_ text: String, name: String, store: String) throws(TokenStoreError) -> Duration {
        var number = Substring(text)
        var scale = 1.0
        if number.hasSuffix("ms") {
            number = number.dropLast(2)
            scale = 0.001
        } else if number.hasSuffix("s") {
            number = number.dropLast()
        }
        if number.count < text.count, let value = Double(number), value.isFinite, value > 0, value * scale <= 3600 {
            // At most 3.6 million milliseconds: the conversion cannot trap.
            return .milliseconds(Int64((value * scale * 1000).rounded(.up)))
        }
        // Present by construction; a missing value would fail validate()'s range check.
        return try ConnectionLimits.seconds(name, in: [name: clip(text)], store: store) ?? .zero
    }

    static func percentDecode(_ text: Substring, what: String, fail: (String) -> TokenStoreError) throws(TokenStoreError) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.utf8.count)
        var iterator = text.utf8.makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%") {
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    throw fail("\(what) has a malformed percent escape")
                }
                bytes.append(high << 4 | low)
            } else {
                bytes.append(byte)
            }
        }
        guard let decoded = String(validating: bytes, as: UTF8.self) else {
            throw fail("\(what) is not valid UTF-8 after percent-decoding")
        }
        return decoded
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): return byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): return byte - UInt8(ascii: "A") + 10
        default: return nil
        }
    }
}
