import Foundation
import Testing
import TokenStoreKit
import TokenStoreTesting

@testable import TokenStorePostgres

extension PostgresServerTests {
    @Suite("PostgreSQL conformance")
    struct Conformance {
        @Test("the store contract over TCP")
        func tcp() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            try await TokenStoreConformance(name: "postgres", capabilities: .init(crossProcessURL: nil)) { clock in
                try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock))
            }.run()
        }

        @Test("the store contract over the unix socket")
        func unixSocket() async throws {
            let schema = "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
            let url = try PostgresTestServer.socketURL(schema: String(schema))
            try await TokenStoreConformance(name: "postgres-socket") { clock in
                try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock))
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
