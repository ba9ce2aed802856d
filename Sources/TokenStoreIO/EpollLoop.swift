// Linux only: epoll and eventfd. Elsewhere ``SocketWaiter`` parks on ``PollLoop``.
#if os(Linux)
import Glibc
import CTokenStoreSystem
import Foundation
import Synchronization
import TokenStoreKit

/// One thread blocked in `epoll_wait` on behalf of every parked socket waiter.
///
/// A waiter is a registration id in ``State/waiters``; whoever removes it from the table
/// (the epoll thread on readiness or timeout, or the cancellation handler) resumes its
/// continuation, so each is resumed exactly once. Registrations use `EPOLLONESHOT` and stay
/// in the set after they fire: a wait re-arms its descriptor with a modify, and adds it
/// only when it is not in the set yet (closing a descriptor removes it from the set).
///
/// Continuations are unsafe ones: that single-owner rule is what guarantees one resume,
/// and a checked continuation cost an allocation per park.
final class EpollLoop: Sendable {
    private struct Waiter {
        var fd: Int32
        var deadline: ContinuousClock.Instant
        /// How long the loop thread polls before it sleeps while this waiter is parked.
        var pollNanoseconds: Int
        var continuation: UnsafeContinuation<Void, any Error>
    }

    private struct State {
        var epollFD: Int32 = -1
        var wakeFD: Int32 = -1
        var started = false
        var nextID: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
        /// Ids whose cancellation ran before they were registered.
        var cancelledEarly: Set<UInt64> = []
        /// When the epoll thread plans to wake up at the latest.
        var plannedWake: ContinuousClock.Instant?
    }

    private let state = Mutex(State())
    /// The id used in the epoll set for the wake-up eventfd.
    private static let wakeID: UInt64 = 0

    /// Suspends until `fd` is ready for `interest`, the deadline passes, or (when
    /// `cancellable`) the task is cancelled.
    ///
    /// `poll`: while this wait is parked, the loop thread checks for readiness without
    /// blocking for up to this long before it sleeps in `epoll_wait` (see ``SocketWaiter``).
    func wait(
        fd: Int32, interest: SocketInterest, deadline: ContinuousClock.Instant, cancellable: Bool = true,
        poll: Duration = .zero
    ) async throws(SocketWaitError) {
        let pollNanoseconds = Int(poll.wholeNanoseconds)
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        do {
            if cancellable {
                try await withTaskCancellationHandler {
                    try await park(id: id, fd: fd, interest: interest, deadline: deadline, pollNanoseconds: pollNanoseconds)
                } onCancel: {
                    cancel(id: id)
                }
            } else {
                try await park(id: id, fd: fd, interest: interest, deadline: deadline, pollNanoseconds: pollNanoseconds)
            }
        } catch let error as SocketWaitError {
            throw error
        } catch {
            throw .cancelled
        }
    }

    /// Suspends until the epoll thread (or a cancellation) resumes waiter `id`.
    private func park(
        id: UInt64, fd: Int32, interest: SocketInterest, deadline: ContinuousClock.Instant, pollNanoseconds: Int
    ) async throws {
        try await withUnsafeThrowingContinuation { (continuation: UnsafeContinuation<Void, any Error>) in
            register(
                id: id, fd: fd, interest: interest, deadline: deadline, pollNanoseconds: pollNanoseconds,
                continuation: continuation)
        }
    }

    private func register(
        id: UInt64, fd: Int32, interest: SocketInterest, deadline: ContinuousClock.Instant, pollNanoseconds: Int,
        continuation: UnsafeContinuation<Void, any Error>
    ) {
        // The waiter goes into the table first and the descriptor into the epoll set after,
        // outside the lock: the epoll thread then never finds a ready id it does not know,
        // and registering callers do not hold the lock across a syscall (the epoll thread
        // spent a tenth of its time spinning on this lock under 16 callers).
        enum Registered {
            case failed(SocketWaitError)
            case added(epollFD: Int32, wakeFD: Int32?)
        }
        let registered: Registered = state.withLock { state in
            if state.cancelledEarly.remove(id) != nil { return .failed(.cancelled) }
            if !state.started {
                if let error = start(&state) { return .failed(error) }
            }
            state.waiters[id] = Waiter(
                fd: fd, deadline: deadline, pollNanoseconds: pollNanoseconds, continuation: continuation)
            // Wake the thread only when it would otherwise sleep past this deadline.
            if state.plannedWake.map({ deadline < $0 }) ?? true {
                state.plannedWake = deadline
                return .added(epollFD: state.epollFD, wakeFD: state.wakeFD)
            }
            return .added(epollFD: state.epollFD, wakeFD: nil)
        }
        switch registered {
        case .failed(let error):
            continuation.resume(throwing: error)
        case .added(let epollFD, let wakeFD):
            var event = epoll_event()
            event.events = (interest == .readable ? EPOLLIN.rawValue : EPOLLOUT.rawValue) | EPOLLONESHOT.rawValue
                | EPOLLRDHUP.rawValue
            event.data.u64 = id
            // A descriptor waited on before is still in the set, disarmed (one-shot entries
            // are not deleted when they fire): re-arm it, or add it the first time.
            if epoll_ctl(epollFD, EPOLL_CTL_MOD, fd, &event) != 0 {
                if errno != ENOENT || epoll_ctl(epollFD, EPOLL_CTL_ADD, fd, &event) != 0 {
                    let code = errno
                    let waiter = state.withLock { $0.waiters.removeValue(forKey: id) }
                    // Absent: the epoll thread already expired it, or it was cancelled.
                    waiter?.continuation.resume(throwing: SocketWaitError.failed(errno: code))
                    return
                }
            }
            if let wakeFD {
                var one: UInt64 = 1
                _ = Glibc.write(wakeFD, &one, 8)
            }
        }
    }

