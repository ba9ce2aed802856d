// `pollfd` may be owned by the system shim's module (its header includes <poll.h>), and
// member-import visibility then asks for that module here too.
import CTokenStoreSystem
#if canImport(Glibc)
    import Glibc
#elseif canImport(Darwin)
    import Darwin
#endif
import Foundation
import Synchronization
import TokenStoreKit

/// One thread blocked in `poll(2)` on behalf of every parked socket waiter: the portable
/// backend of ``SocketWaiter``, for systems without epoll (and on Linux when
/// `TOKENSTORE_IO_BACKEND=poll`).
///
/// Same contract as ``EpollLoop``: a waiter is a registration id in ``State/waiters``, and
/// whoever removes it from the table (the thread on readiness, timeout or an invalid
/// descriptor, or the cancellation handler) resumes its continuation, exactly once.
/// `poll` has no kernel-side set, so the thread rebuilds its descriptor array from the
/// table on every round, and a registration wakes it through a self-pipe to add the new
/// descriptor. A waiter removed meanwhile may still be in the array the thread is blocked
/// on; its readiness then finds no id and is ignored.
final class PollLoop: Sendable {
    private struct Waiter {
        var fd: Int32
        var events: Int16
        var deadline: ContinuousClock.Instant
        /// How long the thread polls without blocking while this waiter is parked.
        var pollNanoseconds: Int
        var continuation: UnsafeContinuation<Void, any Error>
    }

    private struct State {
        var started = false
        /// The self-pipe: the thread polls `wakeRead`, registrations write to `wakeWrite`.
        var wakeRead: Int32 = -1
        var wakeWrite: Int32 = -1
        /// Whether a wake-up byte is written and not yet drained: one is enough.
        var wakePending = false
        var nextID: UInt64 = 1
        var waiters: [UInt64: Waiter] = [:]
        /// Ids whose cancellation ran before they were registered.
        var cancelledEarly: Set<UInt64> = []
    }

    private let state = Mutex(State())

    /// Suspends until `fd` is ready for `interest`, the deadline passes, or (when
    /// `cancellable`) the task is cancelled. `poll`: as ``EpollLoop/wait(fd:interest:deadline:cancellable:poll:)``.
    func wait(
        fd: Int32, interest: SocketInterest, deadline: ContinuousClock.Instant, cancellable: Bool = true,
        poll: Duration = .zero
    ) async throws(SocketWaitError) {
        let waiter = (fd: fd, events: interest.pollEvents, deadline: deadline, pollNanoseconds: Int(poll.wholeNanoseconds))
        let id = state.withLock { state -> UInt64 in
            defer { state.nextID += 1 }
            return state.nextID
        }
        do {
            if cancellable {
                try await withTaskCancellationHandler {
                    try await withUnsafeThrowingContinuation { continuation in register(id: id, waiter, continuation) }
                } onCancel: {
                    cancel(id: id)
                }
            } else {
                try await withUnsafeThrowingContinuation { continuation in register(id: id, waiter, continuation) }
            }
        } catch let error as SocketWaitError {
            throw error
        } catch {
            throw .cancelled
        }
    }

