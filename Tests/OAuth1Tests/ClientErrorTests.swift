import Foundation
import OAuth1
import OAuth1Testing
import Testing

@Suite("Every failure of the dance gives its typed OAuth1Error", .serverTimeLimit)
struct ClientErrorTests {
    @Test("401 with a form body: providerRejected with the oauth_problem")
    func rejectedWithFormBody() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(
                .status(401, body: "oauth_problem=consumer_key_rejected&oauth_problem_advice=ask%20support",
                    contentType: "application/x-www-form-urlencoded"),
                at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.httpStatus == 401)
            #expect(error.providerMessage == "oauth_problem=consumer_key_rejected; ask support")
            #expect(error.responseBody?.contains("consumer_key_rejected") == true)
        }
    }

    @Test("401 with Twitter's JSON body: the message and code are parsed")
    func rejectedWithJSONBody() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(
                .status(401, body: #"{"errors":[{"code":32,"message":"Could not authenticate you."}]}"#, contentType: "application/json"),
                at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.providerMessage == "Could not authenticate you. (code 32)")
            #expect(error.description.contains("Could not authenticate you."))
        }
    }

    @Test("401 with an XML body: the error element is parsed")
    func rejectedWithXMLBody() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(
                .status(401, body: "<?xml version=\"1.0\"?><hash><request>/oauth/request_token</request><error>Invalid signature &amp; nonce</error></hash>",
                    contentType: "application/xml"),
                at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.providerMessage == "Invalid signature & nonce")
        }
    }

    @Test("500 with an HTML body: providerRejected without a parsed message")
    func serverError() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.status(500, body: "<html>oops</html>", contentType: "text/html"), at: .accessToken)
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            let error = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier) })
            #expect(error.code == .providerRejected)
            #expect(error.httpStatus == 500)
            #expect(error.providerMessage == nil)
        }
    }

    @Test("200 with a body that is no token response: malformedResponse")
    func malformedBody() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.malformedBody, at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .malformedResponse)
            #expect(error.httpStatus == 200)
        }
    }

    @Test("missing oauth_callback_confirmed: an error by default, accepted with the opt-out")
    func callbackNotConfirmed() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.omitCallbackConfirmed, at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .callbackNotConfirmed)

            var lenient = fixture.client
            lenient.endpoints.requiresCallbackConfirmed = false
            let temporary = try await lenient.requestToken()
            #expect(!temporary.callbackConfirmed)
        }
    }

    @Test("a provider slower than the timeout: timedOut")
    func timeout() async throws {
        try await DanceFixture.with(timeout: .milliseconds(300)) { fixture in
            fixture.provider.inject(.delay(.seconds(3)), at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .timedOut)
        }
    }

    @Test("a provider that trickles its answer past the timeout: timedOut, though never idle")
    func trickledAnswer() async throws {
        try await DanceFixture.with(timeout: .seconds(1)) { fixture in
            // One byte every 100 ms: URLSession's idle timeout never fires; the whole answer takes ~8 s.
            fixture.provider.inject(.trickle(interval: .milliseconds(100)), at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .timedOut)
        }
    }

    @Test("cancelling the task cancels the request")
    func cancellation() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.delay(.seconds(5)), at: .requestToken)
            let client = fixture.client
            let task = Task { try await client.requestToken() }
            try await Task.sleep(for: .milliseconds(200))
            task.cancel()
            let error = try #require(await oauthError { _ = try await task.value })
            #expect(error.code == .cancelled)
        }
    }

    @Test("a refused connection: transportFailure")
    func connectionRefused() async throws {
        let client = OAuth1Client(
            credentials: ClientCredentials(key: "k", secret: "s"), callback: .outOfBand,
            endpoints: OAuth1ProviderEndpoints(
                requestTokenURL: URL(string: "http://127.0.0.1:1/oauth/request_token")!,
                authorizeURL: URL(string: "http://127.0.0.1:1/oauth/authorize")!,
                accessTokenURL: URL(string: "http://127.0.0.1:1/oauth/access_token")!),
            timeout: .seconds(5))
        let error = try #require(await oauthError { _ = try await client.requestToken() })
        #expect(error.code == .transportFailure)
    }

    @Test("a wrong consumer secret is rejected by the provider's signature check")
    func wrongSecret() async throws {
        try await DanceFixture.with { fixture in
            var client = fixture.client
            client.credentials = ClientCredentials(key: DanceFixture.consumerKey, secret: "not-the-secret")
            let error = try #require(await oauthError { _ = try await client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.providerMessage == "oauth_problem=signature_invalid")
        }
    }

    @Test("a replayed request token is refused the second time")
    func replayedRequestToken() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: temporary.token)
            _ = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier)
            let error = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: approval.verifier) })
            #expect(error.code == .providerRejected)
            // The provider no longer knows the token at all, so it cannot even check the signature.
            #expect(error.providerMessage == "oauth_problem=token_rejected")
        }
    }

    @Test("a wrong verifier is refused")
    func wrongVerifier() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            _ = try fixture.provider.approve(requestToken: temporary.token)
            let error = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: "guess") })
            #expect(error.providerMessage == "oauth_problem=verifier_invalid")
        }
    }

    @Test("an empty verifier never reaches the provider")
    func emptyVerifier() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let error = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: "") })
            #expect(error.code == .missingVerifier)
            let blank = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: temporary, verifier: " \n") })
            #expect(blank.code == .missingVerifier)
            #expect(fixture.provider.requestCount(at: .accessToken) == 0)
        }
    }

    @Test("a callback for another request token: tokenMismatch, nothing sent")
    func tokenMismatch() async throws {
        try await DanceFixture.with { fixture in
            let first = try await fixture.client.requestToken()
            let second = try await fixture.client.requestToken()
            let approval = try fixture.provider.approve(requestToken: second.token)
            let callback = try OAuth1Callback(url: try #require(approval.callbackURL))
            let error = try #require(await oauthError { _ = try await fixture.client.accessToken(temporary: first, callback: callback) })
            #expect(error.code == .tokenMismatch)
            #expect(fixture.provider.requestCount(at: .accessToken) == 0)
        }
    }

    @Test("a denied authorization: userDenied from the callback, the token named")
    func denied() async throws {
        try await DanceFixture.with { fixture in
            let temporary = try await fixture.client.requestToken()
            let callbackURL = try #require(try fixture.provider.deny(requestToken: temporary.token))
            let error = try #require(await oauthError { _ = try OAuth1Callback(url: callbackURL) })
            #expect(error.code == .userDenied)
            #expect(OAuth1Callback.deniedToken(in: callbackURL) == temporary.token)
        }
    }

    @Test("stale timestamps and reused nonces are refused by the provider")
    func timestampAndNonce() async throws {
        try await DanceFixture.with { fixture in
            var stale = fixture.client
            stale.clock = .fixed(1_000_000)
            let staleError = try #require(await oauthError { _ = try await stale.requestToken() })
            #expect(staleError.providerMessage == "oauth_problem=timestamp_refused")

            // One timestamp for both requests: a nonce is unique per (consumer, timestamp).
            var replaying = fixture.client
            replaying.nonce = .fixed("same-nonce")
            replaying.clock = .fixed(OAuth1Clock.system.now())
            _ = try await replaying.requestToken()
            let replayError = try #require(await oauthError { _ = try await replaying.requestToken() })
            #expect(replayError.providerMessage == "oauth_problem=nonce_used")
        }
    }

    @Test("a token endpoint that redirects is not followed")
    func redirectNotFollowed() async throws {
        try await DanceFixture.with { fixture in
            fixture.provider.inject(.redirect(to: fixture.provider.protectedResourceURL), at: .requestToken)
            let error = try #require(await oauthError { _ = try await fixture.client.requestToken() })
            #expect(error.code == .providerRejected)
            #expect(error.httpStatus == 302)
            // The signed request was not re-sent to the Location.
            #expect(fixture.provider.requestCount(at: .protectedResource) == 0)
        }
    }
}
