import Foundation
import Testing
import TokenStoreIO
import TokenStoreKit

@testable import TokenStorePostgres

/// Stops and restarts the outage server, a second throwaway server no other test uses.
extension PostgresServerTests {
    // The time limit turns a hang (a reconnect that never gives up) into a failure.
    @Suite("PostgreSQL outage and recovery", .serverTimeLimit)
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

extension PostgresServerTests.Outage {
    @Test("a server stopped under pipelined calls fails every caller with unavailable; later calls recover")
    func stoppedMidPipeline() async throws {
        let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: "&pool_max=2", outageServer: true))
        let key = AccessTokenKey(provider: "outage", userID: "1")
        try await store.saveAccessToken(AccessToken(provider: "outage", userID: "1", token: "t", secret: "s", createdAt: Date()))
        let carriedBefore = store.coalescer.followersCarried
        // 32 callers read back to back until their first error; the server stops under them.
        let callers = Task {
            try await withThrowingTaskGroup(of: (reads: Int, code: TokenStoreError.Code?).self) { group in
                for _ in 0..<32 {
                    group.addTask {
                        var reads = 0
                        while true {
                            do {
                                let token = try await store.accessToken(for: key)
                                #expect(token?.token == "t")
                                reads += 1
                            } catch let error as TokenStoreError {
                                return (reads, error.code)
                            } catch {
                                Issue.record("untyped error \(error)")
                                return (reads, nil)
                            }
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
        }
        // Let the pipelines get going before stopping the server under them.
        while store.coalescer.followersCarried < carriedBefore + 200 { try await Task.sleep(for: .milliseconds(5)) }
        try await PostgresTestServer.control("stop")
        let results = try await callers.value
        #expect(results.count == 32)
        for result in results { #expect(result.code == .unavailable) }

        try await PostgresTestServer.control("start")
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<32 {
                group.addTask {
                    let token = try await store.accessToken(for: key)
                    #expect(token?.token == "t")
                }
            }
            try await group.waitForAll()
        }
        try await store.close()
    }
}
