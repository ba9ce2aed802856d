import Foundation
import OAuth1
import Testing

/// No description, debug description or reflection ever shows a secret.
@Suite(.inProcessTimeLimit) struct RedactionTests {
    static let consumerSecret = "CONSUMER-SECRET-123"
    static let tokenSecret = "TOKEN-SECRET-456"

    static func renderings(_ value: some Any) -> [String] {
        [String(describing: value), String(reflecting: value), dumped(value), "\(value)"]
    }

    static func expectNoSecrets(_ value: some Any, sourceLocation: SourceLocation = #_sourceLocation) {
        for text in renderings(value) {
            #expect(!text.contains(consumerSecret), sourceLocation: sourceLocation)
            #expect(!text.contains(tokenSecret), sourceLocation: sourceLocation)
        }
    }

    @Test func credentialsRedactSecrets() {
        let client = ClientCredentials(key: "ck", secret: Self.consumerSecret)
        let token = TokenCredentials(token: "tk", secret: Self.tokenSecret)
        Self.expectNoSecrets(client)
        Self.expectNoSecrets(token)
        Self.expectNoSecrets([client] as [Any])
        Self.expectNoSecrets(Optional(token))
        #expect(String(describing: client).contains("ck"))
        #expect(String(describing: token).contains("tk"))
    }

    @Test func signerRedactsSecrets() {
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "ck", secret: Self.consumerSecret),
            token: TokenCredentials(token: "tk", secret: Self.tokenSecret), method: .plaintext)
        Self.expectNoSecrets(signer)
    }

    @Test func plaintextDetailsAndSignedRequestRedactTheSignature() throws {
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "ck", secret: Self.consumerSecret),
            token: TokenCredentials(token: "tk", secret: Self.tokenSecret), method: .plaintext)
        let request = OAuth1HTTPRequest(url: try #require(URL(string: "https://example.com/")))
        let details = try signer.signatureDetails(for: request)
        #expect(details.signatureRevealsSecrets)
        #expect(details.signature.contains(Self.consumerSecret))  // PLAINTEXT is the secrets…
        #expect(!String(describing: details).contains(Self.consumerSecret))  // …so its description hides them.
        let signed = try signer.sign(request)
        #expect(!String(describing: signed).contains(Self.consumerSecret))
        #expect(!String(describing: signed.headers).contains(Self.tokenSecret))
    }

    @Test func errorDescriptionHasNoDetailButDebugDoes() {
        let error = OAuth1Error(
            .providerRejected, message: "the provider rejected the request token request", httpStatus: 401,
            providerMessage: "Invalid signature", responseBody: "error=Invalid+signature")
        #expect(error.description.contains("401"))
        #expect(error.description.contains("provider rejected"))
        #expect(!error.description.contains("Invalid signature"))
        #expect(String(reflecting: error).contains("Invalid signature"))
        #expect(String(reflecting: error).contains("error=Invalid+signature"))
    }

    @Test func responseBodyIsTruncated() throws {
        let body = String(repeating: "é", count: 5000)
        let error = OAuth1Error(.malformedResponse, message: "m", responseBody: body)
        let kept = try #require(error.responseBody)
        #expect(kept.utf8.count <= OAuth1Error.maximumResponseBodyLength + "…".utf8.count)
        #expect(kept.hasSuffix("…"))
        #expect(OAuth1Error(.malformedResponse, message: "m", responseBody: "short").responseBody == "short")
    }

    @Test func errorCodesAreDistinctAndNamed() {
        let codes: [OAuth1Error.Code] = [
            .providerRejected, .malformedResponse, .callbackNotConfirmed, .tokenMismatch, .userDenied,
            .missingVerifier, .transportFailure, .timedOut, .invalidKey, .invalidRequest, .cancelled,
        ]
        #expect(Set(codes).count == codes.count)
        #expect(Set(codes.map(\.description)).count == codes.count)
    }
}

extension RedactionTests {
    @Test func queryPlacedPlaintextSignatureIsRedactedInRequestDescription() throws {
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "ck", secret: Self.consumerSecret),
            token: TokenCredentials(token: "tk", secret: Self.tokenSecret), method: .plaintext, placement: .queryString)
        let signed = try signer.sign(OAuth1HTTPRequest(url: try #require(URL(string: "https://example.com/a?x=1#f"))))
        #expect(signed.url.absoluteString.contains(Self.consumerSecret))
        let text = String(describing: signed)
        #expect(!text.contains(Self.consumerSecret) && !text.contains(Self.tokenSecret))
        #expect(text.contains("oauth_signature=<redacted>"))
        #expect(text.contains("#f"))
    }
}

extension RedactionTests {
    @Test func receivedPlaintextRequestRedactsTheSignature() throws {
        let signer = OAuth1Signer(
            client: ClientCredentials(key: "ck", secret: Self.consumerSecret),
            token: TokenCredentials(token: "tk", secret: Self.tokenSecret), method: .plaintext)
        let received = try OAuth1ReceivedRequest(
            try signer.sign(OAuth1HTTPRequest(url: try #require(URL(string: "https://example.com/")))))
        #expect(received.signature.contains(Self.consumerSecret))
        Self.expectNoSecrets(received)
        #expect(String(describing: received).contains("ck"))
    }
}
