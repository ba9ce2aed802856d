import Foundation
import OAuth1
import OAuth2
import Testing

@Suite("Token responses and error bodies, including hostile ones", .inProcessTimeLimit)
struct TokenResponseTests {
    static let secret = "client-secret-Q7w"
    static let start = Date(timeIntervalSince1970: 1_800_000_000)

    static func client(_ transport: StubTransport, method: OAuth2ClientAuthenticationMethod = .clientSecretBasic) -> OAuth2Client {
        OAuth2Client(
            credentials: OAuth2ClientCredentials(id: "cid", secret: secret, authenticationMethod: method),
            endpoints: OAuth2ProviderEndpoints(
                authorizationURL: URL(string: "https://id.example/authorize")!,
                tokenURL: URL(string: "https://id.example/token")!,
                revocationURL: URL(string: "https://id.example/revoke")!),
            redirectURI: URL(string: "https://app.example/cb")!, transport: transport, clock: .fixed(start))
    }

    static let verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"

    /// The token response (or error) a 200 JSON body makes.
    static func exchange(status: Int = 200, _ body: String, contentType: String = "application/json") async throws
        -> OAuth2TokenResponse
    {
        try await client(StubTransport(status: status, body: body, contentType: contentType))
            .exchange(code: "the-code", codeVerifier: verifier)
    }

