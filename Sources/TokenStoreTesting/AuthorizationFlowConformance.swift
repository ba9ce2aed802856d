import Foundation
import OAuth1
import OAuth1Testing
import Synchronization
import Testing
import TokenStoreFlow
import TokenStoreKit

/// The dance with a store, proven against a driver: runs `AuthorizationFlow` with the
/// stores `makeStore` returns, twice: against a `LocalOAuth1Provider` on loopback with
/// `OAuth1Client` over HTTP, and against an in-process provider that signs and verifies
/// every leg without sockets (RFC 5849 signatures checked with `OAuth1ReceivedRequest`,
/// request tokens and verifiers single-use).
///
/// ```swift
/// @Test func flowConformance() async throws {
///     try await AuthorizationFlowConformance(name: "sqlite") { clock in
///         try await SQLiteTokenStore(configuration: .init(path: dir + "/tokens.db", clock: clock))
///     }.run()
/// }
/// ```
///
/// Cases: the callback flow, the desktop (out-of-band) flow, a mismatched session, a
/// missing session, two tabs of one session, a replayed callback after success, a
/// `denied` callback (the pending token is removed), an expired request token (with a
/// manual clock), the wrong flow kind, and a signer rebuilt from the stored token by a
/// second flow over a second store instance making a signed request. Every case works
/// under its own random provider id, so the store need not be empty.
public struct AuthorizationFlowConformance: Sendable {
    /// The driver's name, used in failure messages.
    public let name: String
    private let makeStore: @Sendable (_ clock: TokenClock) async throws -> any TokenStore

    /// Creates the suite for a driver.
    ///
    /// - Parameters:
    ///   - name: The driver's name for messages.
    ///   - makeStore: Returns a store reading time from the given clock. It is called once
    ///     per case; the suite closes the store at the end of the case.
    public init(name: String, makeStore: @escaping @Sendable (_ clock: TokenClock) async throws -> any TokenStore) {
        self.name = name
        self.makeStore = makeStore
    }

    /// Runs every case, recording failures at `sourceLocation`.
    ///
    /// - Throws: When the loopback provider cannot start, or a store cannot be made or
    ///   fails outside the checked steps.
    public func run(sourceLocation: SourceLocation = #_sourceLocation) async throws {
        try await runCases(with: ConformanceProvider(), sourceLocation: sourceLocation)
        let loopback = try await LoopbackHarness.start()
        do {
            try await runCases(with: loopback, sourceLocation: sourceLocation)
        } catch {
            await loopback.provider.stop()
            throw error
        }
        await loopback.provider.stop()
    }

    private func runCases(with provider: any FlowProviderHarness, sourceLocation: SourceLocation) async throws {
        let context = Context(
            name: "\(name) (\(provider.label))", provider: provider, makeStore: makeStore, location: sourceLocation)
        try await context.callbackFlow()
        try await context.outOfBandFlow()
        try await context.mismatchedSession()
        try await context.missingSession()
        try await context.twoTabs()
        try await context.replayedCallback()
        try await context.deniedCallback()
        try await context.expiredRequestToken()
        try await context.wrongFlowKind()
        try await context.signerFromStoredToken()
    }
}

