import Logging
import Synchronization
import Testing
import TokenStoreTesting

@testable import TokenStoreIO

/// A connection that counts what happens to it.
final class MockConnection: PooledConnection {
    let id: Int
    private let broken = Mutex(false)
    private let closes = Mutex(0)

    init(id: Int) { self.id = id }

    private let stale = Mutex(false)
    private let staleChecks = Mutex(0)

    var isBroken: Bool { broken.withLock { $0 } }
    func breakIt() { broken.withLock { $0 = true } }
    var closeCount: Int { closes.withLock { $0 } }
    func close() async { closes.withLock { $0 += 1 } }
    /// Makes the connection look closed by the server to the pool's check.
    func closeByServer() { stale.withLock { $0 = true } }
    var staleCheckCount: Int { staleChecks.withLock { $0 } }
    func isStale() -> Bool {
        staleChecks.withLock { $0 += 1 }
        return stale.withLock { $0 }
    }
}

/// Opens mock connections, remembering them, optionally failing.
final class MockFactory: Sendable {
    private let made = Mutex<[MockConnection]>([])
    private let failing = Mutex(false)

    var connections: [MockConnection] { made.withLock { $0 } }
    func fail(_ value: Bool) { failing.withLock { $0 = value } }

    func make() throws -> MockConnection {
        if failing.withLock({ $0 }) { throw FactoryError() }
        return made.withLock { made in
            let connection = MockConnection(id: made.count)
            made.append(connection)
            return connection
        }
    }

    struct FactoryError: Error {}
}

