import CTokenStoreSQLite
import Dispatch
import Logging
import Synchronization

/// Runs WAL checkpoints on its own connection and queue.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, on the
/// committing thread, and copies up to the whole WAL into the database: milliseconds of
/// I/O that would park a cooperative thread. The request connections therefore replace it
/// with a WAL hook (``SQLiteConnection/installWALHook(_:)``) that only counts pages and,
/// past ``thresholdPages``, schedules a `PASSIVE` checkpoint here. `PASSIVE` never waits
/// for readers or writers, so it never blocks the request path either.
final class SQLiteCheckpointer: Sendable {
    private let connection: Mutex<SQLiteConnection?>
    private let queue: DispatchQueue
    private let pending = Atomic<Bool>(false)
    private let thresholdPages: Int
    private let logger: Logger

    init(connection: consuming sending SQLiteConnection, thresholdPages: Int, label: String, logger: Logger) {
        self.connection = Mutex(connection)
        self.queue = DispatchQueue(label: label)
        self.thresholdPages = thresholdPages
        self.logger = logger
    }

    /// Called by SQLite after each commit with the WAL's size in pages.
    func walDidGrow(pages: Int) {
        guard pages >= thresholdPages else { return }
        guard pending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        queue.async { self.checkpoint() }
    }

    /// One passive checkpoint, on ``queue``.
    private func checkpoint() {
        defer { pending.store(false, ordering: .releasing) }
        connection.withLock { connection in
            guard let db = connection?.db else { return }
            var logPages: Int32 = 0
            var copiedPages: Int32 = 0
            let rc = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copiedPages)
            if rc == SQLITE_OK {
                logger.trace("WAL checkpoint", metadata: ["walPages": "\(logPages)", "copied": "\(copiedPages)"])
            } else {
                // Not fatal: the next commit past the threshold tries again.
                logger.debug("WAL checkpoint did not run", metadata: ["error": "\(SQLiteError(code: rc, db: db))"])
            }
        }
    }

    /// Closes the connection after any checkpoint in progress; later hooks do nothing.
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.connection.withLock { connection in
                    connection?.close()
                    connection = nil
                }
                continuation.resume()
            }
        }
    }
}