extension AuthorizationFlowConformance {
    /// One run's shared parts and the cases.
    fileprivate struct Context: Sendable {
        let name: String
        let provider: any FlowProviderHarness
        let makeStore: @Sendable (_ clock: TokenClock) async throws -> any TokenStore
        let location: SourceLocation

        static let callback = "https://app.example/oauth/callback"

        /// A flow for a fresh provider id, over a fresh store unless `store` is given.
        func makeFlow(
            providerID: String = "flow-" + UUID().uuidString.prefix(8).lowercased(),
            callback: String = Context.callback,
            clock: TokenClock = .system,
            store: (any TokenStore)? = nil
        ) async throws -> AuthorizationFlow {
            let chosen: any TokenStore
            if let store {
                chosen = store
            } else {
                chosen = try await makeStore(clock)
            }
            return AuthorizationFlow(
                provider: providerID, client: provider.client(callback: callback),
                store: chosen, clock: clock)
        }

        func session() -> FlowSession { .browser(sessionID: "session-" + UUID().uuidString) }

        /// Checks `body` throws an `AuthorizationFlowError` with `code`.
        func expectFlowError(
            _ code: AuthorizationFlowError.Code, _ what: String, _ body: () async throws -> some Any
        ) async {
            do {
                _ = try await body()
                Issue.record("\(name): \(what): expected \(code), nothing was thrown", sourceLocation: location)
            } catch let error as AuthorizationFlowError {
                #expect(error.code == code, "\(name): \(what): \(error)", sourceLocation: location)
            } catch {
                Issue.record("\(name): \(what): expected \(code), got \(error)", sourceLocation: location)
            }
        }

        /// Checks `body` throws an `OAuth1Error` with `code`.
        func expectOAuthError(_ code: OAuth1Error.Code, _ what: String, _ body: () async throws -> some Any) async {
            do {
                _ = try await body()
                Issue.record("\(name): \(what): expected \(code), nothing was thrown", sourceLocation: location)
            } catch let error as OAuth1Error {
                #expect(error.code == code, "\(name): \(what): \(error)", sourceLocation: location)
            } catch {
                Issue.record("\(name): \(what): expected \(code), got \(error)", sourceLocation: location)
            }
        }

        /// The stored pending request token named `token`, read without taking it.
        func pending(_ token: String, in store: any TokenStore) async throws -> RequestToken? {
            var cursor: String? = nil
            repeat {
                let page = try await store.listRequestTokens(after: cursor, limit: 100)
                if let found = page.tokens.first(where: { $0.token == token }) { return found }
                cursor = page.nextCursor
            } while cursor != nil
            return nil
        }

        // MARK: Cases

        func callbackFlow() async throws {
            let flow = try await makeFlow()
            let session = session()
            guard case .browser(let sessionID) = session else { return }
            let start = try await flow.begin(
                session: session, returnTo: "/settings", accessType: "write", metadata: ["tab": "1"])
            #expect(
                start.authorizationURL.absoluteString.contains(start.requestToken),
                "\(name): the authorize URL names the request token", sourceLocation: location)

            let saved = try await pending(start.requestToken, in: flow.store)
            #expect(saved != nil, "\(name): begin saved the request token", sourceLocation: location)
            if let saved {
                #expect(saved.provider == flow.provider, sourceLocation: location)
                #expect(saved.context.callbackURL == Context.callback, sourceLocation: location)
                #expect(saved.context.returnTo == "/settings", sourceLocation: location)
                let binding = saved.context.sessionBinding ?? ""
                #expect(
                    binding.hasPrefix(SessionBinding.browserPrefix) && !binding.contains(sessionID),
                    "\(name): the session is stored hashed, never raw", sourceLocation: location)
            }

            let callback = try await provider.callback(approving: start.authorizationURL)
            let done = try await flow.complete(callback: callback, session: session)
            #expect(done.returnTo == "/settings", sourceLocation: location)
            #expect(done.metadata == ["tab": "1"], sourceLocation: location)
            #expect(done.accessToken.provider == flow.provider, sourceLocation: location)
            #expect(!done.accessToken.userID.isEmpty, sourceLocation: location)
            #expect(done.accessToken.accessType == "write", sourceLocation: location)
            #expect(done.accessToken.screenName != nil, "\(name): screen name kept", sourceLocation: location)

