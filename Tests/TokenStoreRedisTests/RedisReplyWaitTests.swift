import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// `reply_wait` reaches the connection: `park` (the default) never polls, inline or on the
/// I/O thread; `spin` does for a lone caller.
extension RedisServerTests {
    @Suite("Redis reply waits", .serverTimeLimit)
    struct ReplyWaits {
        static func polling(_ extra: String) async throws -> (inline: Bool, parked: Bool) {
            try await Env.withStore(url: try Env.requireACLURL(), extra: extra) { store, _ in
                let flags = try await store.withConnection("probe") { ($0.mayWaitInline, $0.mayPollParked) }
                _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "nobody"))
                return (flags.0, flags.1)
            }
        }

        @Test("the default parks; reply_wait=spin lets a lone caller poll; reply_wait=park parks")
        func wiring() async throws {
            let byDefault = try await Self.polling("")
            #expect(!byDefault.inline && !byDefault.parked)
            let spin = try await Self.polling("reply_wait=spin")
            #expect(spin.inline && spin.parked)
            let park = try await Self.polling("reply_wait=park")
            #expect(!park.inline && !park.parked)
        }
    }
}
