import Foundation
import MetricsTestKit
import Testing
import TokenStoreKit
import TokenStoreTesting

/// ``MeteredTokenStore``: what it reports, and that it changes nothing a caller sees.
@Suite("MeteredTokenStore", .inProcessTimeLimit)
struct MeteredTokenStoreTests {
    private static func request(_ token: String) -> RequestToken {
        RequestToken(provider: "p", token: token, secret: "SECRET-\(token)", createdAt: Date(), timeToLive: .seconds(600))
    }

    @Test("every call is timed under its operation and outcome; a failure is counted under its code")
    func reportsDurationsAndErrors() async throws {
        let metrics = TestMetrics()
        let store = MeteredTokenStore(wrapping: InMemoryTokenStore(), driver: "memory", factory: metrics)
        try await store.saveRequestToken(Self.request("a"))
        #expect(try await store.takeRequestToken("a")?.token == "a")
        #expect(try await store.takeRequestToken("a") == nil, "a second take finds nothing: still a success")
        await #expect(throws: TokenStoreError.self) { _ = try await store.listAccessTokens(after: nil, limit: 0) }

        let takes = try metrics.expectTimer(
            MeteredTokenStore.durationLabel, [("driver", "memory"), ("operation", "takeRequestToken"), ("outcome", "ok")])
        #expect(takes.values.count == 2)
        #expect(takes.values.allSatisfy { $0 >= 0 })
        let saves = try metrics.expectTimer(
            MeteredTokenStore.durationLabel, [("driver", "memory"), ("operation", "saveRequestToken"), ("outcome", "ok")])
        #expect(saves.values.count == 1)
        let failed = try metrics.expectTimer(
            MeteredTokenStore.durationLabel, [("driver", "memory"), ("operation", "listAccessTokens"), ("outcome", "invalid_argument")])
        #expect(failed.values.count == 1)
        let errors = try metrics.expectCounter(
            MeteredTokenStore.errorsLabel, [("driver", "memory"), ("operation", "listAccessTokens"), ("code", "invalid_argument")])
        #expect(errors.totalValue == 1)
        #expect(metrics.counters.count == 1, "only the failure is counted")
        // No token, provider or secret is ever a dimension.
        for timer in metrics.timers {
            #expect(!timer.dimensions.contains { $0.1.contains("SECRET") || $0.1 == "a" || $0.1 == "p" }, "\(timer.dimensions)")
        }
    }

    @Test("a closed store's failures are counted as closed; codes are snake_case words")
    func errorCodes() async throws {
        let metrics = TestMetrics()
        let store = MeteredTokenStore(wrapping: InMemoryTokenStore(), driver: "memory", factory: metrics)
        try await store.close()
        await #expect(throws: TokenStoreError.self) { _ = try await store.counts() }
        #expect(try metrics.expectCounter(MeteredTokenStore.errorsLabel, [("driver", "memory"), ("operation", "counts"), ("code", "closed")]).totalValue == 1)
        #expect(TokenStoreError.Code.timedOut.identifier == "timed_out")
        #expect(TokenStoreError.Code.corruptedRecord.identifier == "corrupted_record")
    }

    @Test("the store contract holds through the wrapper", arguments: TokenStoreConformance.caseNames)
    func conformance(caseName: String) async throws {
        try await TokenStoreConformance(name: "metered-memory") { clock in
            MeteredTokenStore(wrapping: InMemoryTokenStore(clock: clock), driver: "memory", factory: TestMetrics())
        }.run(case: caseName)
    }
}