    private func cancel(id: UInt64) {
        let waiter: Waiter? = state.withLock { state in
            guard let waiter = state.waiters.removeValue(forKey: id) else {
                // Not registered yet (or already finished: then the id is never used again).
                state.cancelledEarly.insert(id)
                return nil
            }
            _ = epoll_ctl(state.epollFD, EPOLL_CTL_DEL, waiter.fd, nil)
            return waiter
        }
        waiter?.continuation.resume(throwing: SocketWaitError.cancelled)
    }

    /// Creates the epoll set and the wake-up eventfd and starts the thread.
    private func start(_ state: inout State) -> SocketWaitError? {
        let epollFD = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard epollFD >= 0 else { return .failed(errno: errno) }
        let wakeFD = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard wakeFD >= 0 else {
            let code = errno
            close(epollFD)
            return .failed(errno: code)
        }
        var event = epoll_event()
        event.events = EPOLLIN.rawValue
        event.data.u64 = Self.wakeID
        guard epoll_ctl(epollFD, EPOLL_CTL_ADD, wakeFD, &event) == 0 else {
            let code = errno
            close(epollFD)
            close(wakeFD)
            return .failed(errno: code)
        }
        state.epollFD = epollFD
        state.wakeFD = wakeFD
        state.started = true
        // The thread lives as long as the process: the loop belongs to `SocketWaiter.shared`.
        let thread = Thread { [self, epollFD, wakeFD] in
            self.run(epollFD: epollFD, wakeFD: wakeFD)
        }
        thread.name = "tokenstore-epoll"
        thread.stackSize = 256 * 1024
        thread.start()
        return nil
    }

    /// Checks the set without blocking, yielding the core between checks, until something is
    /// ready or `nanoseconds` have passed; what the last check returned.
    ///
    /// A thread asleep in `epoll_wait` is woken by the kernel when a reply lands, and on a
    /// VM waking an idle vCPU goes through the hypervisor. Under a steady stream of
    /// pipelined Redis replies the next one is usually tens of microseconds away, so
    /// staying awake for it beat sleeping (see `SocketWaiter.wait(...parkedPoll:)`).
    private static func poll(epollFD: Int32, into events: inout [epoll_event], forNanoseconds nanoseconds: Int) -> Int32 {
        let end = ContinuousClock.now.advanced(by: .nanoseconds(nanoseconds))
        while true {
            let count = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32($0.count), 0) }
            if count != 0 || ContinuousClock.now >= end { return count }
            sched_yield()
        }
    }

    /// The loop the thread runs: wait, resume ready waiters, expire overdue ones.
    private func run(epollFD: Int32, wakeFD: Int32) {
        var events = [epoll_event](repeating: epoll_event(), count: 64)
        // Reused every round: under load the thread wakes once per reply batch.
        var ready: [UnsafeContinuation<Void, any Error>] = []
        var expired: [UnsafeContinuation<Void, any Error>] = []
        while true {
            let (timeout, pollNanoseconds) = state.withLock { state -> (Int32, Int) in
                var earliest: ContinuousClock.Instant?
                var poll = 0
                for waiter in state.waiters.values {
                    if earliest.map({ waiter.deadline < $0 }) ?? true { earliest = waiter.deadline }
                    poll = max(poll, waiter.pollNanoseconds)
                }
                state.plannedWake = earliest
                guard let earliest else { return (-1, 0) }
                let remaining = ContinuousClock.now.duration(to: earliest)
                if remaining <= .zero { return (0, 0) }
                // Round up so a timed-out wait never fires before its deadline.
                // Seconds capped first: a deadline centuries away (a huge configured
                // timeout) must not overflow the multiplication; epoll takes an Int32 anyway.
                let seconds = min(remaining.components.seconds, Int64(Int32.max))
                let milliseconds = seconds * 1000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                // Polling never runs past the earliest deadline.
                return (Int32(clamping: milliseconds), Int(min(Int64(poll), remaining.wholeNanoseconds)))
            }
            var count: Int32 = 0
            if pollNanoseconds > 0 {
                count = Self.poll(epollFD: epollFD, into: &events, forNanoseconds: pollNanoseconds)
            }
            if count == 0 {
                count = events.withUnsafeMutableBufferPointer { epoll_wait(epollFD, $0.baseAddress, Int32($0.count), timeout) }
            }
            ready.removeAll(keepingCapacity: true)
            expired.removeAll(keepingCapacity: true)
            state.withLock { state in
                if count > 0 {
                    for index in 0..<Int(count) {
                        let id = events[index].data.u64
                        if id == Self.wakeID {
                            var value: UInt64 = 0
                            _ = Glibc.read(wakeFD, &value, 8)
                            continue
                        }
                        // The one-shot entry is now disarmed; the next wait on the
                        // descriptor re-arms it (no delete and add per wait).
                        guard let waiter = state.waiters.removeValue(forKey: id) else { continue }
                        ready.append(waiter.continuation)
                    }
                }
                let now = ContinuousClock.now
                for (id, waiter) in state.waiters where waiter.deadline <= now {
                    state.waiters.removeValue(forKey: id)
                    _ = epoll_ctl(epollFD, EPOLL_CTL_DEL, waiter.fd, nil)
                    expired.append(waiter.continuation)
                }
            }
            for continuation in ready { continuation.resume() }
            for continuation in expired { continuation.resume(throwing: SocketWaitError.timedOut) }
        }
    }
}
#endif