            let stored = try await flow.store.accessToken(for: done.key)
            #expect(
                stored == done.accessToken, "\(name): the access token is stored as returned", sourceLocation: location)
            #expect(
                try await flow.store.takeRequestToken(start.requestToken) == nil,
                "\(name): the request token is gone after complete", sourceLocation: location)
            try await flow.store.close()
        }

        func outOfBandFlow() async throws {
            let flow = try await makeFlow(callback: "oob")
            let start = try await flow.begin(session: .outOfBand)
            let saved = try await pending(start.requestToken, in: flow.store)
            #expect(
                saved?.context.sessionBinding == SessionBinding.outOfBandMarker,
                "\(name): the desktop flow is marked out-of-band", sourceLocation: location)
            let pin = try await provider.approve(start.authorizationURL)
            let done = try await flow.completeOutOfBand(requestToken: start.requestToken, verifier: " \(pin)\n")
            #expect(try await flow.store.accessToken(for: done.key) == done.accessToken, sourceLocation: location)
            await expectFlowError(.requestTokenNotFound, "a second PIN entry") {
                try await flow.completeOutOfBand(requestToken: start.requestToken, verifier: pin)
            }
            try await flow.store.close()
        }

        func mismatchedSession() async throws {
            let flow = try await makeFlow()
            let victim = session()
            let attacker = session()
            let start = try await flow.begin(session: attacker)
            let callback = try await provider.callback(approving: start.authorizationURL)
            let before = try await flow.store.counts().accessTokens
            await expectFlowError(.sessionMismatch, "a callback from another session") {
                try await flow.complete(callback: callback, session: victim)
            }
            #expect(
                try await flow.store.counts().accessTokens == before,
                "\(name): a mismatched session stores no access token", sourceLocation: location)
            await expectFlowError(.requestTokenNotFound, "the beginning session after a mismatch (token consumed)") {
                try await flow.complete(callback: callback, session: attacker)
            }
            try await flow.store.close()
        }

        func missingSession() async throws {
            let flow = try await makeFlow()
            let session = session()
            let start = try await flow.begin(session: session)
            let callback = try await provider.callback(approving: start.authorizationURL)
            await expectFlowError(.sessionRequired, "a callback without a session") {
                try await flow.complete(callback: callback, session: nil)
            }
            await expectFlowError(.sessionRequired, "a callback with an empty session id") {
                try await flow.complete(callback: callback, session: .browser(sessionID: ""))
            }
            await expectFlowError(.sessionRequired, "begin with an empty session id") {
                try await flow.begin(session: .browser(sessionID: ""))
            }
            // Refused before the store is touched: the right session still completes.
            let done = try await flow.complete(callback: callback, session: session)
            #expect(done.accessToken.provider == flow.provider, sourceLocation: location)
            try await flow.store.close()
        }

        func twoTabs() async throws {
            let flow = try await makeFlow()
            let session = session()
            let first = try await flow.begin(session: session, returnTo: "/one")
            let second = try await flow.begin(session: session, returnTo: "/two")
            #expect(first.requestToken != second.requestToken, sourceLocation: location)
            let firstCallback = try await provider.callback(approving: first.authorizationURL)
            let secondCallback = try await provider.callback(approving: second.authorizationURL)
            let secondDone = try await flow.complete(callback: secondCallback, session: session)
            let firstDone = try await flow.complete(callback: firstCallback, session: session)
            #expect(
                secondDone.returnTo == "/two", "\(name): the second tab completes on its own", sourceLocation: location)
            #expect(
                firstDone.returnTo == "/one", "\(name): the first tab was not overwritten", sourceLocation: location)
            try await flow.store.close()
        }

        func replayedCallback() async throws {
            let flow = try await makeFlow()
            let session = session()
            let start = try await flow.begin(session: session)
            let callback = try await provider.callback(approving: start.authorizationURL)
            _ = try await flow.complete(callback: callback, session: session)
            await expectFlowError(.requestTokenNotFound, "a replayed callback after success") {
                try await flow.complete(callback: callback, session: session)
            }
            // Another flow instance (as in another worker) sees it used too.
            let other = try await makeFlow(providerID: flow.provider, store: flow.store)
            await expectFlowError(.requestTokenNotFound, "a replayed callback in another worker") {
                try await other.complete(callbackQuery: callback.query ?? "", session: session)
            }
            try await flow.store.close()
        }

        func deniedCallback() async throws {
            let flow = try await makeFlow()
            let session = session()
            let start = try await flow.begin(session: session)
            let denied = try await provider.denial(start.authorizationURL, callback: Context.callback)
            await expectOAuthError(.userDenied, "a denied callback") {
                try await flow.complete(callbackQuery: denied, session: session)
            }
            #expect(
                try await pending(start.requestToken, in: flow.store) == nil,
                "\(name): a denied callback removes the pending token", sourceLocation: location)
            try await flow.store.close()
        }

        func expiredRequestToken() async throws {
            let clock = ManualTokenClock()
            let flow = try await makeFlow(clock: clock.clock)
            let session = session()
            let start = try await flow.begin(session: session)
            let callback = try await provider.callback(approving: start.authorizationURL)
            clock.advance(by: RequestToken.defaultTimeToLive + .seconds(1))
            await expectFlowError(.requestTokenNotFound, "a callback after the request token expired") {
                try await flow.complete(callback: callback, session: session)
            }
            try await flow.store.close()
        }

        func wrongFlowKind() async throws {
            let desktop = try await makeFlow(callback: "oob")
            let start = try await desktop.begin(session: .outOfBand)
            let pin = try await provider.approve(start.authorizationURL)
            await expectFlowError(.sessionMismatch, "a desktop token completed by a browser callback") {
                try await desktop.complete(
                    callbackQuery: "oauth_token=\(start.requestToken)&oauth_verifier=\(pin)", session: session())
            }
            let web = try await makeFlow(providerID: desktop.provider, store: desktop.store)
            let webStart = try await web.begin(session: session())
            let callback = try await provider.callback(approving: webStart.authorizationURL)
            let verifier = callback.query.flatMap {
                try? OAuth1PercentEncoding.parseForm($0).first(named: "oauth_verifier")
            }
            await expectFlowError(.sessionMismatch, "a browser token completed as a desktop flow") {
                try await web.completeOutOfBand(requestToken: webStart.requestToken, verifier: verifier ?? "x")
            }
            let otherProvider = try await makeFlow(store: desktop.store)
            let third = try await web.begin(session: session())
            let thirdCallback = try await provider.callback(approving: third.authorizationURL)
            await expectFlowError(.providerMismatch, "a token completed by another provider's flow") {
                try await otherProvider.complete(callback: thirdCallback, session: session())
            }
            try await desktop.store.close()
        }

        func signerFromStoredToken() async throws {
            let flow = try await makeFlow()
            let session = session()
            let start = try await flow.begin(session: session)
            let done = try await flow.complete(
                callback: try await provider.callback(approving: start.authorizationURL), session: session)

            // Another worker: a new flow that knows only the key.
            let later = try await makeFlow(providerID: flow.provider, store: flow.store)
            let response = try await later.send(OAuth1HTTPRequest(url: provider.protectedResourceURL), as: done.key)
            #expect(
                response.status == 200, "\(name): a request signed with the stored token is accepted",
                sourceLocation: location)

            let signer = try await later.signer(for: done.key)
            let signed = try signer.sign(OAuth1HTTPRequest(url: provider.protectedResourceURL))
            #expect(
                signed.header(named: "Authorization")?.contains(
                    "oauth_token=\"\(OAuth1PercentEncoding.encode(done.accessToken.token))\"") == true,
                sourceLocation: location)

            await expectFlowError(.accessTokenNotFound, "a signer for a user without a token") {
                try await later.signer(
                    for: AccessTokenKey(provider: later.provider, userID: "nobody-" + UUID().uuidString))
            }
            await expectFlowError(.providerMismatch, "a signer for another provider's key") {
                try await later.signer(
                    for: AccessTokenKey(provider: later.provider + "-other", userID: done.key.userID))
            }
            try await later.store.close()
        }
    }
}

