import CTokenStoreSQLite
import Glibc
import TokenStoreKit

extension SQLiteTokenStore: ScrubbableTokenStore {
    /// `VACUUM` (every page of the database rebuilt from the live rows, so unused space
    /// inside pages and free pages no longer hold old records), then a `TRUNCATE`
    /// checkpoint: the rebuilt pages are copied into the database file, which shrinks to
    /// them, and the WAL, whose earlier frames still hold the old rows, is cut to zero bytes.
    ///
    /// `secure_delete` alone is not enough: it zeroes a deleted cell, not the bytes a row
    /// rewritten in place leaves behind, nor the old frames of the WAL. Runs on the
    /// writer's own thread.
    ///
    /// - Throws: `TokenStoreError`: `TokenStoreError.Code.timedOut` when another
    ///   connection (another process) kept reading for longer than the busy timeout.
    public func scrub() async throws {
        try schemaGate.check(store: displayName, operation: "scrub")
        guard displayName != "sqlite::memory:" else { return }
        let timeout = SQLiteConnectionPool.milliseconds(pool.busyTimeout)
        let name = displayName
        try await pool.run("scrub", access: .write, inline: false) { connection in
            try connection.execute("VACUUM")
            try Self.truncateWAL(connection, busyTimeoutMilliseconds: timeout, store: name)
        }
    }

    /// Checkpoints the whole WAL and truncates it, retrying while another connection's
    /// checkpoint or a reader holds it, up to the busy timeout (at least 5 seconds).
    private static func truncateWAL(
        _ connection: SQLiteConnection, busyTimeoutMilliseconds: Int32, store: String
    ) throws {
        guard let db = connection.db else { throw SQLiteError(code: SQLITE_MISUSE, message: "connection closed") }
        let deadline = ContinuousClock.now + .milliseconds(Int64(max(busyTimeoutMilliseconds, 5_000)))
        while true {
            var logPages: Int32 = 0
            var copiedPages: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_TRUNCATE, &logPages, &copiedPages)
            if code == SQLITE_OK { return }
            let error = SQLiteError(code: code, db: db)
            guard error.isBusy else { throw error }
            guard ContinuousClock.now < deadline else {
                throw TokenStoreError(
                    .timedOut, store: store, operation: "scrub",
                    message: "another connection kept the write-ahead log busy; the old bytes of rewritten records "
                        + "stay in it until a later full checkpoint: run again when the store is idle")
            }
            // On the connection's own thread, never a cooperative one.
            usleep(5_000)
        }
    }
}
