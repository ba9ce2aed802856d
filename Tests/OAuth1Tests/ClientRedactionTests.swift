import Foundation
import OAuth1
import OAuth1Testing
import Testing

@Suite("Client types never print secrets", .serverTimeLimit)
struct ClientRedactionTests {
    @Test("descriptions of temporary credentials, token responses, callbacks and errors")
    func descriptions() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            let callback = OAuth1Callback(token: temporary.token, verifier: approval.verifier)
            // A replayed exchange fails: its error must not carry the secrets either.
            let failure = await oauthError {
                _ = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            }
            let texts = [
                String(describing: temporary), String(reflecting: temporary),
                String(describing: access), String(reflecting: access), "\(access.credentials)",
                String(describing: callback), String(reflecting: callback),
                String(describing: failure as Any), String(reflecting: failure as Any),
                String(describing: fixture.client.signer(for: access.credentials)),
                String(describing: fixture.client), Self.dumped(fixture.client),
                Self.dumped(temporary), Self.dumped(access), Self.dumped(callback), Self.dumped(failure as Any),
            ]
            let secrets = [DanceFixture.consumerSecret, temporary.secret, access.credentials.secret, approval.verifier]
            for text in texts {
                for secret in secrets {
                    #expect(!text.contains(secret), "a secret appears in: \(text)")
                }
            }
            #expect(failure?.code == .providerRejected)
        }
    }

    /// What `dump` prints, which walks the reflection mirrors.
    static func dumped(_ value: Any) -> String {
        var text = ""
        dump(value, to: &text)
        return text
    }
}
