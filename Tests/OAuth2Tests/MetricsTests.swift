import Foundation
import MetricsTestKit
import OAuth1
import Testing

@testable import OAuth2

@Suite("OAuth 2.0 token requests are counted", .inProcessTimeLimit)
struct MetricsTests {
    static func client(_ transport: StubTransport, metrics: TestMetrics) -> OAuth2Client {
        var client = OAuth2Client(
            credentials: OAuth2ClientCredentials(id: "cid", secret: "client-secret"),
            endpoints: OAuth2ProviderEndpoints(
                authorizationURL: URL(string: "https://id.example/authorize")!, tokenURL: URL(string: "https://id.example/token")!),
            redirectURI: URL(string: "https://app.example/callback")!, transport: transport)
        client.metricsFactory = metrics
        return client
    }

    @Test("a refresh that succeeds and one refused with invalid_grant: one count each, by grant, host and outcome")
    func refreshOutcomes() async throws {
        let metrics = TestMetrics()
        let transport = StubTransport([
            .response(OAuth1HTTPResponse(
                status: 200, headers: ["Content-Type": "application/json"],
                body: Data(#"{"access_token":"at-1","token_type":"Bearer","expires_in":60,"refresh_token":"rt-2"}"#.utf8))),
            .response(OAuth1HTTPResponse(
                status: 400, headers: ["Content-Type": "application/json"], body: Data(#"{"error":"invalid_grant"}"#.utf8))),
        ])
        let client = Self.client(transport, metrics: metrics)
        _ = try await client.refresh(refreshToken: "rt-1")
        await #expect(throws: OAuth2Error.self) { _ = try await client.refresh(refreshToken: "rt-1") }

        let label = OAuth2Metrics.tokenRequestsLabel
        let ok = try metrics.expectCounter(label, [("grant", "refresh_token"), ("host", "id.example"), ("outcome", "ok")])
        #expect(ok.totalValue == 1)
        let refused = try metrics.expectCounter(
            label, [("grant", "refresh_token"), ("host", "id.example"), ("outcome", "invalid_grant")])
        #expect(refused.totalValue == 1)
        // No dimension carries a token or the client secret.
        for counter in metrics.counters {
            for (_, value) in counter.dimensions {
                #expect(!["rt-1", "rt-2", "at-1", "client-secret", "cid"].contains(value))
            }
        }
    }

    @Test("a transport failure is counted under its code")
    func transportFailure() async throws {
        let metrics = TestMetrics()
        let transport = StubTransport([.failure(OAuth1Error(.transportFailure, message: "connection refused"))])
        let client = Self.client(transport, metrics: metrics)
        await #expect(throws: OAuth2Error.self) { _ = try await client.refresh(refreshToken: "rt-1") }
        let failed = try metrics.expectCounter(
            OAuth2Metrics.tokenRequestsLabel, [("grant", "refresh_token"), ("host", "id.example"), ("outcome", "transport_failure")])
        #expect(failed.totalValue == 1)
    }
}
