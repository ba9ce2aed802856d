import Logging
import MetricsTestKit
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStoreIO

extension TestMetrics {
    /// The pool meters of `driver` as counts (`-1` for a meter not made or not whole).
    func poolCounts(driver: String) -> ConnectionPoolCounts {
        func value(_ label: String) -> Int {
            guard let meter = try? expectMeter(label, [("driver", driver)]) else { return -1 }
            return Int(exactly: meter.lastValue ?? 0) ?? -1
        }
        return ConnectionPoolCounts(
            open: value(ConnectionPoolMeters.openLabel), idle: value(ConnectionPoolMeters.idleLabel),
            waiting: value(ConnectionPoolMeters.waitingLabel))
    }

    /// Whether every value the pool meters of `driver` ever had was zero or more.
    func poolMetersNeverNegative(driver: String) -> Bool {
        [ConnectionPoolMeters.openLabel, ConnectionPoolMeters.idleLabel, ConnectionPoolMeters.waitingLabel].allSatisfy { label in
            (try? expectMeter(label, [("driver", driver)]).values.allSatisfy { $0 >= 0 }) ?? false
        }
    }
}

/// A connection leased until the test lets it go.
struct Lease: Sendable {
    let task: Task<Void, any Error>
    private let release: AsyncStream<Void>.Continuation

    init(_ pool: ConnectionPool<MockConnection>, breaking: Bool = false) {
        let (stream, release) = AsyncStream<Void>.makeStream()
        self.release = release
        task = Task {
            try await pool.withConnection { connection in
                for await _ in stream { break }
                if breaking { connection.breakIt() }
            }
        }
    }

    func end() async throws {
        release.yield()
        try await task.value
    }
}

@Suite("ConnectionPool meters", .inProcessTimeLimit)
struct ConnectionPoolMeterTests {
    static let logger = Logger(label: "test", factory: { _ in SwiftLogNoOpLogHandler() })

    func makePool(
        _ metrics: TestMetrics, driver: String = "test", max: Int = 2, acquireTimeout: Duration = .seconds(120),
        idleTimeout: Duration = .seconds(60)
    ) -> (ConnectionPool<MockConnection>, MockFactory) {
        var configuration = ConnectionPool<MockConnection>.Configuration()
        configuration.maxConnections = max
        configuration.acquireTimeout = acquireTimeout
        configuration.idleTimeout = idleTimeout
        configuration.metricsDriver = driver
        configuration.metricsFactory = metrics
        let factory = MockFactory()
        let pool = ConnectionPool(configuration: configuration, logger: Self.logger) { try factory.make() }
        return (pool, factory)
    }

