import Testing
import TokenStoreKit

@testable import TokenStoreRedis

/// `reply_wait` reaches the connection of a lone call: `adaptive` (the default) waits
/// inline blocking and never polls; `spin` polls inline and while parked; `park` never
/// waits inline nor polls.
extension RedisServerTests {
    @Suite("Redis reply waits", .serverTimeLimit)
    struct ReplyWaits {
        struct Flags: Equatable { var inline, busyPolls, pollsParked: Bool }

        static func flags(_ extra: String) async throws -> Flags {
            try await Env.withStore(url: try Env.requireACLURL(), extra: extra) { store, _ in
                let flags = try await store.withConnection("probe") {
                    Flags(inline: $0.mayWaitInline, busyPolls: $0.busyPollsInline, pollsParked: $0.busyPollsInline)
                }
                _ = try await store.accessToken(for: AccessTokenKey(provider: "p", userID: "nobody"))
                return flags
            }
        }

        @Test("adaptive by default: inline without polling; spin polls; park never waits inline nor polls")
        func wiring() async throws {
            #expect(try await Self.flags("") == Flags(inline: true, busyPolls: false, pollsParked: false))
            #expect(try await Self.flags("reply_wait=spin") == Flags(inline: true, busyPolls: true, pollsParked: true))
            #expect(try await Self.flags("reply_wait=park") == Flags(inline: false, busyPolls: false, pollsParked: false))
        }
    }
}
