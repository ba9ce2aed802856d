import Foundation
import Testing

@testable import TokenStoreIO

#if canImport(Glibc)
    import Glibc
#endif

/// The inline part of a wait: polling, then one bounded blocking `ppoll`.
@Suite("SocketWaiter bounded inline wait", .inProcessTimeLimit)
struct SocketWaiterBoundedWaitTests {
    let waiter = SocketWaiter.shared

    @Test("data arriving during the inline wait is seen (from a thread, not the pool)")
    func dataDuringInlineWait() async throws {
        let pair = try SocketPair()
        let sender = Thread { usleep(100); pair.send() }
        sender.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(5), spin: .microseconds(300))
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 1)
    }

    @Test("nothing arrives: the inline wait ends and the deadline still holds")
    func nothingArrives() async throws {
        let pair = try SocketPair()
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(
                for: .readable, on: pair.left, deadline: .now + .milliseconds(30), spin: .microseconds(300))
        }
    }

    @Test("a deadline shorter than the spin bounds the inline wait")
    func deadlineShorterThanSpin() async throws {
        let pair = try SocketPair()
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .microseconds(50), spin: .milliseconds(10))
        }
    }

    @Test("the adaptive inline wait (no busy polling) sees data arriving during it")
    func adaptiveSeesData() async throws {
        let pair = try SocketPair()
        let sender = Thread { usleep(100); pair.send() }
        sender.start()
        try await waiter.wait(
            for: .readable, on: pair.left, deadline: .now + .seconds(5), spin: .microseconds(300), busyPolls: false)
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 1)
    }

    @Test("the adaptive inline wait ends with timedOut at a deadline shorter than its bound")
    func adaptiveDeadlineShorterThanBound() async throws {
        let pair = try SocketPair()
        #expect(SocketWaiter.inlineBlockBound > .milliseconds(1))
        await #expect(throws: SocketWaitError.timedOut) {
            try await waiter.wait(
                for: .readable, on: pair.left, deadline: .now + .microseconds(200), spin: .microseconds(300), busyPolls: false)
        }
    }

    @Test("a hang-up during the inline wait counts as ready")
    func hangUp() async throws {
        let pair = try SocketPair()
        let closer = Thread { usleep(100); pair.closeRight() }
        closer.start()
        try await waiter.wait(for: .readable, on: pair.left, deadline: .now + .seconds(5), spin: .microseconds(300))
        var byte: UInt8 = 0
        #expect(Glibc.read(pair.left, &byte, 1) == 0)
    }

    @Test("a closed descriptor fails instead of waiting")
    func closedDescriptor() async throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        try #require(fd >= 0)
        Glibc.close(fd)
        await #expect(throws: SocketWaitError.self) {
            try await waiter.wait(for: .readable, on: fd, deadline: .now + .seconds(1), spin: .microseconds(100))
        }
    }
}
