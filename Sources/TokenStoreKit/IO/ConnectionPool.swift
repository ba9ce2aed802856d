// INTERFACE STUB: implemented by the io work. Signatures are the contract the PostgreSQL
// and Redis drivers code against; bodies are placeholders.
import Logging

/// A connection a ``ConnectionPool`` hands out to one caller at a time.
package protocol PooledConnection: AnyObject, Sendable {
    /// Whether the connection saw an I/O or protocol failure and must not be reused.
    var isBroken: Bool { get }
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

/// A bounded pool of connections shared by every task of a store.
///
/// Acquiring an idle connection takes a lock and no thread hop. When all `maxConnections`
/// are busy, callers wait in FIFO order up to `acquireTimeout`. Broken connections are
/// closed on release and replaced on demand, so a restarted server is picked up again
/// without the app doing anything.
package final class ConnectionPool<Connection: PooledConnection>: Sendable {
    /// Pool limits.
    package struct Configuration: Sendable {
        /// Connections kept open even when idle (opened by ``run()``).
        package var minConnections: Int = 0
        /// The most connections open at once.
        package var maxConnections: Int = 8
        /// How long a connection above `minConnections` may sit idle before it is closed.
        package var idleTimeout: Duration = .seconds(60)
        /// How long a caller waits for a free connection.
        package var acquireTimeout: Duration = .seconds(5)

        package init() {}
    }

    /// Creates a pool; `factory` opens one connection (and throws the driver's error).
    package init(
        configuration: Configuration,
        logger: Logger,
        factory: @escaping @Sendable () async throws -> Connection
    ) {}

    /// Lends a connection to `body` and takes it back afterwards, also when `body` throws.
    ///
    /// - Throws: ``ConnectionPoolError``, the factory's error, or `body`'s error.
    package func withConnection<Result: Sendable>(
        _ body: (Connection) async throws -> Result
    ) async throws -> Result {
        throw ConnectionPoolError.shutDown
    }

    /// Keeps `minConnections` open and closes idle ones until ``shutdown()``; optional:
    /// the pool works without it, lazily.
    package func run() async {}

    /// Closes every connection, fails waiting callers with ``ConnectionPoolError/shutDown``,
    /// and makes ``run()`` return. Safe to call twice.
    package func shutdown() async {}
}
