import Foundation
import Testing

@testable import TokenStoreIO

#if canImport(Glibc)
    import Glibc
#endif

/// Parked waits on each backend the platform has (the `SocketWaiter` suite covers the
/// process's own one, `SocketWaiter.shared`, in more depth).
@Suite("SocketWaiter backends", .inProcessTimeLimit)
struct SocketWaiterBackendTests {
    /// One waiter per backend for the whole run: each keeps its thread for the process's life.
    static let waiters: [SocketWaitBackend: SocketWaiter] = Dictionary(
        uniqueKeysWithValues: available.map { ($0, SocketWaiter(backend: $0)) })

    static var available: [SocketWaitBackend] {
        #if os(Linux)
            [.epoll, .poll]
        #else
            [.poll]
        #endif
    }

    static func waiter(_ backend: SocketWaitBackend) throws -> SocketWaiter {
        try #require(waiters[backend], "no waiter for \(backend)")
    }

    @Test("the environment variable forces poll on Linux; any other value keeps the default")
    func choice() {
        #if os(Linux)
            #expect(SocketWaitBackend.chosen(environmentValue: nil) == .epoll)
            #expect(SocketWaitBackend.chosen(environmentValue: "poll") == .poll)
            #expect(SocketWaitBackend.chosen(environmentValue: "epoll") == .epoll)
            #expect(SocketWaitBackend.chosen(environmentValue: "kqueue") == .epoll)
        #else
            #expect(SocketWaitBackend.chosen(environmentValue: nil) == .poll)
            #expect(SocketWaitBackend.chosen(environmentValue: "epoll") == .poll)
        #endif
        let value = ProcessInfo.processInfo.environment[SocketWaitBackend.environmentVariable]
        #expect(SocketWaiter.shared.backend == SocketWaitBackend.chosen(environmentValue: value))
    }

    @Test("data that arrives later wakes a parked wait", arguments: available)
    func readyLater(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let writer = Thread {
            usleep(50_000)
            pair.send()
        }
        writer.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(30), spin: .zero)
        var byte: UInt8 = 0
        #expect(read(pair.left, &byte, 1) == 1)
    }

    @Test("no data: timedOut, not before the deadline", arguments: available)
    func timesOut(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let deadline = ContinuousClock.now + .milliseconds(100)
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(for: .readable, on: pair.left, deadline: deadline, spin: .zero)
        }
        #expect(ContinuousClock.now >= deadline)
    }

    @Test("cancellation resumes a parked wait with cancelled; the descriptor can be waited on again", arguments: available)
    func cancellation(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let task = Task { try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(60), spin: .zero) }
        task.cancel()
        await #expect(throws: SocketWaitError.cancelled) { try await task.value }
        pair.send()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(30), spin: .zero)
    }

    @Test("a wait that is not cancellable ends with its data, not its task's cancellation", arguments: available)
    func notCancellable(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let task = Task {
            try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(60), spin: .zero, cancellable: false)
        }
        task.cancel()
        pair.send()
        try await task.value
    }

    @Test("a peer hang-up counts as ready", arguments: available)
    func hangUp(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let closer = Thread {
            usleep(30_000)
            pair.closeRightForTest()
        }
        closer.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(30), spin: .zero)
        var byte: UInt8 = 0
        #expect(read(pair.left, &byte, 1) == 0)
    }

    @Test("a parked wait that has the thread poll is woken by data", arguments: available)
    func parkedPoll(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pair = try SocketPair()
        let writer = Thread {
            usleep(20_000)
            pair.send()
        }
        writer.start()
        try await waiter.wait(
            for: .readable, on: pair.left, deadline: .now + .seconds(60), spin: .zero, parkedPoll: .microseconds(50))
        var byte: UInt8 = 0
        #expect(read(pair.left, &byte, 1) == 1)
    }

    @Test("200 concurrent parked waits, with different deadlines, are each resumed once", arguments: available)
    func manyWaiters(backend: SocketWaitBackend) async throws {
        let waiter = try Self.waiter(backend)
        let pairs = try (0..<200).map { _ in try SocketPair() }
        let resumed = LockedBox(0)
        let timedOut = LockedBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for (index, pair) in pairs.enumerated() {
                group.addTask {
                    // Every tenth one gets no data and a short deadline.
                    let short = index % 10 == 0
                    do {
                        try await waiter.wait(
                            for: .readable, on: pair.left, deadline: .now + (short ? .milliseconds(200) : .seconds(60)), spin: .zero)
                        resumed.withLock { $0 += 1 }
                    } catch SocketWaitError.timedOut {
                        timedOut.withLock { $0 += 1 }
                    }
                }
            }
            for (index, pair) in pairs.enumerated() where index % 10 != 0 { pair.send() }
            try await group.waitForAll()
        }
        #expect(resumed.value == 180)
        #expect(timedOut.value == 20)
    }
}
