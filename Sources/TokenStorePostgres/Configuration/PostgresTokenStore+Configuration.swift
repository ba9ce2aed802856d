import CoreMetrics
import Foundation
import Logging
import TokenStoreKit

extension PostgresTokenStore {
    /// How to reach the server and how to pool connections.
    ///
    /// Build one from a URL with ``init(url:options:)``, or set the libpq parameters directly.
    public struct Configuration: Sendable {
        /// libpq connection parameters as keyword/value pairs (`host`, `port`, `dbname`,
        /// `user`, `password`, `sslmode`, ...); see the libpq documentation's "Parameter Key
        /// Words". A URL or keyword string may also be given as `dbname` with its own
        /// parameters: libpq expands it.
        public var connectionParameters: [(String, String)]
        /// The PostgreSQL schema holding the tables (created on open). Default `tokenstore`.
        public var schema: String
        /// Connections kept open when idle. Default 0.
        public var minConnections: Int
        /// The most connections open at once. Default 8.
        public var maxConnections: Int
        /// How long an idle connection above the minimum stays open. Default 60 seconds.
        public var idleTimeout: Duration
        /// How long a call waits for a free connection before `TokenStoreError.Code.timedOut`. Default 5 seconds.
        public var acquireTimeout: Duration
        /// How long opening a connection may take. Default 10 seconds.
        public var connectTimeout: Duration
        /// How long one call's statement may run, enforced by the server (as the session's
        /// `statement_timeout`) and by the client. Default 10 seconds.
        public var operationTimeout: Duration
        /// How a call waits for its reply once its statement is sent (URL parameter
        /// `reply_wait`). Default `ReplyWait.adaptive`.
        public var replyWait: ReplyWait
        /// Where expiry checks and timestamps read the time.
        public var clock: TokenClock
        /// Where connects, reconnects and migrations are logged (never passwords).
        public var logger: Logger
        /// The name used in errors and logs, without the password.
        public var displayName: String
        /// Whether opening applies pending migrations (default `true`). With `false` the
        /// schema is left as found (see `SchemaManagedTokenStore`): token operations
        /// throw until ``PostgresTokenStore/upgradeSchema()`` runs, when migrations are pending.
        public var migrateSchemaOnOpen: Bool
        /// Where the store's connection pool reports its gauges (open and idle connections,
        /// waiting calls; names in `Docs/metrics.md`). `nil` (the default) is
        /// `MetricsSystem.factory` as it is when the store opens: bootstrap the metrics
        /// backend before opening stores.
        public var metricsFactory: (any MetricsFactory)?
        /// Rows a bulk save stages and upserts at a time (its memory bound); tests lower it.
        var bulkChunkRows = PostgresTokenStore.bulkChunk

        /// Creates a configuration from libpq keyword/value pairs.
        public init(
            connectionParameters: [(String, String)],
            schema: String = "tokenstore",
            displayName: String? = nil,
            clock: TokenClock = .system,
            logger: Logger = Logger(label: "tokenstore.postgres", factory: { _ in SwiftLogNoOpLogHandler() })
        ) {
            self.connectionParameters = connectionParameters
            self.schema = schema
            self.minConnections = 0
            self.maxConnections = 8
            self.idleTimeout = .seconds(60)
            self.acquireTimeout = .seconds(5)
            self.connectTimeout = .seconds(10)
            self.operationTimeout = .seconds(10)
            self.replyWait = .adaptive
            self.clock = clock
            self.logger = logger
            self.migrateSchemaOnOpen = true
            self.displayName =
                displayName
                ?? "postgres:"
                + connectionParameters.filter { !["password", "dbname"].contains($0.0) }.map { "\($0.0)=\($0.1)" }
                .joined(separator: " ")
        }

        /// Checks the values a URL or a caller may have got wrong: pool sizes and timeouts
        /// (`ConnectionLimits`, the same check and message as the other drivers) and the
        /// schema name.
        ///
        /// - Throws: `TokenStoreError.Code.misconfigured` naming the URL parameter.
        func validate() throws(TokenStoreError) {
            try ConnectionLimits.validate(minConnections: minConnections, maxConnections: maxConnections, store: displayName)
            try ConnectionLimits.validate(
                timeouts: [
                    ("pool_idle_timeout", idleTimeout), ("pool_acquire_timeout", acquireTimeout),
                    ("connect_timeout", connectTimeout), ("operation_timeout", operationTimeout),
                ],
                store: displayName)
            guard !schema.isEmpty, schema.utf8.count <= 63, !schema.utf8.contains(0) else {
                throw TokenStoreError(.misconfigured, store: displayName, operation: "open", message: "schema must be 1 to 63 bytes without NUL")
            }
        }
    }
}
