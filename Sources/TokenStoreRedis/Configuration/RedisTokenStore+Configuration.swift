import CoreMetrics
import Logging
import TokenStoreKit

extension RedisTokenStore {
    /// Where the Redis server listens.
    public enum Endpoint: Sendable, Hashable, CustomStringConvertible {
        /// A TCP host (name, IPv4 or IPv6 address) and port.
        case tcp(host: String, port: Int)
        /// A unix domain socket path.
        case unixSocket(path: String)

        public var description: String {
            switch self {
            case .tcp(let host, let port):
                return host.contains(":") ? "[\(host)]:\(port)" : "\(host):\(port)"
            case .unixSocket(let path):
                return path
            }
        }
    }

    /// Everything a ``RedisTokenStore`` needs to connect; the URL form is parsed by
    /// ``init(url:clock:logger:)``.
    ///
    /// ``description`` never shows ``password``.
    public struct Configuration: Sendable, CustomStringConvertible {
        /// The server's address; with ``isCluster``, the first seed node.
        public var endpoint: Endpoint
        /// Whether the store talks to a Redis Cluster (`redis+cluster://`): it reads the slot
        /// map from a seed node and sends each call to the primary serving its keys' slot,
        /// following `MOVED` and `ASK` redirects. A server with cluster support disabled is
        /// then used as a single server.
        public var isCluster = false
        /// The cluster's seed nodes, tried in order at open and when the slot map must be read
        /// again (with ``isCluster``; empty means ``endpoint`` alone).
        public var seeds: [Endpoint] = []
        /// The ACL user for `AUTH user password` (Redis 6+); `nil` authenticates the
        /// `default` user with ``password`` alone.
        public var username: String?
        /// The password; `nil` sends no `AUTH`. Never logged or printed.
        public var password: String?
        /// The logical database selected with `SELECT` (default 0).
        public var database: Int
        /// The namespace of every key, used as the Redis Cluster hash tag: `{prefix}:...`
        /// (with ``buckets`` above 1, also `{prefix{n}:...`).
        /// Must be non-empty and contain no `{`, `}` or control characters (default
        /// `tokenstore`).
        public var prefix: String
        /// The most connections open at once (default 16).
        public var maxConnections: Int
        /// Connections kept open while ``RedisTokenStore/run()`` runs (default 0).
        public var minConnections: Int
        /// How long a call waits for a free connection before `TokenStoreError.Code.timedOut`
        /// (default 5 s; URL parameter `pool_acquire_timeout`).
        public var acquireTimeout: Duration
        /// How long a connection above ``minConnections`` may sit idle before
        /// ``RedisTokenStore/run()`` closes it (default 60 s; URL parameter
        /// `pool_idle_timeout`). Without `run()` idle connections stay open until
        /// ``RedisTokenStore/close()``.
        public var idleTimeout: Duration
        /// How long connecting, including `AUTH` and `SELECT`, may take (default 5 s).
        public var connectTimeout: Duration
        /// How long one command or pipeline may wait for its reply (default 5 s; URL
        /// parameter `operation_timeout`). A connection that times out is closed, since a
        /// half-read reply makes it unusable.
        public var operationTimeout: Duration
        /// The most bytes the replies to one round trip (a command, or the pipeline of a
        /// call and those batched with it) may take (default 64 MiB, URL parameter
        /// `max_reply_bytes`; between 64 KiB and 1 GiB). A reply announcing or sending
        /// more fails the call with `TokenStoreError.Code.internal` and closes its
        /// connection, so a misbehaving server cannot make the client buffer without
        /// bound. The store's own replies are far smaller: a token is a few hundred bytes
        /// and a listing page at most 1000 tokens.
        public var maxReplyBytes: Int
        /// How a call waits for its reply once its commands are sent (default
        /// `ReplyWait.adaptive`; URL parameter `reply_wait`).
        public var replyWait: ReplyWait = .adaptive
        /// Where the store reads the current time for expiry and timestamps.
        public var clock: TokenClock
        /// Where connects, reconnects and failures are logged; never receives secrets.
        public var logger: Logger
        /// Whether opening writes the schema version key when it is missing (default
        /// `true`). With `false` a prefix no store was ever opened under is
        /// `TokenStoreError.Code.unavailable` and nothing is written
        /// (`TokenStoreOptions.createIfMissing`).
        public var createIfMissing = true
        /// Where the store's connection pool reports its gauges (open and idle connections,
        /// waiting calls; names in `Docs/metrics.md`). `nil` (the default) is
        /// `MetricsSystem.factory` as it is when the store opens: bootstrap the metrics
        /// backend before opening stores.
        public var metricsFactory: (any MetricsFactory)?
        /// How many buckets a new store spreads its keys over (URL parameter `buckets`,
        /// 1...1024), each under its own hash tag, so the keys spread over a Redis
        /// Cluster's slots (see `Docs/redis.md`). Fixed when the store is created: `nil`
        /// (not given) creates ``defaultBuckets`` and opens an existing store with the count
        /// it was created with; a value given must equal an existing store's count
        /// (`TokenStoreError.Code.misconfigured` otherwise). 1 is the single-tag layout of
        /// every store written before buckets.
        public var buckets: Int?
        /// The bucket count a new store gets when ``buckets`` is `nil`: 48 in a cluster
        /// (`redis+cluster://`: with the usual even slot split each of 2, 3, 4, 6, 8, 12,
        /// 16, 24 or 48 primaries serves the same number of buckets), else 1.
        public var defaultBuckets: Int {
            isCluster ? 48 : 1
        }
        /// How many replicas each write waits for before the call returns (URL parameter
        /// `wait_replicas`, 0...16; default 0: writes do not wait). Redis replicates
        /// asynchronously, so a write a primary acknowledged and lost in a failover before a
        /// replica got it is gone (a saved token missing, a taken request token back). With
        /// a value above 0 every write call ends its commands with `WAIT n timeout` on the same
        /// connection; when fewer than `n` replicas acknowledge within
        /// ``waitReplicasTimeout`` the call throws `TokenStoreError.Code.timedOut`: the write
        /// reached the primary and may survive or not (a taken token is then never handed
        /// out). Reads never wait. Each write costs about one replication round trip more.
        public var waitReplicas = 0
        /// How long a write waits for ``waitReplicas`` replicas (URL parameter
        /// `wait_replicas_timeout`, like the other timeouts; default 1 s). Must be at least
        /// 1 ms (`WAIT` with 0 waits forever) and, when ``waitReplicas`` is above 0,
        /// shorter than ``operationTimeout``, which bounds the whole round trip.
        public var waitReplicasTimeout: Duration = .seconds(1)
        /// The range ``waitReplicas`` must lie in.
        static let waitReplicasRange = 0...16
        /// Test hook: take request tokens with the Lua script even on servers with `GETDEL`.
        package var forceScriptedTake = false

