import CoreMetrics
import Logging
import Synchronization

/// A connection a ``ConnectionPool`` hands out to one caller at a time.
package protocol PooledConnection: AnyObject, Sendable {
    /// Whether the connection saw an I/O or protocol failure and must not be reused.
    var isBroken: Bool { get }
    /// Whether this idle connection was closed by the server (restart, failover, idle
    /// timeout, a killed session) or is otherwise unfit to lend; one non-blocking look.
    /// The pool asks before lending a connection that sat idle at least
    /// ``ConnectionPoolConfiguration/staleCheckAfter``, and closes one that is.
    func isStale() -> Bool
    /// Closes the connection. Called once, by the pool.
    func close() async
}

/// Why the pool could not lend a connection.
package enum ConnectionPoolError: Error, Sendable {
    /// No connection became free within ``ConnectionPool/Configuration/acquireTimeout``.
    case acquireTimedOut
    /// The pool was shut down.
    case shutDown
}

/// A ``ConnectionPool``'s limits.
package struct ConnectionPoolConfiguration: Sendable {
    /// Connections kept open even when idle (opened by ``ConnectionPool/run()``).
    package var minConnections: Int = 0
    /// The most connections open at once.
    package var maxConnections: Int = 8
    /// How long a connection above `minConnections` may sit idle before it is closed.
    package var idleTimeout: Duration = .seconds(60)
    /// How long a caller waits for a free connection.
    package var acquireTimeout: Duration = .seconds(5)
    /// How long a connection must have sat idle before the pool checks it for a close by
    /// the server (``PooledConnection/isStale()``, a system call) before lending it.
    ///
    /// A connection given back a moment ago answered its last reply a moment ago: a server
    /// that restarts, fails over or times sessions out takes far longer than this, so the
    /// check would only repeat that answer, on every call of a busy store. What it gives
    /// up: a session the server kills within this window of its last use (`CLIENT KILL`,
    /// `pg_terminate_backend`) is found closed by the next call itself, as a kill during a
    /// call is (a read the driver retries runs again on a fresh connection; a write fails
    /// with `unavailable`), instead of being replaced first.
    package var staleCheckAfter: Duration = .milliseconds(1)
    /// The `driver` dimension of the pool's meters (`postgres`, `redis`).
    package var metricsDriver = "unknown"
    /// Where the pool's meters (open, idle, waiting; see `ConnectionPoolMeters`) go;
    /// `nil` is `MetricsSystem.factory` as bootstrapped when the pool is created.
    package var metricsFactory: (any MetricsFactory)?

    package init() {}

    /// A driver's pool limits, as its configuration holds them.
    package init(
        minConnections: Int, maxConnections: Int, idleTimeout: Duration, acquireTimeout: Duration, metricsDriver: String,
        metricsFactory: (any MetricsFactory)?
    ) {
        self.minConnections = minConnections
        self.maxConnections = maxConnections
        self.idleTimeout = idleTimeout
        self.acquireTimeout = acquireTimeout
        self.metricsDriver = metricsDriver
        self.metricsFactory = metricsFactory
    }
}

/// A bounded pool of connections shared by every task of a store.
///
/// Acquiring an idle connection takes a lock and no thread hop. When all `maxConnections`
/// are busy, callers wait in FIFO order up to `acquireTimeout`. Broken connections are
/// closed on release and replaced on demand, so a restarted server is picked up again
/// without the app doing anything.
///
/// A typed face on ``ConnectionPoolCore``, which does the work untyped.
package final class ConnectionPool<Connection: PooledConnection>: Sendable {
    package typealias Configuration = ConnectionPoolConfiguration

    private let core: ConnectionPoolCore

    /// Creates a pool; `factory` opens one connection (and throws the driver's error).
    package init(
        configuration: Configuration,
        logger: Logger,
        factory: @escaping @Sendable () async throws -> Connection
    ) {
        core = ConnectionPoolCore(configuration: configuration, logger: logger) { try await factory() }
    }

    /// Lends a connection to `body` and takes it back afterwards, also when `body` throws.
    ///
    /// - Throws: ``ConnectionPoolError``, the factory's error, `CancellationError` when
    ///   cancelled while waiting, or `body`'s error.
    @discardableResult
    package func withConnection<Result: Sendable>(
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        // The usual case, an idle connection taken and given back, runs synchronously: no
        // async frame for acquire or release (each one is task-allocator space, and from a
        // fresh task past the first slab a `malloc`).
        let pooled: any PooledConnection
        if let idle = try core.takeIdle() {
            pooled = idle
        } else {
            pooled = try await core.acquireSlowly()
        }
        // Every connection in the core came from this pool's factory.
        let connection = unsafeDowncast(pooled, to: Connection.self)
        do {
            let result = try await body(connection)
            if !core.giveBack(connection) { await core.close(returned: connection) }
            return result
        } catch {
            if !core.giveBack(connection) { await core.close(returned: connection) }
            throw error
        }
    }

    /// Counts for tests and metrics: open connections (with slots being opened), idle ones, waiters.
    package var statistics: (open: Int, idle: Int, waiting: Int) { core.statistics }

    /// Keeps `minConnections` open and closes idle ones until ``shutdown()`` or until the
    /// calling task is cancelled (which shuts the pool down). Optional: the pool works
    /// without it, lazily.
    package func run() async { await core.run() }

    /// Closes every idle connection, fails waiting callers with ``ConnectionPoolError/shutDown``,
    /// closes leased connections when they come back, and makes ``run()`` return. Safe to
    /// call twice.
    package func shutdown() async { await core.shutdown() }
}
