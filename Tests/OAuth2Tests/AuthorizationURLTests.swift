import Foundation
import OAuth1
import OAuth2
import Testing

@Suite("The authorization URL and the callback", .inProcessTimeLimit)
struct AuthorizationURLTests {
    static let client = OAuth2Client(
        credentials: OAuth2ClientCredentials(id: "my client", secret: "s"),
        endpoints: OAuth2ProviderEndpoints(
            authorizationURL: URL(string: "https://id.example/authorize?tenant=a")!,
            tokenURL: URL(string: "https://id.example/token")!),
        redirectURI: URL(string: "https://app.example/cb?x=1")!)

    static func query(_ url: URL) throws -> [OAuth1Parameter] {
        try OAuth1PercentEncoding.parseForm(try #require(URLComponents(url: url, resolvingAgainstBaseURL: false)?.percentEncodedQuery))
    }

    @Test("every RFC 6749 4.1.1 and RFC 7636 4.3 parameter, after the endpoint's own query")
    func parameters() throws {
        let request = try Self.client.authorizationRequest(
            scopes: ["tweet.read", "offline.access"],
            extraParameters: [OAuth1Parameter(name: "prompt", value: "consent")])
        let query = try Self.query(request.url)
        #expect(query.first?.name == "tenant")
        #expect(query.first(named: "response_type") == "code")
        #expect(query.first(named: "client_id") == "my client")
        #expect(query.first(named: "redirect_uri") == "https://app.example/cb?x=1")
        #expect(query.first(named: "scope") == "tweet.read offline.access")
        #expect(query.first(named: "state") == request.state)
        #expect(query.first(named: "code_challenge") == (try OAuth2PKCE.challenge(for: request.pkce.verifier)))
        #expect(query.first(named: "code_challenge_method") == "S256")
        #expect(query.first(named: "prompt") == "consent")
        #expect(!request.url.absoluteString.contains(request.pkce.verifier))
    }

    @Test("a per-request redirect URI (RFC 8252 loopback) is used and remembered")
    func loopbackRedirect() throws {
        let loopback = URL(string: "http://127.0.0.1:53124/callback")!
        let request = try Self.client.authorizationRequest(redirectURI: loopback)
        #expect(request.redirectURI == loopback)
        #expect(try Self.query(request.url).first(named: "redirect_uri") == loopback.absoluteString)
        #expect(try Self.query(request.url).first(named: "scope") == nil)
    }

    @Test("an extra parameter may not override one the client sets", arguments: Array(OAuth2Client.reservedAuthorizationParameters))
    func reserved(name: String) {
        let error = #expect(throws: OAuth2Error.self) {
            try Self.client.authorizationRequest(extraParameters: [OAuth1Parameter(name: name, value: "x")])
        }
        #expect(error?.code == .invalidInput)
    }

    @Test("a callback with code and state")
    func callback() throws {
        let callback = try OAuth2Callback(url: URL(string: "https://app.example/cb?x=1&code=abc%2B1&state=s1&iss=https%3A%2F%2Fid.example")!)
        #expect(callback.code == "abc+1")
        #expect(callback.state == "s1")
        #expect(callback.issuer == "https://id.example")
    }

    static let errorCodes: [(String, OAuth2Error.Code)] = [
        ("access_denied", .accessDenied), ("invalid_request", .invalidRequest),
        ("unauthorized_client", .unauthorizedClient), ("unsupported_response_type", .unsupportedResponseType),
        ("invalid_scope", .invalidScope), ("server_error", .serverError),
        ("temporarily_unavailable", .temporarilyUnavailable),
    ]

    @Test("every RFC 6749 4.1.2.1 error in a callback is typed", arguments: errorCodes)
    func callbackErrors(name: String, code: OAuth2Error.Code) {
        let url = URL(string: "https://app.example/cb?error=\(name)&error_description=The+user+said+no&state=s9")!
        let error = #expect(throws: OAuth2Error.self) { try OAuth2Callback(url: url) }
        #expect(error?.code == code)
        #expect(error?.code.protocolErrorCode == name)
        #expect(error?.providerErrorCode == name)
        #expect(error?.providerDescription == "The user said no")
        #expect(OAuth2Callback.state(in: url) == "s9")
    }

    @Test("an unknown callback error keeps its text, sanitized")
    func unknownCallbackError() {
        let error = #expect(throws: OAuth2Error.self) {
            try OAuth2Callback(query: "error=login_required%0D%0AX-Injected:%201&error_description=" + String(repeating: "z", count: 5000))
        }
        #expect(error?.code == .providerRejected)
        #expect(error?.providerErrorCode?.contains("\r") == false)
        #expect(error?.providerErrorCode?.contains("\n") == false)
        #expect((error?.providerDescription?.count ?? .max) <= OAuth2Error.maximumProviderTextLength + 1)
        #expect(error?.description.contains("\n") == false)
    }

    @Test("a callback without code, without state, or malformed is refused", arguments: [
        "state=s", "code=c", "code=&state=s", "code=c&state=", "code=%ZZ&state=s", "",
    ])
    func invalidCallbacks(query: String) {
        let error = #expect(throws: OAuth2Error.self) { try OAuth2Callback(query: query) }
        #expect(error?.code == .invalidCallback)
    }

    @Test("the callback's state must be the request's")
    func stateMismatch() throws {
        let request = try Self.client.authorizationRequest()
        let good = OAuth2Callback(code: "c", state: request.state)
        try good.validate(matches: request)
        let forged = OAuth2Callback(code: "c", state: request.state + "x")
        let error = #expect(throws: OAuth2Error.self) { try forged.validate(matches: request) }
        #expect(error?.code == .stateMismatch)
    }

    @Test("with an expected issuer, the callback's iss must be it (RFC 9207)")
    func issuer() throws {
        let request = try Self.client.authorizationRequest()
        try OAuth2Callback(code: "c", state: request.state, issuer: "https://id.example").validate(
            matches: request, issuer: "https://id.example")
        try OAuth2Callback(code: "c", state: request.state).validate(matches: request)
        for callback in [
            OAuth2Callback(code: "c", state: request.state),
            OAuth2Callback(code: "c", state: request.state, issuer: "https://evil.example"),
        ] {
            let error = #expect(throws: OAuth2Error.self) { try callback.validate(matches: request, issuer: "https://id.example") }
            #expect(error?.code == .issuerMismatch)
        }
    }
}