    @Test("open and idle follow a lease and its release")
    func leaseAndRelease() async throws {
        let metrics = TestMetrics()
        let (pool, _) = makePool(metrics)
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 0, idle: 0, waiting: 0))
        let first = Lease(pool)
        try await eventually("the first lease holds a connection") { pool.statistics.open == 1 }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 0, waiting: 0))
        let second = Lease(pool)
        try await eventually("the second lease holds a connection") { pool.statistics.open == 2 }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 0))
        try await first.end()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 1, waiting: 0))
        try await second.end()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 2, waiting: 0))
        // An idle connection reused: idle goes down and back up, open stays.
        try await pool.withConnection { _ in
            #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 1, waiting: 0))
        }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 2, waiting: 0))
        await pool.shutdown()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("waiting counts the callers queued for a connection, and drops as they are served")
    func waitingCallers() async throws {
        let metrics = TestMetrics()
        let (pool, factory) = makePool(metrics, max: 1)
        let holder = Lease(pool)
        try await eventually("the holder leased a connection") { pool.statistics.open == 1 }
        let waiters = (0..<3).map { _ in Task { try await pool.withConnection { _ in } } }
        try await eventually("three callers queued") { pool.statistics.waiting == 3 }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 0, waiting: 3))
        try await holder.end()
        for waiter in waiters { try await waiter.value }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))
        #expect(factory.connections.count == 1)
        await pool.shutdown()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("a waiter that times out or is cancelled leaves the waiting count")
    func waiterLeaves() async throws {
        let metrics = TestMetrics()
        let (pool, _) = makePool(metrics, max: 1, acquireTimeout: .milliseconds(100))
        try await pool.withConnection { _ in
            await #expect(throws: ConnectionPoolError.acquireTimedOut) { try await pool.withConnection { _ in } }
            #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 0, waiting: 0))
        }
        let (slowPool, _) = makePool(metrics, driver: "cancel", max: 1)
        try await slowPool.withConnection { _ in
            let task = Task { try await slowPool.withConnection { _ in } }
            try await eventually("a waiter queued") { slowPool.statistics.waiting == 1 }
            #expect(metrics.poolCounts(driver: "cancel").waiting == 1)
            task.cancel()
            await #expect(throws: CancellationError.self) { try await task.value }
            #expect(metrics.poolCounts(driver: "cancel") == ConnectionPoolCounts(open: 1, idle: 0, waiting: 0))
        }
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
        #expect(metrics.poolMetersNeverNegative(driver: "cancel"))
    }

    @Test("a broken connection leaves open when closed; a failed open gives its slot back")
    func brokenAndFailed() async throws {
        let metrics = TestMetrics()
        let (pool, factory) = makePool(metrics, max: 1)
        try await pool.withConnection { $0.breakIt() }
        #expect(factory.connections[0].closeCount == 1)
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 0, idle: 0, waiting: 0))
        factory.fail(true)
        await #expect(throws: MockFactory.FactoryError.self) { try await pool.withConnection { _ in } }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 0, idle: 0, waiting: 0))
        factory.fail(false)
        try await pool.withConnection { _ in }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("a broken connection's slot handed to a waiter keeps it counted as open")
    func brokenHandedToWaiter() async throws {
        let metrics = TestMetrics()
        let (pool, factory) = makePool(metrics, max: 1)
        let holder = Lease(pool, breaking: true)
        try await eventually("the holder leased a connection") { pool.statistics.open == 1 }
        let waiter = Task { try await pool.withConnection { $0.id } }
        try await eventually("a waiter queued") { pool.statistics.waiting == 1 }
        try await holder.end()
        #expect(try await waiter.value == 1)
        #expect(factory.connections.count == 2)
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("idle connections closed by run() leave open and idle")
    func idleClosed() async throws {
        let metrics = TestMetrics()
        let (pool, factory) = makePool(metrics, idleTimeout: .milliseconds(100))
        try await pool.withConnection { _ in }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))
        let runner = Task { await pool.run() }
        try await eventually("the idle connection was closed") { factory.connections.first?.closeCount == 1 }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 0, idle: 0, waiting: 0))
        await pool.shutdown()
        await runner.value
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("shutdown takes idle and waiting to 0 at once, and open once the leases come back")
    func shutdownToZero() async throws {
        let metrics = TestMetrics()
        let (pool, _) = makePool(metrics, max: 2)
        try await pool.withConnection { _ in }
        let holder = Lease(pool)
        try await eventually("the holder leased a connection") { pool.statistics.idle == 0 }
        let other = Lease(pool)
        try await eventually("both connections leased") { pool.statistics.open == 2 && pool.statistics.idle == 0 }
        let waiter = Task { try await pool.withConnection { _ in } }
        try await eventually("a waiter queued") { pool.statistics.waiting == 1 }
        try await other.end()
        // The released connection went straight to the waiter; now one is idle again.
        try await waiter.value
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 1, waiting: 0))
        let second = Lease(pool)
        try await eventually("the idle one leased") { pool.statistics.idle == 0 }
        let queued = Task { try await pool.withConnection { _ in } }
        try await eventually("a caller queued") { pool.statistics.waiting == 1 }
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 1))
        await pool.shutdown()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 0))
        try await holder.end()
        try await second.end()
        _ = await queued.result
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }

    @Test("two pools of one driver add up in the same meters")
    func twoPoolsAddUp() async throws {
        let metrics = TestMetrics()
        let (first, _) = makePool(metrics, driver: "shared")
        let (second, _) = makePool(metrics, driver: "shared")
        try await first.withConnection { _ in }
        let lease = Lease(second)
        try await eventually("the second pool leased a connection") { second.statistics.open == 1 }
        #expect(metrics.poolCounts(driver: "shared") == ConnectionPoolCounts(open: 2, idle: 1, waiting: 0))
        try await lease.end()
        #expect(metrics.poolCounts(driver: "shared") == ConnectionPoolCounts(open: 2, idle: 2, waiting: 0))
        await first.shutdown()
        #expect(metrics.poolCounts(driver: "shared") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))
        await second.shutdown()
        #expect(metrics.poolCounts(driver: "shared") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "shared"))
    }

    @Test("under contention the meters end equal to the pool's own counts")
    func contention() async throws {
        let metrics = TestMetrics()
        let (pool, _) = makePool(metrics, max: 3)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for index in 0..<40 {
                group.addTask {
                    try await pool.withConnection { connection in
                        if index % 7 == 0 { connection.breakIt() }
                        try await Task.sleep(for: .milliseconds(1))
                    }
                }
            }
            try await group.waitForAll()
        }
        let statistics = pool.statistics
        #expect(
            metrics.poolCounts(driver: "test")
                == ConnectionPoolCounts(open: statistics.open, idle: statistics.idle, waiting: statistics.waiting))
        #expect(metrics.poolCounts(driver: "test").waiting == 0)
        await pool.shutdown()
        #expect(metrics.poolCounts(driver: "test") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "test"))
    }
}
