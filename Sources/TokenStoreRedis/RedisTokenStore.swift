import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// A `TokenStore` on Redis (5.0 or later; ACL users need 6.0), through the system
/// hiredis 0.14 with non-blocking sockets and a connection pool.
///
/// ```swift
/// let store = try await RedisTokenStore(url: "redis://app:secret@10.0.0.5:6379/0?prefix=myapp")
/// try await store.saveRequestToken(token)
/// ```
///
/// Every key lives under the hash tag `{prefix}` (see `Docs/redis.md` for the layout), or,
/// in a store created with `buckets=N` (the default of `redis+cluster://`), under one of N
/// tags spread over the Redis Cluster slots; every operation on a record names keys of one
/// slot and is one atomic step: `MULTI`/`EXEC` or a Lua script. With `redis+cluster://`
/// each call goes to the primary serving its slot, following `MOVED` and `ASK` redirects.
/// Request tokens expire on the server (`SET ... PX`);
/// `take` uses `GETDEL` (Redis 6.2+, detected once at open) or a Lua script on older
/// servers.
///
/// The store works without ``run()``; run it in a `ServiceGroup` to keep `pool_min`
/// connections open, to close those idle longer than `pool_idle_timeout`, and to close
/// the pool on graceful shutdown.
public final class RedisTokenStore: TokenStore, Service {
    /// The store's URL without the password.
    public let displayName: String
    let configuration: Configuration
    /// The keys under `{prefix}`: the schema version key and, in a store of one bucket,
    /// every key. Records live in ``layout``'s buckets.
    package let keys: RedisKeyLayout
    /// The URL's server (with `redis+cluster://`, the first seed node).
    let home: RedisNode
    /// Routes calls to a cluster's nodes; `nil` for `redis://` and `redis+unix://`, where
    /// every call goes to ``home`` at no cost.
    let router: RedisClusterRouter?
    let logger: Logger
    let state: Mutex<State>
    /// `WAIT n ms` as the store sends it after a write (``Configuration/waitReplicas``);
    /// empty when writes do not wait.
    let waitCommand: [UInt8]
    /// Calls holding a connection right now; above ``spinningCallers`` a reply wait parks
    /// at once instead of spinning, leaving the cooperative threads to other callers.
    private let callsInFlight = Atomic<Int>(0)
    /// Fewer callers waiting inline than cores (at least one): more would keep the
    /// cooperative threads busy waiting while other callers' replies wait to be read.
    static let spinningCallers = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    struct State {
        var closed = false
        /// Whether the server has `GETDEL` (6.2+).
        var hasGetDel: Bool
        /// SHA1 of each script in ``RedisScripts/all`` order, from `SCRIPT LOAD`.
        var scriptHashes: [String]
        /// The server's `redis_version`.
        var serverVersion: String
        /// Whether bulk saves may take the no-script path (`ZMSCORE`, 6.2+).
        var hasZMScore = false
    }

    /// The store's buckets, set once at open from the schema it reads.
    ///
    /// `nonisolated(unsafe)`: written only by ``setLayout(buckets:)`` while `init` runs,
    /// before the store is handed to any other task, and only read afterwards. Every call
    /// reads it; `AtomicLazyReference.load()`, which it replaces, ran unspecialized and
    /// looked a generic type's metadata up on each read.
    nonisolated(unsafe) private var openedLayout: RedisStoreLayout?
    /// The single-tag layout, which ``layout`` is until the open has read the schema.
    private let singleBucketLayout: RedisStoreLayout