        /// Creates a configuration; every parameter but `endpoint` has the documented default.
        public init(
            endpoint: Endpoint,
            username: String? = nil,
            password: String? = nil,
            database: Int = 0,
            prefix: String = "tokenstore",
            maxConnections: Int = 16,
            minConnections: Int = 0,
            acquireTimeout: Duration = .seconds(5),
            idleTimeout: Duration = .seconds(60),
            connectTimeout: Duration = .seconds(5),
            operationTimeout: Duration = .seconds(5),
            maxReplyBytes: Int = Self.defaultMaxReplyBytes,
            clock: TokenClock = .system,
            logger: Logger = Logger(label: "tokenstore.redis", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.endpoint = endpoint
            self.username = username
            self.password = password
            self.database = database
            self.prefix = prefix
            self.maxConnections = maxConnections
            self.minConnections = minConnections
            self.acquireTimeout = acquireTimeout
            self.idleTimeout = idleTimeout
            self.connectTimeout = connectTimeout
            self.operationTimeout = operationTimeout
            self.maxReplyBytes = maxReplyBytes
            self.clock = clock
            self.logger = logger
        }

        /// The default of ``maxReplyBytes``: 64 MiB.
        public static let defaultMaxReplyBytes = 64 << 20
        /// The range ``maxReplyBytes`` must lie in.
        static let maxReplyBytesRange = (64 << 10)...(1 << 30)

        /// The store's display name: a `redis://` or `redis+unix://` URL without the password.
        public var description: String {
            var userInfo = ""
            if let username {
                userInfo = Self.percentEncode(username) + (password == nil ? "@" : ":***@")
            } else if password != nil {
                userInfo = ":***@"
            }
            var query = prefix == "tokenstore" ? "" : "prefix=" + Self.percentEncode(prefix)
            if let buckets { query += (query.isEmpty ? "" : "&") + "buckets=\(buckets)" }
            if waitReplicas != 0 {
                query += (query.isEmpty ? "" : "&") + "wait_replicas=\(waitReplicas)&wait_replicas_timeout=\(waitReplicasMilliseconds)ms"
            }
            if isCluster {
                let hosts = seedList.map(\.description).joined(separator: ",")
                return "redis+cluster://\(userInfo)\(hosts)/\(database)" + (query.isEmpty ? "" : "?" + query)
            }
            switch endpoint {
            case .tcp:
                return "redis://\(userInfo)\(endpoint)/\(database)" + (query.isEmpty ? "" : "?" + query)
            case .unixSocket(let path):
                var params = ["db=\(database)"]
                if !query.isEmpty { params.append(query) }
                return "redis+unix://\(userInfo)\(path)?" + params.joined(separator: "&")
            }
        }

        static func percentEncode(_ text: String) -> String {
            var out = ""
            for byte in text.utf8 {
                let c = Character(Unicode.Scalar(byte))
                if byte < 0x80, c.isLetter || c.isNumber || "-._~".contains(c) {
                    out.append(c)
                } else {
                    out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(to: 2)
                }
            }
            return out
        }

        /// ``waitReplicasTimeout`` in whole milliseconds, rounded up (as `WAIT` takes it).
        var waitReplicasMilliseconds: Int64 {
            let (seconds, attoseconds) = waitReplicasTimeout.components
            guard seconds >= 0, seconds <= 3600 else { return seconds < 0 ? 1 : 3_600_000 }
            return seconds * 1000 + (attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
        }

        /// The seed nodes of a cluster: ``seeds``, or ``endpoint`` when none are given.
        var seedList: [Endpoint] { seeds.isEmpty ? [endpoint] : seeds }

        /// Checks the values a URL or a caller may have got wrong.
        func validate() throws(TokenStoreError) {
            func fail(_ message: String) -> TokenStoreError {
                TokenStoreError(.misconfigured, store: description, operation: "open", message: message)
            }
            if prefix.isEmpty || prefix.utf8.count > 200
                || prefix.unicodeScalars.contains(where: { $0 == "{" || $0 == "}" || $0.value < 0x20 || $0.value == 0x7F })
            {
                throw fail("prefix must be 1-200 characters without '{', '}' or control characters (it becomes the hash tag {prefix})")
            }
            if let buckets, !(1...RedisStoreLayout.maxBuckets).contains(buckets) {
                throw fail("buckets must be between 1 and \(RedisStoreLayout.maxBuckets), got \(buckets)")
            }
            if !Self.waitReplicasRange.contains(waitReplicas) {
                throw fail("wait_replicas must be between \(Self.waitReplicasRange.lowerBound) and \(Self.waitReplicasRange.upperBound), got \(waitReplicas)")
            }
            if waitReplicasTimeout < .milliseconds(1) || waitReplicasTimeout > .seconds(3600) {
                throw fail("wait_replicas_timeout must be between 1 ms and 3600 s (WAIT with 0 waits forever), got \(waitReplicasTimeout)")
            }
            if waitReplicas > 0, waitReplicasTimeout >= operationTimeout {
                throw fail("wait_replicas_timeout (\(waitReplicasTimeout)) must be shorter than operation_timeout (\(operationTimeout)), which bounds the write and its WAIT")
            }
            if database < 0 || database > 1_000_000 { throw fail("database must be a non-negative integer, got \(database)") }
            try ConnectionLimits.validate(minConnections: minConnections, maxConnections: maxConnections, store: description)
            try ConnectionLimits.validate(
                timeouts: [
                    ("pool_acquire_timeout", acquireTimeout), ("pool_idle_timeout", idleTimeout),
                    ("connect_timeout", connectTimeout), ("operation_timeout", operationTimeout),
                ],
                store: description)
            if !Self.maxReplyBytesRange.contains(maxReplyBytes) {
                throw fail("max_reply_bytes must be between \(Self.maxReplyBytesRange.lowerBound) (64 KiB) and \(Self.maxReplyBytesRange.upperBound) (1 GiB), got \(maxReplyBytes)")
            }
            if isCluster {
                if database != 0 { throw fail("a Redis Cluster has only database 0, got \(database)") }
                for seed in seedList {
                    guard case .tcp(let host, let port) = seed else { throw fail("a cluster's seed nodes are host:port addresses, not unix sockets") }
                    if host.isEmpty || host.utf8.contains(0) { throw fail("a seed node's host is empty or contains a NUL byte") }
                    if port < 1 || port > 65535 { throw fail("port must be between 1 and 65535, got \(port)") }
                }
            }
            switch endpoint {
            case .tcp(let host, let port):
                if host.isEmpty || host.utf8.contains(0) { throw fail("the host is empty or contains a NUL byte") }
                if port < 1 || port > 65535 { throw fail("port must be between 1 and 65535, got \(port)") }
            case .unixSocket(let path):
                if !path.hasPrefix("/") || path.utf8.contains(0) { throw fail("a unix socket path must be absolute and contain no NUL byte") }
                if path.utf8.count > 107 { throw fail("a unix socket path must be at most 107 bytes (sun_path), got \(path.utf8.count)") }
            }
        }
    }
}

extension String {
    fileprivate func leftPadded(to width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
