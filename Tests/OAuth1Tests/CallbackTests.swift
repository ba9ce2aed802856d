import Foundation
import OAuth1
import Testing

@Suite("Parsing the callback", .inProcessTimeLimit)
struct CallbackTests {
    @Test("token and verifier, percent-decoded, other parameters ignored")
    func parsesTokenAndVerifier() throws {
        let callback = try OAuth1Callback(url: URL(string: "https://app.example/cb?state=1&oauth_token=a%2Bb&oauth_verifier=v%20x")!)
        #expect(callback.token == "a+b")
        #expect(callback.verifier == "v x")
        #expect(try OAuth1Callback(query: "?oauth_token=t&oauth_verifier=v") == OAuth1Callback(token: "t", verifier: "v"))
    }

    @Test("denied= gives userDenied even with other fields present")
    func denied() {
        #expect(throws: OAuth1Error.self) { try OAuth1Callback(query: "denied=abc&oauth_token=abc&oauth_verifier=v") }
        #expect(OAuth1Callback.deniedToken(inQuery: "denied=abc") == "abc")
        #expect(OAuth1Callback.deniedToken(inQuery: "oauth_token=abc") == nil)
    }

    @Test("missing or empty verifier: missingVerifier; missing token: invalidRequest",
        arguments: [
            ("oauth_token=t", OAuth1Error.Code.missingVerifier),
            ("oauth_token=t&oauth_verifier=", .missingVerifier),
            ("oauth_verifier=v", .invalidRequest),
            ("", .invalidRequest),
            ("oauth_token=%ZZ&oauth_verifier=v", .invalidRequest),
        ])
    func malformed(query: String, code: OAuth1Error.Code) {
        do {
            _ = try OAuth1Callback(query: query)
            Issue.record("expected \(code) for \(query)")
        } catch let error as OAuth1Error {
            #expect(error.code == code)
        } catch {
            Issue.record("unexpected \(error)")
        }
    }

    @Test("validate compares the token")
    func validate() throws {
        let callback = OAuth1Callback(token: "abc", verifier: "v")
        try callback.validate(matches: TemporaryCredentials(token: "abc", secret: "s"))
        #expect(throws: OAuth1Error.self) { try callback.validate(matches: TemporaryCredentials(token: "abd", secret: "s")) }
        #expect(throws: OAuth1Error.self) { try callback.validate(matches: TemporaryCredentials(token: "ab", secret: "s")) }
    }
}
