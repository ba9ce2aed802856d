import Foundation
import OAuth1
import OAuth1Testing
import Testing

@Suite("The local provider's authorization page (Allow / Deny, a real form POST)", .serverTimeLimit)
struct AuthorizationPageTests {
    /// Posts the page's form as a browser would.
    static func submit(_ fields: [OAuth1Parameter], to fixture: DanceFixture) async throws -> OAuth1HTTPResponse {
        var request = OAuth1HTTPRequest(method: "POST", url: fixture.provider.endpoints.authorizeURL)
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        request.body = Data(OAuth1PercentEncoding.formEncode(fields).utf8)
        return try await URLSessionTransport.shared.send(request, timeout: .seconds(60))
    }

    static func text(_ response: OAuth1HTTPResponse) -> String { String(decoding: response.body, as: UTF8.self) }

    @Test("the page asks first; Allow signs in as the typed screen name and redirects to the callback")
    func allow() async throws {
        try await DanceFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let temporary = try await fixture.client.requestToken()
            let page = try await URLSessionTransport.shared.send(
                OAuth1HTTPRequest(url: fixture.client.authorizationURL(for: temporary)), timeout: .seconds(60))
            #expect(page.status == 200)
            let html = Self.text(page)
            #expect(html.contains(#"method="post""#))
            #expect(html.contains(#"value="allow""#) && html.contains(#"value="deny""#))
            #expect(html.contains(#"name="oauth_token" value="\#(temporary.token)""#))
            // Showing the page approves nothing: no verifier exists yet.
            #expect(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: "guess") } != nil)
        }
        try await DanceFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let temporary = try await fixture.client.requestToken()
            let answer = try await Self.submit(
                [.init(name: "oauth_token", value: temporary.token), .init(name: "screen_name", value: "alice_2"),
                 .init(name: "decision", value: "allow")], to: fixture)
            #expect(answer.status == 303)
            let location = try #require(answer.header(named: "Location").flatMap(URL.init(string:)))
            #expect(location.host == DanceFixture.callbackURL.host)
            let access = try await fixture.client.accessToken(temporary: temporary, callback: try OAuth1Callback(url: location))
            #expect(access.screenName == "alice_2")
            #expect(access.userID == "local-alice_2")
        }
    }

    @Test("Deny redirects to the callback with denied=<token>, and the token can no longer be exchanged")
    func deny() async throws {
        try await DanceFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let temporary = try await fixture.client.requestToken()
            let answer = try await Self.submit(
                [.init(name: "oauth_token", value: temporary.token), .init(name: "decision", value: "deny")], to: fixture)
            #expect(answer.status == 303)
            let location = try #require(answer.header(named: "Location").flatMap(URL.init(string:)))
            let query = try OAuth1PercentEncoding.parseForm(location.query ?? "")
            #expect(query.first(named: "denied") == temporary.token)
            #expect(query.first(named: "oauth_verifier") == nil)
            let error = await oauthError {
                _ = try await fixture.client.accessToken(temporary: temporary, verifier: "anything")
            }
            #expect(error != nil)
        }
    }

    @Test("the form refuses an unknown token, a bad screen name and a missing decision")
    func refusals() async throws {
        try await DanceFixture.with(configure: { $0.showsAuthorizationPage = true }) { fixture in
            let temporary = try await fixture.client.requestToken()
            let unknown = try await Self.submit(
                [.init(name: "oauth_token", value: "not-issued"), .init(name: "decision", value: "allow")], to: fixture)
            #expect(unknown.status == 400)
            let badName = try await Self.submit(
                [.init(name: "oauth_token", value: temporary.token), .init(name: "screen_name", value: "<script>"),
                 .init(name: "decision", value: "allow")], to: fixture)
            #expect(badName.status == 400)
            #expect(!Self.text(badName).contains("<script>"))
            let noDecision = try await Self.submit([.init(name: "oauth_token", value: temporary.token)], to: fixture)
            #expect(noDecision.status == 400)
            let unknownPageURL = try #require(
                URL(string: fixture.provider.endpoints.authorizeURL.absoluteString + "?oauth_token=not-issued"))
            let page = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: unknownPageURL), timeout: .seconds(60))
            #expect(page.status == 400)
        }
    }

    @Test("statuses/update answers the signed status text for the token's user")
    func statusUpdate() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            var request = OAuth1HTTPRequest(method: "POST", url: fixture.provider.statusUpdateURL)
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            request.body = Data("status=hello%20world%20%26%20more".utf8)
            let response = try await fixture.client.send(request, token: access.credentials)
            #expect(response.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: String])
            #expect(json["text"] == "hello world & more")
            #expect(json["screen_name"] == "test_user")
            // Unsigned (no token): refused.
            let unsigned = try await URLSessionTransport.shared.send(request, timeout: .seconds(60))
            #expect(unsigned.status == 401)
        }
    }
}
