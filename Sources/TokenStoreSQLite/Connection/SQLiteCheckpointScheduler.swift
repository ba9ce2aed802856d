import CTokenStoreSQLite
import Dispatch
import Logging
import Synchronization

/// Runs SQLite's WAL checkpoint on the writer connection's queue instead of inside the
/// commit that takes the WAL past the threshold.
///
/// SQLite's automatic checkpoint copies the WAL into the database and syncs both within
/// that commit, on the committing thread: on the fast path, a cooperative thread parked on
/// disk I/O. The writer connection instead runs with `wal_autocheckpoint = 0` and a WAL hook
/// (``SQLiteConnection/installWALHook(_:)``) that only compares the WAL's size with the
/// threshold and, once it is reached, queues one `PASSIVE` checkpoint on the writer's slot
/// queue; the committing call returns at once. The checkpoint takes the slot's lock like any
/// queued write, so it never runs beside a write on that connection. Until it has run,
/// ``holdsWriters`` sends this process's writes to that queue too: they wait behind it (off
/// the cooperative pool) instead of appending to the WAL while the checkpoint waits for a
/// thread, so the WAL stops near the threshold however loaded the machine, and the first
/// write after the checkpoint rewinds it.
///
/// `PASSIVE` never waits for a lock. When another process's reader keeps it from copying
/// the whole WAL, the next commit past the threshold queues another, as SQLite's own
/// autocheckpoint would retry on every commit.
final class SQLiteCheckpointScheduler: Sendable {
    /// The writer's slot. Weak: the slot owns the connection, which owns this scheduler
    /// (the hook's context), and a cycle would keep a store released without `close()` open.
    private weak let writer: SQLiteConnectionSlot?
    private let thresholdPages: Int
    /// Set from the hook that queues a checkpoint until that checkpoint has run: one queued
    /// at a time.
    private let isQueued = Atomic<Bool>(false)
    private let logger: Logger

    init(writer: SQLiteConnectionSlot, thresholdPages: Int, logger: Logger) {
        self.writer = writer
        self.thresholdPages = max(1, thresholdPages)
        self.logger = logger
    }

    /// Whether writes must skip the fast path and queue on the writer's queue, behind a
    /// pending checkpoint.
    var holdsWriters: Bool { isQueued.load(ordering: .relaxed) }

    /// Called by SQLite after each commit of the writer connection (its lock held by the
    /// committing thread) with the WAL's size in pages. No I/O, no wait.
    func walDidCommit(pages: Int) {
        guard pages >= thresholdPages, let writer,
            !isQueued.exchange(true, ordering: .acquiringAndReleasing)
        else { return }
        writer.queue.async { self.checkpoint() }
    }

    /// One passive checkpoint on the writer's queue, holding its lock.
    private func checkpoint() {
        guard let writer else {
            isQueued.store(false, ordering: .releasing)
            return
        }
        writer.state.withLock { connection in
            // Cleared before the lock is released: the next commit past the threshold, even
            // the first after this one, queues another checkpoint.
            defer { isQueued.store(false, ordering: .releasing) }
            guard let db = connection?.db else { return }
            var logPages: Int32 = 0
            var copiedPages: Int32 = 0
            let code = sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, &logPages, &copiedPages)
            if code == SQLITE_OK {
                logger.trace("WAL checkpoint", metadata: ["walPages": "\(logPages)", "copied": "\(copiedPages)"])
            } else {
                // Not fatal: the next commit past the threshold queues another.
                logger.debug("WAL checkpoint did not run", metadata: ["error": "\(SQLiteError(code: code, db: db))"])
            }
        }
    }
}
