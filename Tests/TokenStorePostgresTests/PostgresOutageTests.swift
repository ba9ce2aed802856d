import Foundation
import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// Stops and restarts the outage server, a second throwaway server no other test uses.
extension PostgresServerTests {
    // The time limit turns a hang (a reconnect that never gives up) into a failure.
    @Suite("PostgreSQL outage and recovery", .timeLimit(.minutes(1)))
    struct Outage {
        @Test("calls fail fast with unavailable while the server is down and succeed after it restarts")
        func restart() async throws {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=4", outageServer: true))
            let key = AccessTokenKey(provider: "outage", userID: "1")
            try await store.saveAccessToken(AccessToken(provider: "outage", userID: "1", token: "t", secret: "s", createdAt: Date()))
            // Warm several pooled connections so stale ones must be detected.
            try await withThrowingTaskGroup(of: Void.self) { group in
                for _ in 0..<4 { group.addTask { _ = try await store.accessToken(for: key) } }
                try await group.waitForAll()
            }

            try await PostgresTestServer.control("stop")
            let error = await storeError { _ = try await store.accessToken(for: key) }
            #expect(error?.code == .unavailable)

            try await PostgresTestServer.control("start")
            let token = try await store.accessToken(for: key)
            #expect(token?.token == "t")
            try await store.saveAccessToken(AccessToken(provider: "outage", userID: "2", token: "u", secret: "s", createdAt: Date()))
            #expect(try await store.accessToken(provider: "outage", userID: "2")?.token == "u")
            try await store.close()
        }
    }
}