/// An OAuth 1.0a provider in process memory: every leg is a signed `OAuth1HTTPRequest`
/// whose signature is verified with `OAuth1ReceivedRequest`; request tokens, verifiers
/// and callbacks are single-use, as at a real provider.
private final class ConformanceProvider: FlowProviderHarness {
    var label: String { "in-process provider" }

    func client(callback: String) -> any AuthorizationFlowClient {
        ConformanceClient(provider: self, oauthCallback: callback)
    }

    func denial(_ authorizeURL: URL, callback: String) async throws -> String {
        let query = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        let token = try OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token") ?? ""
        return callback + "?denied=" + OAuth1PercentEncoding.encode(token)
    }

    private struct Pending {
        var secret: String
        var callback: String
        var verifier: String?
        var userID: String?
    }
    private struct Issued {
        var secret: String
        var userID: String
    }
    private struct State {
        var serial = 0
        var pending: [String: Pending] = [:]
        var issued: [String: Issued] = [:]
    }
    private let state = Mutex(State())

    let consumer = ClientCredentials(key: "conformance-consumer", secret: "consumer-secret-" + UUID().uuidString)
    let base = "https://provider.conformance.invalid"
    let protectedResourceURL =
        URL(string: "https://provider.conformance.invalid/1/me?include=all")
        ?? URL(fileURLWithPath: "/")

