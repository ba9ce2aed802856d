import Foundation
import Logging
import Synchronization
import TokenStoreIO
import TokenStoreKit

/// A `TokenStore` on PostgreSQL through libpq, for many workers on many machines.
///
/// ```swift
/// let store = try await PostgresTokenStore(url: "postgres://app:secret@db.internal/app?pool_max=16")
/// ```
///
/// - Every fixed query is a prepared statement, prepared once per pooled connection.
/// - `take` is `DELETE ... RETURNING`, atomic under any contention.
/// - The tables live in their own schema (`tokenstore` by default, `?schema=` to change it),
///   created and migrated on open under an advisory lock, so many workers starting together
///   migrate once. A database migrated by a newer version gives `TokenStoreError.Code.schemaTooNew`.
///   With ``Configuration/migrateSchemaOnOpen`` `false` the schema is left as found:
///   ``schemaStatus()`` reports it and ``upgradeSchema()`` applies what is pending.
/// - OAuth 2.0 token sets live in their own table (`token_sets`, schema 2). The store
///   counts every write in the row's `version`; ``replaceTokenSet(_:ifVersion:)`` and
///   ``acquireRefreshLease(for:owner:duration:)`` are each one conditional `UPDATE` (atomic
///   across processes, no advisory lock), the lease's expiry judged by the store's clock.
/// - ``saveAccessTokens(_:policy:)``, ``saveRequestTokens(_:)`` and
///   ``saveTokenSets(_:policy:)`` write a batch in one transaction, in chunks of 5000 rows sent with `COPY`: straight into the table while
///   none of the call's keys exist, else into a temporary staging table and upserted from
///   it. A call's memory stays bounded however many tokens it is given.
/// - The client encoding is always UTF8 (a URL asking for another is refused), and token
///   rows whose column types are not the migrations' (a table altered by hand) are
///   `TokenStoreError.Code.corruptedRecord`, never misread.
/// - Connections are pooled (``Configuration/maxConnections``); a connection the server
///   closed (restart, failover) is detected before use and replaced, so calls succeed
///   again after an outage without the app doing anything. During the outage calls fail
///   fast with `TokenStoreError.Code.unavailable`.
/// - Concurrent single-statement calls are pipelined: a call that finds a leader slot free
///   runs alone on a pooled connection; calls arriving while the leaders are busy queue,
///   and the next leader sends its statement and up to 64 queued ones in one write (libpq
///   pipeline mode) and hands each caller its own result. A server error or an undecodable
///   row fails only the call it belongs to; writes keep their own sync point, so no other
///   call's failure can undo them; a lost connection fails every carried call with
///   `TokenStoreError.Code.unavailable` (reads retry once on a fresh connection first).
///   A leader's cancellation never fails the calls it carries: once sent, its waits
///   ignore it; before that (waiting for a connection), the carried calls queue again.
///   Transactions, batches and migrations never share a connection.
/// - No libpq call blocks a Swift cooperative thread: sockets are non-blocking and waits
///   go through a short inline poll (only while a call is alone), then a shared epoll thread.
///
/// Run it in a `ServiceGroup` (it conforms to `Service`) to keep `pool_min` connections
/// open and close idle ones; without that the pool works lazily. Call ``close()`` when done.
public final class PostgresTokenStore: TokenStore, Sendable {
    public let displayName: String
    let configuration: Configuration
    let statements: PostgresStatements
    let pool: ConnectionPool<LibPQConnection>
    /// Pipelines concurrent single-statement calls (see `CallCoalescer`).
    let coalescer: CallCoalescer<PipelinedStatement, LibPQRows>
    let isClosed = Mutex(false)
    /// Closed while a store opened without migrating lacks migrations.
    let schemaGate = SchemaGate(status: nil)
    /// Whether the last bulk save met no key already stored (see ``saveAccessTokens(_:policy:)``).
    let bulkKeysLikelyNew = Atomic<Bool>(true)
    /// Whether a bulk save of this store ever deadlocked with another writer: from then on
    /// bulk saves lock their rows in key order (see ``saveAccessTokens(_:policy:)``).
    let bulkWritesContend = Atomic<Bool>(false)

