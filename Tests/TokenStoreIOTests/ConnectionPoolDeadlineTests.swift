import Logging
import Synchronization
import Testing
import TokenStoreTesting

@testable import TokenStoreIO

/// The pool's waiter deadlines, kept by one sweeper task per pool rather than a timer per
/// waiting caller.
@Suite("ConnectionPool deadlines", .inProcessTimeLimit)
struct ConnectionPoolDeadlineTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func makePool(max: Int = 1, acquireTimeout: Duration) -> ConnectionPool<MockConnection> {
        var configuration = ConnectionPool<MockConnection>.Configuration()
        configuration.maxConnections = max
        configuration.acquireTimeout = acquireTimeout
        let factory = MockFactory()
        return ConnectionPool(configuration: configuration, logger: Self.logger) { try factory.make() }
    }

    @Test("several waiters past their deadline all time out, and only they")
    func severalWaitersTimeOut() async throws {
        let pool = makePool(acquireTimeout: .milliseconds(100))
        let outcomes = try await pool.withConnection { _ in
            await withTaskGroup(of: Bool.self) { group in
                for _ in 0..<5 {
                    group.addTask {
                        do {
                            try await pool.withConnection { _ in }
                            return false
                        } catch ConnectionPoolError.acquireTimedOut {
                            return true
                        } catch {
                            return false
                        }
                    }
                }
                var timedOut: [Bool] = []
                for await outcome in group { timedOut.append(outcome) }
                return timedOut
            }
        }
        #expect(outcomes == [true, true, true, true, true])
        #expect(pool.statistics.waiting == 0)
        try await pool.withConnection { _ in }
    }

    @Test("a waiter that arrives after the sweeper finished still times out")
    func sweeperRestarts() async throws {
        let pool = makePool(acquireTimeout: .milliseconds(50))
        try await pool.withConnection { _ in
            await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
            // The first sweeper has nobody left to wait for and ends; a new waiter needs
            // a new one.
            try? await Task.sleep(for: .milliseconds(100))
            await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
        }
        #expect(pool.statistics.waiting == 0)
    }

    @Test("a waiter served before its deadline is not failed by the sweeper afterwards")
    func servedWaiterKeepsItsConnection() async throws {
        // The waiter must still be queued when the test sees it and the holder must let go
        // before its deadline, even on a loaded runner: a timeout of tens of seconds (with
        // 1 s, a check that came late found the waiter already timed out, and waited for
        // it to queue forever).
        let timeout = Duration.seconds(20)
        let pool = makePool(acquireTimeout: timeout)
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                for await _ in release.stream { break }
            }
        }
        try await eventually("the holder leased the connection") { pool.statistics.open >= 1 }
        let (served, servedSignal) = AsyncStream<Void>.makeStream()
        let (hold, holdUntil) = AsyncStream<Void>.makeStream()
        let waiter = Task {
            try await pool.withConnection { _ in
                servedSignal.yield()
                for await _ in hold { break }
            }
        }
        try await eventually("the waiter queued") { pool.statistics.waiting >= 1 }
        // It queued before now, so its deadline, which the sweeper wakes up for, is before this.
        let deadline = ContinuousClock.now + timeout
        release.continuation.yield()
        try await holder.value
        for await _ in served { break }
        // Served; it keeps the connection past its deadline, then gives it back.
        try await Task.sleep(until: deadline + .seconds(1), clock: .continuous)
        holdUntil.yield()
        try await waiter.value
        #expect(pool.statistics.waiting == 0)
        #expect(pool.statistics.idle == 1)
    }
}