    private func random(_ prefix: String) -> String { prefix + UUID().uuidString.lowercased() }

    private func rejected(_ why: String) -> OAuth1Error {
        OAuth1Error(
            .providerRejected, message: "the conformance provider rejected the request: \(why)", httpStatus: 401)
    }

    /// Verifies `request` was signed by the consumer and, if it names one, the token
    /// whose secret `tokenSecret` returns.
    private func verified(_ request: OAuth1HTTPRequest, tokenSecret: (String) -> String?) throws
        -> OAuth1ReceivedRequest
    {
        let received = try OAuth1ReceivedRequest(request)
        guard received.consumerKey == consumer.key else { throw rejected("unknown consumer") }
        var secret = ""
        if let token = received.token {
            guard let found = tokenSecret(token) else { throw rejected("unknown token") }
            secret = found
        }
        guard received.verify(method: .hmacSHA1, clientSecret: consumer.secret, tokenSecret: secret) else {
            throw rejected("invalid signature")
        }
        return received
    }

    func requestToken(_ request: OAuth1HTTPRequest) throws -> [OAuth1Parameter] {
        let received = try verified(request) { _ in nil }
        guard let callback = received.callback, !callback.isEmpty else { throw rejected("oauth_callback missing") }
        let token = random("rt-")
        let secret = random("rt-secret-")
        state.withLock { $0.pending[token] = Pending(secret: secret, callback: callback) }
        return [
            OAuth1Parameter("oauth_token", token), OAuth1Parameter("oauth_token_secret", secret),
            OAuth1Parameter("oauth_callback_confirmed", "true"),
        ]
    }

