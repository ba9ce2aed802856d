import Foundation
import Testing
import OAuth1
import OAuth1Testing

/// The local provider compares the client's `oauth_timestamp` with its clock without
/// overflowing, whatever number the client sends.
@Suite("Provider timestamp overflow", .timeLimit(.minutes(5)))
struct ProviderTimestampOverflowTests {
    @Test("an oauth_timestamp at either end of Int64 is refused, not a crash", arguments: [Int64.min, Int64.max])
    func extremeTimestamp(seconds: Int64) async throws {
        try await DanceFixture.with { fixture in
            var client = fixture.client
            client.clock = .fixed(seconds)
            let error = await #expect(throws: OAuth1Error.self) { _ = try await client.requestToken() }
            #expect(error?.providerMessage == "oauth_problem=timestamp_refused")
        }
    }

    @Test("a request token time to live of .seconds(.max) never expires, not a crash")
    func hugeTimeToLive() async throws {
        try await DanceFixture.with(configure: { $0.requestTokenTimeToLive = .seconds(Int64.max) }) { fixture in
            let temporary = try await fixture.client.requestToken()
            #expect(!temporary.token.isEmpty)
        }
    }
}
