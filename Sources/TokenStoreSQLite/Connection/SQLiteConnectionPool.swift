import CoreMetrics
import Synchronization
import TokenStoreKit

/// The connections of one store and the rule for running a call on one of them.
///
/// **Fast path.** A call tries each connection's lock without waiting and, on the first it
/// gets, runs its statements right there on the calling task's thread. The connections
/// keep a busy timeout of 0, so a lock held by another connection or process returns
/// `SQLITE_BUSY` at once instead of sleeping: a fast-path call never waits for anything
/// but the disk pages it reads or writes (WAL with `synchronous=NORMAL` does not fsync on
/// commit). The commit that takes the WAL past the checkpoint threshold
/// (``SQLiteTokenStore/Configuration/checkpointThresholdPages``) only queues the checkpoint
/// on the writer's queue (see ``SQLiteCheckpointScheduler``): its copy and syncs never run
/// on the calling thread. No thread hop, no allocation beyond the results.
///
/// **Writers and readers.** Writes use the first connection only, so tasks of this
/// process that write at once queue on its lock (a FIFO handoff on its queue) rather than
/// on SQLite's file lock, whose busy handler polls with sleeps. Reads prefer the other
/// connections and run in parallel with the writer (WAL). `SQLITE_BUSY` on the fast path
/// then comes only from other processes.
///
/// **Slow path.** When SQLite reports `SQLITE_BUSY`, or every connection is in use, or (for
/// writes) a checkpoint is queued on the writer's queue, the call moves to the connection's
/// serial `DispatchQueue`, which waits for the lock and retries with the configured busy
/// timeout. Only that dedicated thread ever sleeps.
///
/// **Meters.** The pool reports its connections as open, those no call holds as idle, and
/// the slow-path calls not yet holding their connection as waiting (`ConnectionPoolMeters`).
/// Each change is one increment or decrement made while the connection's lock is held, so
/// the fast path pays two calls into the metrics backend (atomics in swift-prometheus) and
/// no allocation or lock of its own.
final class SQLiteConnectionPool: Sendable {
    let slots: [SQLiteConnectionSlot]
    /// Where reads look for a free connection: the readers first, the writer last.
    private let readSlots: [SQLiteConnectionSlot]
    /// The connections reads wait for when all are busy (the writer only when alone).
    private let readWaitSlots: [SQLiteConnectionSlot]
    /// The writer's checkpoints (`nil` for `:memory:`, which has no WAL).
    let checkpoints: SQLiteCheckpointScheduler?
    let displayName: String
    let busyTimeout: Duration
    private let busyTimeoutMilliseconds: Int32
    private let isClosed = Atomic<Bool>(false)
    private let nextSlot = Atomic<Int>(0)
    private let meters: ConnectionPoolMeters

    /// How many times a call sweeps the locks before it hops to a queue.
    private static let sweeps = 2

    /// Takes over the open connections in `slots` and counts them in `meters`.
    init(
        slots: [SQLiteConnectionSlot], checkpoints: SQLiteCheckpointScheduler?, displayName: String, busyTimeout: Duration,
        meters: ConnectionPoolMeters
    ) {
        self.slots = slots
        self.checkpoints = checkpoints
        self.readSlots = slots.count > 1 ? Array(slots.dropFirst()) + [slots[0]] : slots
        self.readWaitSlots = slots.count > 1 ? Array(slots.dropFirst()) : slots
        self.displayName = displayName
        self.busyTimeout = busyTimeout
        self.busyTimeoutMilliseconds = Self.milliseconds(busyTimeout)
        self.meters = meters
        meters.open.increment(by: Double(slots.count))
        meters.idle.increment(by: Double(slots.count))
    }

