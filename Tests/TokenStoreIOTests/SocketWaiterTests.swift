import Foundation
import Synchronization
import Testing

@testable import TokenStoreIO

#if canImport(Glibc)
    import Glibc
#endif

/// A connected pair of non-blocking stream sockets, closed on deinit.
final class SocketPair: Sendable {
    let left: Int32
    let right: Int32
    /// Whether `right` was closed early; closing a descriptor twice could close another
    /// test's socket that reused the number.
    private let rightClosed = Mutex(false)

    init() throws {
        var fds: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &fds) == 0 else {
            throw POSIXError(.EMFILE)
        }
        left = fds[0]
        right = fds[1]
        for fd in fds { _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) }
    }

    func send(_ byte: UInt8 = 1) {
        var value = byte
        _ = Glibc.write(right, &value, 1)
    }

    func closeRight() {
        let first = rightClosed.withLock { closed in
            defer { closed = true }
            return !closed
        }
        if first { Glibc.close(right) }
    }

    deinit {
        Glibc.close(left)
        closeRight()
    }
}

@Suite("SocketWaiter", .inProcessTimeLimit)
struct SocketWaiterTests {
    let waiter = SocketWaiter.shared

    @Test("data already there: returns from the inline poll")
    func readyImmediately() async throws {
        let pair = try SocketPair()
        pair.send()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(5))
    }

    @Test("a connected socket is writable")
    func writable() async throws {
        let pair = try SocketPair()
        try await waiter.wait(for: .writable, on: pair.left, deadline: .now + .seconds(5), spin: .zero)
    }

    @Test("data that arrives later wakes the parked waiter", arguments: [Duration.zero, .microseconds(60)])
    func readyLater(spin: Duration) async throws {
        let pair = try SocketPair()
        let writer = Thread {
            usleep(50_000)
            pair.send()
        }
        writer.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(10), spin: spin)
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 1)
    }

    // The bounds below are loose on purpose (a loaded test run delays wake-ups by over a
    // second): each is far below what the bug it guards against would take.

    @Test(
        "a parked wait that has the loop poll is woken by data during or after the polling",
        arguments: [(writeAfter: Duration.milliseconds(2), poll: Duration.seconds(60)), (.milliseconds(50), .microseconds(50))])
    func parkedPoll(writeAfter: Duration, poll: Duration) async throws {
        let pair = try SocketPair()
        let writer = Thread {
            Thread.sleep(forTimeInterval: Double(writeAfter.components.attoseconds) / 1e18)
            pair.send()
        }
        writer.start()
        let began = ContinuousClock.now
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(120), spin: .zero, parkedPoll: poll)
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 1)
        // Woken by the data, not by the end of a minute of polling.
        #expect(began.duration(to: .now) < .seconds(20))
    }

    @Test("the loop's polling never runs past a deadline")
    func parkedPollKeepsTheDeadline() async throws {
        let pair = try SocketPair()
        let deadline = ContinuousClock.now + .milliseconds(30)
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(for: .readable, on: pair.left, deadline: deadline, spin: .zero, parkedPoll: .seconds(60))
        }
        #expect(ContinuousClock.now >= deadline)
        // Not after a minute of polling.
        #expect(ContinuousClock.now < deadline + .seconds(20))
    }

    @Test("no data until the deadline: timedOut, not before the deadline")
    func timesOut() async throws {
        let pair = try SocketPair()
        let deadline = ContinuousClock.now + .milliseconds(100)
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(for: .readable, on: pair.left, deadline: deadline)
        }
        #expect(ContinuousClock.now >= deadline)
    }

    @Test("a deadline already past: timedOut at once")
    func pastDeadline() async throws {
        let pair = try SocketPair()
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(for: .readable, on: pair.left, deadline: .now - .seconds(1))
        }
    }

    @Test("cancellation resumes the waiter with cancelled")
    func cancellation() async throws {
        let pair = try SocketPair()
        let waiter = self.waiter
        let task = Task {
            try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(240))
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        await #expect(throws: SocketWaitError.cancelled) { try await task.value }
        // The descriptor can be waited on again afterwards.
        pair.send()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(5))
    }

    @Test("a wait that is not cancellable outlives its task's cancellation; its deadline still ends it")
    func notCancellable() async throws {
        let pair = try SocketPair()
        let waiter = self.waiter
        let task = Task {
            try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(240), spin: .zero, cancellable: false)
        }
        try await Task.sleep(for: .milliseconds(50))
        task.cancel()
        try await Task.sleep(for: .milliseconds(50))
        pair.send()
        try await task.value
        let other = try SocketPair()
        let cancelledTimeout = Task {
            try await waiter.wait(for: .readable, on: other.left, deadline: .now + .milliseconds(100), spin: .zero, cancellable: false)
        }
        cancelledTimeout.cancel()
        await #expect(throws: SocketWaitError.timedOut) { try await cancelledTimeout.value }
    }

    @Test("a peer hang-up counts as ready, so the caller's read sees EOF")
    func hangUp() async throws {
        let pair = try SocketPair()
        let writer = Thread {
            usleep(30_000)
            pair.closeRightForTest()
        }
        writer.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(10), spin: .zero)
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 0)
    }

    @Test("a closed descriptor: failed(EBADF)")
    func badDescriptor() async throws {
        await #expect(throws: SocketWaitError.failed(errno: EBADF)) {
            try await waiter.wait(for: .readable, on: 1_000_000, deadline: .now + .seconds(1))
        }
    }

    @Test("200 concurrent waiters on different sockets are each resumed once")
    func manyWaiters() async throws {
        let pairs = try (0..<200).map { _ in try SocketPair() }
        let resumed = LockedBox(0)
        let waiter = self.waiter
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pair in pairs {
                group.addTask {
                    try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(240), spin: .zero)
                    resumed.withLock { $0 += 1 }
                }
            }
            try await Task.sleep(for: .milliseconds(50))
            for pair in pairs { pair.send() }
            try await group.waitForAll()
        }
        #expect(resumed.value == 200)
    }

    // A waiter that blocked its thread would starve the 2-thread pool and hang here, which
    // the waits' deadline or the suite's time limit turns into a failure. Not sooner: in a
    // loaded run the whole suite shares the pool, and one yield can wait behind hundreds
    // of other tests' tasks (20 yields once took more than 20 s).
    @Test("parked waiters do not hold cooperative threads")
    func cooperativePoolStaysFree() async throws {
        let pairs = try (0..<8).map { _ in try SocketPair() }
        let waiter = self.waiter
        try await withThrowingTaskGroup(of: Void.self) { group in
            for pair in pairs {
                group.addTask {
                    try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(240), spin: .zero)
                }
            }
            // With 8 waits parked on a 2-thread pool, other work must still make progress.
            var progress = 0
            for _ in 0..<20 {
                await Task.yield()
                progress += 1
            }
            let computed = await Task.detached { (1...1000).reduce(0, +) }.value
            #expect(progress == 20)
            #expect(computed == 500_500)
            for pair in pairs { pair.send() }
            try await group.waitForAll()
        }
    }
}

/// A value behind a lock that closures can capture.
final class LockedBox<Value: Sendable>: Sendable {
    private let mutex: Mutex<Value>
    init(_ value: Value) { mutex = Mutex(value) }
    func withLock<R: Sendable>(_ body: (inout Value) -> R) -> R { mutex.withLock { body(&$0) } }
    var value: Value { mutex.withLock { $0 } }
}

extension SocketPair {
    /// Closes the peer end only.
    func closeRightForTest() { closeRight() }
}
