import Foundation
import OAuth1
import OAuth2
import Testing

@Suite("The Bearer challenge of WWW-Authenticate (RFC 6750 3)", .inProcessTimeLimit)
struct BearerChallengeTests {
    @Test("the RFC 6750 examples")
    func examples() throws {
        let expired = try #require(
            OAuth2BearerChallenge(
                headerValue: #"Bearer realm="example", error="invalid_token", error_description="The access token expired""#))
        #expect(expired.realm == "example")
        #expect(expired.isInvalidToken)
        #expect(expired.errorDescription == "The access token expired")
        let scope = try #require(OAuth2BearerChallenge(headerValue: #"Bearer error="insufficient_scope", scope="tweet.read users.read""#))
        #expect(scope.isInsufficientScope)
        #expect(scope.scopes == ["tweet.read", "users.read"])
        let bare = try #require(OAuth2BearerChallenge(headerValue: "Bearer"))
        #expect(bare.error == nil)
    }

    @Test("among several challenges, with escapes and token68s")
    func several() throws {
        let challenge = try #require(
            OAuth2BearerChallenge(headerValue: #"Basic realm="a, b", Negotiate YWJj==, bearer realm=api, error="invalid_token", error_description="say \"hi\"", Digest nonce="x""#))
        #expect(challenge.realm == "api")
        #expect(challenge.isInvalidToken)
        #expect(challenge.errorDescription == #"say "hi""#)
        #expect(OAuth2BearerChallenge(headerValue: #"Basic realm="x""#) == nil)
        #expect(OAuth2BearerChallenge(headerValue: "") == nil)
        #expect(OAuth2BearerChallenge(headerValue: #"Bearer error="unterminated"#)?.error == "unterminated")
    }

    @Test("read from a response's headers, sanitized")
    func fromResponse() throws {
        let response = OAuth1HTTPResponse(
            status: 401,
            headers: OAuth1HTTPHeaders([
                (name: "WWW-Authenticate", value: #"Basic realm="x""#),
                (name: "www-authenticate", value: "Bearer error=\"invalid_token\", error_description=\"a\u{1B}[2Jb\""),
            ]))
        let challenge = try #require(OAuth2BearerChallenge(response: response))
        #expect(challenge.isInvalidToken)
        #expect(challenge.errorDescription?.contains("\u{1B}") == false)
        #expect(OAuth2BearerChallenge(response: OAuth1HTTPResponse(status: 401)) == nil)
    }
}
