import CTokenStoreSQLite
import Dispatch
import Foundation
import Glibc
import Logging
import Synchronization
import TokenStoreKit
import TokenStoreSQLiteMigrations

extension SQLiteTokenStore {
    /// What opening produced, handed from the opening queue to `init`.
    struct Opened: Sendable {
        var pool: SQLiteConnectionPool
        var schemaVersion: Int
        /// The schema as found, when the store did not migrate on open.
        var unmigratedStatus: SchemaStatus?
    }

    /// Opens the connections, sets WAL and migrates. Blocking: runs on a dispatch queue.
    static func openBlocking(path: String, displayName: String, configuration: Configuration) throws -> Opened {
        let isMemory = path == ":memory:"
        let create = isMemory || configuration.createIfMissing
        if !isMemory {
            if create {
                try createFileIfMissing(path: path, displayName: displayName)
            } else {
                try requireExistingFile(path: path, displayName: displayName)
            }
        }
        let busyMilliseconds = SQLiteConnectionPool.milliseconds(configuration.busyTimeout)
        let count = isMemory ? 1 : configuration.maxConnections
        do {
            let first = try SQLiteConnection(path: path, create: create)
            first.setBusyTimeout(milliseconds: busyMilliseconds)
            if !isMemory { try enableWAL(first, busyTimeout: configuration.busyTimeout, displayName: displayName, configuration: configuration) }
            let version: Int
            let unmigratedStatus: SchemaStatus?
            if configuration.migrateSchemaOnOpen {
                version = try SQLiteMigrator.migrate(
                    first, migrations: SQLiteMigrations.all,
                    nowMilliseconds: TokenTimestamp.milliseconds(configuration.clock.now()),
                    store: displayName, logger: configuration.logger
                ).version
                unmigratedStatus = nil
            } else {
                let status = try SQLiteMigrator.status(first, migrations: SQLiteMigrations.all)
                version = status.currentVersion
                unmigratedStatus = status
            }
            try configure(first, configuration: configuration)
            let writer = SQLiteConnectionSlot(connection: first, label: "tokenstore.sqlite.connection0")
            var checkpoints: SQLiteCheckpointScheduler?
            if !isMemory {
                let scheduler = SQLiteCheckpointScheduler(
                    writer: writer, thresholdPages: configuration.checkpointThresholdPages, logger: configuration.logger)
                writer.state.withLock { $0?.installWALHook(scheduler) }
                checkpoints = scheduler
            }
            var slots = [writer]
            for index in 1..<count {
                let connection = try SQLiteConnection(path: path, create: create)
                try configure(connection, configuration: configuration)
                slots.append(SQLiteConnectionSlot(connection: connection, label: "tokenstore.sqlite.connection\(index)"))
            }
            let pool = SQLiteConnectionPool(
                slots: slots, checkpoints: checkpoints, displayName: displayName, busyTimeout: configuration.busyTimeout,
                meters: ConnectionPoolMeters(driver: "sqlite", factory: configuration.metricsFactory))
            return Opened(pool: pool, schemaVersion: version, unmigratedStatus: unmigratedStatus)
        } catch let error as SQLiteError {
            throw error.storeError(store: displayName, operation: "open", busyTimeout: configuration.busyTimeout)
        }
    }

    /// Per-connection settings of the request path: durability, no automatic checkpoint,
    /// and a busy timeout of 0 (the fast path must never sleep; the slow path raises it per
    /// call).
    ///
    /// SQLite's automatic checkpoint would run inside the commit that takes the WAL past the
    /// threshold, on the committing thread, which on the fast path is a cooperative one.
    /// The writer connection's WAL hook (``SQLiteCheckpointScheduler``) runs that same
    /// passive checkpoint on the writer's queue instead; the readers never commit.
    private static func configure(_ connection: SQLiteConnection, configuration: Configuration) throws(SQLiteError) {
        try connection.execute(configuration.durability == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        try connection.execute("PRAGMA wal_autocheckpoint = 0")
        connection.setBusyTimeout(milliseconds: 0)
    }

    /// Switches the database to WAL (persistent; a no-op when already set). Two processes
    /// opening a new file at once may see `SQLITE_BUSY` here without the busy handler
    /// being consulted, so retry until the busy timeout.
    private static func enableWAL(
        _ connection: SQLiteConnection, busyTimeout: Duration, displayName: String, configuration: Configuration
    ) throws(SQLiteError) {
        let deadline = ContinuousClock.now + busyTimeout
        while true {
            do {
                let mode = try connection.scalarText("PRAGMA journal_mode = WAL")
                if mode?.lowercased() != "wal" {
                    configuration.logger.warning(
                        "SQLite refused WAL mode; running with the rollback journal",
                        metadata: ["store": "\(displayName)", "journalMode": "\(mode ?? "nil")"])
                }
                return
            } catch where error.isBusy && ContinuousClock.now < deadline {
                usleep(2_000)
            }
        }
    }

    /// Checks that the database file exists, for a store opened without creating it.
    private static func requireExistingFile(path: String, displayName: String) throws {
        var status = stat()
        guard stat(path, &status) == 0 else {
            let code = errno
            throw TokenStoreError(
                code == ENOENT || code == ENOTDIR ? .unavailable : .permissionDenied, store: displayName,
                operation: "open",
                message: code == ENOENT || code == ENOTDIR
                    ? "the database file does not exist (opened without creating it); check the path"
                    : "cannot read the database file: \(String(cString: strerror(code)))")
        }
        guard status.st_mode & S_IFMT == S_IFREG else {
            throw TokenStoreError(
                .misconfigured, store: displayName, operation: "open", message: "the path is not a regular file")
        }
    }

    /// Creates a missing database file with mode 0600 (SQLite would create it 0644):
    /// it holds credentials. The WAL and shared-memory files inherit its mode.
    private static func createFileIfMissing(path: String, displayName: String) throws {
        let descriptor = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if descriptor >= 0 {
            Glibc.close(descriptor)
            return
        }
        let code = errno
        switch code {
        case EEXIST:
            return
        case EACCES, EPERM, EROFS:
            throw TokenStoreError(
                .permissionDenied, store: displayName, operation: "open",
                message: "cannot create the database file: \(String(cString: strerror(code))); check the directory's permissions")
        case ENOENT, ENOTDIR:
            throw TokenStoreError(
                .unavailable, store: displayName, operation: "open",
                message: "the database's directory does not exist; create it first")
        default:
            throw TokenStoreError(
                .unavailable, store: displayName, operation: "open",
                message: "cannot create the database file: \(String(cString: strerror(code)))")
        }
    }
}
