import Foundation
import OAuth1
import OAuth1Testing
import Testing

@Suite("The OAuth 1.0a dance against a local provider", .serverTimeLimit)
struct DanceTests {
    static let methods: [String] = ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "PLAINTEXT"]

    static func method(named name: String) throws -> SignatureMethod {
        switch name {
        case "RSA-SHA1": try SignatureMethod.rsaSHA1(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
        case "RSA-SHA256": try SignatureMethod.rsaSHA256(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
        default: try #require(SignatureMethod.named(name))
        }
    }

    @Test("callback flow, every signature method and placement", arguments: methods, [SignaturePlacement.authorizationHeader, .queryString, .formBody])
    func callbackFlow(methodName: String, placement: SignaturePlacement) async throws {
        try await DanceFixture.with(method: try Self.method(named: methodName), placement: placement) { fixture in
            let temporary = try await fixture.client.requestToken()
            #expect(temporary.callbackConfirmed)
            let authorizeURL = fixture.client.authorizationURL(for: temporary)
            #expect(authorizeURL.query?.contains("oauth_token=\(temporary.token)") == true)

            let callbackURL = try #require(try await fixture.authorizeInBrowser(authorizeURL))
            #expect(callbackURL.host == "app.example")
            #expect(callbackURL.query?.hasPrefix("state=kept&") == true)
            let callback = try OAuth1Callback(url: callbackURL)
            #expect(callback.token == temporary.token)

            let access = try await fixture.client.accessToken(temporary: temporary, callback: callback)
            #expect(access.userID == "783214")
            #expect(access.screenName == "test_user")
            #expect(fixture.provider.isValidAccessToken(access.credentials.token))

            // A form-body placement needs a request that carries a body, so POST there.
            let method = placement == .formBody ? "POST" : "GET"
            let response = try await fixture.client.send(
                OAuth1HTTPRequest(method: method, url: fixture.provider.protectedResourceURL), token: access.credentials)
            #expect(response.status == 200)
            let json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: String])
            #expect(json["id_str"] == "783214")
        }
    }

    @Test("out-of-band flow with a PIN", arguments: methods)
    func outOfBandFlow(methodName: String) async throws {
        try await DanceFixture.with(method: try Self.method(named: methodName), callback: .outOfBand) { fixture in
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            #expect(approval.callbackURL == nil)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            let form = "status=" + OAuth1PercentEncoding.encode("hello ☃ + friends")
            var request = OAuth1HTTPRequest(method: "POST", url: fixture.provider.protectedResourceURL, body: Data(form.utf8))
            request.setHeader("Content-Type", "application/x-www-form-urlencoded")
            let response = try await fixture.client.send(request, token: access.credentials)
            #expect(response.status == 200)
        }
    }

    @Test("a PIN pasted with surrounding whitespace is accepted")
    func pastedPIN() async throws {
        try await DanceFixture.with(callback: .outOfBand) { fixture in
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: "  \(approval.verifier)\n")
            #expect(fixture.provider.isValidAccessToken(access.credentials.token))
        }
    }

    @Test("the authorize page shows the PIN for oob")
    func outOfBandPage() async throws {
        try await DanceFixture.with(callback: .outOfBand) { fixture in
            let temporary = try await fixture.client.requestToken()
            let page = try await URLSessionTransport.shared.send(
                OAuth1HTTPRequest(url: fixture.client.authorizationURL(for: temporary)), timeout: .seconds(60))
            #expect(page.status == 200)
            #expect(String(decoding: page.body, as: UTF8.self).contains("oauth_pin"))
        }
    }

    @Test("x_auth_access_type and extra parameters reach the provider signed")
    func accessTypeIsSigned() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken(
                accessType: "read", extraParameters: [OAuth1Parameter(name: "lang", value: "en gb")])
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            // The local provider echoes the access type it received with the access token.
            #expect(access.accessType == "read")
        }
    }

    @Test("the user who approves is the one the access token and the protected resource name")
    func approveAsUser() async throws {
        try await DanceFixture.with(callback: .outOfBand) { fixture in
            let temporary = try await fixture.client.requestToken()
            let alice = LocalOAuth1Provider.User(id: "42", screenName: "alice")
            let approval = try fixture.provider.approve(requestToken: temporary.token, asUser: alice)
            let access = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            #expect(access.userID == "42")
            #expect(access.screenName == "alice")
            let response = try await fixture.client.send(
                OAuth1HTTPRequest(url: fixture.provider.protectedResourceURL), token: access.credentials)
            let json = try #require(try JSONSerialization.jsonObject(with: response.body) as? [String: String])
            #expect(json["screen_name"] == "alice")
        }
    }

    @Test("a protected resource refuses a request token and a forged access token")
    func protectedResourceRefusesWrongTokens() async throws {
        try await DanceFixture.with(callback: .outOfBand) { fixture in
            let temporary = try await fixture.client.requestToken()
            let url = fixture.provider.protectedResourceURL
            let withRequestToken = try await fixture.client.send(OAuth1HTTPRequest(url: url), token: temporary.credentials)
            #expect(withRequestToken.status == 401)
            let forged = try await fixture.client.send(
                OAuth1HTTPRequest(url: url), token: TokenCredentials(token: "forged", secret: "guess"))
            #expect(forged.status == 401)
            #expect(String(decoding: forged.body, as: UTF8.self).contains("Invalid or expired token."))
        }
    }

    @Test("authorization URL keeps the endpoint's query and adds force_login and screen_name")
    func authorizationURLParameters() async throws {
        var endpoints = OAuth1ProviderEndpoints.twitter
        endpoints.authorizeURL = URL(string: "https://provider.example/authorize?lang=en")!
        let client = OAuth1Client(
            credentials: ClientCredentials(key: "k", secret: "s"), callback: .outOfBand, endpoints: endpoints)
        let temporary = TemporaryCredentials(token: "tok en", secret: "x")
        let url = client.authorizationURL(for: temporary, forceLogin: true, screenName: "jane")
        #expect(url.absoluteString == "https://provider.example/authorize?lang=en&oauth_token=tok%20en&force_login=true&screen_name=jane")
        let authenticate = client.authorizationURL(for: temporary, authenticate: true)
        #expect(authenticate.absoluteString == "https://api.twitter.com/oauth/authenticate?oauth_token=tok%20en")
    }
}
