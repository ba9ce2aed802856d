import Foundation
import OAuth1
import Testing

/// The provider side: a signed request is located, rebuilt and verified; tampering fails.
@Suite(.inProcessTimeLimit) struct ReceivedRequestTests {
    static let client = ClientCredentials(key: "ck", secret: "client-secret")
    static let token = TokenCredentials(token: "tk", secret: "token-secret")

    static func signed(
        _ request: OAuth1HTTPRequest, method: SignatureMethod = .hmacSHA1,
        placement: SignaturePlacement = .authorizationHeader
    ) throws -> OAuth1HTTPRequest {
        try OAuth1Signer(client: client, token: token, method: method, placement: placement, realm: "R").sign(request)
    }

    static let jsonPost = OAuth1HTTPRequest(
        method: "POST", url: URL(string: "https://api.example.com/1/items?x=1&y=a+b")!,
        headers: ["Content-Type": "application/json"], body: Data(#"{"a":1}"#.utf8))
    static let formPost = OAuth1HTTPRequest(
        method: "POST", url: URL(string: "https://api.example.com/1/items?x=1")!,
        headers: ["Content-Type": "application/x-www-form-urlencoded"], body: Data("status=hi+there&z=%E2%98%83".utf8))

    @Test(arguments: [SignaturePlacement.authorizationHeader, .queryString, .formBody])
    func everyPlacementVerifies(_ placement: SignaturePlacement) throws {
        let request = try Self.signed(Self.formPost, placement: placement)
        let received = try OAuth1ReceivedRequest(request)
        #expect(received.placement == placement)
        #expect(received.consumerKey == "ck")
        #expect(received.token == "tk")
        #expect(received.realm == (placement == .authorizationHeader ? "R" : nil))
        #expect(received.verify(method: .hmacSHA1, clientSecret: "client-secret", tokenSecret: "token-secret"))
        #expect(!received.verify(method: .hmacSHA1, clientSecret: "client-secret", tokenSecret: "other"))
        #expect(!received.verify(method: .hmacSHA256, clientSecret: "client-secret", tokenSecret: "token-secret"))
    }

    @Test func signerAndProviderAgreeOnTheBaseString() throws {
        let details = try OAuth1Signer(client: Self.client, token: Self.token, clock: .fixed(7), nonce: .fixed("n"))
            .signatureDetails(for: Self.jsonPost)
        var request = Self.jsonPost
        request.setHeader("Authorization", details.authorizationHeader)
        let received = try OAuth1ReceivedRequest(request)
        #expect(received.baseString == details.baseString)
        #expect(received.normalizedParameters == details.normalizedParameters)
        #expect(received.timestamp == 7)
        #expect(received.nonce == "n")
    }

    @Test(arguments: ["HMAC-SHA1", "HMAC-SHA256", "HMAC-SHA512", "RSA-SHA1", "RSA-SHA256", "PLAINTEXT"])
    func everyMethodWithBodyHash(_ name: String) throws {
        let (signing, verifying): (SignatureMethod, SignatureMethod)
        switch name {
        case "RSA-SHA1":
            signing = try .rsaSHA1(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
            verifying = try .rsaSHA1Verifier(publicKeyPEM: SignatureMethodTests.testCasesPublicKeyPEM)
        case "RSA-SHA256":
            signing = try .rsaSHA256(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM)
            verifying = try .rsaSHA256Verifier(publicKeyPEM: SignatureMethodTests.testCasesCertificatePEM)
        default:
            signing = try #require(SignatureMethod.named(name))
            verifying = signing
        }
        let request = try Self.signed(Self.jsonPost, method: signing)
        let received = try OAuth1ReceivedRequest(request)
        #expect(received.signatureMethodName == name)
        #expect((received.bodyHash != nil) == (name != "PLAINTEXT"))
        #expect(received.verify(method: verifying, clientSecret: "client-secret", tokenSecret: "token-secret"))

        var tamperedBody = request
        tamperedBody.body = Data(#"{"a":2}"#.utf8)
        #expect(
            !(try OAuth1ReceivedRequest(tamperedBody)).verify(
                method: verifying, clientSecret: "client-secret", tokenSecret: "token-secret") || name == "PLAINTEXT")
    }

    @Test func tamperingBreaksVerification() throws {
        let request = try Self.signed(Self.formPost)
        func verifies(_ modify: (inout OAuth1HTTPRequest) -> Void) throws -> Bool {
            var copy = request
            modify(&copy)
            return try OAuth1ReceivedRequest(copy).verify(
                method: .hmacSHA1, clientSecret: "client-secret", tokenSecret: "token-secret")
        }
        #expect(try verifies { _ in })
        #expect(!(try verifies { $0.method = "PUT" }))
        #expect(!(try verifies { $0.url = URL(string: "https://api.example.com/1/items?x=2")! }))
        #expect(!(try verifies { $0.url = URL(string: "http://api.example.com/1/items?x=1")! }))
        #expect(!(try verifies { $0.body = Data("status=hi+there&z=%E2%98%84".utf8) }))
        // Realm is not signed: changing it keeps the signature valid.
        #expect(
            try verifies {
                $0.setHeader(
                    "Authorization",
                    $0.header(named: "Authorization")!.replacingOccurrences(of: "realm=\"R\"", with: "realm=\"S\""))
            })
        // Default port spelled out is the same base string URI.
        #expect(try verifies { $0.url = URL(string: "https://API.example.com:443/1/items?x=1")! })
    }

    @Test func bodyHashOnFormBodyIsRejected() throws {
        var request = Self.formPost
        let signer = OAuth1Signer(client: Self.client, token: Self.token)
        let details = try signer.signatureDetails(
            for: request, extraProtocolParameters: [OAuth1Parameter("oauth_body_hash", "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")])
        request.setHeader("Authorization", details.authorizationHeader)
        #expect(
            !(try OAuth1ReceivedRequest(request)).verify(
                method: .hmacSHA1, clientSecret: "client-secret", tokenSecret: "token-secret"))
    }

    @Test(arguments: [
        ("", "the request carries no OAuth protocol parameters"),
        (
            "OAuth oauth_consumer_key=\"k\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\", oauth_nonce=\"n\"",
            "oauth_signature is missing"
        ),
        (
            "OAuth oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\", oauth_nonce=\"n\", oauth_signature=\"s\"",
            "oauth_consumer_key is missing"
        ),
        (
            "OAuth oauth_consumer_key=\"k\", oauth_signature_method=\"HMAC-SHA1\", oauth_nonce=\"n\", oauth_signature=\"s\"",
            "oauth_timestamp is missing"
        ),
        (
            "OAuth oauth_consumer_key=\"k\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"x\", oauth_nonce=\"n\", oauth_signature=\"s\"",
            "not a number"
        ),
        (
            "OAuth oauth_consumer_key=\"k\", oauth_signature_method=\"HMAC-SHA1\", oauth_timestamp=\"1\", oauth_nonce=\"n\", oauth_version=\"2.0\", oauth_signature=\"s\"",
            "oauth_version"
        ),
        ("OAuth oauth_consumer_key=\"k\", oauth_consumer_key=\"j\"", "appears twice"),
    ])
    func malformedRequestsAreRejected(header: String, expected: String) throws {
        var request = OAuth1HTTPRequest(url: try #require(URL(string: "https://api.example.com/")))
        if !header.isEmpty { request.setHeader("Authorization", header) }
        let error = try #require(throws: OAuth1Error.self) { try OAuth1ReceivedRequest(request) }
        #expect(error.code == .invalidRequest)
        #expect(error.message.contains(expected))
    }

    @Test func plaintextMayOmitTimestampAndNonce() throws {
        var request = OAuth1HTTPRequest(url: try #require(URL(string: "https://api.example.com/")))
        request.setHeader(
            "Authorization",
            "OAuth oauth_consumer_key=\"ck\", oauth_signature_method=\"PLAINTEXT\", oauth_signature=\"client-secret%26\""
        )
        let received = try OAuth1ReceivedRequest(request)
        #expect(received.verify(method: .plaintext, clientSecret: "client-secret", tokenSecret: ""))
        #expect(!received.verify(method: .plaintext, clientSecret: "client-secret", tokenSecret: "x"))
    }

    @Test func duplicateSignatureInQueryIsRejected() throws {
        let signed = try Self.signed(
            OAuth1HTTPRequest(url: try #require(URL(string: "https://e.com/x"))), placement: .queryString)
        var request = signed
        request.url = try #require(URL(string: signed.url.absoluteString + "&oauth_signature=again"))
        #expect(throws: OAuth1Error.self) { try OAuth1ReceivedRequest(request) }
    }
}
