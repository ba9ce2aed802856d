import Dispatch
import Foundation
import Logging
import TokenStoreKit

/// A `TokenStore` in a SQLite database: one file on one machine, shared by any number of
/// processes, or `:memory:`.
///
/// The database runs in WAL mode (readers never wait for the writer), with the schema from
/// `Migrations/sqlite`, applied on open unless ``Configuration/migrateSchemaOnOpen`` is
/// `false` (then see `SchemaManagedTokenStore`: ``schemaStatus()`` and ``upgradeSchema()``). A call runs its prepared statement directly on
/// the calling task's thread when a connection is free and no other process holds a lock
/// it needs; otherwise it moves to the connection's own thread, which waits up to
/// ``Configuration/busyTimeout``. No call parks a cooperative thread.
///
/// Connections: writes use the first (so this process's writers queue on one lock), reads
/// the others in parallel. The commit that takes the WAL past
/// ``Configuration/checkpointThresholdPages`` queues a checkpoint on the writer
/// connection's thread, never inside a caller's commit.
/// With ``Durability/normal`` (the default) a power loss can lose the last commits but
/// never corrupts the database; see ``Durability``.
///
/// A task cancelled while its call waits for another process's lock keeps waiting, at
/// most the busy timeout; the call is not interrupted halfway.
///
/// ```swift
/// let store = try await SQLiteTokenStore(configuration: .init(path: "/var/lib/app/tokens.db"))
/// try await store.saveAccessToken(token)
/// ```
public final class SQLiteTokenStore: TokenStore {
    /// `sqlite:///absolute/path.db` or `sqlite::memory:`.
    public let displayName: String
    let pool: SQLiteConnectionPool
    let clock: TokenClock
    let logger: Logger
    /// Closed while a store opened without migrating lacks migrations.
    let schemaGate: SchemaGate
    /// Writes go to the connection's thread when each commit waits for an fsync.
    let inlineWrites: Bool

    /// Batches and pages above this size run on the connection's thread: they are
    /// long CPU and I/O work that should not hold a cooperative thread.
    static let inlineRowLimit = 256

    /// Opens (creating when missing, mode 0600) the database at
    /// ``Configuration/path`` and migrates it (unless
    /// ``Configuration/migrateSchemaOnOpen`` is `false`).
    ///
    /// - Parameter configuration: path, clock, logger, busy timeout, connections, durability.
    /// - Throws: `TokenStoreError` with `TokenStoreError.Code.misconfigured` when the
    ///   configuration is invalid (``Configuration/validate()``),
    ///   `TokenStoreError.Code.schemaTooNew` when a newer version migrated the database,
    ///   `TokenStoreError.Code.permissionDenied` or `TokenStoreError.Code.unavailable`
    ///   when the file cannot be created or opened, `TokenStoreError.Code.timedOut` when
    ///   another process holds the database locked.
    public init(configuration: Configuration) async throws {
        try configuration.validate()
        let resolved = Self.absolutePath(configuration.path)
        let displayName = Self.displayName(path: resolved)
        let opened = try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<Opened, any Error>) in
            DispatchQueue.global().async {
                continuation.resume(with: Result {
                    try Self.openBlocking(path: resolved, displayName: displayName, configuration: configuration)
                })
            }
        }
        self.displayName = displayName
        self.pool = opened.pool
        self.clock = configuration.clock
        self.logger = configuration.logger
        self.schemaGate = SchemaGate(status: opened.unmigratedStatus)
        self.inlineWrites = configuration.durability == .normal
        configuration.logger.debug(
            "opened SQLite store",
            metadata: ["store": "\(displayName)", "schemaVersion": "\(opened.schemaVersion)", "connections": "\(opened.pool.slots.count)"])
    }

    /// Opens the store a `sqlite:` URL names (see
    /// ``Configuration/init(url:options:)`` for the forms and parameters).
    ///
    /// - Throws: `TokenStoreError`: `TokenStoreError.Code.misconfigured` for a malformed
    ///   URL, otherwise as ``init(configuration:)``.
    public convenience init(url: String, options: TokenStoreOptions = TokenStoreOptions()) async throws {
        try await self.init(configuration: Configuration(url: url, options: options))
    }

    /// `sqlite:///absolute/path.db` or `sqlite::memory:`, for messages and logs.
    static func displayName(path: String) -> String {
        path == ":memory:" ? "sqlite::memory:" : "sqlite://" + path
    }

    /// `path` made absolute, so messages name the real file.
    static func absolutePath(_ path: String) -> String {
        guard path != ":memory:", !path.hasPrefix("/") else { return path }
        return FileManager.default.currentDirectoryPath + "/" + path
    }

    var nowMilliseconds: Int64 { TokenTimestamp.milliseconds(clock.now()) }

    func invalidLimit(_ limit: Int, operation: String) -> TokenStoreError {
        TokenStoreError(.invalidArgument, store: displayName, operation: operation, message: "page limit \(limit) is below 1")
    }

    /// Finalizes the statements and closes the connections, on their own threads (the
    /// last close checkpoints the WAL into the database). Later calls throw
    /// `TokenStoreError.Code.closed`; closing twice is harmless.
    public func close() async throws {
        await pool.close()
    }
}
