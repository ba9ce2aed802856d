import Foundation
import Testing
import TokenStoreKit
import TokenStoreSealing
import TokenStoreTesting

@testable import TokenStorePostgres

extension PostgresServerTests {
    @Suite("PostgreSQL conformance", .serverTimeLimit)
    struct Conformance {
        @Test("the store contract over TCP")
        func tcp() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            // Worker processes open the same URL, so `take` is raced across processes too.
            try await TokenStoreConformance(name: "postgres", capabilities: .init(crossProcessURL: url)) { clock in
                try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock))
            }.run()
        }

        /// Over the socket with `reply_wait=spin`, so the non-default wait runs the whole contract too.
        @Test("the store contract over the unix socket, replies waited for by spinning")
        func unixSocket() async throws {
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let url = try PostgresTestServer.socketURL(schema: String(schema)) + "&reply_wait=spin"
            try await TokenStoreConformance(name: "postgres-socket-spin") { clock in
                try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock))
            }.run()
        }

        /// With `reply_wait=park`, so each reply wait runs the whole contract (TCP: adaptive).
        @Test("the store contract with secrets sealed, replies waited for parked")
        func sealed() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema(extra: "&reply_wait=park")
            let keys = try SealingKeyRing(keys: [SealingKey.generate(id: "k1")])
            try await TokenStoreConformance(name: "postgres-sealed") { clock in
                SealedTokenStore(wrapping: try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock)), keys: keys)
            }.run()
        }

        @Test("the authorization flow with a PostgreSQL store")
        func flow() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            try await AuthorizationFlowConformance(name: "postgres") { clock in
                try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock))
            }.run()
        }
    }
}