@Suite("ConnectionPool", .inProcessTimeLimit)
struct ConnectionPoolTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    /// `acquireTimeout` is long by default: a test that waits until a caller is queued
    /// must see it queued, and on a loaded runner the check can come seconds later (with
    /// 5 s, the waiter had timed out and left by then, and the check never succeeded).
    func makePool(
        max: Int = 2, min: Int = 0, acquireTimeout: Duration = .seconds(120), idleTimeout: Duration = .seconds(60),
        staleCheckAfter: Duration = .milliseconds(1)
    ) -> (ConnectionPool<MockConnection>, MockFactory) {
        var configuration = ConnectionPool<MockConnection>.Configuration()
        configuration.maxConnections = max
        configuration.minConnections = min
        configuration.acquireTimeout = acquireTimeout
        configuration.idleTimeout = idleTimeout
        configuration.staleCheckAfter = staleCheckAfter
        let factory = MockFactory()
        let pool = ConnectionPool(configuration: configuration, logger: Self.logger) { try factory.make() }
        return (pool, factory)
    }

    @Test("sequential use reuses one connection")
    func reuse() async throws {
        let (pool, factory) = makePool()
        for _ in 0..<10 {
            let id = try await pool.withConnection { $0.id }
            #expect(id == 0)
        }
        #expect(factory.connections.count == 1)
    }

    @Test("a connection idle past staleCheckAfter is checked, and closed and replaced when the server closed it")
    func staleIdleConnectionReplaced() async throws {
        let (pool, factory) = makePool(max: 2, staleCheckAfter: .zero)
        #expect(try await pool.withConnection { $0.id } == 0)
        let first = try #require(factory.connections.first)
        #expect(try await pool.withConnection { $0.id } == 0)
        #expect(first.staleCheckCount == 1, "checked on its second lease (the first one opened it)")
        first.closeByServer()
        // The stale one is dropped, its slot reused: a fresh connection, never two at once.
        #expect(try await pool.withConnection { $0.id } == 1)
        #expect(pool.statistics.open == 1)
        try await eventually("the stale connection closed") { first.closeCount == 1 }
        #expect(try await pool.withConnection { $0.id } == 1)
    }

    @Test("a connection given back within staleCheckAfter is lent without the check")
    func recentConnectionNotChecked() async throws {
        // An hour: every lease below comes long before the window ends, on any runner.
        let (pool, factory) = makePool(max: 1, staleCheckAfter: .seconds(3600))
        for _ in 0..<5 { #expect(try await pool.withConnection { $0.id } == 0) }
        let only = try #require(factory.connections.first)
        #expect(only.staleCheckCount == 0)
        // Not checked, so a close by the server goes unnoticed by the pool: the driver's
        // call on it fails as on a connection lost mid-call.
        only.closeByServer()
        #expect(try await pool.withConnection { $0.id } == 0)
        #expect(only.closeCount == 0)
    }

    @Test("never more than max connections leased at once")
    func maxRespected() async throws {
        // A generous acquire timeout: this test is about the bound, and on a loaded 2-core
        // machine 50 queued callers may wait longer than the default 5 s.
        let (pool, factory) = makePool(max: 3, acquireTimeout: .seconds(120))
        let leased = LockedBox((current: 0, peak: 0))
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<50 {
                group.addTask {
                    try await pool.withConnection { _ in
                        leased.withLock { $0.current += 1; $0.peak = Swift.max($0.peak, $0.current) }
                        try await Task.sleep(for: .milliseconds(2))
                        leased.withLock { $0.current -= 1 }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(leased.value.peak <= 3)
        #expect(factory.connections.count <= 3)
    }

    @Test("a caller that cannot get a connection in time: acquireTimedOut")
    func acquireTimeout() async throws {
        let (pool, _) = makePool(max: 1, acquireTimeout: .milliseconds(100))
        try await pool.withConnection { _ in
            await #expect(throws: ConnectionPoolError.self) {
                try await pool.withConnection { _ in }
            }
        }
        #expect(pool.statistics.waiting == 0)
        // The pool still works afterwards.
        try await pool.withConnection { _ in }
    }

    @Test("released connections go to waiters in the order they came")
    func handOver() async throws {
        let (pool, factory) = makePool(max: 1)
        let order = LockedBox<[Int]>([])
        let (release, releaser) = AsyncStream<Void>.makeStream()
        let holder = Task {
            try await pool.withConnection { _ in for await _ in release { break } }
        }
        try await eventually("the holder leased a connection") { pool.statistics.open >= 1 }
        var waiters: [Task<Void, any Error>] = []
        for index in 0..<3 {
            waiters.append(Task { try await pool.withConnection { _ in order.withLock { $0.append(index) } } })
            try await eventually("waiter \(index) queued") { pool.statistics.waiting >= index + 1 }
        }
        releaser.yield()
        try await holder.value
        for waiter in waiters { try await waiter.value }
        #expect(order.value == [0, 1, 2])
        #expect(factory.connections.count == 1)
    }

    @Test("broken connections are closed and replaced")
    func brokenReplaced() async throws {
        let (pool, factory) = makePool(max: 1)
        try await pool.withConnection { $0.breakIt() }
        let id = try await pool.withConnection { $0.id }
        #expect(id == 1)
        #expect(factory.connections[0].closeCount == 1)
        #expect(pool.statistics.open == 1)
    }

    @Test("a waiter gets a fresh connection when the leased one breaks")
    func waiterAfterBreak() async throws {
        let (pool, factory) = makePool(max: 1)
        let waiterResult = try await withThrowingTaskGroup(of: Int?.self) { group in
            group.addTask {
                try await pool.withConnection { connection in
                    try await eventually("a waiter queued") { pool.statistics.waiting >= 1 }
                    connection.breakIt()
                }
                return nil
            }
            group.addTask {
                try await eventually("the holder leased a connection") { pool.statistics.open >= 1 }
                return try await pool.withConnection { $0.id }
            }
            var result: Int?
            for try await value in group { if let value { result = value } }
            return result
        }
        #expect(waiterResult == 1)
        #expect(factory.connections.count == 2)
    }

    @Test("a factory error reaches the caller and frees the slot")
    func factoryError() async throws {
        let (pool, factory) = makePool(max: 1)
        factory.fail(true)
        await #expect(throws: MockFactory.FactoryError.self) { try await pool.withConnection { _ in } }
        #expect(pool.statistics.open == 0)
        factory.fail(false)
        try await pool.withConnection { _ in }
    }

    @Test("the body's error is rethrown and the connection returned")
    func bodyError() async throws {
        struct BodyError: Error {}
        let (pool, _) = makePool(max: 1)
        await #expect(throws: BodyError.self) { try await pool.withConnection { _ in throw BodyError() } }
        #expect(pool.statistics.idle == 1)
    }

    @Test("cancelling a waiter removes it")
    func cancelWaiter() async throws {
        let (pool, _) = makePool(max: 1)
        try await pool.withConnection { _ in
            let task = Task { try await pool.withConnection { _ in } }
            try await eventually("a waiter queued") { pool.statistics.waiting >= 1 }
            task.cancel()
            // A cancelled waiter throws CancellationError.
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(pool.statistics.waiting == 0)
        }
    }

    @Test("shutdown fails waiters, closes everything once, refuses new leases")
    func shutdown() async throws {
        let (pool, factory) = makePool(max: 1)
        try await pool.withConnection { _ in }
        let waiting = try await pool.withConnection { _ -> Task<Void, any Error> in
            let task = Task { try await pool.withConnection { _ in } }
            try await eventually("a waiter queued") { pool.statistics.waiting >= 1 }
            await pool.shutdown()
            return task
        }
        await #expect(throws: ConnectionPoolError.self) { try await waiting.value }
        await #expect(throws: ConnectionPoolError.self) { try await pool.withConnection { _ in } }
        await pool.shutdown()
        #expect(factory.connections.map(\.closeCount) == [1])
        #expect(pool.statistics.open == 0)
    }

    @Test("run() opens min connections and closes idle ones above it, then returns on shutdown")
    func runMaintains() async throws {
        let (pool, factory) = makePool(max: 4, min: 1, idleTimeout: .milliseconds(100))
        let runner = Task { await pool.run() }
        while pool.statistics.idle < 1 { try await Task.sleep(for: .milliseconds(5)) }
        #expect(factory.connections.count == 1)
        // Lease three at once (each holds its connection until all three hold one) so two
        // more open, then let them idle out.
        let holding = LockedBox(0)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<3 {
                group.addTask {
                    try await pool.withConnection { _ in
                        holding.withLock { $0 += 1 }
                        while holding.value < 3 { try await Task.sleep(for: .milliseconds(2)) }
                    }
                }
            }
            try await group.waitForAll()
        }
        #expect(factory.connections.count == 3)
        while pool.statistics.open > 1 { try await Task.sleep(for: .milliseconds(20)) }
        #expect(pool.statistics.open == 1)
        await pool.shutdown()
        await runner.value
        #expect(factory.connections.allSatisfy { $0.closeCount == 1 })
    }
}
