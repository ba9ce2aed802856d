import Foundation
import OAuth1
import Testing

@Suite(.inProcessTimeLimit) struct SignerTests {
    static let client = ClientCredentials(key: "consumer-key", secret: "CONSUMER-SECRET-123")
    static let token = TokenCredentials(token: "token-id", secret: "TOKEN-SECRET-456")

    static func signer(
        method: SignatureMethod = .hmacSHA1, placement: SignaturePlacement = .authorizationHeader,
        realm: String? = nil, includeBodyHash: Bool = true
    ) -> OAuth1Signer {
        OAuth1Signer(
            client: client, token: token, method: method, placement: placement, realm: realm,
            includeBodyHash: includeBodyHash, clock: .fixed(1_700_000_000), nonce: .fixed("fixednonce"))
    }

    /// Verifies `signed` the way a provider would: collect the parameters from where the
    /// placement put them, rebuild the base string, check the signature.
    static func providerVerifies(_ signed: OAuth1HTTPRequest, method: SignatureMethod = .hmacSHA1) throws -> Bool {
        var parameters = try SignatureBaseString.requestParameters(of: signed)
        var signature: String?
        if let header = signed.header(named: "Authorization") {
            let parsed = try OAuth1AuthorizationHeader.parse(header)
            signature = parsed.parameters.first(named: "oauth_signature")
            parameters += parsed.parameters.filter { $0.name != "oauth_signature" }
        } else {
            let query = URLComponents(url: signed.url, resolvingAgainstBaseURL: false)?.percentEncodedQuery ?? ""
            var all = try OAuth1PercentEncoding.parseForm(query)
            if signed.hasFormBody, let body = signed.body {
                all += try OAuth1PercentEncoding.parseForm(String(decoding: body, as: UTF8.self))
            }
            signature = all.first(named: "oauth_signature")
        }
        let base = try SignatureBaseString.make(method: signed.method, url: signed.url, parameters: parameters)
        return method.verify(
            signature: try #require(signature), baseString: base, clientSecret: client.secret, tokenSecret: token.secret
        )
    }