    /// A pool released without ``close()`` takes its connections out of the meters (they
    /// close with their slots; no call can hold one, since a call holds the pool).
    deinit {
        if !isClosed.load(ordering: .acquiring) {
            meters.open.decrement(by: Double(slots.count))
            meters.idle.decrement(by: Double(slots.count))
        }
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        // Capped before multiplying: a configured `.seconds(.max)` must not trap.
        let total = min(max(seconds, -1), Int64(Int32.max)) * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, total))
    }

    /// How a fast-path attempt under a connection's lock ended. Not generic: the
    /// output is written straight into the caller's variable, so a large output (an
    /// ``AccessToken``) is not copied through a generic enum's value witnesses.
    private enum InlineOutcome {
        case ran
        case failed(any Error)
        case busy
        case closed
    }

    /// Runs `body` on a connection, inline when possible (see the type's documentation).
    ///
    /// `body` must leave no transaction open and must be safe to run again from the start
    /// after it threw a busy ``SQLiteError`` (it did nothing then). `inline: false` skips
    /// the fast path, for work that is long by nature (large batches, scans).
    func run<R: Sendable>(
        _ operation: String,
        access: SQLiteAccess,
        inline: Bool,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> R
    ) async throws -> R {
        try await run(operation, access: access, inline: inline, SQLiteClosureOperation(body: body))
    }

    /// Runs `work` like ``run(_:access:inline:_:)``; a struct, so the fast path allocates
    /// no closure context.
    ///
    /// The fast path is a synchronous function that returns straight into this frame's
    /// result, and the slow path an async function that is never inlined, so the async
    /// frame stays small: `accessToken(for:)`'s went from 2.9 KB (the slow path's
    /// continuation inlined) to 0.3 KB. Past the first slab of a new task's allocator,
    /// every call from a fresh task (a request handler's) paid a malloc and touched cold
    /// memory for its frame.
    func run<Work: SQLiteOperation>(
        _ operation: String, access: SQLiteAccess, inline: Bool, _ work: Work
    ) async throws -> Work.Output {
        do {
            return try runInline(operation, access: access, inline: inline, work)
        } catch let wait as MustWait {
            return try await runWaiting(operation, access: access, on: wait.slot, work)
        }
    }

    /// Thrown by the fast path when the work must wait on a connection's queue: this
    /// one's (it reported busy), or any (`nil`: every lock was taken, or the fast path was
    /// skipped). An error rather than an enum case so that the work's output is returned
    /// in place, not copied out of an enum; it is boxed only on the slow path.
    private struct MustWait: Error {
        let slot: SQLiteConnectionSlot?
    }

    /// `.ran` without an output: cannot happen (the work sets it before returning).
    private struct InlineOutputMissing: Error {}

    /// The fast path: sweeps the connections' locks without waiting and runs `work` on the
    /// first it gets. Never inlined, so its locals live on the thread's stack rather than
    /// in the async frame of its caller.
    @inline(never)
    private func runInline<Work: SQLiteOperation>(
        _ operation: String, access: SQLiteAccess, inline: Bool, _ work: Work
    ) throws -> Work.Output {
        if isClosed.load(ordering: .relaxed) { throw closedError(operation) }
        // Writes queue behind a pending checkpoint rather than grow the WAL it is copying.
        let fastPath = inline && !(access == .write && checkpoints?.holdsWriters == true)
        var output: Work.Output?
        for _ in 0..<(fastPath ? Self.sweeps : 0) {
            for slot in access == .write ? slots[0..<1] : readSlots[...] {
                let outcome = slot.state.withLockIfAvailable { connection -> InlineOutcome in
                    guard let connection else { return .closed }
                    meters.idle.decrement()
                    defer { meters.idle.increment() }
                    do {
                        output = try work.run(on: connection)
                        return .ran
                    } catch let error as SQLiteError where error.isBusy {
                        return .busy
                    } catch {
                        return .failed(error)
                    }
                }
                switch outcome {
                case nil:
                    continue
                case .ran?:
                    // Moved out, not copied: a copy of a large output (an ``AccessToken``)
                    // retains and releases every string it holds.
                    switch consume output {
                    case .some(let output): return output
                    case .none: throw storeError(InlineOutputMissing(), operation: operation)
                    }
                case .failed(let error)?:
                    throw storeError(error, operation: operation)
                case .busy?:
                    throw MustWait(slot: slot)
                case .closed?:
                    throw closedError(operation)
                }
            }
        }
        throw MustWait(slot: nil)
    }

    /// The slow path: runs `work` on `target`'s queue (or a connection picked for the
    /// access), where its thread may wait for the lock with the busy timeout.
    @inline(never)
    private func runWaiting<Work: SQLiteOperation>(
        _ operation: String, access: SQLiteAccess, on target: SQLiteConnectionSlot?, _ work: Work
    ) async throws -> Work.Output {
        let slot =
            target ?? (access == .write
                ? slots[0] : readWaitSlots[nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue % readWaitSlots.count])
        let result: Work.Output?
        do {
            result = try await slot.runOffPool(busyTimeoutMilliseconds: busyTimeoutMilliseconds, meters: meters, work)
        } catch {
            throw storeError(error, operation: operation)
        }
        guard let result else { throw closedError(operation) }
        return result
    }

    /// Closes every connection, each on its own queue. Later calls throw `closed`.
    func close() async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for slot in slots {
            await slot.close()
            meters.open.decrement()
            meters.idle.decrement()
        }
    }

    func closedError(_ operation: String) -> TokenStoreError {
        TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
    }
}

/// Whether a call writes (first connection only) or only reads (any connection).
enum SQLiteAccess: Sendable {
    case read
    case write
}

/// Work on one connection. It must leave no transaction open and be safe to run again
/// from the start after throwing a busy ``SQLiteError`` (it changed nothing then).
protocol SQLiteOperation: Sendable {
    associatedtype Output: Sendable
    func run(on connection: SQLiteConnection) throws -> Output
}

/// A closure as an ``SQLiteOperation``, for the calls off the hot path.
struct SQLiteClosureOperation<Output: Sendable>: SQLiteOperation {
    let body: @Sendable (SQLiteConnection) throws -> Output
    func run(on connection: SQLiteConnection) throws -> Output { try body(connection) }
}
