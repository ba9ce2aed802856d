import Foundation
import MetricsTestKit
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStoreRedis

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

/// The pool gauges of a real Redis store (`tokenstore_pool_*{driver="redis"}`).
@Suite(
    "Redis pool meters", .serverTimeLimit,
    .enabled(if: RedisTestEnvironment.serverTestsEnabled, RedisTestEnvironment.disabledReason))
struct RedisPoolMeterTests {
    typealias Env = RedisTestEnvironment

    /// Holds one of `store`'s pooled connections until the returned continuation yields.
    static func hold(_ store: RedisTokenStore) -> (Task<Void, any Error>, AsyncStream<Void>.Continuation) {
        let (stream, release) = AsyncStream<Void>.makeStream()
        let task = Task { try await store.withConnection("hold") { _ in for await _ in stream { break } } }
        return (task, release)
    }

    @Test("open, idle and waiting follow the store's connections and calls, and go to 0 on close")
    func metersFollowTheStore() async throws {
        let metrics = TestMetrics()
        let prefix = Env.randomPrefix()
        var configuration = try RedisTokenStore.Configuration(url: Env.url(try Env.requireACLURL(), prefix: prefix, "pool_max=2"))
        configuration.metricsFactory = metrics
        let store = try await RedisTokenStore(configuration: configuration)
        do {
            // Opening connected once (version, scripts, schema key); that connection is idle now.
            #expect(metrics.poolCounts(driver: "redis") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))

            let token = AccessToken(provider: "meters", userID: "1", token: "t", secret: "s", createdAt: Date())
            _ = try await store.saveAccessToken(token, policy: .overwrite)
            #expect(try await store.accessToken(for: token.key) != nil)
            #expect(metrics.poolCounts(driver: "redis") == ConnectionPoolCounts(open: 1, idle: 1, waiting: 0))

            // Both connections leased: the next call waits for one.
            let (firstHolder, firstRelease) = Self.hold(store)
            let (secondHolder, secondRelease) = Self.hold(store)
            try await eventually("both connections leased") {
                metrics.poolCounts(driver: "redis") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 0)
            }
            let waiter = Task { try await store.accessToken(for: token.key) }
            try await eventually("the call waits for a connection") {
                metrics.poolCounts(driver: "redis") == ConnectionPoolCounts(open: 2, idle: 0, waiting: 1)
            }
            firstRelease.yield()
            secondRelease.yield()
            try await firstHolder.value
            try await secondHolder.value
            #expect(try await waiter.value != nil)
            #expect(metrics.poolCounts(driver: "redis") == ConnectionPoolCounts(open: 2, idle: 2, waiting: 0))
            try await Env.removeKeys(prefix: prefix, using: store)
        } catch {
            try? await Env.removeKeys(prefix: prefix, using: store)
            try? await store.close()
            throw error
        }
        try await store.close()
        #expect(metrics.poolCounts(driver: "redis") == ConnectionPoolCounts())
        #expect(metrics.poolMetersNeverNegative(driver: "redis"))
    }
}
