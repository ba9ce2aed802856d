import Foundation
import MetricsTestKit
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStoreSQLite

extension TestMetrics {
    /// The pool meters of `driver` as counts (`-1` for a meter not made or not whole).
    fileprivate func poolCounts(driver: String) -> ConnectionPoolCounts {
        func value(_ label: String) -> Int {
            guard let meter = try? expectMeter(label, [("driver", driver)]) else { return -1 }
            return Int(exactly: meter.lastValue ?? 0) ?? -1
        }
        return ConnectionPoolCounts(
            open: value(ConnectionPoolMeters.openLabel), idle: value(ConnectionPoolMeters.idleLabel),
            waiting: value(ConnectionPoolMeters.waitingLabel))
    }

    /// Whether every value the pool meters of `driver` ever had was zero or more.
    fileprivate func poolMetersNeverNegative(driver: String) -> Bool {
        [ConnectionPoolMeters.openLabel, ConnectionPoolMeters.idleLabel, ConnectionPoolMeters.waitingLabel].allSatisfy { label in
            (try? expectMeter(label, [("driver", driver)]).values.allSatisfy { $0 >= 0 }) ?? false
        }
    }
}

/// The pool gauges of a real SQLite store (`tokenstore_pool_*{driver="sqlite"}`).
@Suite("SQLite pool meters", .inProcessTimeLimit)
struct SQLitePoolMeterTests {
    @Test("open, idle and waiting follow the store's connections and calls, and go to 0 on close")
    func metersFollowTheStore() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.sqlite"
        let metrics = TestMetrics()
        var configuration = SQLiteTokenStore.Configuration(path: path, busyTimeout: .seconds(120), maxConnections: 3)
        configuration.metricsFactory = metrics
        let store = try await SQLiteTokenStore(configuration: configuration)
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 3, idle: 3, waiting: 0))

        _ = try await store.saveAccessToken(sampleAccessToken(userID: "1"), policy: .overwrite)
        #expect(try await store.accessToken(for: AccessTokenKey(provider: "twitter", userID: "1")) != nil)
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 3, idle: 3, waiting: 0))
        // Each call ran on the fast path, one connection in use while it ran.
        let idle = try metrics.expectMeter(ConnectionPoolMeters.idleLabel, [("driver", "sqlite")])
        #expect(idle.values.min() == 2)

        // Another process's write lock: the first write holds the writer connection while it
        // waits for the lock (busy timeout), the second waits for the writer connection.
        let other = try RawSQLite(path: path)
        try other.execute("BEGIN IMMEDIATE")
        let first = Task { try await store.saveAccessToken(sampleAccessToken(userID: "2"), policy: .overwrite) }
        try await eventually("the first write holds the writer connection") {
            metrics.poolCounts(driver: "sqlite").idle == 2
        }
        let second = Task { try await store.saveAccessToken(sampleAccessToken(userID: "3"), policy: .overwrite) }
        try await eventually("the second write waits for the writer connection") {
            metrics.poolCounts(driver: "sqlite").waiting == 1
        }
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 3, idle: 2, waiting: 1))
        try other.execute("COMMIT")
        #expect(try await first.value)
        #expect(try await second.value)
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 3, idle: 3, waiting: 0))

        try await store.close()
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "sqlite"))
    }

    @Test("two stores add up; one released without close takes its connections back")
    func storesAddUp() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let metrics = TestMetrics()
        var memory = SQLiteTokenStore.Configuration(path: ":memory:")
        memory.metricsFactory = metrics
        let kept = try await SQLiteTokenStore(configuration: memory)
        do {
            var file = SQLiteTokenStore.Configuration(path: directory.path + "/tokens.sqlite", maxConnections: 2)
            file.metricsFactory = metrics
            let released = try await SQLiteTokenStore(configuration: file)
            _ = try await released.counts()
            #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 3, idle: 3, waiting: 0))
        }
        // A connection's queue may still hold its slot for the moment after a call returns.
        try await eventually("the released store's pool was freed") {
            metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0)
        }
        try await kept.close()
        #expect(metrics.poolCounts(driver: "sqlite") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "sqlite"))
    }
}
