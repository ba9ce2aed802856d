import Foundation
import OAuth1
import OAuth1Testing
import Testing

/// The local provider refuses what a strict real provider refuses, so tests built on it can
/// trust a success.
@Suite("LocalOAuth1Provider refuses bad requests", .serverTimeLimit)
struct ProviderVerificationTests {
    @Test("an unknown consumer key: 401 consumer_key_unknown")
    func unknownConsumer() async throws {
        try await DanceFixture.with { fixture in
            var client = fixture.client
            client.credentials = ClientCredentials(key: "someone-else", secret: DanceFixture.consumerSecret)
            let error = try #require(await oauthError { _ = try await client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.httpStatus == 401)
            #expect(error.providerMessage == "oauth_problem=consumer_key_unknown")
        }
    }

    @Test("a signature method the provider does not accept: signature_method_rejected")
    func rejectedMethod() async throws {
        try await DanceFixture.with(method: .plaintext, configure: { $0.acceptedSignatureMethods = ["HMAC-SHA1"] }) {
            fixture in
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.providerMessage == "oauth_problem=signature_method_rejected")
            // The accepted method still works against the same provider.
            var hmac = fixture.client
            hmac.signatureMethod = .hmacSHA1
            _ = try await hmac.requestToken()
        }
    }

    @Test("an RSA signature for a consumer with no public key on file: signature_method_rejected")
    func foreignRSAKey() async throws {
        try await DanceFixture.with(
            method: try SignatureMethod.rsaSHA1(privateKeyPEM: SignatureMethodTests.testCasesPrivateKeyPEM),
            configure: { $0.consumers = [.init(key: DanceFixture.consumerKey, secret: DanceFixture.consumerSecret)] }
        ) { fixture in
            // The consumer has no public key on file, so no RSA signature can verify.
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.providerMessage == "oauth_problem=signature_method_rejected")
        }
    }

    @Test("a request token past its time to live cannot be approved or exchanged")
    func expiredRequestToken() async throws {
        try await DanceFixture.with(configure: { $0.requestTokenTimeToLive = .zero }) { fixture in
            let temporary = try await fixture.client.requestToken()
            #expect(throws: OAuth1Error.self) { try fixture.provider.approve(requestToken: temporary.token) }
            let error = try #require(
                await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: "any") })
            #expect(error.providerMessage == "oauth_problem=token_rejected")
        }
    }

    @Test("a denied request token cannot be exchanged, even with a guessed verifier")
    func deniedThenExchanged() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let callbackURL = try #require(try fixture.provider.deny(requestToken: temporary.token))
            #expect(callbackURL.query?.contains("denied=\(temporary.token)") == true)
            #expect(throws: OAuth1Error.self) { try fixture.provider.approve(requestToken: temporary.token) }
            let error = try #require(
                await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: "guess") })
            #expect(error.providerMessage == "oauth_problem=permission_denied")
        }
    }

    @Test("an access token request without a token: parameter_absent")
    func accessTokenWithoutToken() async throws {
        try await DanceFixture.with { fixture in
            var request = OAuth1HTTPRequest(method: "POST", url: fixture.provider.endpoints.accessTokenURL)
            request = try fixture.client.signer().sign(
                request, extraProtocolParameters: [OAuth1Parameter(name: "oauth_verifier", value: "v")])
            let response = try await URLSessionTransport.shared.send(request, timeout: .seconds(60))
            #expect(response.status == 401)
            #expect(String(decoding: response.body, as: UTF8.self).hasPrefix("oauth_problem=parameter_absent"))
        }
    }

    @Test("the authorize page refuses an unknown request token")
    func authorizeUnknownToken() async throws {
        try await DanceFixture.with { fixture in
            let url = fixture.client.authorizationURL(for: TemporaryCredentials(token: "never-issued", secret: "x"))
            let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: url), timeout: .seconds(60))
            #expect(response.status == 400)
        }
    }

    @Test("a stopped provider refuses connections: transportFailure")
    func stopped() async throws {
        let fixture = try await DanceFixture.start()
        await fixture.provider.stop()
        let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
        #expect(error.code == .transportFailure)
    }
}
