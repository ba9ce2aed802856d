import CTokenStoreSQLite
import Dispatch
import Logging
import Synchronization

/// Runs WAL checkpoints off the request path.
///
/// SQLite's automatic checkpoint runs inside the commit that crosses the threshold, on the
/// committing thread, and copies up to the whole WAL into the database: milliseconds of
/// I/O that would park a cooperative thread. The request connections therefore replace it
/// with a WAL hook (``SQLiteConnection/installWALHook(_:)``) that only counts pages and,
/// each time the WAL has grown by the configured threshold since the last checkpoint (see
/// ``SQLiteWALGrowth``), schedules a `PASSIVE` checkpoint on this type's own connection and
/// queue. `PASSIVE` never waits for readers or writers, so it never blocks the request path.
///
/// Under a steady stream of commits a passive checkpoint never catches the WAL's tail (the
/// writer appends while it copies), and SQLite only rewinds the WAL once it is fully
/// copied: the WAL would grow without bound, and every read and write gets slower as it
/// does. When the WAL reaches ``restartFactor`` times the threshold, a `RESTART` runs on
/// the writer connection's serial queue, holding the writer's lock, and until it is done
/// ``holdsWriters`` sends this process's writes to that queue too: they wait behind it
/// (off the cooperative pool) instead of racing it for the lock, so the WAL stops growing
/// at about the restart size however loaded the machine. It waits at most
/// ``restartBusyMilliseconds`` for other processes' readers; when that is not enough the
/// next restart waits for another ``restartFactor`` thresholds of growth.
final class SQLiteCheckpointer: Sendable {
    private let connection: Mutex<SQLiteConnection?>
    /// The writer connection's slot: `RESTART` checkpoints run on its queue, holding its lock.
    /// Weak: that connection's WAL hook keeps this checkpointer alive, so a strong reference
    /// was a cycle that kept a store released without `close()` open (its connections and
    /// files) for the life of the process.
    private weak let writer: SQLiteConnectionSlot?
    private let queue: DispatchQueue
    /// The WAL's growth since the last checkpoint: one lock per commit, uncontended but for
    /// the moment a checkpoint finishes.
    private let growth: Mutex<SQLiteWALGrowth>
    /// `growth`'s pending restart, mirrored so the check before every write takes no lock.
    private let restartPending = Atomic<Bool>(false)
    /// WAL size, in thresholds, from which checkpoints restart the WAL.
    static let restartFactor = 2
    /// The longest a `RESTART` waits for other processes while this process's writers wait
    /// for it.
    private let restartBusyMilliseconds: Int32
    private let logger: Logger

    init(
        connection: consuming sending SQLiteConnection, writer: SQLiteConnectionSlot, thresholdPages: Int,
        busyTimeoutMilliseconds: Int32, label: String, logger: Logger
    ) {
        self.connection = Mutex(connection)
        self.writer = writer
        self.restartBusyMilliseconds = min(busyTimeoutMilliseconds, 200)
        self.queue = DispatchQueue(label: label)
        self.growth = Mutex(SQLiteWALGrowth(thresholdPages: thresholdPages, restartFactor: Self.restartFactor))
        self.logger = logger
    }

    /// Whether writes must skip the fast path and queue on the writer's queue, behind a
    /// pending `RESTART`.
    var holdsWriters: Bool { restartPending.load(ordering: .relaxed) }

    /// Called by SQLite after each commit with the WAL's size in pages.
    func walDidGrow(pages: Int) {
        guard let due = growth.withLock({ $0.committed(pages: pages) }) else { return }
        // The writer is alive here (its commit is what calls this); a restart after its
        // store was released finds no writer and only marks the checkpoint finished.
        if due.restart, let writer {
            restartPending.store(true, ordering: .relaxed)
            writer.queue.async { self.checkpoint(due) }
        } else {
            queue.async { self.checkpoint(due) }
        }
    }

    /// One checkpoint: a restart on the writer's queue, a passive one on ``queue``.
    private func checkpoint(_ due: SQLiteWALGrowth.Checkpoint) {
        var copied: Int?
        defer {
            growth.withLock { $0.finished(due, copiedPages: copied) }
            if due.restart { restartPending.store(false, ordering: .relaxed) }
        }
        let outcome: Outcome?
        if due.restart {
            // Holding the writer keeps this process's writers out; holding this type's
            // connection waits for a passive checkpoint in flight, since a second
            // checkpoint fails at once with SQLITE_BUSY (SQLite's busy handler does not
            // cover the checkpoint lock).
            outcome = writer.flatMap { writer in
                writer.state.withLock { writerConnection in
                    guard writerConnection != nil else { return nil }
                    return connection.withLock { connection in
                        connection.map { Self.run(SQLITE_CHECKPOINT_RESTART, on: $0, busyTimeoutMilliseconds: restartBusyMilliseconds) }
                    }
                }
            }
        } else {
            outcome = connection.withLock { connection in
                connection.map { Self.run(SQLITE_CHECKPOINT_PASSIVE, on: $0, busyTimeoutMilliseconds: 0) }
            }
        }
        guard let outcome else { return }
        if outcome.code == SQLITE_OK {
            copied = Int(max(0, outcome.copiedPages))
            logger.trace(
                "WAL checkpoint",
                metadata: ["walPages": "\(outcome.logPages)", "copied": "\(outcome.copiedPages)", "restart": "\(due.restart)"])
        } else {
            // Not fatal: a later commit past the threshold tries again.
            logger.debug("WAL checkpoint did not run", metadata: ["error": "\(outcome.message)", "restart": "\(due.restart)"])
        }
    }

    private struct Outcome {
        var code: Int32
        var logPages: Int32
        var copiedPages: Int32
        var message: String
    }

    /// Runs one checkpoint on `connection` (held by the caller), its busy timeout raised
    /// for the call only: request connections keep 0 for their fast path.
    private static func run(_ mode: Int32, on connection: SQLiteConnection, busyTimeoutMilliseconds: Int32) -> Outcome {
        guard let db = connection.db else { return Outcome(code: SQLITE_MISUSE, logPages: 0, copiedPages: 0, message: "closed") }
        connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
        defer { connection.setBusyTimeout(milliseconds: 0) }
        var logPages: Int32 = 0
        var copiedPages: Int32 = 0
        let code = sqlite3_wal_checkpoint_v2(db, nil, mode, &logPages, &copiedPages)
        let message = code == SQLITE_OK ? "" : "\(SQLiteError(code: code, db: db))"
        return Outcome(code: code, logPages: logPages, copiedPages: copiedPages, message: message)
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