    private func register(
        id: UInt64, _ waiter: (fd: Int32, events: Int16, deadline: ContinuousClock.Instant, pollNanoseconds: Int),
        _ continuation: UnsafeContinuation<Void, any Error>
    ) {
        enum Registered {
            case failed(SocketWaitError)
            case added(wake: Int32?)
        }
        let registered: Registered = state.withLock { state in
            if state.cancelledEarly.remove(id) != nil { return .failed(.cancelled) }
            if !state.started {
                if let error = start(&state) { return .failed(error) }
            }
            state.waiters[id] = Waiter(
                fd: waiter.fd, events: waiter.events, deadline: waiter.deadline, pollNanoseconds: waiter.pollNanoseconds,
                continuation: continuation)
            if state.wakePending { return .added(wake: nil) }
            state.wakePending = true
            return .added(wake: state.wakeWrite)
        }
        switch registered {
        case .failed(let error):
            continuation.resume(throwing: error)
        case .added(let wake):
            // Outside the lock: the thread must rebuild its array to see the new descriptor.
            // A full pipe (EAGAIN) already holds a wake-up.
            if let wake {
                var byte: UInt8 = 1
                _ = write(wake, &byte, 1)
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
            return waiter
        }
        waiter?.continuation.resume(throwing: SocketWaitError.cancelled)
    }

    /// Creates the self-pipe and starts the thread.
    private func start(_ state: inout State) -> SocketWaitError? {
        var fds: [Int32] = [-1, -1]
        guard pipe(&fds) == 0 else { return .failed(errno: errno) }
        for fd in fds {
            // Non-blocking both ways: a wake-up never blocks a caller, draining never blocks
            // the thread. Close-on-exec: spawned processes must not inherit the pipe.
            let flags = fcntl(fd, F_GETFL)
            if flags < 0 || fcntl(fd, F_SETFL, flags | O_NONBLOCK) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 {
                let code = errno
                close(fds[0])
                close(fds[1])
                return .failed(errno: code)
            }
        }
        state.wakeRead = fds[0]
        state.wakeWrite = fds[1]
        state.started = true
        // The thread lives as long as the process: the loop belongs to `SocketWaiter.shared`
        // (or to a test's waiter, which is kept as long).
        let thread = Thread { [self, wakeRead = fds[0]] in
            self.run(wakeRead: wakeRead)
        }
        thread.name = "tokenstore-poll"
        thread.stackSize = 256 * 1024
        thread.start()
        return nil
    }

    /// The loop the thread runs: build the array, wait, resume ready waiters, expire overdue ones.
    private func run(wakeRead: Int32) {
        var descriptors: [pollfd] = []
        var ids: [UInt64] = []
        var ready: [UnsafeContinuation<Void, any Error>] = []
        var invalid: [UnsafeContinuation<Void, any Error>] = []
        var expired: [UnsafeContinuation<Void, any Error>] = []
        while true {
            descriptors.removeAll(keepingCapacity: true)
            ids.removeAll(keepingCapacity: true)
            descriptors.append(pollfd(fd: wakeRead, events: Int16(POLLIN), revents: 0))
            ids.append(0)
            let (timeout, pollNanoseconds) = state.withLock { state -> (Int32, Int) in
                var earliest: ContinuousClock.Instant?
                var poll = 0
                for (id, waiter) in state.waiters {
                    descriptors.append(pollfd(fd: waiter.fd, events: waiter.events, revents: 0))
                    ids.append(id)
                    if earliest.map({ waiter.deadline < $0 }) ?? true { earliest = waiter.deadline }
                    poll = max(poll, waiter.pollNanoseconds)
                }
                guard let earliest else { return (-1, 0) }
                let remaining = ContinuousClock.now.duration(to: earliest)
                if remaining <= .zero { return (0, 0) }
                // Round up so a timed-out wait never fires before its deadline; seconds capped
                // first so a deadline centuries away cannot overflow (poll takes an Int32).
                let seconds = min(remaining.components.seconds, Int64(Int32.max))
                let milliseconds = seconds * 1000 + (remaining.components.attoseconds + 999_999_999_999_999) / 1_000_000_000_000_000
                return (Int32(clamping: milliseconds), Int(min(Int64(poll), remaining.wholeNanoseconds)))
            }
            var count: Int32 = 0
            if pollNanoseconds > 0 {
                count = Self.pollWithoutBlocking(&descriptors, forNanoseconds: pollNanoseconds)
            }
            if count == 0 {
                count = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), timeout) }
            }
            ready.removeAll(keepingCapacity: true)
            invalid.removeAll(keepingCapacity: true)
            expired.removeAll(keepingCapacity: true)
            let woken = count > 0 && descriptors[0].revents != 0
            if woken { drain(wakeRead) }
            state.withLock { state in
                // After the drain: a registration that saw the flag still set is in the
                // table, and the next round's array picks it up.
                if woken { state.wakePending = false }
                if count > 0 {
                    for index in 1..<descriptors.count where descriptors[index].revents != 0 {
                        // Gone: cancelled, or expired, since the array was built.
                        guard let waiter = state.waiters.removeValue(forKey: ids[index]) else { continue }
                        // A hang-up or error counts as ready (the caller's read or write
                        // reports it); a descriptor that is not open does not.
                        if descriptors[index].revents & Int16(POLLNVAL) != 0 {
                            invalid.append(waiter.continuation)
                        } else {
                            ready.append(waiter.continuation)
                        }
                    }
                }
                let now = ContinuousClock.now
                for (id, waiter) in state.waiters where waiter.deadline <= now {
                    state.waiters.removeValue(forKey: id)
                    expired.append(waiter.continuation)
                }
            }
            for continuation in ready { continuation.resume() }
            for continuation in invalid { continuation.resume(throwing: SocketWaitError.failed(errno: EBADF)) }
            for continuation in expired { continuation.resume(throwing: SocketWaitError.timedOut) }
        }
    }

    /// Checks the array without blocking, yielding the core between checks, until something
    /// is ready or `nanoseconds` have passed; what the last check returned.
    private static func pollWithoutBlocking(_ descriptors: inout [pollfd], forNanoseconds nanoseconds: Int) -> Int32 {
        let end = ContinuousClock.now.advanced(by: .nanoseconds(nanoseconds))
        while true {
            let count = descriptors.withUnsafeMutableBufferPointer { poll($0.baseAddress, nfds_t($0.count), 0) }
            if count != 0 || ContinuousClock.now >= end { return count }
            sched_yield()
        }
    }

    /// Empties the self-pipe.
    private func drain(_ fd: Int32) {
        var buffer = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        while withUnsafeMutableBytes(of: &buffer, { read(fd, $0.baseAddress, $0.count) }) > 0 {}
    }
}