    /// The user signs in and approves the request token named in `authorizeURL`.
    ///
    /// - Returns: The verifier (the PIN of the desktop flow).
    func approve(_ authorizeURL: URL) async throws -> String {
        let query = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        guard let token = try OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token") else {
            throw rejected("the authorize URL names no oauth_token")
        }
        return try state.withLock { state in
            guard state.pending[token] != nil else { throw rejected("unknown request token") }
            state.serial += 1
            let verifier = random("v-")
            state.pending[token]?.verifier = verifier
            state.pending[token]?.userID = "\(1000 + state.serial)"
            return verifier
        }
    }

    /// The callback the browser is redirected to after the user approves.
    func callback(approving authorizeURL: URL) async throws -> URL {
        let verifier = try await approve(authorizeURL)
        let query = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        let token = try OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token") ?? ""
        let callback = state.withLock { $0.pending[token]?.callback } ?? ""
        let separator = callback.contains("?") ? "&" : "?"
        guard
            let url = URL(
                string: callback + separator + "oauth_token=" + OAuth1PercentEncoding.encode(token)
                    + "&oauth_verifier=" + OAuth1PercentEncoding.encode(verifier))
        else { throw rejected("the callback is not a URL") }
        return url
    }

    func accessToken(_ request: OAuth1HTTPRequest) throws -> [OAuth1Parameter] {
        let received = try verified(request) { token in state.withLock { $0.pending[token]?.secret } }
        return try state.withLock { state in
            guard let token = received.token, let pending = state.pending.removeValue(forKey: token) else {
                throw rejected("unknown or used request token")
            }
            guard let verifier = pending.verifier, let userID = pending.userID, received.verifier == verifier else {
                throw rejected("invalid verifier")
            }
            let accessToken = random("at-")
            let secret = random("at-secret-")
            state.issued[accessToken] = Issued(secret: secret, userID: userID)
            return [
                OAuth1Parameter("oauth_token", accessToken), OAuth1Parameter("oauth_token_secret", secret),
                OAuth1Parameter("user_id", userID), OAuth1Parameter("screen_name", "user\(userID)"),
                OAuth1Parameter("x_conformance", "kept"),
            ]
        }
    }

    func resource(_ request: OAuth1HTTPRequest) -> OAuth1HTTPResponse {
        do {
            let received = try verified(request) { token in state.withLock { $0.issued[token]?.secret } }
            let userID = received.token.flatMap { token in state.withLock { $0.issued[token]?.userID } } ?? ""
            return OAuth1HTTPResponse(status: 200, body: Data("{\"id\":\"\(userID)\"}".utf8))
        } catch {
            return OAuth1HTTPResponse(status: 401, body: Data("{\"error\":\"unauthorized\"}".utf8))
        }
    }
}

/// `AuthorizationFlowClient` over a ``ConformanceProvider``: builds and signs each leg
/// as a real client does.
private struct ConformanceClient: AuthorizationFlowClient {
    let provider: ConformanceProvider
    let oauthCallback: String

    private func url(_ path: String) throws -> URL {
        guard let url = URL(string: provider.base + path) else {
            throw OAuth1Error(.invalidRequest, message: "bad conformance URL")
        }
        return url
    }

    func fetchRequestToken(accessType: String?) async throws -> TokenCredentials {
        var target = try url("/oauth/request_token")
        if let accessType {
            target = try url("/oauth/request_token?x_auth_access_type=" + OAuth1PercentEncoding.encode(accessType))
        }
        let signed = try OAuth1Signer(client: provider.consumer).sign(
            OAuth1HTTPRequest(method: "POST", url: target),
            extraProtocolParameters: [OAuth1Parameter("oauth_callback", oauthCallback)])
        let fields = try provider.requestToken(signed)
        guard fields.first(named: "oauth_callback_confirmed") == "true" else {
            throw OAuth1Error(.callbackNotConfirmed, message: "oauth_callback_confirmed is not true")
        }
        guard let token = fields.first(named: "oauth_token"), let secret = fields.first(named: "oauth_token_secret")
        else {
            throw OAuth1Error(.malformedResponse, message: "the request token response lacks a token")
        }
        return TokenCredentials(token: token, secret: secret)
    }

    func authorizeURL(requestToken: TokenCredentials, options: AuthorizeOptions) throws -> URL {
        var text = "/oauth/" + (options.authenticate ? "authenticate" : "authorize")
        text += "?oauth_token=" + OAuth1PercentEncoding.encode(requestToken.token)
        if options.forceLogin { text += "&force_login=true" }
        if let screenName = options.screenName { text += "&screen_name=" + OAuth1PercentEncoding.encode(screenName) }
        return try url(text)
    }

