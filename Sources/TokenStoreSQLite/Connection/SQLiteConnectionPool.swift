import Synchronization
import TokenStoreKit

/// The connections of one store and the rule for running a call on one of them.
///
/// **Fast path.** A call tries each connection's lock without waiting and, on the first it
/// gets, runs its statements right there on the calling task's thread. The connections
/// keep a busy timeout of 0, so a lock held by another connection or process returns
/// `SQLITE_BUSY` at once instead of sleeping: a fast-path call never waits for anything
/// but the disk pages it reads or writes (WAL with `synchronous=NORMAL` does not fsync on
/// commit, and checkpoints run elsewhere, see ``SQLiteCheckpointer``). No thread hop, no
/// allocation beyond the results.
///
/// **Slow path.** When SQLite reports `SQLITE_BUSY`, or every connection is in use, the
/// call moves to the connection's serial `DispatchQueue`, which waits for the lock and
/// retries with the configured busy timeout. Only that dedicated thread ever sleeps.
final class SQLiteConnectionPool: Sendable {
    let slots: [SQLiteConnectionSlot]
    let checkpointer: SQLiteCheckpointer?
    let displayName: String
    let busyTimeout: Duration
    private let busyTimeoutMilliseconds: Int32
    private let isClosed = Atomic<Bool>(false)
    private let nextSlot = Atomic<Int>(0)

    /// How many times a call sweeps the locks before it hops to a queue.
    private static let sweeps = 2

    init(slots: [SQLiteConnectionSlot], checkpointer: SQLiteCheckpointer?, displayName: String, busyTimeout: Duration) {
        self.slots = slots
        self.checkpointer = checkpointer
        self.displayName = displayName
        self.busyTimeout = busyTimeout
        self.busyTimeoutMilliseconds = Self.milliseconds(busyTimeout)
    }

    static func milliseconds(_ duration: Duration) -> Int32 {
        let (seconds, attoseconds) = duration.components
        let total = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        return Int32(clamping: max(0, total))
    }

    private enum InlineOutcome<R: Sendable>: Sendable {
        case finished(Result<R, any Error>)
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
        inline: Bool,
        _ body: @escaping @Sendable (SQLiteConnection) throws -> R
    ) async throws -> R {
        if isClosed.load(ordering: .relaxed) { throw closedError(operation) }
        var target: SQLiteConnectionSlot?
        sweep: for _ in 0..<(inline ? Self.sweeps : 0) {
            for slot in slots {
                let outcome = slot.state.withLockIfAvailable { connection -> InlineOutcome<R> in
                    guard let connection else { return .closed }
                    do {
                        return .finished(.success(try body(connection)))
                    } catch let error as SQLiteError where error.isBusy {
                        return .busy
                    } catch {
                        return .finished(.failure(error))
                    }
                }
                switch outcome {
                case nil:
                    continue
                case .finished(let result)?:
                    do { return try result.get() } catch { throw storeError(error, operation: operation) }
                case .busy?:
                    target = slot
                    break sweep
                case .closed?:
                    throw closedError(operation)
                }
            }
        }
        let slot = target ?? slots[nextSlot.wrappingAdd(1, ordering: .relaxed).oldValue % slots.count]
        let result: R?
        do {
            result = try await slot.runOffPool(busyTimeoutMilliseconds: busyTimeoutMilliseconds, body)
        } catch {
            throw storeError(error, operation: operation)
        }
        guard let result else { throw closedError(operation) }
        return result
    }

    /// Closes every connection, each on its own queue. Later calls throw `closed`.
    func close() async {
        guard !isClosed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        for slot in slots { await slot.close() }
        await checkpointer?.close()
    }

    func closedError(_ operation: String) -> TokenStoreError {
        TokenStoreError(.closed, store: displayName, operation: operation, message: "the store was closed")
    }

    /// `error` as the ``TokenStoreError`` a caller sees.
    func storeError(_ error: any Error, operation: String) -> any Error {
        switch error {
        case let error as TokenStoreError:
            return error
        case let error as SQLiteError:
            return error.storeError(store: displayName, operation: operation, busyTimeout: busyTimeout)
        case let error as SQLiteCorruptRow:
            return TokenStoreError(
                .corruptedRecord, store: displayName, operation: operation,
                message: "a stored row cannot be decoded: \(error.problem); delete or repair it", record: error.record)
        default:
            return TokenStoreError(
                .internal, store: displayName, operation: operation, message: "unexpected error", underlying: nil)
        }
    }
}
