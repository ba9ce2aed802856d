#if canImport(Glibc)
    import Glibc
#endif
import Foundation
import Synchronization

/// What a caller waits for on a non-blocking socket.
package enum SocketInterest: Sendable {
    case readable
    case writable

    var pollEvents: Int16 {
        switch self {
        case .readable: Int16(POLLIN)
        case .writable: Int16(POLLOUT)
        }
    }
}

/// Why waiting for a socket ended without it becoming ready.
package enum SocketWaitError: Error, Sendable, Equatable {
    /// The deadline passed first.
    case timedOut
    /// The waiting task was cancelled.
    case cancelled
    /// The descriptor is not open (`POLLNVAL`), or registering it failed (the errno).
    case failed(errno: Int32)
}

/// Waits for non-blocking sockets without parking Swift's cooperative threads.
///
/// ``wait(for:on:deadline:spin:)`` first polls the descriptor inline for a short bounded
/// spin: a loopback reply usually arrives within it, and returning inline avoids the
/// ~27 us hop of a continuation resumed from another thread. Otherwise it registers the
/// descriptor with one shared epoll thread and suspends until the descriptor is ready, the
/// deadline passes, or the task is cancelled.
///
/// Fewer waits spin at once than there are cores (at least one): the others park at once,
/// leaving a core to the epoll thread, the other callers and, on a small machine, the
/// server itself. ``ReplySpin`` sizes a connection's spin from its observed replies.
///
/// A hang-up or error condition on the socket counts as ready: the caller's next read or
/// write sees the EOF or the error and reports it in its own terms.
///
/// One descriptor may have only one waiter at a time (drivers hold a connection
/// exclusively while they wait on it).
package final class SocketWaiter: Sendable {
    /// The process-wide waiter; its epoll thread starts on the first wait that parks.
    package static let shared = SocketWaiter()

    private let loop = EpollLoop()
    /// Waits spinning right now. Capped below the core count: on a small machine the
    /// server under test, the epoll thread and other callers need a core too, and a second
    /// spinner only delays the replies it waits for.
    private let spinners = Atomic<Int>(0)
    private let maximumSpinners = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    private init() {}

    /// Suspends until `fd` is ready for `interest`.
    ///
    /// - Parameters:
    ///   - spin: how long to poll inline before parking on the epoll thread; `.zero`
    ///     parks at once (after one non-blocking check).
    ///   - deadline: when to give up with ``SocketWaitError/timedOut``.
    package func wait(
        for interest: SocketInterest,
        on fd: Int32,
        deadline: ContinuousClock.Instant,
        spin: Duration = .microseconds(60)
    ) async throws(SocketWaitError) {
        let spinning = spin > .zero && claimSpinner()
        let ready: Bool
        do {
            ready = try Self.pollSpinning(fd: fd, events: interest.pollEvents, spin: spinning ? spin : .zero, deadline: deadline)
        } catch {
            if spinning { spinners.subtract(1, ordering: .relaxed) }
            throw error
        }
        // The slot is released before parking: only inline polling counts.
        if spinning { spinners.subtract(1, ordering: .relaxed) }
        if ready { return }
        if Task.isCancelled { throw .cancelled }
        if ContinuousClock.now >= deadline { throw .timedOut }
        try await loop.wait(fd: fd, interest: interest, deadline: deadline)
    }

    /// Takes a spinner slot when one is free.
    private func claimSpinner() -> Bool {
        var current = spinners.load(ordering: .relaxed)
        while current < maximumSpinners {
            let (exchanged, original) = spinners.compareExchange(
                expected: current, desired: current + 1, ordering: .relaxed)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Polls without blocking until ready or `spin` has passed; `true` when ready.
    private static func pollSpinning(
        fd: Int32, events: Int16, spin: Duration, deadline: ContinuousClock.Instant
    ) throws(SocketWaitError) -> Bool {
        let clock = ContinuousClock()
        let start = clock.now
        let spinEnd = min(start.advanced(by: spin), deadline)
        var iteration = 0
        while true {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&descriptor, 1, 0)
            if result > 0 {
                if descriptor.revents & Int16(POLLNVAL) != 0 { throw .failed(errno: EBADF) }
                return true
            }
            if result < 0 && errno != EINTR { throw .failed(errno: errno) }
            iteration += 1
            // Reading the clock costs about as much as a poll; check it every few rounds.
            if iteration % 4 == 0 || spin == .zero, clock.now >= spinEnd { return false }
        }
    }
}
