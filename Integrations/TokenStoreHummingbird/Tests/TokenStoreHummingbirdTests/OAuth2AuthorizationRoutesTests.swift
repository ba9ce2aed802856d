import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OAuth1
import OAuth1Testing
import OAuth2Testing
import Synchronization
import Testing
import TokenStoreFlow
import TokenStoreHummingbird
import TokenStoreKit

@Suite("OAuth 2.0 sign-in routes for Hummingbird: begin, callback, errors as pages", .serverTimeLimit)
struct OAuth2AuthorizationRoutesTests {
    @Test("begin redirects to the provider with state and PKCE; the cookies are HttpOnly, SameSite=Lax and hold no state")
    func beginCookies() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let authorize = try await fixture.begin(client, jar: jar)
            #expect(authorize.path == "/oauth2/authorize")
            let query = try #require(authorize.query)
            #expect(query.contains("code_challenge_method=S256"))
            let state = try OAuth2SignInFixture.state(of: authorize)
            let cookies = jar.setCookies.withLock { $0 }
            #expect(cookies.count == 2)
            for header in cookies {
                #expect(header.contains("HttpOnly"))
                #expect(header.contains("SameSite=Lax"))
                #expect(!header.contains(state))
            }
            let session = try #require(jar["tokenstore_session"])
            _ = try await fixture.begin(client, jar: jar)
            #expect(jar["tokenstore_session"] == session)
        }
    }

    @Test("the callback stores the token set, identified by the app, and calls the handler once; a replay is 400")
    func callbackOnce() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let callback = try await fixture.approve(try await fixture.begin(client, jar: jar))
            let done = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            jar.store(done)
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/home")
            #expect(done.headers[try #require(HTTPField.Name("Referrer-Policy"))] == "no-referrer")
            #expect(done.headers[.cacheControl] == "no-store")
            let stored = try #require(try await fixture.store.tokenSet(for: fixture.key))
            #expect(stored.screenName == "test_user")
            #expect(stored.refreshToken != nil)
            #expect(fixture.signedIn.withLock { $0.map(\.key) } == [fixture.key])
            #expect(jar["tokenstore_pending"] == nil)  // emptied and cleared

            let replay = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            #expect(replay.status == .badRequest)
            let page = String(buffer: replay.body)
            #expect(page.contains(#"href="/auth/local2""#))
            #expect(page.contains("start again"))
            #expect(!page.contains(stored.accessToken))
            #expect(fixture.signInCount("ok") == 1)
            #expect(fixture.signInCount("start_again") == 1)
        }
    }

    @Test("a callback opened in another browser is refused without consuming it; the browser that began it completes")
    func otherBrowser() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let alice = CookieJar()
            let mallory = CookieJar()
            _ = try await fixture.begin(client, jar: mallory)
            let callback = try await fixture.approve(try await fixture.begin(client, jar: alice))

            let refused = try await client.execute(uri: callback, method: .get, headers: mallory.headers())
            #expect(refused.status == .badRequest)
            #expect(String(buffer: refused.body).contains("another browser"))
            let noCookies = try await client.execute(uri: callback, method: .get, headers: [:])
            #expect(noCookies.status == .badRequest)
            #expect(fixture.signedIn.withLock { $0 }.isEmpty)

            let done = try await client.execute(uri: callback, method: .get, headers: alice.headers())
            #expect(done.status == .seeOther)
            #expect(fixture.signedIn.withLock { $0.count } == 1)
        }
    }

    @Test("two pending flows of one browser (two tabs) both complete")
    func twoTabs() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let first = try await fixture.approve(try await fixture.begin(client, jar: jar))
            let second = try await fixture.approve(try await fixture.begin(client, jar: jar))
            let a = try await client.execute(uri: second, method: .get, headers: jar.headers())
            jar.store(a)
            let b = try await client.execute(uri: first, method: .get, headers: jar.headers())
            #expect(a.status == .seeOther)
            #expect(b.status == .seeOther)
            #expect(fixture.signedIn.withLock { $0.count } == 2)
        }
    }

    @Test("access_denied returns to the app with sign_in=denied and removes the pending authorization")
    func denied() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let authorize = try await fixture.begin(client, jar: jar)
            let response = try await client.execute(
                uri: try OAuth2SignInFixture.errorCallback(authorize), method: .get, headers: jar.headers())
            jar.store(response)
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/home?sign_in=denied")
            #expect(try await fixture.store.takeRequestToken(try OAuth2SignInFixture.state(of: authorize)) == nil)
            #expect(jar["tokenstore_pending"] == nil)
            #expect(fixture.signInCount("denied") == 1)

            // A denial of a flow this browser did not begin only returns to the app; the
            // flow stays pending for the browser that began it.
            let other = try await fixture.begin(client, jar: CookieJar())
            let elsewhere = try await client.execute(
                uri: try OAuth2SignInFixture.errorCallback(other), method: .get, headers: jar.headers())
            #expect(elsewhere.headers[.location] == "/home?sign_in=denied")
            #expect(try await fixture.store.takeRequestToken(try OAuth2SignInFixture.state(of: other)) != nil)
        }
    }

    @Test("a provider that fails (token endpoint, user lookup, an error redirect) is 502, with no code, secret or error text")
    func providerDown() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let callback = try await fixture.approve(try await fixture.begin(client, jar: jar))
            fixture.localProvider.inject(.status(503, body: "down", contentType: "text/plain"), at: .token)
            let exchange = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            #expect(exchange.status == .badGateway)
            fixture.localProvider.inject(nil, at: .token)

            let lookup = try await fixture.approve(try await fixture.begin(client, jar: jar))
            fixture.localProvider.inject(.status(500, body: "{}", contentType: "application/json"), at: .protectedResource)
            let identify = try await client.execute(uri: lookup, method: .get, headers: jar.headers())
            #expect(identify.status == .badGateway)
            #expect(try await fixture.store.tokenSet(for: fixture.key) == nil)

            let redirect = try await client.execute(
                uri: try OAuth2SignInFixture.errorCallback(try await fixture.begin(client, jar: jar), error: "server_error"),
                method: .get, headers: jar.headers())
            #expect(redirect.status == .badGateway)

            let code = try #require(URLComponents(string: callback)?.queryItems?.first { $0.name == "code" }?.value)
            for page in [exchange, identify, redirect].map({ String(buffer: $0.body) }) {
                #expect(page.contains("provider"))
                #expect(!page.contains(OAuth2SignInFixture.clientSecret))
                #expect(!page.contains(code))
                #expect(!page.contains("OAuth2Error"))
            }
            #expect(fixture.signInCount("provider_unavailable") == 3)
        }
    }

    @Test("a callback without state is 400; a store that fails is 503")
    func malformedAndStoreDown() async throws {
        try await OAuth2SignInFixture.with { fixture, client in
            let jar = CookieJar()
            _ = try await fixture.begin(client, jar: jar)
            let noState = try await client.execute(uri: "/auth/local2/callback?code=abc", method: .get, headers: jar.headers())
            #expect(noState.status == .badRequest)

            try await fixture.store.close()
            let response = try await client.execute(uri: "/auth/local2", method: .get, headers: [:])
            #expect(response.status == .serviceUnavailable)
            #expect(!String(buffer: response.body).contains("TokenStoreError"))
        }
    }

    @Test("OAuth 1.0a and OAuth 2.0 routes in one app share the session cookie")
    func sharedSession() async throws {
        let oauth1 = try await LocalOAuth1Provider.start(.init(consumers: [SignInFixture.consumer]))
        let client = OAuth1Client(
            credentials: ClientCredentials(key: SignInFixture.consumer.key, secret: SignInFixture.consumer.secret),
            callback: .url(URL(string: "http://127.0.0.1:8080/auth/local/callback")!), endpoints: oauth1.endpoints,
            timeout: .seconds(20))
        let flow = AuthorizationFlow(provider: "local", client: client, store: InMemoryTokenStore())
        do {
            try await OAuth2SignInFixture.with(addMore: { router in
                AuthorizationRoutes<BasicRequestContext>(flow: flow) { _, _, _ in .redirect(to: "/home") }
                    .addRoutes(to: router.group("auth"))
            }) { fixture, client in
                let jar = CookieJar()
                let begun = try await client.execute(uri: "/auth/local", method: .get, headers: jar.headers())
                jar.store(begun)
                #expect(begun.status == .found)
                let session = try #require(jar["tokenstore_session"])
                let callback = try await fixture.approve(try await fixture.begin(client, jar: jar))
                #expect(jar["tokenstore_session"] == session)
                #expect(jar.setCookies.withLock { $0 }.filter { $0.hasPrefix("tokenstore_session=") }.count == 1)
                let done = try await client.execute(uri: callback, method: .get, headers: jar.headers())
                #expect(done.status == .seeOther)
                #expect(fixture.signedIn.withLock { $0.count } == 1)
            }
        } catch {
            await oauth1.stop()
            throw error
        }
        await oauth1.stop()
    }
}
