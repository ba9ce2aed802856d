import Logging
import Synchronization
import Testing

@testable import TokenStoreKit

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
        // The holder must let go within the timeout even on a loaded runner (300 ms was
        // seen to be too tight there); the waiter then holds on well past it.
        let pool = makePool(acquireTimeout: .seconds(1))
        let release = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in
                for await _ in release.stream { break }
            }
        }
        while pool.statistics.open < 1 { try await Task.sleep(for: .milliseconds(1)) }
        let waiter = Task {
            // Served once the holder lets go; then keeps the connection past its own
            // deadline, which the sweeper wakes up for.
            try await pool.withConnection { _ in try await Task.sleep(for: .milliseconds(1500)) }
        }
        while pool.statistics.waiting < 1 { try await Task.sleep(for: .milliseconds(1)) }
        release.continuation.yield()
        try await holder.value
        try await waiter.value
        #expect(pool.statistics.waiting == 0)
        #expect(pool.statistics.idle == 1)
    }
}
