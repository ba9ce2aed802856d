import Logging

/// Opens stores for one or more URL schemes. Register one with
/// ``TokenStoreRegistry/register(_:)`` so ``TokenStoreRegistry/open(_:options:)`` and the
/// `tokenstore` command can use it.
public struct TokenStoreDriver: Sendable {
    /// The schemes this driver opens, lowercased, without `:` (e.g. `["postgres", "postgresql"]`).
    public var schemes: [String]
    /// A one-line description shown in error messages and `tokenstore --help`.
    public var summary: String
    /// Opens a store for a URL with one of ``schemes``.
    public var open: @Sendable (_ url: String, _ options: TokenStoreOptions) async throws -> any TokenStore

    /// Creates a driver.
    public init(
        schemes: [String],
        summary: String,
        open: @escaping @Sendable (_ url: String, _ options: TokenStoreOptions) async throws -> any TokenStore
    ) {
        self.schemes = schemes.map { $0.lowercased() }
        self.summary = summary
        self.open = open
    }
}

/// Settings every driver honours when opened by URL.
public struct TokenStoreOptions: Sendable {
    /// Where the store reads the current time.
    public var clock: TokenClock
    /// Where the store logs connects, reconnects and migrations. Never receives secrets.
    public var logger: Logger
    /// Whether a store with a versioned schema (SQLite, PostgreSQL) applies pending
    /// migrations when opened (default `true`). `false` leaves the schema as found, for
    /// `tokenstore schema status`; token operations then throw until
    /// ``SchemaManagedTokenStore/upgradeSchema()`` runs, when migrations are pending.
    public var migrateSchemaOnOpen: Bool
    /// Whether opening may create a store that does not exist yet (default `true`).
    ///
    /// `false` opens only an existing store and creates nothing: the SQLite driver fails on
    /// a missing database file, the file driver on a missing directory or one that is not
    /// a store, the Redis driver on a missing schema version key (no store was ever opened
    /// under the prefix); each with ``TokenStoreError/Code/unavailable`` saying so. A
    /// versioned SQL schema is created by its migrations: open with
    /// ``migrateSchemaOnOpen`` `false` too and check ``SchemaManagedTokenStore/schemaStatus()``
    /// (a PostgreSQL database always exists before its store). For reading a store that
    /// must not be changed, such as a migration's source.
    public var createIfMissing: Bool

    /// Creates options; the default logger discards everything.
    public init(
        clock: TokenClock = .system,
        logger: Logger = Logger(label: "tokenstore", factory: { _ in SwiftLogNoOpLogHandler() }),
        migrateSchemaOnOpen: Bool = true,
        createIfMissing: Bool = true
    ) {
        self.clock = clock
        self.logger = logger
        self.migrateSchemaOnOpen = migrateSchemaOnOpen
        self.createIfMissing = createIfMissing
    }
}
