// INTERFACE STUB: implemented by the io work. Signatures are the contract the PostgreSQL
// and Redis drivers code against; bodies are placeholders.

/// What a caller waits for on a non-blocking socket.
package enum SocketInterest: Sendable {
    case readable
    case writable
}

/// Why waiting for a socket ended without it becoming ready.
package enum SocketWaitError: Error, Sendable, Equatable {
    /// The deadline passed first.
    case timedOut
    /// The waiting task was cancelled.
    case cancelled
    /// `poll`/`epoll` reported an error or hang-up on the descriptor (errno, or 0 for HUP/ERR).
    case failed(errno: Int32)
}

/// Waits for non-blocking sockets without parking Swift's cooperative threads.
///
/// `wait` first polls the descriptor inline for a short bounded spin (a loopback reply
/// usually arrives within it, and resuming inline avoids the ~27 us hop of a continuation
/// resumed from another thread), then registers it with one shared epoll thread and
/// suspends until ready, the deadline, or cancellation.
package final class SocketWaiter: Sendable {
    /// The process-wide waiter, backed by one epoll thread started on first use.
    package static let shared = SocketWaiter()

    private init() {}

    /// Suspends until `fd` is ready for `interest`.
    ///
    /// - Parameters:
    ///   - spin: how long to poll inline before parking on the epoll thread; `.zero`
    ///     parks at once.
    ///   - deadline: when to give up with ``SocketWaitError/timedOut``.
    package func wait(
        for interest: SocketInterest,
        on fd: Int32,
        deadline: ContinuousClock.Instant,
        spin: Duration = .microseconds(60)
    ) async throws(SocketWaitError) {
        throw .failed(errno: 0)
    }
}
