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
/// each time the WAL has grown ``thresholdPages`` since the last checkpoint, schedules a
/// `PASSIVE` checkpoint here. `PASSIVE` never waits for readers or writers, so it never
/// blocks the request path either.
///
/// Under a steady stream of commits a passive checkpoint may never catch the WAL's tail,
/// and SQLite only rewinds the WAL once it is fully copied. When the WAL reaches
/// ``restartFactor`` times the threshold, the checkpoint is a `RESTART` instead: it waits
/// (busy timeout, on this queue) for the writer lock, copies everything and rewinds the
/// WAL; meanwhile writers see `SQLITE_BUSY` and wait on their own queues, not inline.
final class SQLiteCheckpointer: Sendable {
    private let connection: Mutex<SQLiteConnection?>
    private let queue: DispatchQueue
    private let pending = Atomic<Bool>(false)
    /// WAL frames already copied by the last checkpoint; growth is counted from here.
    private let checkpointedFrames = Atomic<Int>(0)
    private let thresholdPages: Int
    private let busyTimeoutMilliseconds: Int32
    /// WAL size, in thresholds, from which checkpoints restart the WAL.
    static let restartFactor = 8
    /// WAL size, in thresholds, from which checkpoints restart the WAL.
    private let logger: Logger

    init(
        connection: consuming sending SQLiteConnection, thresholdPages: Int, busyTimeoutMilliseconds: Int32,
        label: String, logger: Logger
    ) {
        self.connection = Mutex(connection)
        self.busyTimeoutMilliseconds = busyTimeoutMilliseconds
        self.queue = DispatchQueue(label: label)
        self.thresholdPages = thresholdPages
        self.logger = logger
    }

    /// Called by SQLite after each commit with the WAL's size in pages.
    func walDidGrow(pages: Int) {
        let base = checkpointedFrames.load(ordering: .relaxed)
        // A WAL smaller than what was checkpointed has been rewound: count from 0.
        let grown = pages >= base ? pages - base : pages
        guard grown >= thresholdPages else { return }
        guard pending.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else {
            return
        }
        let restart = pages >= thresholdPages * Self.restartFactor
        queue.async { self.checkpoint(restart: restart) }
    }

    /// One checkpoint, on ``queue``.
    private func checkpoint(restart: Bool) {
        defer { pending.store(false, ordering: .releasing) }
        connection.withLock { connection in
            guard let db = connection?.db else { return }
            var logPages: Int32 = 0
            var copiedPages: Int32 = 0
            connection?.setBusyTimeout(milliseconds: restart ? busyTimeoutMilliseconds : 0)
            let mode = restart ? SQLITE_CHECKPOINT_RESTART : SQLITE_CHECKPOINT_PASSIVE
            let rc = sqlite3_wal_checkpoint_v2(db, nil, mode, &logPages, &copiedPages)
            checkpointedFrames.store(Int(max(0, copiedPages)), ordering: .relaxed)
            if rc == SQLITE_OK {
                logger.trace(
                    "WAL checkpoint",
                    metadata: ["walPages": "\(logPages)", "copied": "\(copiedPages)", "restart": "\(restart)"])
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
