import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing
import TokenStoreTesting

@Suite("Transport failures, cancellation, and secrets never printed", .serverTimeLimit)
struct TransportAndRedactionTests {
    static func client(_ transport: StubTransport) -> OAuth2Client {
        OAuth2Client(
            credentials: OAuth2ClientCredentials(id: "cid", secret: "sekrit-XYZ"), endpoints: .google,
            redirectURI: URL(string: "https://app.example/cb")!, transport: transport)
    }

    @Test("the transport's timeout, cancellation and failure are typed")
    func transportErrors() async {
        let cases: [(any Error, OAuth2Error.Code)] = [
            (OAuth1Error(.timedOut, message: "no response"), .timedOut),
            (OAuth1Error(.cancelled, message: "cancelled"), .cancelled),
            (OAuth1Error(.transportFailure, message: "connection refused"), .transportFailure),
            (CancellationError(), .cancelled),
            (URLError(.notConnectedToInternet), .transportFailure),
        ]
        for (thrown, code) in cases {
            let error = await oauth2Error { _ = try await Self.client(StubTransport([.failure(thrown)])).refresh(refreshToken: "rt") }
            #expect(error?.code == code)
        }
    }

    @Test("cancelling the calling task cancels the exchange")
    func cancellation() async throws {
        let transport = StubTransport([.hang])
        let task = Task { try await Self.client(transport).refresh(refreshToken: "rt") }
        try await eventually("the request reaches the transport") { !transport.requests.isEmpty }
        task.cancel()
        let error = await oauth2Error { _ = try await task.value }
        #expect(error?.code == .cancelled)
    }

    @Test("a real provider too slow for the client's timeout: timed out")
    func liveTimeout() async throws {
        try await FlowFixture.with { fixture in
            fixture.provider.inject(.delay(.seconds(20)), at: .token)
            var client = fixture.client
            client.timeout = .seconds(2)
            let error = await oauth2Error { _ = try await client.refresh(refreshToken: "rt") }
            #expect(error?.code == .timedOut)
            #expect(error?.isRetryable == true)
        }
    }

    @Test("no secret in any description, debug description, dump or error of a whole flow")
    func noSecrets() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest(scopes: ["users.read"])
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            let tokens = try await fixture.client.exchange(callback, for: pending)
            let refreshed = try await fixture.client.refresh(refreshToken: try #require(tokens.refreshToken))
            let reuse = await oauth2Error { _ = try await fixture.client.refresh(refreshToken: try #require(tokens.refreshToken)) }
            let codeReuse = await oauth2Error { _ = try await fixture.client.exchange(callback, for: pending) }
            let withID = OAuth2TokenResponse(
                accessToken: "access-XYZ", issuedAt: Date(), refreshToken: "refresh-XYZ", idToken: "id-token-XYZ")
            let values: [Any] = [
                fixture.client, fixture.client.credentials, pending, pending.pkce, callback, tokens, refreshed, withID,
                reuse as Any, codeReuse as Any,
            ]
            let secrets = [
                FlowFixture.clientSecret, pending.pkce.verifier, callback.code, tokens.accessToken,
                try #require(tokens.refreshToken), refreshed.accessToken, try #require(refreshed.refreshToken),
                "access-XYZ", "refresh-XYZ", "id-token-XYZ",
            ]
            for value in values {
                for text in [String(describing: value), String(reflecting: value), dumped(value)] {
                    for secret in secrets {
                        #expect(!text.contains(secret), "a secret appears in: \(text)")
                    }
                }
            }
            #expect(reuse?.code == .invalidGrant)
            #expect(codeReuse?.code == .invalidGrant)
        }
    }
}
