import Foundation
import OAuth1
import OAuth2
import Testing

@Suite("Client authentication (RFC 6749 2.3.1)", .inProcessTimeLimit)
struct ClientAuthenticationTests {
    static func sentRequest(_ credentials: OAuth2ClientCredentials) async throws -> OAuth1HTTPRequest {
        let transport = StubTransport(status: 200, body: #"{"access_token":"a","token_type":"bearer"}"#)
        let client = OAuth2Client(
            credentials: credentials, endpoints: .x, redirectURI: URL(string: "https://app.example/cb")!, transport: transport)
        _ = try await client.exchange(code: "c0de", codeVerifier: try OAuth2PKCE.generate().verifier)
        return try #require(transport.requests.first)
    }

    static func form(_ request: OAuth1HTTPRequest) throws -> [OAuth1Parameter] {
        try OAuth1PercentEncoding.parseForm(String(decoding: try #require(request.body), as: UTF8.self))
    }

    @Test("client_secret_basic form-urlencodes id and secret before base64")
    func basicEncoding() async throws {
        // Reserved characters on both sides: the colon must not split the pair early, and
        // a space is `+` in the form encoding of RFC 6749 appendix B.
        let request = try await Self.sentRequest(
            OAuth2ClientCredentials(id: "my app:1", secret: "p@ss:w/rd%+ é", authenticationMethod: .clientSecretBasic))
        let expectedPair = "my+app%3A1:p%40ss%3Aw%2Frd%25%2B+%C3%A9"
        #expect(request.header(named: "Authorization") == "Basic " + Data(expectedPair.utf8).base64EncodedString())
        let form = try Self.form(request)
        #expect(form.first(named: "client_secret") == nil)
        #expect(form.first(named: "client_id") == nil)
        #expect(form.first(named: "grant_type") == "authorization_code")
        #expect(form.first(named: "code") == "c0de")
        #expect(form.first(named: "redirect_uri") == "https://app.example/cb")
        #expect(form.first(named: "code_verifier") != nil)
        #expect(request.header(named: "Content-Type") == "application/x-www-form-urlencoded")
        #expect(request.header(named: "Accept") == "application/json")
        #expect(request.method == "POST")
        #expect(request.url == OAuth2ProviderEndpoints.x.tokenURL)
    }

    @Test("client_secret_post puts id and secret in the body")
    func post() async throws {
        let request = try await Self.sentRequest(
            OAuth2ClientCredentials(id: "my app", secret: "s&cret=1", authenticationMethod: .clientSecretPost))
        #expect(request.header(named: "Authorization") == nil)
        let form = try Self.form(request)
        #expect(form.first(named: "client_id") == "my app")
        #expect(form.first(named: "client_secret") == "s&cret=1")
    }

    @Test("a public client sends client_id only")
    func publicClient() async throws {
        let request = try await Self.sentRequest(OAuth2ClientCredentials(publicClientID: "pub"))
        #expect(request.header(named: "Authorization") == nil)
        let form = try Self.form(request)
        #expect(form.first(named: "client_id") == "pub")
        #expect(form.first(named: "client_secret") == nil)
    }

    @Test("a secret method without a secret is a configuration error, nothing is sent")
    func missingSecret() async throws {
        var credentials = OAuth2ClientCredentials(publicClientID: "pub")
        credentials.authenticationMethod = .clientSecretBasic
        let transport = StubTransport()
        let client = OAuth2Client(
            credentials: credentials, endpoints: .google, redirectURI: URL(string: "https://app.example/cb")!, transport: transport)
        let error = await oauth2Error { _ = try await client.refresh(refreshToken: "rt") }
        #expect(error?.code == .invalidInput)
        #expect(transport.requests.isEmpty)
    }

    @Test("the Bearer header is set, and tokens a header cannot carry are refused")
    func bearer() throws {
        let request = OAuth1HTTPRequest(url: URL(string: "https://api.x.com/2/users/me")!, headers: ["Authorization": "old"])
        let authorized = try OAuth2Client.authorizing(request, accessToken: "abc.DEF-123_~+/=")
        #expect(authorized.headers.values(named: "Authorization") == ["Bearer abc.DEF-123_~+/="])
        for bad in ["", "a b", "a\r\nX: y", "é"] {
            let error = #expect(throws: OAuth2Error.self) { try OAuth2Client.authorizing(request, accessToken: bad) }
            #expect(error?.code == .invalidInput)
        }
    }

    @Test("the presets point at the documented endpoints")
    func presets() {
        #expect(OAuth2ProviderEndpoints.x.authorizationURL.absoluteString == "https://x.com/i/oauth2/authorize")
        #expect(OAuth2ProviderEndpoints.x.tokenURL.absoluteString == "https://api.x.com/2/oauth2/token")
        #expect(OAuth2ProviderEndpoints.x.revocationURL?.absoluteString == "https://api.x.com/2/oauth2/revoke")
        #expect(OAuth2ProviderEndpoints.github.tokenURL.absoluteString == "https://github.com/login/oauth/access_token")
        #expect(OAuth2ProviderEndpoints.github.revocationURL == nil)
        #expect(OAuth2ProviderEndpoints.google.authorizationURL.absoluteString == "https://accounts.google.com/o/oauth2/v2/auth")
        #expect(OAuth2ProviderEndpoints.google.revocationURL?.absoluteString == "https://oauth2.googleapis.com/revoke")
    }
}
