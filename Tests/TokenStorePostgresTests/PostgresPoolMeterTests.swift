import Foundation
import MetricsTestKit
import Testing
import TokenStoreIO
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

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

/// The pool gauges of a real PostgreSQL store (`tokenstore_pool_*{driver="postgres"}`).
extension PostgresServerTests {
    @Suite("PostgreSQL pool meters", .serverTimeLimit)
    struct PoolMeters {
        /// Holds one of `store`'s pooled connections until the returned continuation yields.
        static func hold(_ store: PostgresTokenStore) -> (Task<Void, any Error>, AsyncStream<Void>.Continuation) {
            let (stream, release) = AsyncStream<Void>.makeStream()
            let task = Task { try await store.pool.withConnection { _ in for await _ in stream { break } } }
            return (task, release)
        }

        @Test("open, idle and waiting follow the store's connections and calls, and go to 0 on close")
        func metersFollowTheStore() async throws {
            let metrics = TestMetrics()
            var configuration = try PostgresTokenStore.Configuration(
                url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=2"))
            configuration.metricsFactory = metrics
            let store = try await PostgresTokenStore(configuration: configuration)
            // Opening connected once, to migrate; that connection is idle now.
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))

            let token = AccessToken(provider: "meters", userID: "1", token: "t", secret: "s", createdAt: Date())
            _ = try await store.saveAccessToken(token, policy: .overwrite)
            #expect(try await store.accessToken(for: token.key) != nil)
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))

            // Both connections leased: the next call waits for one.
            let (firstHolder, firstRelease) = Self.hold(store)
            let (secondHolder, secondRelease) = Self.hold(store)
            try await eventually("both connections leased") { store.pool.statistics.open == 2 && store.pool.statistics.idle == 0 }
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 0))
            let waiter = Task { try await store.accessToken(for: token.key) }
            try await eventually("the call waits for a connection") { store.pool.statistics.waiting == 1 }
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 1))
            firstRelease.yield()
            secondRelease.yield()
            try await firstHolder.value
            try await secondHolder.value
            #expect(try await waiter.value != nil)
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts(open: 2, idle: 2, waiting: 0))

            try await store.close()
            #expect(metrics.poolCounts(driver: "postgres") == ConnectionPoolCounts())
            #expect(metrics.poolMetersNeverNegative(driver: "postgres"))
        }
    }
}
