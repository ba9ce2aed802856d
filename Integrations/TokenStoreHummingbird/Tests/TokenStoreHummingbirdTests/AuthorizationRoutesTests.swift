import Foundation
import HTTPTypes
import Hummingbird
import NIOCore
import OAuth1
import OAuth1Testing
import Synchronization
import Testing
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit

@Suite("Sign-in routes for Hummingbird: begin, callback, errors as pages", .serverTimeLimit)
struct AuthorizationRoutesTests {
    @Test("begin redirects to the provider and sets HttpOnly, SameSite=Lax cookies, not Secure on loopback")
    func beginCookies() async throws {
        try await SignInFixture.with { fixture, client in
            let local = CookieJar()
            _ = try await fixture.begin(client, jar: local)
            let localCookies = local.setCookies.withLock { $0 }
            #expect(localCookies.count == 2)
            for header in localCookies {
                #expect(header.contains("HttpOnly"))
                #expect(header.contains("SameSite=Lax"))
                #expect(!header.contains("Secure"))
            }
            let session = try #require(local["tokenstore_session"])
            #expect(session.utf8.count >= 43)

            // The same browser keeps its session on the next begin.
            _ = try await fixture.begin(client, jar: local)
            #expect(local["tokenstore_session"] == session)
        }
    }

    @Test("cookies are Secure when configured so (off loopback by default) and hold no token")
    func secureCookies() async throws {
        try await SignInFixture.with(secureCookies: .always) { fixture, client in
            let jar = CookieJar()
            let token = try await fixture.begin(client, jar: jar)
            for header in jar.setCookies.withLock({ $0 }) {
                #expect(header.contains("Secure"))
                #expect(!header.contains(token))  // the pending cookie holds keyed hashes, not the token
            }
        }
    }

    @Test("the callback completes once and calls the app's handler; a replay is 400 with a start-again link")
    func callbackOnce() async throws {
        try await SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let callback = try fixture.approve(try await fixture.begin(client, jar: jar))
            let done = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            jar.store(done)
            #expect(done.status == .seeOther)
            #expect(done.headers[.location] == "/home")
            #expect(done.headers[try #require(HTTPField.Name("Referrer-Policy"))] == "no-referrer")
            let key = AccessTokenKey(provider: "local", userID: fixture.localProvider.configuration.user.id)
            #expect(fixture.signedIn.withLock { $0 } == [key])
            #expect(try await fixture.store.accessToken(for: key)?.screenName == "test_user")
            #expect(jar["tokenstore_pending"] == nil)  // emptied and cleared

            let replay = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            #expect(replay.status == .badRequest)
            let page = String(buffer: replay.body)
            #expect(page.contains(#"href="/auth/local""#))
            #expect(page.contains("start again"))
            #expect(fixture.signInCount("ok") == 1)
            #expect(fixture.signInCount("start_again") == 1)
        }
    }

    @Test("a callback opened in another browser is refused without consuming it; the browser that began it completes")
    func otherBrowser() async throws {
        try await SignInFixture.with { fixture, client in
            let alice = CookieJar()
            let mallory = CookieJar()
            _ = try await fixture.begin(client, jar: mallory)  // has a session of its own
            let callback = try fixture.approve(try await fixture.begin(client, jar: alice))

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
        try await SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let first = try fixture.approve(try await fixture.begin(client, jar: jar))
            let second = try fixture.approve(try await fixture.begin(client, jar: jar))
            let a = try await client.execute(uri: second, method: .get, headers: jar.headers())
            jar.store(a)
            let b = try await client.execute(uri: first, method: .get, headers: jar.headers())
            #expect(a.status == .seeOther)
            #expect(b.status == .seeOther)
            #expect(fixture.signedIn.withLock { $0.count } == 2)
        }
    }

    @Test("Deny at the provider returns to the app with sign_in=denied and removes the pending token")
    func denied() async throws {
        try await SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let token = try await fixture.begin(client, jar: jar)
            let url = try #require(try fixture.localProvider.deny(requestToken: token))
            let response = try await client.execute(uri: url.path + "?" + (url.query ?? ""), method: .get, headers: jar.headers())
            #expect(response.status == .seeOther)
            #expect(response.headers[.location] == "/home?sign_in=denied")
            #expect(try await fixture.store.takeRequestToken(token) == nil)
            #expect(fixture.signInCount("denied") == 1)
        }
    }

    @Test("a provider that is down is 502 at begin and at the callback, with no error text or secret in the page")
    func providerDown() async throws {
        try await SignInFixture.with { fixture, client in
            let jar = CookieJar()
            let token = try await fixture.begin(client, jar: jar)
            let callback = try fixture.approve(token)

            fixture.localProvider.inject(.status(503, body: "down", contentType: "text/plain"), at: .requestToken)
            let begin = try await client.execute(uri: "/auth/local", method: .get, headers: jar.headers())
            #expect(begin.status == .badGateway)

            fixture.localProvider.inject(.status(500, body: "oauth_problem=internal", contentType: "text/plain"), at: .accessToken)
            let done = try await client.execute(uri: callback, method: .get, headers: jar.headers())
            #expect(done.status == .badGateway)
            for page in [String(buffer: begin.body), String(buffer: done.body)] {
                #expect(page.contains("provider"))
                #expect(!page.contains(SignInFixture.consumer.secret))
                #expect(!page.contains("OAuth1Error"))
                #expect(!page.contains(token))
            }
            #expect(fixture.signInCount("provider_unavailable") == 1)
        }
    }

    @Test("a store that fails is 503")
    func storeDown() async throws {
        try await SignInFixture.with { fixture, client in
            try await fixture.store.close()
            let response = try await client.execute(uri: "/auth/local", method: .get, headers: [:])
            #expect(response.status == .serviceUnavailable)
            #expect(!String(buffer: response.body).contains("TokenStoreError"))
        }
    }

    @Test("the app's own session id binds the flow; no session cookie is set, and a request without a session is refused")
    func appSession() async throws {
        let session = AuthorizationRoutes<BasicRequestContext>.Session.app { request, _ in
            request.headers[.authorization].map { String($0.dropFirst("Session ".count)) }
        }
        try await SignInFixture.with(session: session) { fixture, client in
            let jar = CookieJar()
            var headers = jar.headers()
            headers[.authorization] = "Session app-session-id-0123456789"
            let begin = try await client.execute(uri: "/auth/local", method: .get, headers: headers)
            jar.store(begin)
            #expect(begin.status == .found)
            #expect(jar["tokenstore_session"] == nil)
            let location = try #require(begin.headers[.location])
            let token = try #require(URLComponents(string: location)?.queryItems?.first { $0.name == "oauth_token" }?.value)
            let callback = try fixture.approve(token)

            var other = jar.headers()
            other[.authorization] = "Session another-session-id-987654"
            #expect(try await client.execute(uri: callback, method: .get, headers: other).status == .badRequest)
            var done = jar.headers()
            done[.authorization] = headers[.authorization]
            #expect(try await client.execute(uri: callback, method: .get, headers: done).status == .seeOther)

            let noSession = try await client.execute(uri: "/auth/local", method: .get, headers: [:])
            #expect(noSession.status == .internalServerError)
        }
    }
}
