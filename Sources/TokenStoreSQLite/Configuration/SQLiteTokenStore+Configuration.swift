import CoreMetrics
import Logging
import TokenStoreKit

extension SQLiteTokenStore {
    /// How a ``SQLiteTokenStore`` opens and uses its database.
    public struct Configuration: Sendable {
        /// The database: a file path (relative paths resolve against the current
        /// directory) or `:memory:` for a private in-memory database.
        public var path: String
        /// Where the store reads the current time (expiry checks).
        public var clock: TokenClock
        /// Receives migrations and checkpoint events; never a secret.
        public var logger: Logger
        /// How long a call waits for a lock held by another connection or process before
        /// it throws `TokenStoreError.Code.timedOut`. The wait happens on the
        /// connection's own thread, never on a cooperative thread. Default 5 seconds.
        public var busyTimeout: Duration
        /// Connections to a database file, all opened with the store (1 to 10,000; default
        /// 4; URL `pool_max`). WAL lets them all read at once while one writes; calls from
        /// concurrent tasks each take a free one. `:memory:` always uses one connection
        /// (each would be a separate database).
        public var maxConnections: Int
        /// What a commit waits for; see ``Durability``.
        public var durability: Durability
        /// WAL size, in pages, past which a passive checkpoint copies the WAL into the
        /// database: SQLite's automatic checkpoint, run on the writer connection's thread
        /// right after the commit that reached it rather than inside that commit. Default
        /// 1000 (about 4 MiB), SQLite's own default; values below 1 count as 1. The WAL
        /// file stays near this size while no other process holds a read open across it.
        public var checkpointThresholdPages: Int
        /// Whether opening applies pending migrations (default `true`). With `false` the
        /// schema is left as found (see `SchemaManagedTokenStore`): token operations
        /// throw until ``SQLiteTokenStore/upgradeSchema()`` runs, when migrations are pending.
        public var migrateSchemaOnOpen: Bool
        /// Whether opening creates a missing database file (default `true`). With `false` a
        /// missing file is `TokenStoreError.Code.unavailable` and nothing is created
        /// (`TokenStoreOptions.createIfMissing`).
        public var createIfMissing = true
        /// Where the store's connection pool reports its gauges (open and idle connections,
        /// waiting calls; names in `Docs/metrics.md`). `nil` (the default) is
        /// `MetricsSystem.factory` as it is when the store opens: bootstrap the metrics
        /// backend before opening stores.
        public var metricsFactory: (any MetricsFactory)?

        /// Creates a configuration for the database at `path` (a file path or `:memory:`).
        public init(
            path: String,
            clock: TokenClock = .system,
            logger: Logger = Logger(label: "tokenstore.sqlite", factory: { _ in SwiftLogNoOpLogHandler() }),
            busyTimeout: Duration = .seconds(5),
            maxConnections: Int = 4,
            durability: Durability = .normal,
            checkpointThresholdPages: Int = 1000,
            migrateSchemaOnOpen: Bool = true
        ) {
            self.path = path
            self.clock = clock
            self.logger = logger
            self.busyTimeout = busyTimeout
            self.maxConnections = maxConnections
            self.durability = durability
            self.checkpointThresholdPages = checkpointThresholdPages
            self.migrateSchemaOnOpen = migrateSchemaOnOpen
        }

        /// Checks the values a URL or a caller may have got wrong, with the message every
        /// driver gives (`ConnectionLimits`); ``SQLiteTokenStore/init(configuration:)``
        /// runs it before touching the file.
        ///
        /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` naming the
        ///   setting: an empty path or one with a NUL byte, ``maxConnections`` outside
        ///   1...10,000.
        public func validate() throws(TokenStoreError) {
            let store = SQLiteTokenStore.displayName(path: SQLiteTokenStore.absolutePath(path))
            guard !path.isEmpty, !path.contains("\0") else {
                throw TokenStoreError(
                    .misconfigured, store: store, operation: "open",
                    message: "the path must name a database file or :memory:, without NUL bytes")
            }
            try ConnectionLimits.validate(minConnections: 1, maxConnections: maxConnections, store: store)
        }
    }

    /// What a commit waits for before it returns. The journal is always WAL.
    public enum Durability: Sendable, Hashable {
        /// `synchronous=NORMAL`: a commit appends to the WAL without fsync; the WAL is
        /// synced at checkpoints. A power loss or OS crash can lose the last transactions
        /// before the previous checkpoint sync, but never corrupts the database; an app
        /// crash loses nothing. The usual choice for WAL and the default: a commit costs
        /// microseconds instead of an fsync.
        case normal
        /// `synchronous=FULL`: every commit fsyncs the WAL, so a committed token survives
        /// power loss. Each write then waits for the disk (typically 0.1 to 10 ms), so
        /// writes run on the connection's own thread, one thread hop each.
        case full
    }
}
