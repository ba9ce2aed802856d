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
        let count = isMemory ? 1 : max(1, configuration.connections)
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
            let writer = SQLiteConnectionSlot(connection: first, label: "tokenstore.sqlite.connection0")
            let checkpointer: SQLiteCheckpointer?
            if isMemory {
                checkpointer = nil
            } else {
                let connection = try SQLiteConnection(path: path, create: create)
                // A connection opens the WAL on its first read; until then a checkpoint
                // on it does nothing (and reports a WAL of -1 pages). That read waits like
                // the first connection's: another process closing its last connection
                // holds the database exclusively for a moment (seen as SQLITE_BUSY when
                // several processes open and close a new file at once).
                connection.setBusyTimeout(milliseconds: busyMilliseconds)
                _ = try connection.scalarText("SELECT count(*) FROM sqlite_master")
                connection.setBusyTimeout(milliseconds: 0)
                checkpointer = SQLiteCheckpointer(
                    connection: connection, writer: writer,
                    thresholdPages: max(1, configuration.checkpointThresholdPages), busyTimeoutMilliseconds: busyMilliseconds,
                    label: "tokenstore.sqlite.checkpoint", logger: configuration.logger)
            }
            try writer.state.withLock { connection throws(SQLiteError) in
                if let connection { try configure(connection, configuration: configuration, checkpointer: checkpointer) }
            }
            var slots = [writer]
            for index in 1..<count {
                let connection = try SQLiteConnection(path: path, create: create)
                try configure(connection, configuration: configuration, checkpointer: checkpointer)
                slots.append(SQLiteConnectionSlot(connection: connection, label: "tokenstore.sqlite.connection\(index)"))
            }
            let pool = SQLiteConnectionPool(
                slots: slots, checkpointer: checkpointer, displayName: displayName,
                busyTimeout: configuration.busyTimeout)
            return Opened(pool: pool, schemaVersion: version, unmigratedStatus: unmigratedStatus)
        } catch let error as SQLiteError {
            throw error.storeError(store: displayName, operation: "open", busyTimeout: configuration.busyTimeout)
        }
    }

    /// Per-connection settings of the request path: durability, the WAL hook, and a busy
    /// timeout of 0 (the fast path must never sleep; the slow path raises it per call).
    private static func configure(
        _ connection: SQLiteConnection, configuration: Configuration, checkpointer: SQLiteCheckpointer?
    ) throws(SQLiteError) {
        try connection.execute(configuration.durability == .full ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL")
        if let checkpointer { connection.installWALHook(checkpointer) }
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
