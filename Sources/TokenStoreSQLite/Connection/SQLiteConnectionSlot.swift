import CoreMetrics
import Dispatch
import Synchronization
import TokenStoreKit

/// One connection, its lock, and the serial queue that runs its blocking work.
///
/// The lock is what makes the non-thread-safe handle safe to share: whoever holds it,
/// a cooperative thread on the fast path or ``queue`` on the slow path, is the only user.
final class SQLiteConnectionSlot: Sendable {
    /// The connection; `nil` once closed.
    let state: Mutex<SQLiteConnection?>
    /// Runs the calls that may block: waits for the busy timeout, open, close.
    let queue: DispatchQueue

    init(connection: consuming sending SQLiteConnection, label: String) {
        self.state = Mutex(connection)
        self.queue = DispatchQueue(label: label)
    }

    /// Runs `work` on ``queue`` holding the lock, with the busy timeout set to
    /// `busyTimeoutMilliseconds` (back to 0 afterwards, for the fast path). The call counts
    /// in `meters`' waiting calls until it holds the lock, then as a connection in use.
    func runOffPool<Work: SQLiteOperation>(
        busyTimeoutMilliseconds: Int32,
        meters: ConnectionPoolMeters,
        _ work: Work
    ) async throws -> Work.Output? {
        typealias R = Work.Output
        meters.waiting.increment()
        return try await withCheckedThrowingContinuation { (continuation: CheckedContinuation<R?, any Error>) in
            queue.async {
                let result: Result<R?, any Error> = self.state.withLock { connection in
                    meters.waiting.decrement()
                    guard let connection else { return .success(nil) }
                    meters.idle.decrement()
                    defer { meters.idle.increment() }
                    connection.setBusyTimeout(milliseconds: busyTimeoutMilliseconds)
                    defer { connection.setBusyTimeout(milliseconds: 0) }
                    return Result { try work.run(on: connection) }
                }
                continuation.resume(with: result)
            }
        }
    }

    /// Closes the connection on ``queue`` (the last close may checkpoint the WAL).
    func close() async {
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            queue.async {
                self.state.withLock { connection in
                    connection?.close()
                    connection = nil
                }
                continuation.resume()
            }
        }
    }
}
