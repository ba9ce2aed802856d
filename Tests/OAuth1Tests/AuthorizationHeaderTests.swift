import OAuth1
import Testing

@Suite(.inProcessTimeLimit) struct AuthorizationHeaderTests {
    @Test func makeEncodesValuesAndPutsRealmFirst() {
        let header = OAuth1AuthorizationHeader.make(
            protocolParameters: [
                OAuth1Parameter("oauth_consumer_key", "key"), OAuth1Parameter("oauth_callback", "http://a.b/c?d=e f"),
                OAuth1Parameter("oauth_signature", "ab+/="),
            ],
            realm: "Photos")
        #expect(
            header
                == "OAuth realm=\"Photos\", oauth_consumer_key=\"key\", oauth_callback=\"http%3A%2F%2Fa.b%2Fc%3Fd%3De%20f\", oauth_signature=\"ab%2B%2F%3D\""
        )
    }

    @Test func makeEscapesRealmQuotesAndDropsControlCharacters() throws {
        let header = OAuth1AuthorizationHeader.make(
            protocolParameters: [OAuth1Parameter("oauth_nonce", "n")], realm: "a \"q\" \\ b\r\nX-Evil: 1")
        #expect(header == "OAuth realm=\"a \\\"q\\\" \\\\ bX-Evil: 1\", oauth_nonce=\"n\"")
        #expect(!header.contains("\r") && !header.contains("\n"))
        #expect(try OAuth1AuthorizationHeader.parse(header).realm == "a \"q\" \\ bX-Evil: 1")
    }

    @Test func makeWithoutRealm() {
        #expect(OAuth1AuthorizationHeader.make(protocolParameters: [OAuth1Parameter("a", "b")]) == "OAuth a=\"b\"")
    }

    @Test func parseRoundTripsMake() throws {
        let parameters = [
            OAuth1Parameter("oauth_consumer_key", "☃ key"), OAuth1Parameter("oauth_token", ""),
            OAuth1Parameter("oauth_signature", "x+y/z="),
        ]
        let parsed = try OAuth1AuthorizationHeader.parse(
            OAuth1AuthorizationHeader.make(protocolParameters: parameters, realm: "R"))
        #expect(parsed.realm == "R")
        #expect(parsed.parameters == parameters)
    }

    @Test func parseIsLenientAboutWhitespaceAndSchemeCase() throws {
        let parsed = try OAuth1AuthorizationHeader.parse(
            "  oauth   oauth_nonce = \"n\" ,oauth_timestamp=\"1\",\toauth_x=\"%41\"  ")
        #expect(parsed.realm == nil)
        #expect(
            parsed.parameters == [
                OAuth1Parameter("oauth_nonce", "n"), OAuth1Parameter("oauth_timestamp", "1"),
                OAuth1Parameter("oauth_x", "A"),
            ])
        #expect(try OAuth1AuthorizationHeader.parse("OAuth").parameters.isEmpty)
    }

    @Test(arguments: [
        "", "Bearer abc", "OAuthoauth_nonce=\"n\"", "OAuth oauth_nonce=n", "OAuth oauth_nonce=\"n",
        "OAuth oauth_nonce=\"n\" oauth_timestamp=\"1\"", "OAuth =\"n\"", "OAuth oauth_nonce",
        "OAuth oauth_nonce=\"%zz\"",
        "OAuth oauth_nonce=\"a\", oauth_nonce=\"b\"", "OAuth realm=\"a\", realm=\"b\"", "OAuth a=\"x\nb\"",
        "OAuth a=\"1\",,b=\"2\"",
    ])
    func malformedHeadersThrow(_ header: String) {
        let error = #expect(throws: OAuth1Error.self) { try OAuth1AuthorizationHeader.parse(header) }
        #expect(error?.code == .invalidRequest)
    }
}
