import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing

@Suite("The local provider refuses what a strict provider refuses", .serverTimeLimit)
struct ProviderStrictnessTests {
    /// The authorization URL with `parameter` replaced by `value` (or removed with `nil`).
    static func url(_ url: URL, setting parameter: String, to value: String?) throws -> URL {
        var components = try #require(URLComponents(url: url, resolvingAgainstBaseURL: false))
        var items = components.queryItems ?? []
        items.removeAll { $0.name == parameter }
        if let value { items.append(URLQueryItem(name: parameter, value: value)) }
        components.queryItems = items
        return try #require(components.url)
    }

    @Test("authorization requests without S256 PKCE, or of another response type, are redirected with the error")
    func authorizeErrors() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            for (parameter, value, code) in [
                ("code_challenge_method", "plain", OAuth2Error.Code.invalidRequest),
                ("code_challenge_method", nil, .invalidRequest),
                ("code_challenge", nil, .invalidRequest),
                ("response_type", "token", .unsupportedResponseType),
            ] as [(String, String?, OAuth2Error.Code)] {
                let callbackURL = try #require(
                    try await fixture.authorizeInBrowser(try Self.url(pending.url, setting: parameter, to: value)))
                let error = #expect(throws: OAuth2Error.self) { try OAuth2Callback(url: callbackURL) }
                #expect(error?.code == code, "\(parameter)=\(value ?? "absent")")
                #expect(OAuth2Callback.state(in: callbackURL) == pending.state)
            }
        }
    }

    @Test("an unknown scope is refused with invalid_scope")
    func unknownScope() async throws {
        try await FlowFixture.with(configure: { $0.supportedScopes = ["users.read"] }) { fixture in
            let pending = try fixture.client.authorizationRequest(scopes: ["users.read", "admin"])
            let callbackURL = try #require(try await fixture.authorizeInBrowser(pending.url))
            let error = #expect(throws: OAuth2Error.self) { try OAuth2Callback(url: callbackURL) }
            #expect(error?.code == .invalidScope)
        }
    }

    @Test("a registered loopback redirect URI matches any port (RFC 8252 7.3); nothing else is loosened")
    func loopbackPorts() async throws {
        try await FlowFixture.with(configure: { $0.clients[0].redirectURIs.append("http://127.0.0.1/native") }) { fixture in
            let pending = try fixture.client.authorizationRequest()
            for (redirect, allowed) in [
                ("http://127.0.0.1:53123/native", true), ("http://127.0.0.1/native", true),
                ("http://127.0.0.1:53123/other", false), ("http://localhost:53123/native", false),
                ("https://127.0.0.1:53123/native", false), ("https://app.example:8443/oauth2/callback?keep=1", false),
            ] {
                let response = try await URLSessionTransport.shared.send(
                    OAuth1HTTPRequest(url: try Self.url(pending.url, setting: "redirect_uri", to: redirect)),
                    timeout: .seconds(60))
                #expect((response.status == 302) == allowed, "\(redirect): \(response.status)")
                if allowed { #expect(response.header(named: "Location")?.hasPrefix(redirect + "?") == true) }
            }
        }
    }

    @Test("an unknown client sees an error page, never a redirect")
    func unknownClient() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let response = try await URLSessionTransport.shared.send(
                OAuth1HTTPRequest(url: try Self.url(pending.url, setting: "client_id", to: "stranger")), timeout: .seconds(60))
            #expect(response.status == 400)
            #expect(response.header(named: "Location") == nil)
        }
    }

    @Test("an expired code is refused with invalid_grant")
    func expiredCode() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            fixture.clock.advance(by: 61)
            let error = await oauth2Error { _ = try await fixture.client.exchange(callback, for: pending) }
            #expect(error?.code == .invalidGrant)
            #expect(error?.providerDescription?.contains("expired") == true)
        }
    }

    @Test("a narrower scope on refresh is granted; a wider one is invalid_scope")
    func refreshScopes() async throws {
        try await FlowFixture.with { fixture in
            let tokens = try await fixture.signIn(scopes: ["users.read", "tweet.read", "offline.access"])
            let narrower = try await fixture.client.refresh(refreshToken: try #require(tokens.refreshToken), scopes: ["users.read"])
            #expect(narrower.scopes == ["users.read"])
            let wider = await oauth2Error {
                _ = try await fixture.client.refresh(refreshToken: try #require(narrower.refreshToken), scopes: ["users.read", "tweet.write"])
            }
            #expect(wider?.code == .invalidScope)
        }
    }
}