    /// Opens a store from a `postgres://` URL or libpq keyword string (see
    /// ``Configuration/init(url:options:)``), connects once and migrates the schema.
    public convenience init(url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws {
        try await self.init(configuration: Configuration(url: url, options: options))
    }

    /// Opens a store: connects once (so a wrong password or database fails here) and
    /// applies pending migrations (unless ``Configuration/migrateSchemaOnOpen`` is `false`).
    ///
    /// - Throws: `TokenStoreError`: `TokenStoreError.Code.unavailable`,
    ///   `TokenStoreError.Code.authenticationFailed`, `TokenStoreError.Code.misconfigured`
    ///   (a pool size or timeout out of range, unknown database, TLS required but
    ///   unavailable, a `client_encoding` other than UTF8),
    ///   `TokenStoreError.Code.timedOut`,
    ///   `TokenStoreError.Code.schemaTooNew`.
    public init(configuration: Configuration) async throws {
        try configuration.validate()
        if let encoding = PostgresClientEncoding.foreignEncoding(in: configuration.connectionParameters) {
            throw PostgresClientEncoding.refused(encoding, store: configuration.displayName)
        }
        self.configuration = configuration
        displayName = configuration.displayName
        statements = PostgresStatements(schema: configuration.schema)
        let poolConfiguration = ConnectionPool<LibPQConnection>.Configuration(
            minConnections: configuration.minConnections, maxConnections: configuration.maxConnections,
            idleTimeout: configuration.idleTimeout, acquireTimeout: configuration.acquireTimeout, metricsDriver: "postgres",
            metricsFactory: configuration.metricsFactory)
        coalescer = CallCoalescer(Self.coalescing(maxConnections: configuration.maxConnections))
        // Defaults first (the user's parameters override them); client_encoding last: it
        // overrides the URL's options, PGCLIENTENCODING and defaults.
        let silentHostTimeout = PostgresConnectionParameters.silentHostTimeout(
            for: configuration.connectionParameters, connectTimeout: configuration.connectTimeout)
        let parameters =
            [("application_name", "swift-tokenstore")] + (silentHostTimeout.map { [$0] } ?? []) + configuration.connectionParameters
            + [PostgresClientEncoding.parameter]
        let connectTimeout = configuration.connectTimeout
        let operationTimeout = configuration.operationTimeout
        let logger = configuration.logger
        let name = configuration.displayName
        pool = ConnectionPool(configuration: poolConfiguration, logger: logger) {
            let connection = try await LibPQConnection.connect(parameters: parameters, deadline: .now + connectTimeout)
            // The server's own limit on every statement of the session. `validate()` keeps the
            // timeout within an hour; the cap keeps the product in range regardless.
            let seconds = min(max(operationTimeout.components.seconds, 0), Int64(Int32.max) / 1000 - 1)
            let milliseconds = seconds * 1000 + operationTimeout.components.attoseconds / 1_000_000_000_000_000
            // Again after connecting: `options=-c client_encoding=...` may have won the startup.
            _ = try await connection.execute(
                sql: "SET statement_timeout = \(milliseconds); \(PostgresClientEncoding.setStatement)", deadline: .now + connectTimeout)
            guard let encoding = connection.parameterStatus("client_encoding"), PostgresClientEncoding.isUTF8(encoding) else {
                await connection.close()
                throw TokenStoreError(
                    .misconfigured, store: name, operation: "connect",
                    message: "the server kept a client encoding other than UTF8 after SET client_encoding = 'UTF8'")
            }
            logger.debug("connected", metadata: ["store": "\(name)"])
            return connection
        }
        do {
            if configuration.migrateSchemaOnOpen {
                try await migrate(operation: "open")
            } else {
                schemaGate.update(try await schemaStatus())
            }
        } catch {
            await pool.shutdown()
            throw error
        }
    }

    /// Closes every connection. Later calls throw `TokenStoreError.Code.closed`.
    public func close() async throws {
        isClosed.withLock { $0 = true }
        await pool.shutdown()
    }
}