    @Test("the whole response is kept: expiry, refresh token, scope, id_token, unknown fields")
    func wholeResponse() async throws {
        let tokens = try await Self.exchange(
            #"{"access_token":"at-1","token_type":"Bearer","expires_in":7200,"refresh_token":"rt-1","#
                + #""scope":"tweet.read users.read","id_token":"h.p.s","user_id":"42","refresh_token_expires_in":15897600,"#
                + #""admin":false,"ratio":0.5,"nested":{"b":[1,"x"],"a":null},"gone":null}"#)
        #expect(tokens.accessToken == "at-1")
        #expect(tokens.tokenType == "Bearer")
        #expect(tokens.issuedAt == Self.start)
        #expect(tokens.expiresIn == 7200)
        #expect(tokens.expiresAt == Self.start.addingTimeInterval(7200))
        #expect(tokens.refreshToken == "rt-1")
        #expect(tokens.refreshTokenRotated)
        #expect(tokens.scopes == ["tweet.read", "users.read"])
        #expect(tokens.idToken == "h.p.s")
        #expect(tokens.metadata["user_id"] == "42")
        #expect(tokens.metadata["refresh_token_expires_in"] == "15897600")
        #expect(tokens.metadata["admin"] == "false")
        #expect(tokens.metadata["ratio"] == "0.5")
        #expect(tokens.metadata["nested"] == #"{"a":null,"b":[1,"x"]}"#)
        #expect(tokens.metadata["gone"] == nil)
        #expect(tokens.authorizationHeaderValue == "Bearer at-1")
        #expect(tokens.isExpired(at: Self.start.addingTimeInterval(7200)))
        #expect(!tokens.isExpired(at: Self.start.addingTimeInterval(7000)))
        #expect(tokens.isExpired(at: Self.start.addingTimeInterval(7000), margin: .seconds(300)))
    }

    @Test("a form-encoded response (GitHub without Accept) is read too; string expires_in accepted")
    func formResponse() async throws {
        let tokens = try await Self.exchange(
            "access_token=gho_1&token_type=bearer&scope=repo&expires_in=28800", contentType: "application/x-www-form-urlencoded")
        #expect(tokens.accessToken == "gho_1")
        #expect(tokens.expiresIn == 28800)
    }

    @Test("expires_in values that are accepted, and what they become", arguments: [
        ("3600", Int64(3600)), ("3599.9", 3599), ("0", 0), ("\"3600\"", 3600), ("315360000", 315_360_000), ("null", nil),
    ] as [(String, Int64?)])
    func acceptedExpiry(json: String, seconds: Int64?) async throws {
        let tokens = try await Self.exchange(#"{"access_token":"a","token_type":"bearer","expires_in":\#(json)}"#)
        #expect(tokens.expiresIn == seconds)
        #expect(tokens.expiresAt == seconds.map { Self.start.addingTimeInterval(TimeInterval($0)) })
    }

    @Test("hostile expires_in values are typed errors, never traps", arguments: [
        "-1", "-0.5", "\"-5\"", "1e300", "9223372036854775807", "9223372036854775808", "18446744073709551616",
        "315360001", "\"99999999999999999999\"", "true", "\"3600s\"", "\"\"", "[3600]", "{}", "-9223372036854775808",
    ])
    func hostileExpiry(json: String) async {
        let error = await oauth2Error {
            _ = try await Self.exchange(#"{"access_token":"a","token_type":"bearer","expires_in":\#(json)}"#)
        }
        #expect(error?.code == .malformedResponse)
        #expect(error?.message.contains("expires_in") == true)
    }

    @Test("bodies that are not token responses", arguments: [
        (200, #"{"token_type":"bearer"}"#, "application/json", OAuth2Error.Code.malformedResponse),
        (200, #"{"access_token":"","token_type":"bearer"}"#, "application/json", .malformedResponse),
        (200, #"{"access_token":"a b","token_type":"bearer"}"#, "application/json", .malformedResponse),
        (200, "{\"access_token\":\"a\\r\\nX-Evil: 1\",\"token_type\":\"bearer\"}", "application/json", .malformedResponse),
        (200, #"{"access_token":"a"}"#, "application/json", .malformedResponse),
        (200, #"{"access_token":"a","token_type":"mac"}"#, "application/json", .unexpectedTokenType),
        (200, #"{"access_token":"a","token_type":"bearer","refresh_token":7}"#, "application/json", .malformedResponse),
        (200, #"{"access_token":"a","token_type":"bearer","scope":["x"]}"#, "application/json", .malformedResponse),
        (200, #"{"access_token":7,"token_type":"bearer"}"#, "application/json", .malformedResponse),
        (200, "<html><body>Welcome</body></html>", "text/html", .malformedResponse),
        (200, "", "application/json", .malformedResponse),
        (200, "[1,2]", "application/json", .malformedResponse),
        (500, "<html><h1>Internal Server Error</h1></html>", "text/html", .providerRejected),
        (502, "", "text/plain", .providerRejected),
        (302, "", "text/html", .providerRejected),
        (404, #"{"message":"Not Found"}"#, "application/json", .providerRejected),
        (401, "", "text/plain", .invalidClient),
        (401, "<html>Unauthorized</html>", "text/html", .invalidClient),
    ] as [(Int, String, String, OAuth2Error.Code)])
    func notTokenResponses(status: Int, body: String, contentType: String, code: OAuth2Error.Code) async {
        let error = await oauth2Error { _ = try await Self.exchange(status: status, body, contentType: contentType) }
        #expect(error?.code == code)
        #expect(error?.httpStatus == status)
        // Never the body: a half-valid token response may hold a token.
        #expect(error.map { String(reflecting: $0) }?.contains("Internal Server Error") == false)
        #expect(error.map { String(reflecting: $0) }?.contains("X-Evil") == false)
    }

    @Test("an HTML error page says so and is retryable when 5xx")
    func htmlPage() async {
        let error = await oauth2Error {
            _ = try await Self.exchange(status: 503, "<!doctype html><title>Down</title>", contentType: "text/html")
        }
        #expect(error?.code == .providerRejected)
        #expect(error?.message.contains("HTML page") == true)
        #expect(error?.isRetryable == true)
    }

    static let rfc6749ErrorBodies: [(String, OAuth2Error.Code)] = [
        ("invalid_request", .invalidRequest), ("invalid_client", .invalidClient), ("invalid_grant", .invalidGrant),
        ("unauthorized_client", .unauthorizedClient), ("unsupported_grant_type", .unsupportedGrantType),
        ("invalid_scope", .invalidScope),
    ]

    @Test("every RFC 6749 5.2 error body is typed", arguments: rfc6749ErrorBodies)
    func errorBodies(name: String, code: OAuth2Error.Code) async {
        let error = await oauth2Error {
            _ = try await Self.exchange(
                status: name == "invalid_client" ? 401 : 400,
                #"{"error":"\#(name)","error_description":"Nope.","error_uri":"https://id.example/e"}"#)
        }
        #expect(error?.code == code)
        #expect(error?.providerDescription == "Nope.")
        #expect(error?.providerErrorURI == "https://id.example/e")
        #expect(error?.isRetryable == false)
    }

    @Test("GitHub's HTTP 200 error bodies are errors, unknown codes kept")
    func githubStyle() async {
        let error = await oauth2Error {
            _ = try await Self.exchange(
                #"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired."}"#)
        }
        #expect(error?.code == .providerRejected)
        #expect(error?.providerErrorCode == "bad_verification_code")
        #expect(error?.httpStatus == 200)
    }

    @Test("the provider's description is bounded, stripped of control characters, and never echoes a secret")
    func hostileDescription() async throws {
        let description = "bad \u{1B}[31mred\u{7}\r\nX-Injected: yes \u{202E}rev " + Self.secret + " code=the-code "
            + Self.verifier + String(repeating: "long ", count: 20_000)
        let body = try JSONSerialization.data(withJSONObject: ["error": "invalid_grant", "error_description": description])
        let error = await oauth2Error { _ = try await Self.exchange(status: 400, String(decoding: body, as: UTF8.self)) }
        let text = try #require(error?.providerDescription)
        #expect(error?.code == .invalidGrant)
        #expect(text.count <= OAuth2Error.maximumProviderTextLength + 1)
        #expect(!text.unicodeScalars.contains { $0.value < 0x20 || $0.value == 0x7F || $0 == "\u{202E}" })
        for secret in [Self.secret, "the-code", Self.verifier] {
            #expect(!String(reflecting: error as Any).contains(secret))
        }
        #expect(text.contains("<redacted>"))
    }

    @Test("a long secret echoed past the kept length is redacted whole, not cut and half shown")
    func longSecretEchoed() async throws {
        let refreshToken = String(repeating: "R7", count: 700)
        let description = String(repeating: "x", count: 100) + refreshToken + " and again " + refreshToken
        let body = try JSONSerialization.data(withJSONObject: ["error": "invalid_grant", "error_description": description])
        let transport = StubTransport(status: 400, body: String(decoding: body, as: UTF8.self))
        let error = await oauth2Error { _ = try await Self.client(transport).refresh(refreshToken: refreshToken) }
        #expect(error?.code == .invalidGrant)
        let text = try #require(error?.providerDescription)
        #expect(!text.contains(String(refreshToken.prefix(16))))
        #expect(text.hasPrefix(String(repeating: "x", count: 100) + "<redacted> and again <redacted>"))
    }

    @Test("a refresh answered without a refresh token keeps the one sent")
    func refreshKeepsToken() async throws {
        let transport = StubTransport(status: 200, body: #"{"access_token":"at-2","token_type":"bearer","expires_in":60}"#)
        let tokens = try await Self.client(transport).refresh(refreshToken: "rt-old")
        #expect(tokens.refreshToken == "rt-old")
        #expect(!tokens.refreshTokenRotated)
        let form = try OAuth1PercentEncoding.parseForm(String(decoding: try #require(transport.requests.first?.body), as: UTF8.self))
        #expect(form.first(named: "grant_type") == "refresh_token")
        #expect(form.first(named: "refresh_token") == "rt-old")
    }

    @Test("a body over a mebibyte is refused unread")
    func hugeBody() async {
        let body = #"{"access_token":"a","token_type":"bearer","pad":""# + String(repeating: "x", count: 1 << 20) + #""}"#
        let error = await oauth2Error { _ = try await Self.exchange(body) }
        #expect(error?.code == .malformedResponse)
    }
}
