import Testing
import TokenStoreKit

@testable import TokenStorePostgres

/// `reply_wait` reaches the connection of a lone call: `adaptive` (the default) waits
/// inline blocking, `spin` inline polling first, `park` never inline.
extension PostgresServerTests {
    @Suite("PostgreSQL reply waits", .serverTimeLimit)
    struct ReplyWaits {
        static func inlineWait(_ extra: String) async throws -> (inline: Bool, busyPolls: Bool) {
            let store = try await PostgresTokenStore(url: try PostgresTestServer.urlWithFreshSchema(extra: extra))
            let flags = try await store.withConnection("probe") { connection, _ in
                (connection.mayWaitInline, connection.busyPollsInline)
            }
            // A call still works either way.
            _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "nobody"))
            try await store.close()
            return (flags.0, flags.1)
        }

        @Test("adaptive by default: inline without polling; spin polls inline; park never waits inline")
        func wiring() async throws {
            let byDefault = try await Self.inlineWait("")
            #expect(byDefault.inline && !byDefault.busyPolls)
            let spin = try await Self.inlineWait("&reply_wait=spin")
            #expect(spin.inline && spin.busyPolls)
            let park = try await Self.inlineWait("&reply_wait=park")
            #expect(!park.inline)
        }
    }
}
