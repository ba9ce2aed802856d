import Foundation
import OAuth2
import Testing

@Suite("PKCE (RFC 7636) and state", .inProcessTimeLimit)
struct PKCETests {
    @Test("the RFC 7636 appendix B vector")
    func appendixB() throws {
        let pkce = try OAuth2PKCE(verifier: "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")
        #expect(pkce.challenge == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
        #expect(pkce.method == "S256")
        #expect(OAuth2PKCE.verifier(pkce.verifier, matchesChallenge: "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"))
        #expect(!OAuth2PKCE.verifier(pkce.verifier + "x", matchesChallenge: pkce.challenge))
    }

    @Test("generated verifiers: requested length, unreserved characters, distinct, challenge matches", arguments: [43, 64, 100, 128])
    func generated(length: Int) throws {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~")
        var seen = Set<String>()
        for _ in 0..<50 {
            let pkce = try OAuth2PKCE.generate(length: length)
            #expect(pkce.verifier.count == length)
            #expect(pkce.verifier.allSatisfy(allowed.contains))
            #expect(pkce.challenge == (try OAuth2PKCE.challenge(for: pkce.verifier)))
            #expect(pkce.challenge.count == 43, "SHA-256 is 32 bytes: 43 unpadded base64url characters")
            #expect(!pkce.challenge.contains("="))
            seen.insert(pkce.verifier)
        }
        #expect(seen.count == 50)
    }

    @Test("verifiers outside RFC 7636 section 4.1 are refused", arguments: [
        "", String(repeating: "a", count: 42), String(repeating: "a", count: 129),
        String(repeating: "a", count: 42) + "+", String(repeating: "a", count: 42) + " ",
        String(repeating: "a", count: 42) + "é", String(repeating: "a", count: 42) + "/",
    ])
    func invalidVerifier(verifier: String) {
        #expect(throws: OAuth2Error.self) { try OAuth2PKCE(verifier: verifier) }
        #expect(!OAuth2PKCE.isValidVerifier(verifier))
    }

    @Test("a generated length outside 43...128 is refused", arguments: [0, 42, 129, -1, Int.max])
    func invalidLength(length: Int) {
        let error = #expect(throws: OAuth2Error.self) { try OAuth2PKCE.generate(length: length) }
        #expect(error?.code == .invalidInput)
    }

    @Test("authorization requests carry fresh 256-bit states and verifiers")
    func freshStates() throws {
        let client = OAuth2Client(
            credentials: OAuth2ClientCredentials(publicClientID: "c"), endpoints: .x,
            redirectURI: URL(string: "http://127.0.0.1:8080/callback")!)
        let requests = try (0..<20).map { _ in try client.authorizationRequest() }
        #expect(Set(requests.map(\.state)).count == 20)
        #expect(Set(requests.map(\.pkce.verifier)).count == 20)
        for request in requests { #expect(request.state.count == 43) }
    }
}
