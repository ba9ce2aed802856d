import Foundation
import OAuth1
import OAuth1Testing
import Testing

@Suite("Provider error bodies", .serverTimeLimit)
struct ErrorBodyTests {
    @Test("parsed messages for common shapes",
        arguments: [
            (#"{"error":"invalid_token"}"#, "application/json", "invalid_token"),
            (#"{"errors":[{"code":89,"message":"Invalid or expired token."},{"code":99,"message":"Second."}]}"#, "application/json", "Invalid or expired token. (code 89); Second. (code 99)"),
            ("error=Rate%20limited", "text/plain", "Rate limited"),
            ("<error>Bad &lt;signature&gt;</error>", "text/xml", "Bad <signature>"),
            (#"<?xml version="1.0"?><errors><error code="32">Could not authenticate you.</error></errors>"#, "application/xml", "Could not authenticate you."),
            ("<hash><error/><message>Token expired</message></hash>", "text/xml", "Token expired"),
            ("<oauth><oauth_problem>nonce_used</oauth_problem></oauth>", "text/xml", "nonce_used"),
            ("not an error body", "text/plain", nil),
            ("", "text/plain", nil),
            ("{not json", "application/json", nil),
        ])
    func parses(body: String, contentType: String, expected: String?) async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.status(400, body: body, contentType: contentType), at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.providerMessage == expected)
        }
    }
}
