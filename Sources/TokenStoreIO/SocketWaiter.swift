import CTokenStoreSystem
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import Synchronization
import TokenStoreKit

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

/// How parked socket waits learn that a descriptor is ready.
package enum SocketWaitBackend: String, Sendable, CaseIterable {
    /// One epoll set and an eventfd (``EpollLoop``): Linux only, and the default there.
    case epoll
    /// `poll(2)` and a self-pipe (``PollLoop``): portable POSIX, the default where epoll is
    /// missing.
    case poll

    /// The environment variable that picks the backend: `poll` forces the portable one on
    /// Linux (to test it there); any other value, or none, keeps the default.
    package static let environmentVariable = "TOKENSTORE_IO_BACKEND"

    /// The backend a process uses, given the value of ``environmentVariable``.
    package static func chosen(environmentValue: String?) -> Self {
        #if os(Linux)
            environmentValue == Self.poll.rawValue ? .poll : .epoll
        #else
            .poll
        #endif
    }

    /// The backend this process uses (read from the environment once per call).
    package static var fromEnvironment: Self {
        chosen(environmentValue: getenv(environmentVariable).map { String(cString: $0) })
    }
}

/// Waits for non-blocking sockets without parking Swift's cooperative threads.
///
/// ``wait(for:on:deadline:spin:busyPolls:cancellable:parkedPoll:)`` first waits for the
/// descriptor inline for a bounded time (one `ppoll` bounded by ``inlineBlockBound``, or
/// with `busyPolls` polling and yielding the core for half of `spin` first, then a `ppoll`
/// for the other half): a loopback reply usually arrives within it, and returning inline
/// avoids the hop of a continuation resumed from another thread. The drivers wait inline
/// only for a call alone on its store whose connection answers within
/// ``ReplySpin/ceiling`` on average. Otherwise it registers the
/// descriptor with one shared thread (``SocketWaitBackend``: epoll on Linux, `poll(2)`
/// elsewhere or when `TOKENSTORE_IO_BACKEND=poll`) and suspends until the descriptor is
/// ready, the deadline passes, or the task is cancelled.
///
/// Fewer waits spin at once than there are cores (at least one): the others park at once,
/// leaving a core to the parking thread, the other callers and, on a small machine, the
/// server itself. ``ReplySpin`` sizes a connection's spin from its observed replies.
///
/// A hang-up or error condition on the socket counts as ready: the caller's next read or
/// write sees the EOF or the error and reports it in its own terms.
///
/// One descriptor may have only one waiter at a time (drivers hold a connection
/// exclusively while they wait on it).
package final class SocketWaiter: Sendable {
    /// The process-wide waiter, on ``SocketWaitBackend/fromEnvironment``; its thread
    /// starts on the first wait that parks.
    package static let shared = SocketWaiter(backend: .fromEnvironment)

    /// Where parked waits go.
    package let backend: SocketWaitBackend
    private let loop: ParkingLoop
    /// Waits spinning right now. Capped below the core count: on a small machine the
    /// server under test, the parking thread and other callers need a core too, and a second
    /// spinner only delays the replies it waits for.
    private let spinners = Atomic<Int>(0)
    private let maximumSpinners = max(1, ProcessInfo.processInfo.activeProcessorCount - 1)

    /// A waiter of its own, with its own thread once a wait parks (the drivers use
    /// ``shared``; tests use this to run one backend beside the other).
    package init(backend: SocketWaitBackend) {
        self.backend = backend
        #if os(Linux)
            loop = backend == .epoll ? .epoll(EpollLoop()) : .poll(PollLoop())
        #else
            loop = .poll(PollLoop())
        #endif
    }

    /// Suspends until `fd` is ready for `interest`.
    ///
    /// - Parameters:
    ///   - spin: how long to wait inline before parking (on the backend's thread); `.zero`
    ///     parks at once (after one non-blocking check). Without `busyPolls`, any value
    ///     above zero means one `ppoll` bounded by ``inlineBlockBound``.
    ///   - busyPolls: whether the inline wait polls without blocking for the first half of
    ///     `spin` (catches a fast reply sooner, burns the core meanwhile) or blocks in one
    ///     bounded `ppoll` (as a blocking client waits: no CPU spent).
    ///   - deadline: when to give up with ``SocketWaitError/timedOut``.
    ///   - cancellable: `false` when the wait serves other tasks too (a pipeline carrying
    ///     other callers' requests): the task's cancellation is then ignored and only the
    ///     deadline ends the wait.
    ///   - parkedPoll: once parked, how long the parking thread keeps checking for readiness
    ///     without blocking (yielding its core between checks) before it sleeps; `.zero`
    ///     sleeps at once. For waits in a steady stream of short round trips: waking a
    ///     sleeping thread, on a VM an idle vCPU, costs more than the reply's wait. It
    ///     holds the parking thread, never a cooperative one.
    ///   - checked: `true` when the caller's own non-blocking read found nothing an
    ///     instant ago: the wait without `busyPolls` skips its first look (a system call
    ///     that would only repeat that read's answer).
    ///   - yielded: `true` when the caller gave the core away just before that read
    ///     (``yieldForReply(spin:busyPolls:)``): the wait skips its own `sched_yield`.
    package func wait(
        for interest: SocketInterest,
        on fd: Int32,
        deadline: ContinuousClock.Instant,
        spin: Duration = .microseconds(60),
        busyPolls: Bool = true,
        cancellable: Bool = true,
        parkedPoll: Duration = .zero,
        checked: Bool = false,
        yielded: Bool = false
    ) async throws(SocketWaitError) {
        let spinning = spin > .zero && claimSpinner()
        let ready: Bool
        do {
            ready =
                busyPolls
                ? try Self.pollSpinning(fd: fd, events: interest.pollEvents, spin: spinning ? spin : .zero, deadline: deadline)
                : try Self.pollYieldingOnce(
                    fd: fd, events: interest.pollEvents, spin: spinning ? spin : .zero, deadline: deadline, looked: checked,
                    yielded: yielded)
        } catch {
            if spinning { spinners.subtract(1, ordering: .relaxed) }
            throw error
        }
        // The slot is released before parking: only inline polling counts.
        if spinning { spinners.subtract(1, ordering: .relaxed) }
        if ready { return }
        if cancellable, Task.isCancelled { throw .cancelled }
        if ContinuousClock.now >= deadline { throw .timedOut }
        switch loop {
        #if os(Linux)
            case .epoll(let epoll):
                try await epoll.wait(fd: fd, interest: interest, deadline: deadline, cancellable: cancellable, poll: parkedPoll)
        #endif
        case .poll(let poll):
            try await poll.wait(fd: fd, interest: interest, deadline: deadline, cancellable: cancellable, poll: parkedPoll)
        }
    }

    /// Gives the core away once (`sched_yield`) before the caller reads a reply, when the
    /// wait that may follow would wait inline without polling (``ReplyWait/adaptive``:
    /// `spin` above zero, no `busyPolls`); `true` when it did (pass it to
    /// ``wait(for:on:deadline:spin:busyPolls:cancellable:parkedPoll:checked:yielded:)``).
    ///
    /// The adaptive wait's own yield, moved before the first read: on a CPU shared with
    /// the server, the server answers meanwhile and that read takes the reply, with no look
    /// and no wait (two system calls fewer than look, yield, `ppoll`, read). Where the reply
    /// cannot be there yet (another CPU, a remote server) the calls are the same, in
    /// another order.
    package static func yieldForReply(spin: Duration, busyPolls: Bool) -> Bool {
        guard spin > .zero, !busyPolls else { return false }
        sched_yield()
        return true
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

    /// Waits inline until ready or `spin` has passed; `true` when ready.
    ///
    /// The first half polls without blocking, yielding the core between polls: a reply
    /// that comes quickly is seen at once, and a server or caller waiting for this core
    /// (on a small machine, often the one producing the reply) gets to run. The second
    /// half blocks in one bounded `ppoll`, so a slower reply neither burns the core nor
    /// pays a hop. Measured on 2 cores against a local server, this beat a pure busy
    /// spin (p99 and 16-caller throughput) and a pure bounded block (p50).
    private static func pollSpinning(
        fd: Int32, events: Int16, spin: Duration, deadline: ContinuousClock.Instant
    ) throws(SocketWaitError) -> Bool {
        if spin == .zero {
            return try pollBounded(fd: fd, events: events, bound: .zero, deadline: deadline)
        }
        let clock = ContinuousClock()
        let half = spin / 2
        let spinEnd = min(clock.now.advanced(by: half), deadline)
        var iteration = 0
        while true {
            var descriptor = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&descriptor, 1, 0)
            if result > 0 {
                if descriptor.revents & Int16(POLLNVAL) != 0 { throw .failed(errno: EBADF) }
                return true
            }
            if result < 0 && errno != EINTR { throw .failed(errno: errno) }
            sched_yield()
            iteration += 1
            // Reading the clock costs about as much as a poll; check it every few rounds.
            if iteration % 4 == 0, clock.now >= spinEnd {
                return try pollBounded(fd: fd, events: events, bound: half, deadline: deadline)
            }
        }
    }

    /// How long the adaptive inline wait's `ppoll` may block, whatever its `spin`: longer
    /// than a scheduler tick (4 ms at the usual `HZ=250`).
    ///
    /// A shorter timeout is the CPU's earliest timer, so the kernel programs the timer
    /// device to arm it and again to cancel it: on a VM each is a trap to the hypervisor
    /// (what it cost: Benchmarks/README.md, "The C floor's CPU, and what a loop shows").
    /// Only a lone call on a connection whose replies average under ``ReplySpin/ceiling``
    /// waits inline, so the bound holds a cooperative thread only for a rare slow reply.
    package static let inlineBlockBound: Duration = .milliseconds(5)

    /// One look (unless the caller `looked` itself), one `sched_yield` (unless the caller
    /// `yielded`), then one `ppoll` blocking at most ``inlineBlockBound`` (never past the
    /// deadline); `true` when ready. `spin` only says whether to wait inline at all.
    ///
    /// The yield costs a system call when this core has nothing else to run. When it does,
    /// as when the server shares this CPU, it hands the core to the server, which answers
    /// before this thread runs again: the reply is there without a sleep and a wake-up.
    private static func pollYieldingOnce(
        fd: Int32, events: Int16, spin: Duration, deadline: ContinuousClock.Instant, looked: Bool, yielded: Bool
    ) throws(SocketWaitError) -> Bool {
        if !looked, try pollBounded(fd: fd, events: events, bound: .zero, deadline: deadline) { return true }
        guard spin > .zero else { return false }
        if !yielded { sched_yield() }
        return try pollBounded(fd: fd, events: events, bound: inlineBlockBound, deadline: deadline)
    }

    /// One `ppoll` blocking at most `bound` (and never past `deadline`); `true` when ready.
    ///
    /// Blocking rather than busy-polling leaves the core to whoever produces the reply (on
    /// a small machine, often the server itself) and wakes within microseconds of the
    /// reply arriving. It parks the calling cooperative thread, so only waits expected to
    /// be short block (``ReplySpin``), for at most ``inlineBlockBound``, and only a capped
    /// number at once.
    private static func pollBounded(
        fd: Int32, events: Int16, bound: Duration, deadline: ContinuousClock.Instant
    ) throws(SocketWaitError) -> Bool {
        var nanoseconds = 0
        if bound > .zero {
            let remaining = deadline - ContinuousClock.now
            let bounded = min(bound, remaining)
            if bounded > .zero { nanoseconds = Int(bounded.wholeNanoseconds) }
        }
        while true {
            var revents: Int16 = 0
            let result = tokenstore_poll_nanoseconds(fd, events, nanoseconds, &revents)
            if result > 0 {
                if revents & Int16(POLLNVAL) != 0 { throw .failed(errno: EBADF) }
                return true
            }
            if result == 0 { return false }
            // Interrupted: the remaining time is unknown without a clock read; one more
            // non-blocking look is enough (the caller parks next).
            if errno != EINTR { throw .failed(errno: errno) }
            nanoseconds = 0
        }
    }
}

/// The thread parked waits go to.
private enum ParkingLoop: Sendable {
    #if os(Linux)
        case epoll(EpollLoop)
    #endif
    case poll(PollLoop)
}