    @Test func headerPlacementSetsAuthorizationOnly() throws {
        let url = try #require(URL(string: "https://api.example.com/1/items?b=2&a=1"))
        let request = OAuth1HTTPRequest(method: "GET", url: url, headers: ["Accept": "application/json"])
        let signed = try Self.signer().sign(request)
        #expect(signed.url == url)
        #expect(signed.body == nil)
        #expect(signed.header(named: "accept") == "application/json")
        let header = try #require(signed.header(named: "Authorization"))
        let parsed = try OAuth1AuthorizationHeader.parse(header)
        #expect(
            parsed.parameters.map(\.name) == [
                "oauth_consumer_key", "oauth_token", "oauth_signature_method", "oauth_timestamp", "oauth_nonce",
                "oauth_version", "oauth_signature",
            ])
        #expect(parsed.parameters.first(named: "oauth_version") == "1.0")
        #expect(parsed.parameters.first(named: "oauth_timestamp") == "1700000000")
        #expect(try Self.providerVerifies(signed))
    }

    @Test func queryPlacementAppendsToExistingQuery() throws {
        let url = try #require(URL(string: "https://api.example.com/x?q=a+b#frag"))
        let signed = try Self.signer(placement: .queryString).sign(OAuth1HTTPRequest(url: url))
        #expect(signed.header(named: "Authorization") == nil)
        let query = try #require(URLComponents(url: signed.url, resolvingAgainstBaseURL: false)?.percentEncodedQuery)
        #expect(query.hasPrefix("q=a+b&oauth_consumer_key=consumer-key&"))
        #expect(query.contains("oauth_signature="))
        #expect(signed.url.fragment == "frag")
        #expect(try Self.providerVerifies(signed))
    }

    @Test func queryPlacementWithoutExistingQuery() throws {
        let url = try #require(URL(string: "https://api.example.com/x"))
        let signed = try Self.signer(placement: .queryString).sign(OAuth1HTTPRequest(url: url))
        #expect(signed.url.absoluteString.hasPrefix("https://api.example.com/x?oauth_consumer_key=consumer-key&"))
        #expect(try Self.providerVerifies(signed))
    }

    @Test func formPlacementAppendsToFormBody() throws {
        let url = try #require(URL(string: "https://api.example.com/x"))
        let request = OAuth1HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Data("status=hi+there".utf8))
        let signed = try Self.signer(placement: .formBody).sign(request)
        let body = String(decoding: try #require(signed.body), as: UTF8.self)
        #expect(body.hasPrefix("status=hi+there&oauth_consumer_key=consumer-key&"))
        #expect(!body.contains("oauth_body_hash"))
        #expect(try Self.providerVerifies(signed))
    }

    @Test func formPlacementCreatesFormBodyWhenEmpty() throws {
        let url = try #require(URL(string: "https://api.example.com/x?z=1"))
        let signed = try Self.signer(placement: .formBody).sign(OAuth1HTTPRequest(method: "POST", url: url))
        #expect(signed.header(named: "content-type") == "application/x-www-form-urlencoded")
        #expect(String(decoding: try #require(signed.body), as: UTF8.self).hasPrefix("oauth_consumer_key="))
        #expect(try Self.providerVerifies(signed))
    }

    @Test func formPlacementRejectsJSONBody() throws {
        let request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "https://api.example.com/x")),
            headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
        let error = #expect(throws: OAuth1Error.self) { try Self.signer(placement: .formBody).sign(request) }
        #expect(error?.code == .invalidRequest)
    }

    @Test(arguments: [
        (SignatureMethod.hmacSHA1, BodyHashAlgorithm.sha1), (.hmacSHA256, .sha256), (.hmacSHA512, .sha512),
    ])
    func bodyHashForJSONBody(method: SignatureMethod, algorithm: BodyHashAlgorithm) throws {
        let body = Data(#"{"text":"Hello World!"}"#.utf8)
        let request = OAuth1HTTPRequest(
            method: "POST", url: try #require(URL(string: "https://api.example.com/x")),
            headers: ["Content-Type": "application/json"], body: body)
        let details = try Self.signer(method: method).signatureDetails(for: request)
        let hash = try algorithm.hash(body)
        #expect(details.protocolParameters.first(named: "oauth_body_hash") == hash)
        #expect(details.normalizedParameters.contains("oauth_body_hash=" + OAuth1PercentEncoding.encode(hash)))
        #expect(try Self.providerVerifies(try Self.signer(method: method).sign(request), method: method))
    }

    @Test func noBodyHashWithoutBodyForFormOrWhenDisabledOrPlaintext() throws {
        let url = try #require(URL(string: "https://api.example.com/x"))
        let json = OAuth1HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/json"], body: Data("[]".utf8))
        let form = OAuth1HTTPRequest(
            method: "POST", url: url, headers: ["Content-Type": "application/x-www-form-urlencoded"],
            body: Data("a=1".utf8))
        for (signer, request) in [
            (Self.signer(), OAuth1HTTPRequest(url: url)),
            (Self.signer(), form),
            (Self.signer(includeBodyHash: false), json),
            (Self.signer(method: .plaintext), json),
        ] {
            let details = try signer.signatureDetails(for: request)
            #expect(details.protocolParameters.first(named: "oauth_body_hash") == nil)
        }
        // An empty (but present) non-form body is hashed: the hash of "".
        let empty = OAuth1HTTPRequest(method: "PUT", url: url, headers: ["Content-Type": "text/plain"], body: Data())
        #expect(
            try Self.signer().signatureDetails(for: empty).protocolParameters.first(named: "oauth_body_hash")
                == "2jmj7l5rSw0yVb/vlWAYkK/YBwk=")
    }

    @Test func realmIsSentButNotSigned() throws {
        let url = try #require(URL(string: "https://api.example.com/x"))
        let with = try Self.signer(realm: "Photos").signatureDetails(for: OAuth1HTTPRequest(url: url))
        let without = try Self.signer().signatureDetails(for: OAuth1HTTPRequest(url: url))
        #expect(with.baseString == without.baseString)
        #expect(with.signature == without.signature)
        #expect(!with.baseString.contains("realm"))
        #expect(with.authorizationHeader.hasPrefix("OAuth realm=\"Photos\", "))
    }

    @Test func realmWithControlCharactersIsRejected() throws {
        let url = try #require(URL(string: "https://api.example.com/x"))
        #expect(throws: OAuth1Error.self) { try Self.signer(realm: "a\r\nb").sign(OAuth1HTTPRequest(url: url)) }
    }

    @Test func extraProtocolParametersAreSignedAndReplaceGenerated() throws {
        let url = try #require(URL(string: "https://api.example.com/request_token"))
        let details = try Self.signer().signatureDetails(
            for: OAuth1HTTPRequest(method: "POST", url: url),
            extraProtocolParameters: [
                OAuth1Parameter("oauth_callback", "oob"), OAuth1Parameter("oauth_nonce", "override"),
                OAuth1Parameter("oauth_signature", "ignored"),
            ])
        #expect(details.protocolParameters.filter { $0.name == "oauth_nonce" }.map(\.value) == ["override"])
        #expect(details.protocolParameters.filter { $0.name == "oauth_signature" }.map(\.value) == [details.signature])
        #expect(details.normalizedParameters.contains("oauth_callback=oob"))
        #expect(details.normalizedParameters.contains("oauth_nonce=override"))
    }

    @Test func withoutTokenThereIsNoOAuthToken() throws {
        let signer = OAuth1Signer(client: Self.client, includeVersion: false, clock: .fixed(5), nonce: .fixed("n"))
        let details = try signer.signatureDetails(
            for: OAuth1HTTPRequest(url: try #require(URL(string: "https://e.com/"))))
        #expect(
            details.protocolParameters.map(\.name) == [
                "oauth_consumer_key", "oauth_signature_method", "oauth_timestamp", "oauth_nonce", "oauth_signature",
            ])
        // The signing key is "secret&" with no token.
        #expect(
            SignatureMethod.hmacSHA1.verify(
                signature: details.signature, baseString: details.baseString, clientSecret: Self.client.secret,
                tokenSecret: ""))
    }

    @Test func secureRandomNoncesAreLongAndDistinct() throws {
        var seen = Set<String>()
        for _ in 0..<200 {
            let nonce = try OAuth1NonceGenerator.secureRandom.next()
            #expect(nonce.count == 32)
            #expect(nonce.allSatisfy { $0.isHexDigit && !$0.isUppercase })
            seen.insert(nonce)
        }
        #expect(seen.count == 200)
    }

    @Test func failingNonceSourceFailsTheSignature() throws {
        struct Broken: Error {}
        let signer = OAuth1Signer(client: Self.client, nonce: OAuth1NonceGenerator { throw Broken() })
        #expect(throws: Broken.self) {
            try signer.sign(OAuth1HTTPRequest(url: try #require(URL(string: "https://e.com/"))))
        }
    }

    @Test func systemClockIsNow() {
        let now = Int64(Date().timeIntervalSince1970)
        #expect(abs(OAuth1Clock.system.now() - now) <= 2)
        #expect(OAuth1Clock { 42 }.now() == 42)
    }

    @Test func invalidURLInRequestIsTypedError() throws {
        let request = OAuth1HTTPRequest(url: try #require(URL(string: "no-host-here")))
        let error = #expect(throws: OAuth1Error.self) { try Self.signer().sign(request) }
        #expect(error?.code == .invalidRequest)
    }
}

extension SignerTests {
    @Test func withTokenReplacesOnlyTheToken() throws {
        let base = OAuth1Signer(
            client: Self.client, method: .hmacSHA256, realm: "R", clock: .fixed(3), nonce: .fixed("n"))
        let next = base.with(token: Self.token)
        #expect(base.token == nil)
        #expect(next.token == Self.token)
        #expect(next.method.name == "HMAC-SHA256")
        #expect(next.realm == "R")
        let details = try next.signatureDetails(
            for: OAuth1HTTPRequest(url: try #require(URL(string: "https://e.com/"))))
        #expect(details.protocolParameters.first(named: "oauth_token") == "token-id")
    }
}