    /// Opens a store from a URL (see ``Configuration/init(url:clock:logger:)`` for the form
    /// and its parameters).
    ///
    /// - Parameters:
    ///   - url: `redis://[user:password@]host[:port][/db][?prefix=...&pool_max=...]`,
    ///     `redis+cluster://[user:password@]host1:port1,host2:port2[/0][?...]` (a Redis
    ///     Cluster, through its seed nodes) or `redis+unix:///path/redis.sock?db=0`.
    ///   - options: the clock and logger.
    /// - Throws: `TokenStoreError`: `misconfigured` for a bad URL or database,
    ///   `authenticationFailed`, `unavailable`, `timedOut`, `schemaTooNew`.
    public convenience init(url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws {
        var configuration = try Configuration(url: url, clock: options.clock, logger: options.logger)
        configuration.createIfMissing = options.createIfMissing
        try await self.init(configuration: configuration)
    }

    /// Opens a store: connects once to check the credentials and database, detects the
    /// server version, loads the scripts and checks (or writes) the schema version key.
    ///
    /// - Throws: `TokenStoreError`: `misconfigured`, `authenticationFailed`,
    ///   `unavailable`, `timedOut`, `schemaTooNew`, `corruptedRecord` (a schema key that is
    ///   not a number).
    public init(configuration: Configuration) async throws {
        try configuration.validate()
        let name = configuration.description
        let home = RedisNode(endpoint: configuration.endpoint, configuration: configuration, store: name)
        self.displayName = name
        self.configuration = configuration
        self.keys = RedisKeyLayout(prefix: configuration.prefix)
        self.home = home
        self.router = configuration.isCluster ? RedisClusterRouter(configuration: configuration, store: name, home: home) : nil
        self.logger = configuration.logger
        self.state = Mutex(State(hasGetDel: false, scriptHashes: [], serverVersion: ""))
        self.singleBucketLayout = RedisStoreLayout(prefix: configuration.prefix, buckets: 1)
        var wait = RESPWriter(capacity: 32)
        if configuration.waitReplicas > 0 {
            Self.writeWait(&wait, replicas: configuration.waitReplicas, milliseconds: configuration.waitReplicasMilliseconds)
        }
        self.waitCommand = wait.bytes
        do {
            try await prepare()
        } catch {
            await shutdownPools()
            throw error
        }
    }

    /// The server's version as seen at open, e.g. `7.0.15`.
    public var serverVersion: String { state.withLock { $0.serverVersion } }

    package var usesGetDel: Bool { state.withLock { $0.hasGetDel } }

    /// The store's buckets (one unless it was created with `buckets=`), fixed at open.
    package var layout: RedisStoreLayout { openedLayout ?? singleBucketLayout }

    /// Fixes ``layout``: once, while `init` runs (see `openedLayout`).
    func setLayout(buckets: Int) {
        let layout = buckets > 1 ? RedisStoreLayout(prefix: configuration.prefix, buckets: buckets) : singleBucketLayout
        openedLayout = layout
    }

    /// Whether bulk saves may load chunks without the script (see ``saveAccessTokens(_:policy:)``).
    var supportsBulkLoad: Bool { state.withLock { $0.hasZMScore } }

    func scriptHash(_ index: Int) -> String? {
        state.withLock { index < $0.scriptHashes.count ? $0.scriptHashes[index] : nil }
    }

    // MARK: Lifecycle

    /// Keeps `pool_min` connections open, closes idle ones, and every minute purges the
    /// index entries of expired request tokens, until graceful shutdown or cancellation;
    /// then closes the store.
    public func run() async throws {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.runPools() }
            // Returns on graceful shutdown, or throws on cancellation.
            group.addTask { try? await gracefulShutdown() }
            group.addTask {
                while (try? await Task.sleep(for: Self.purgeInterval)) != nil {
                    do {
                        let removed = try await self.purgeExpiredRequestTokens()
                        if removed > 0 {
                            self.logger.debug("purged expired request tokens", metadata: ["store": "\(self.displayName)", "count": "\(removed)"])
                        }
                    } catch {
                        self.logger.notice("periodic purge failed", metadata: ["store": "\(self.displayName)", "error": "\(error)"])
                    }
                }
            }
            // Whichever ends first (shutdown requested, or close() stopped the pool)
            // closes the store, which makes the pool's run() return.
            await group.next()
            try? await self.close()
            group.cancelAll()
        }
    }

    /// How often ``run()`` purges expired request tokens' index entries.
    static let purgeInterval: Duration = .seconds(60)

    /// Closes every connection; later calls throw `TokenStoreError.Code.closed`.
    public func close() async throws {
        let wasClosed = state.withLock { state in
            defer { state.closed = true }
            return state.closed
        }
        guard !wasClosed else { return }
        await shutdownPools()
        logger.debug("redis store closed", metadata: ["store": "\(displayName)"])
    }

    /// Maintains every node's pool (``RedisNode``); in a cluster also those of nodes
    /// found later, until cancelled.
    private func runPools() async {
        guard let router else { return await home.pool.run() }
        await withTaskGroup(of: Void.self) { group in
            repeat {
                for node in router.nodesToRun() { group.addTask { await node.pool.run() } }
            } while (try? await Task.sleep(for: .seconds(1))) != nil && !state.withLock({ $0.closed })
            group.cancelAll()
        }
    }

    private func shutdownPools() async {
        for node in router?.nodes ?? [home] { await node.pool.shutdown() }
    }

    // MARK: Plumbing

    /// Lends a live connection to `body`, mapping pool failures to typed errors and naming
    /// `operation` in every error. An idle connection the server closed meanwhile (a
    /// restart) is detected before use and replaced, so the first call after a restart
    /// succeeds. `slot` is the slot of the keys `body` names (see ``RedisSlot``); `nil`
    /// for a call that names no key.
    func withConnection<Result: Sendable>(
        _ operation: String, slot: UInt16? = nil, _ body: (HiredisConnection) async throws -> Result
    ) async throws -> Result {
        guard let router else { return try await withConnection(on: home, operation, body) }
        let node = try await router.node(for: slot, operation: operation)
        do {
            return try await withConnection(on: node, operation, body)
        } catch var error as TokenStoreError {
            if error.code == .unavailable || error.code == .timedOut {
                router.nodeFailed(node)
            } else if error.isClusterRedirect {
                // A body that reads its own replies does not follow redirects: the map is
                // read again, and the call fails as one to run again.
                router.scheduleRefresh()
                error.code = .unavailable
                error.message += " (the slot moved while the call ran; run it again)"
            }
            throw error
        }
    }

    /// ``withConnection(_:slot:_:)`` on `node`.
    func withConnection<Result: Sendable>(
        on node: RedisNode, _ operation: String, _ body: (HiredisConnection) async throws -> Result
    ) async throws -> Result {
        if state.withLock({ $0.closed }) {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        }
        do {
            return try await node.pool.withConnection { connection in
                let active = callsInFlight.add(1, ordering: .relaxed).newValue
                defer { callsInFlight.subtract(1, ordering: .relaxed) }
                let replyWait = configuration.replyWait
                connection.mayWaitInline = replyWait != .park && active <= Self.spinningCallers && !node.coalescer.hasCompany
                connection.busyPollsInline = replyWait == .spin
                return try await body(connection)
            }
        } catch let error as ConnectionPoolError {
            switch error {
            case .acquireTimedOut:
                throw TokenStoreError(
                    .timedOut, store: displayName, operation: operation,
                    message: "no connection became free within pool_acquire_timeout (\(configuration.acquireTimeout)); all \(configuration.maxConnections) are busy (raise pool_max or pool_acquire_timeout)")
            case .shutDown:
                if router != nil, !state.withLock({ $0.closed }) {
                    // A cluster node dropped from the slot map while this call waited.
                    throw TokenStoreError(
                        .unavailable, store: displayName, operation: operation,
                        message: "the cluster node \(node.endpoint) left the slot map while the call waited; run it again")
                }
                throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
            }
        } catch var error as TokenStoreError {
            error.operation = operation
            throw error
        }
    }

    func nowMilliseconds() -> Int64 { TokenTimestamp.milliseconds(configuration.clock.now()) }

    func checkLimit(_ limit: Int, _ operation: String) throws {
        guard limit >= 1 else {
            throw TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "limit must be at least 1, got \(limit)")
        }
    }
}