    func exchangeRequestToken(_ requestToken: TokenCredentials, verifier: String) async throws -> [OAuth1Parameter] {
        let signed = try OAuth1Signer(client: provider.consumer, token: requestToken).sign(
            OAuth1HTTPRequest(method: "POST", url: try url("/oauth/access_token")),
            extraProtocolParameters: [OAuth1Parameter("oauth_verifier", verifier)])
        return try provider.accessToken(signed)
    }

    func signer(token: TokenCredentials) -> OAuth1Signer {
        OAuth1Signer(client: provider.consumer, token: token)
    }

    func send(_ request: OAuth1HTTPRequest, signedWith token: TokenCredentials) async throws -> OAuth1HTTPResponse {
        provider.resource(try signer(token: token).sign(request))
    }
}

/// What the cases need from a provider: a client, and the user's part at the authorize page.
private protocol FlowProviderHarness: Sendable {
    /// Names the provider in failure messages.
    var label: String { get }
    /// A protected resource that answers 200 to a request signed with an issued token.
    var protectedResourceURL: URL { get }
    /// A client with `callback` as `oauth_callback`.
    func client(callback: String) -> any AuthorizationFlowClient
    /// The user approves at `authorizeURL`; returns where the browser is sent.
    func callback(approving authorizeURL: URL) async throws -> URL
    /// The user approves a desktop flow; returns the PIN.
    func approve(_ authorizeURL: URL) async throws -> String
    /// The user presses "Cancel"; returns the callback the browser is sent to.
    func denial(_ authorizeURL: URL, callback: String) async throws -> String
}

/// A `LocalOAuth1Provider` on loopback, reached by `OAuth1Client` over HTTP.
private struct LoopbackHarness: FlowProviderHarness {
    let provider: LocalOAuth1Provider
    let consumer: ClientCredentials

    static func start() async throws -> LoopbackHarness {
        let consumer = ClientCredentials(key: "conformance", secret: "consumer-secret-" + UUID().uuidString)
        let provider = try await LocalOAuth1Provider.start(
            LocalOAuth1Provider.Configuration(consumers: [.init(key: consumer.key, secret: consumer.secret)]))
        return LoopbackHarness(provider: provider, consumer: consumer)
    }

    var label: String { "LocalOAuth1Provider over HTTP" }
    var protectedResourceURL: URL { provider.protectedResourceURL }

    func client(callback: String) -> any AuthorizationFlowClient {
        let mode: OAuth1CallbackMode =
            URL(string: callback).map { callback == "oob" ? .outOfBand : .url($0) } ?? .outOfBand
        return OAuth1Client(credentials: consumer, callback: mode, endpoints: provider.endpoints)
    }

    private func requestToken(in authorizeURL: URL) throws -> String {
        let query = URLComponents(url: authorizeURL, resolvingAgainstBaseURL: true)?.percentEncodedQuery ?? ""
        guard let token = try OAuth1PercentEncoding.parseForm(query).first(named: "oauth_token") else {
            throw OAuth1Error(.invalidRequest, message: "the authorize URL names no oauth_token")
        }
        return token
    }

    func callback(approving authorizeURL: URL) async throws -> URL {
        guard let url = try provider.approve(requestToken: try requestToken(in: authorizeURL)).callbackURL else {
            throw OAuth1Error(.invalidRequest, message: "the provider gave no callback (an oob token?)")
        }
        return url
    }

    func approve(_ authorizeURL: URL) async throws -> String {
        try provider.approve(requestToken: try requestToken(in: authorizeURL)).verifier
    }

    func denial(_ authorizeURL: URL, callback: String) async throws -> String {
        let token = try requestToken(in: authorizeURL)
        return try provider.deny(requestToken: token)?.absoluteString
            ?? callback + "?denied=" + OAuth1PercentEncoding.encode(token)
    }
}
