import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// `reply_wait` reaches the connection: `park` (the default) never polls inline, `spin`
/// does for a lone caller.
extension PostgresServerTests {
    @Suite("PostgreSQL reply waits", .serverTimeLimit)
    struct ReplyWaits {
        static func inlineWaitAllowed(_ extra: String) async throws -> Bool {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: extra))
            let allowed = try await store.withConnection("probe") { connection, _ in connection.mayWaitInline }
            // A call still works either way.
            _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "nobody"))
            try await store.close()
            return allowed
        }

        @Test("the default parks; reply_wait=spin lets a lone caller poll; reply_wait=park parks")
        func wiring() async throws {
            #expect(try await Self.inlineWaitAllowed("") == false)
            #expect(try await Self.inlineWaitAllowed("&reply_wait=spin") == true)
            #expect(try await Self.inlineWaitAllowed("&reply_wait=park") == false)
        }
    }
}
