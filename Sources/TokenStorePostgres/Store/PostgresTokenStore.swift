import Foundation
import Logging
import Synchronization
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
/// - ``saveAccessTokens(_:policy:)`` and ``saveRequestTokens(_:)`` write a batch in one
///   transaction, in chunks of 5000 rows sent with `COPY`: straight into the table while
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
    private let isClosed = Mutex(false)
    /// Closed while a store opened without migrating lacks migrations.
    let schemaGate = SchemaGate(status: nil)
    /// Whether the last bulk save met no key already stored (see ``saveAccessTokens(_:policy:)``).
    let bulkKeysLikelyNew = Atomic<Bool>(true)
    /// Whether a bulk save of this store ever deadlocked with another writer: from then on
    /// bulk saves lock their rows in key order (see ``saveAccessTokens(_:policy:)``).
    let bulkWritesContend = Atomic<Bool>(false)

    /// The driver for `postgres:` and `postgresql:` URLs.
    public static var driver: TokenStoreDriver {
        TokenStoreDriver(schemes: ["postgres", "postgresql"], summary: "PostgreSQL through libpq") { url, options in
            try await PostgresTokenStore(url: url, options: options)
        }
    }

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
    ///   (unknown database, TLS required but unavailable, a `client_encoding` other than UTF8),
    ///   `TokenStoreError.Code.timedOut`,
    ///   `TokenStoreError.Code.schemaTooNew`.
    public init(configuration: Configuration) async throws {
        if let encoding = PostgresClientEncoding.foreignEncoding(in: configuration.connectionParameters) {
            throw PostgresClientEncoding.refused(encoding, store: configuration.displayName)
        }
        self.configuration = configuration
        displayName = configuration.displayName
        statements = PostgresStatements(schema: configuration.schema)
        var poolConfiguration = ConnectionPool<LibPQConnection>.Configuration()
        poolConfiguration.minConnections = configuration.minConnections
        poolConfiguration.maxConnections = configuration.maxConnections
        poolConfiguration.idleTimeout = configuration.idleTimeout
        poolConfiguration.acquireTimeout = configuration.acquireTimeout
        coalescer = CallCoalescer(Self.coalescing(maxConnections: configuration.maxConnections))
        // client_encoding last: it overrides the URL's options, PGCLIENTENCODING and defaults.
        let parameters = [("application_name", "swift-tokenstore")] + configuration.connectionParameters + [PostgresClientEncoding.parameter]
        let connectTimeout = configuration.connectTimeout
        let statementTimeout = configuration.statementTimeout
        let logger = configuration.logger
        let name = configuration.displayName
        pool = ConnectionPool(configuration: poolConfiguration, logger: logger) {
            let connection = try await LibPQConnection.connect(parameters: parameters, deadline: .now + connectTimeout)
            // Capped before multiplying (a configured `.seconds(.max)` must not trap), and
            // to the largest value statement_timeout takes (an int of milliseconds).
            let seconds = min(max(statementTimeout.components.seconds, 0), Int64(Int32.max) / 1000 - 1)
            let milliseconds = seconds * 1000 + statementTimeout.components.attoseconds / 1_000_000_000_000_000
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

    // MARK: Running statements

    /// Runs `body` on a pooled connection, mapping failures to `TokenStoreError`.
    ///
    /// A connection the server closed while idle is replaced before use. A read
    /// (`idempotent`) that loses its connection mid-call is retried once on a fresh one;
    /// a write never is, since it may have run.
    /// Token operations (`gated`) first check that the schema is the one this build needs.
    func withConnection<Result: Sendable>(
        _ operation: String,
        idempotent: Bool = false,
        gated: Bool = true,
        _ body: (LibPQConnection, ContinuousClock.Instant) async throws(LibPQFailure) -> Result
    ) async throws -> Result {
        try checkOpen(operation, gated: gated)
        var retries = LeaseRetries()
        while true {
            do {
                return try await pool.withConnection { connection in
                    if connection.looksClosedByServer() {
                        connection.markBroken()
                        throw StaleConnection()
                    }
                    let deadline = ContinuousClock.now + configuration.statementTimeout + .seconds(1)
                    connection.waitsInline = !coalescer.hasCompany
                    return try await body(connection, deadline)
                }
            } catch {
                try retryOrThrow(after: error, retries: &retries, operation: operation, idempotent: idempotent)
            }
        }
    }

    /// Whether the store is open and, for token operations (`gated`), its schema current.
    private func checkOpen(_ operation: String, gated: Bool) throws {
        guard !isClosed.withLock({ $0 }) else {
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        }
        if gated { try schemaGate.check(store: displayName, operation: operation) }
    }

    /// The retries one ``withConnection(_:idempotent:gated:_:)`` call has used.
    private struct LeaseRetries {
        var staleSkips = 0
        var retried = false
    }

    /// Returns when a failed lease should run again (a connection the server closed while
    /// idle; a read's first lost connection), else throws the failure in the store's terms.
    ///
    /// Kept out of `withConnection`: an async function's frame holds whatever it inlines,
    /// and this mapping more than tripled that frame on every call's path.
    @inline(never)
    private func retryOrThrow(after error: any Error, retries: inout LeaseRetries, operation: String, idempotent: Bool) throws {
        switch error {
        case is StaleConnection:
            retries.staleSkips += 1
            configuration.logger.info("replacing a connection the server closed", metadata: ["store": "\(displayName)"])
            if retries.staleSkips > configuration.maxConnections + 1 {
                throw TokenStoreError(.unavailable, store: displayName, operation: operation, message: "the server keeps closing connections")
            }
        case let failure as LibPQFailure:
            if failure.kind == .connection, idempotent, !retries.retried {
                retries.retried = true
                return
            }
            throw PostgresErrorMapping.error(for: failure, store: displayName, operation: operation)
        case ConnectionPoolError.acquireTimedOut:
            throw TokenStoreError(
                .timedOut, store: displayName, operation: operation,
                message: "no pooled connection became free within \(configuration.acquireTimeout) (pool_max \(configuration.maxConnections))")
        case ConnectionPoolError.shutDown:
            throw TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
        default:
            throw error
        }
    }

    /// Runs a prepared statement, pipelined with concurrent calls when every leader slot
    /// is taken (see `CallCoalescer`). A lone call runs straight on a connection.
    ///
    /// Only the lone call's path is written here; the pipelined paths are functions of their
    /// own that are never inlined. An async function's frame holds the locals of every path
    /// it inlines, and the pipelined ones made this frame 1.9 KB: past the first slab of a
    /// fresh task's allocator, so every call from a new task paid a `malloc` for it.
    func run(
        _ statement: PostgresStatements.Statement, _ parameters: [String?], operation: String, idempotent: Bool = false
    ) async throws -> LibPQRows {
        guard coalescer.tryLead() else {
            return try await follow(PipelinedStatement(statement, parameters: parameters, readOnly: idempotent), operation: operation)
        }
        let followers = await coalescer.gatherFollowers()
        guard followers.isEmpty else {
            return try await lead(
                PipelinedStatement(statement, parameters: parameters, readOnly: idempotent), operation: operation, followers: followers)
        }
        // Alone: straight onto a connection.
        defer { coalescer.finishLeading() }
        return try await withConnection(operation, idempotent: idempotent) { connection, deadline throws(LibPQFailure) in
            try await connection.execute(statement, parameters: parameters, deadline: deadline)
        }
    }

    /// Queues the statement behind the leaders and waits: for its outcome from the leader
    /// that carried it, or for a leader slot (then it leads).
    @inline(never)
    private func follow(_ statement: PipelinedStatement, operation: String) async throws -> LibPQRows {
        let turn: CallCoalescer<PipelinedStatement, LibPQRows>.Turn
        do {
            turn = try await coalescer.follow(statement)
        } catch {
            throw PostgresErrorMapping.error(for: LibPQFailure(kind: .cancelled, message: "cancelled"), store: displayName, operation: operation)
        }
        switch turn {
        case .lead:
            return try await lead(statement, operation: operation, followers: coalescer.takeFollowers())
        case .done(let outcome):
            return try await settle(outcome, of: statement, operation: operation)
        }
    }

    /// Runs this call's statement, with the `followers'` after it in one pipeline when
    /// there are any, hands each follower its outcome, and ends the leader turn.
    @inline(never)
    private func lead(
        _ statement: PipelinedStatement, operation: String, followers: [CallCoalescer<PipelinedStatement, LibPQRows>.Follower]
    ) async throws -> LibPQRows {
        defer { coalescer.finishLeading() }
        if followers.isEmpty { return try await runAlone(statement, operation: operation, idempotent: statement.readOnly) }
        var statements = [statement]
        statements.reserveCapacity(followers.count + 1)
        for follower in followers { statements.append(follower.job) }
        // Followers' statements ride along: the pipeline's waits ignore this task's
        // cancellation (see ``LibPQConnection/executePipeline(_:deadline:)``), so running
        // the I/O right here cannot abandon them.
        let outcomes: [Result<LibPQRows, LibPQFailure>]
        do {
            outcomes = try await withConnection(operation) { connection, deadline throws(LibPQFailure) in
                await connection.executePipeline(statements, deadline: deadline)
            }
        } catch {
            // Nothing was sent: `executePipeline` never throws, so this is the lease (waiting
            // for a connection, connecting).
            coalescer.abandon(followers, after: error, sent: false)
            return try await settle(.failure(error), of: statement, operation: operation)
        }
        for (follower, outcome) in zip(followers, outcomes.dropFirst()) {
            coalescer.deliver(outcome.mapError { $0 }, to: follower)
        }
        return try await settle(outcomes[0].mapError { $0 }, of: statement, operation: operation)
    }

    /// The rows of a pipelined statement, or its error in this call's terms. A read whose
    /// connection failed is retried once, alone, on a fresh connection.
    @inline(never)
    private func settle(_ outcome: Result<LibPQRows, any Error>, of statement: PipelinedStatement, operation: String) async throws
        -> LibPQRows
    {
        switch outcome {
        case .success(let rows):
            return rows
        case .failure(let failure as LibPQFailure):
            if failure.kind == .connection, statement.readOnly {
                return try await runAlone(statement, operation: operation, idempotent: false)
            }
            throw PostgresErrorMapping.error(for: failure, store: displayName, operation: operation)
        case .failure(var error as TokenStoreError):
            error.operation = operation
            throw error
        case .failure(let error):
            throw error
        }
    }

    /// Runs one prepared statement on a connection of its own.
    @inline(never)
    private func runAlone(_ statement: PipelinedStatement, operation: String, idempotent: Bool) async throws -> LibPQRows {
        try await withConnection(operation, idempotent: idempotent) { connection, deadline throws(LibPQFailure) in
            try await connection.execute(statement.statement, parameters: statement.parameters, deadline: deadline)
        }
    }
}

extension PostgresTokenStore {
    /// How this driver coalesces concurrent calls (see `CallCoalescer`).
    ///
    /// - A few leaders, each carrying up to 64 queued calls in one pipeline, beat one
    ///   connection per call: the server reads a batch with one receive and answers it
    ///   with one send.
    /// - A long company window: a PostgreSQL round trip is slower than Redis's, and a
    ///   leader that just took every queued call is usually joined again within it, so its
    ///   reply waits park instead of holding a core the server and the other callers need.
    /// - Leaders yield once for followers: the calls a finished pipeline resumed queue
    ///   first and ride along (more statements per send under 16 callers; see
    ///   Benchmarks/README.md).
    static func coalescing(maxConnections: Int) -> CallCoalescer<PipelinedStatement, LibPQRows>.Policy {
        CallCoalescer.Policy(
            leaders: min(maxConnections, max(2, ProcessInfo.processInfo.activeProcessorCount)),
            companyWindow: .milliseconds(20), yieldsForFollowers: true)
    }
}

/// Thrown inside a lease when the connection turned out to be closed by the server.
struct StaleConnection: Error {}

extension LibPQConnection {
    /// Marks the connection so the pool closes it instead of reusing it.
    func markBroken() { brokenFlag = true }
}
