import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing

@Suite("The OAuth 2.0 flow against a local provider", .serverTimeLimit)
struct FlowTests {
    @Test(
        "authorize, callback, exchange, Bearer call, refresh; reusing the old refresh token revokes the family",
        arguments: OAuth2ClientAuthenticationMethod.allCases)
    func fullFlow(method: OAuth2ClientAuthenticationMethod) async throws {
        try await FlowFixture.with(method: method) { fixture in
            let pending = try fixture.client.authorizationRequest(scopes: ["users.read", "offline.access"])
            let callbackURL = try #require(try await fixture.authorizeInBrowser(pending.url))
            #expect(callbackURL.absoluteString.hasPrefix(FlowFixture.redirectURI + "&code="))
            let callback = try OAuth2Callback(url: callbackURL)
            #expect(callback.state == pending.state)

            let tokens = try await fixture.client.exchange(callback, for: pending)
            #expect(tokens.scopes == ["users.read", "offline.access"])
            #expect(tokens.expiresAt == fixture.clock.now.addingTimeInterval(1))
            let first = try #require(tokens.refreshToken)

            let me = try await fixture.client.send(
                OAuth1HTTPRequest(url: fixture.provider.protectedResourceURL), accessToken: tokens.accessToken)
            #expect(me.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: me.body) as? [String: [String: String]])
            #expect(json["data"]?["id"] == fixture.provider.configuration.user.id)

            // The access token lives one second on the provider's clock.
            fixture.clock.advance(by: 2)
            #expect(tokens.isExpired(at: fixture.clock.now))
            let expired = try await fixture.client.send(
                OAuth1HTTPRequest(url: fixture.provider.protectedResourceURL), accessToken: tokens.accessToken)
            #expect(expired.status == 401)
            #expect(OAuth2BearerChallenge(response: expired)?.isInvalidToken == true)

            let refreshed = try await fixture.client.refresh(refreshToken: first)
            #expect(refreshed.refreshTokenRotated)
            let second = try #require(refreshed.refreshToken)
            #expect(second != first)
            #expect(fixture.provider.isValidAccessToken(refreshed.accessToken))
            #expect(fixture.provider.counters.refreshesServed == 1)

            // A second worker still holding the first refresh token: reuse.
            let reuse = await oauth2Error { _ = try await fixture.client.refresh(refreshToken: first) }
            #expect(reuse?.code == .invalidGrant)
            #expect(reuse?.httpStatus == 400)
            #expect(reuse?.message.contains("sign in again") == true)
            #expect(fixture.provider.counters.familyRevocations == 1)
            // The whole family is gone: the newest tokens too.
            #expect(!fixture.provider.isValidAccessToken(refreshed.accessToken))
            let after = await oauth2Error { _ = try await fixture.client.refresh(refreshToken: second) }
            #expect(after?.code == .invalidGrant)
            #expect(fixture.provider.counters.invalidGrantAnswers == 2)
            #expect(fixture.provider.counters.familyRevocations == 1)
            #expect(fixture.provider.counters.tokensIssued == 2)
        }
    }

    @Test("the user denies on the authorization page: a typed access_denied carrying the state")
    func denied() async throws {
        try await FlowFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let pending = try fixture.client.authorizationRequest(scopes: ["users.read"])
            let page = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: pending.url), timeout: .seconds(60))
            #expect(page.status == 200)
            let html = String(decoding: page.body, as: UTF8.self)
            let requestID = try #require(Self.hiddenValue("request_id", in: html))
            var post = OAuth1HTTPRequest(
                method: "POST", url: fixture.provider.endpoints.authorizationURL,
                body: Data(OAuth1PercentEncoding.formEncode([.init(name: "request_id", value: requestID), .init(name: "decision", value: "deny")]).utf8))
            post.setHeader("Content-Type", "application/x-www-form-urlencoded")
            let decision = try await URLSessionTransport.shared.send(post, timeout: .seconds(60))
            #expect(decision.status == 303)
            let callbackURL = try #require(decision.header(named: "Location").flatMap(URL.init(string:)))
            let error = #expect(throws: OAuth2Error.self) { try OAuth2Callback(url: callbackURL) }
            #expect(error?.code == .accessDenied)
            #expect(OAuth2Callback.state(in: callbackURL) == pending.state)
            #expect(fixture.provider.counters.tokensIssued == 0)
        }
    }

    @Test("the user allows on the authorization page")
    func allowed() async throws {
        try await FlowFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let pending = try fixture.client.authorizationRequest()
            let page = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: pending.url), timeout: .seconds(60))
            let requestID = try #require(Self.hiddenValue("request_id", in: String(decoding: page.body, as: UTF8.self)))
            var post = OAuth1HTTPRequest(
                method: "POST", url: fixture.provider.endpoints.authorizationURL,
                body: Data("request_id=\(requestID)&decision=allow".utf8))
            post.setHeader("Content-Type", "application/x-www-form-urlencoded")
            let decision = try await URLSessionTransport.shared.send(post, timeout: .seconds(60))
            let callbackURL = try #require(decision.header(named: "Location").flatMap(URL.init(string:)))
            let tokens = try await fixture.client.exchange(try OAuth2Callback(url: callbackURL), for: pending)
            #expect(fixture.provider.isValidAccessToken(tokens.accessToken))
        }
    }

    @Test("a provider that sends iss (RFC 9207): checked against the endpoints' issuer")
    func issuer() async throws {
        try await FlowFixture.with(configure: { $0.issuer = "https://local.example" }) { fixture in
            var client = fixture.client
            client.endpoints.issuer = "https://local.example"
            let pending = try client.authorizationRequest()
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            #expect(callback.issuer == "https://local.example")
            _ = try await client.exchange(callback, for: pending)

            client.endpoints.issuer = "https://other.example"
            let mixUp = try client.authorizationRequest()
            let mixed = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(mixUp.url)))
            let error = await oauth2Error { _ = try await client.exchange(mixed, for: mixUp) }
            #expect(error?.code == .issuerMismatch)
        }
    }

    @Test("a callback with another state is refused before any request is sent")
    func wrongState() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let other = try fixture.client.authorizationRequest()
            let callbackURL = try #require(try await fixture.authorizeInBrowser(other.url))
            let error = await oauth2Error { _ = try await fixture.client.exchange(try OAuth2Callback(url: callbackURL), for: pending) }
            #expect(error?.code == .stateMismatch)
            #expect(fixture.provider.requestCount(at: .token) == 0)
        }
    }

    @Test("a wrong PKCE verifier is refused with invalid_grant, and the code is used up")
    func wrongVerifier() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            let wrong = try OAuth2PKCE.generate()
            let error = await oauth2Error {
                _ = try await fixture.client.exchange(code: callback.code, codeVerifier: wrong.verifier, redirectURI: pending.redirectURI)
            }
            #expect(error?.code == .invalidGrant)
            #expect(error?.providerDescription?.contains("code_verifier") == true)
            let retry = await oauth2Error { _ = try await fixture.client.exchange(callback, for: pending) }
            #expect(retry?.code == .invalidGrant)
            #expect(fixture.provider.counters.tokensIssued == 0)
        }
    }

    @Test("a redirect_uri other than the authorization's is refused, even a registered one")
    func wrongRedirectURI() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            let error = await oauth2Error {
                _ = try await fixture.client.exchange(
                    code: callback.code, codeVerifier: pending.pkce.verifier, redirectURI: URL(string: FlowFixture.otherRedirectURI)!)
            }
            #expect(error?.code == .invalidGrant)
            #expect(error?.providerDescription?.contains("redirect_uri") == true)
        }
    }

    @Test("an unregistered redirect URI is never redirected to")
    func unregisteredRedirect() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest(redirectURI: URL(string: "https://evil.example/cb")!)
            let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: pending.url), timeout: .seconds(60))
            #expect(response.status == 400)
            #expect(response.header(named: "Location") == nil)
        }
    }

    @Test("a code presented twice is refused and revokes the tokens it issued")
    func codeReuse() async throws {
        try await FlowFixture.with { fixture in
            let pending = try fixture.client.authorizationRequest()
            let callback = try OAuth2Callback(url: try #require(try await fixture.authorizeInBrowser(pending.url)))
            let tokens = try await fixture.client.exchange(callback, for: pending)
            let again = await oauth2Error { _ = try await fixture.client.exchange(callback, for: pending) }
            #expect(again?.code == .invalidGrant)
            #expect(!fixture.provider.isValidAccessToken(tokens.accessToken))
            #expect(fixture.provider.counters.familyRevocations == 1)
        }
    }

    @Test("wrong client secret or method: invalid_client")
    func clientAuthentication() async throws {
        try await FlowFixture.with { fixture in
            let tokens = try await fixture.signIn()
            var wrongSecret = fixture.client
            wrongSecret.credentials.secret = "not-the-secret"
            let error = await oauth2Error { _ = try await wrongSecret.refresh(refreshToken: try #require(tokens.refreshToken)) }
            #expect(error?.code == .invalidClient)
            #expect(error?.httpStatus == 401)
            var wrongMethod = fixture.client
            wrongMethod.credentials.authenticationMethod = .clientSecretPost
            let method = await oauth2Error { _ = try await wrongMethod.refresh(refreshToken: try #require(tokens.refreshToken)) }
            #expect(method?.code == .invalidClient)
            // Neither attempt used the refresh token up.
            #expect(fixture.provider.isValidRefreshToken(try #require(tokens.refreshToken)))
        }
    }

    @Test("revoking the refresh token ends the grant; revoking an unknown token is no error")
    func revocation() async throws {
        try await FlowFixture.with { fixture in
            let tokens = try await fixture.signIn()
            let refreshToken = try #require(tokens.refreshToken)
            try await fixture.client.revoke(token: refreshToken, hint: .refreshToken)
            #expect(!fixture.provider.isValidAccessToken(tokens.accessToken))
            let error = await oauth2Error { _ = try await fixture.client.refresh(refreshToken: refreshToken) }
            #expect(error?.code == .invalidGrant)
            try await fixture.client.revoke(token: "never-issued", hint: .accessToken)
            #expect(fixture.provider.counters.revocations == 1)

            var noEndpoint = fixture.client
            noEndpoint.endpoints.revocationURL = nil
            let unsupported = await oauth2Error { try await noEndpoint.revoke(token: "x") }
            #expect(unsupported?.code == .unsupportedOperation)
        }
    }

    @Test("an HTML 500 from the live token endpoint is a typed, retryable error")
    func injectedHTML() async throws {
        try await FlowFixture.with { fixture in
            fixture.provider.inject(.status(500, body: "<html><body>Oops</body></html>", contentType: "text/html"), at: .token)
            let error = await oauth2Error { _ = try await fixture.client.refresh(refreshToken: "rt") }
            #expect(error?.code == .providerRejected)
            #expect(error?.httpStatus == 500)
            #expect(error?.isRetryable == true)
        }
    }

    @Test("a provider that is gone: transport failure")
    func providerGone() async throws {
        let client = try await FlowFixture.with { $0.client }
        let error = await oauth2Error { _ = try await client.refresh(refreshToken: "rt") }
        #expect(error?.code == .transportFailure)
        #expect(error?.isRetryable == true)
    }

    static func hiddenValue(_ name: String, in html: String) -> String? {
        guard let range = html.range(of: "name=\"\(name)\" value=\"") else { return nil }
        let rest = html[range.upperBound...]
        return rest.firstIndex(of: "\"").map { String(rest[..<$0]) }
    }
}
