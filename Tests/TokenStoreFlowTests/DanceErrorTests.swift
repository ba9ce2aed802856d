import Foundation
import Logging
import OAuth1
import OAuth1Testing
import Testing
import TokenStoreFlow
import TokenStoreKit
import TokenStoreTesting

/// Every typed error of the flow, and what each leaves in the store.
@Suite("Dance errors", .inProcessTimeLimit)
struct DanceErrorTests {
    let session = FlowSession.browser(sessionID: "cookie-" + UUID().uuidString)

    static func memoryStore() async throws -> DanceSpyStore {
        DanceSpyStore()
    }

    /// A flow whose provider is never reached: for checks made before any HTTP exchange.
    static func offlineFlow(provider: String = "twitter", store: any TokenStore, ttl: Duration = .seconds(600))
        -> AuthorizationFlow
    {
        AuthorizationFlow(
            provider: provider, client: DanceFakeClient(provider: DanceFakeProvider()), store: store,
            requestTokenTimeToLive: ttl)
    }

    static func pending(_ token: String, provider: String = "twitter", binding: String?) -> RequestToken {
        RequestToken(
            provider: provider, token: token, secret: "rt-secret-\(token)",
            context: RequestTokenContext(callbackURL: "https://app.example/cb", sessionBinding: binding),
            createdAt: Date())
    }

    @Test func callbackWithoutOAuthTokenIsInvalid() async throws {
        let flow = Self.offlineFlow(store: try await Self.memoryStore())
        for query in [
            "", "?", "oauth_verifier=v", "https://app.example/cb",
            "https://app.example/cb?oauth_token=&oauth_verifier=v",
        ] {
            let error = await #expect(throws: AuthorizationFlowError.self) {
                try await flow.complete(callbackQuery: query, session: session)
            }
            #expect(error?.code == .invalidCallback, "\(query)")
        }
    }

    @Test func malformedCallbackEncodingIsInvalid() async throws {
        let flow = Self.offlineFlow(store: try await Self.memoryStore())
        let error = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: "oauth_token=%ZZ&oauth_verifier=v", session: session)
        }
        #expect(error?.code == .invalidCallback)
    }

    @Test func missingVerifierAndMissingSessionConsumeNothing() async throws {
        let store = try await Self.memoryStore()
        let flow = Self.offlineFlow(store: store)
        let binding = SessionBinding.binding(for: session, provider: "twitter", oauthToken: "rt-1")
        try await store.saveRequestToken(Self.pending("rt-1", binding: binding))

        let noVerifier = await #expect(throws: OAuth1Error.self) {
            try await flow.complete(callbackQuery: "oauth_token=rt-1", session: session)
        }
        #expect(noVerifier?.code == .missingVerifier)
        for missing in [nil, FlowSession.browser(sessionID: "")] {
            let noSession = await #expect(throws: AuthorizationFlowError.self) {
                try await flow.complete(callbackQuery: "oauth_token=rt-1&oauth_verifier=v", session: missing)
            }
            #expect(noSession?.code == .sessionRequired)
        }
        #expect(store.calls("takeRequestToken") == 0, "refused before the store was touched")
        #expect(try await store.takeRequestToken("rt-1") != nil)
    }

    @Test func unknownTokenIsNotFound() async throws {
        let flow = Self.offlineFlow(store: try await Self.memoryStore())
        let error = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: "oauth_token=never-issued&oauth_verifier=v", session: session)
        }
        #expect(error?.code == .requestTokenNotFound)
        #expect(error?.message.contains("unknown, expired or already used") == true)
        #expect(error?.record == "never-issued")
    }

    @Test func unboundOrForeignBindingsFailClosedAndConsume() async throws {
        let store = try await Self.memoryStore()
        let flow = Self.offlineFlow(store: store)
        let cases: [(String, String?)] = [
            ("rt-nil", nil), ("rt-empty", ""), ("rt-garbage", "s256:00"), ("rt-oob", SessionBinding.outOfBandMarker),
            (
                "rt-other",
                SessionBinding.binding(
                    for: .browser(sessionID: "someone-else"), provider: "twitter", oauthToken: "rt-other")
            ),
            // A binding copied from another token does not transfer: it is salted by the token.
            ("rt-copied", SessionBinding.binding(for: session, provider: "twitter", oauthToken: "rt-elsewhere")),
        ]
        for (token, binding) in cases {
            try await store.saveRequestToken(Self.pending(token, binding: binding))
            let error = await #expect(throws: AuthorizationFlowError.self) {
                try await flow.complete(callbackQuery: "oauth_token=\(token)&oauth_verifier=v", session: session)
            }
            #expect(error?.code == .sessionMismatch, "\(token)")
            #expect(try await store.takeRequestToken(token) == nil, "\(token) was consumed by the refused attempt")
        }
    }

    @Test func anotherProvidersTokenIsRefusedAndConsumed() async throws {
        let store = try await Self.memoryStore()
        let binding = SessionBinding.binding(for: session, provider: "tumblr", oauthToken: "rt-t")
        try await store.saveRequestToken(Self.pending("rt-t", provider: "tumblr", binding: binding))
        let error = await #expect(throws: AuthorizationFlowError.self) {
            try await Self.offlineFlow(store: store).complete(
                callbackQuery: "oauth_token=rt-t&oauth_verifier=v", session: session)
        }
        #expect(error?.code == .providerMismatch)
        #expect(try await store.takeRequestToken("rt-t") == nil)
    }

    @Test func deniedRemovesThePendingTokenEvenWhenUnknown() async throws {
        let store = try await Self.memoryStore()
        try await store.saveRequestToken(Self.pending("rt-d", binding: "x"))
        let flow = Self.offlineFlow(store: store)
        for query in ["denied=rt-d", "denied=rt-d", "https://app.example/cb?denied=", "oauth_token=rt-z&denied"] {
            let error = await #expect(throws: OAuth1Error.self) {
                try await flow.complete(callbackQuery: query, session: nil)
            }
            #expect(error?.code == .userDenied, "\(query)")
        }
        #expect(try await store.takeRequestToken("rt-d") == nil)
    }

    @Test func badConfigurationIsTypedBeforeAnyExchange() async throws {
        let store = try await Self.memoryStore()
        for flow in [Self.offlineFlow(provider: "", store: store), Self.offlineFlow(store: store, ttl: .zero)] {
            let begin = await #expect(throws: AuthorizationFlowError.self) { try await flow.begin(session: session) }
            #expect(begin?.code == .invalidConfiguration)
            let complete = await #expect(throws: AuthorizationFlowError.self) {
                try await flow.complete(callbackQuery: "oauth_token=a&oauth_verifier=b", session: session)
            }
            #expect(complete?.code == .invalidConfiguration)
        }
        let emptySession = await #expect(throws: AuthorizationFlowError.self) {
            try await Self.offlineFlow(store: store).begin(session: .browser(sessionID: ""))
        }
        #expect(emptySession?.code == .sessionRequired)
        #expect(store.totalCalls == 0, "refused before the store was touched")
    }

    @Test func aBrowserSessionNeedsACallbackURL() async throws {
        let store = try await Self.memoryStore()
        let desktopClient = DanceFakeClient(provider: DanceFakeProvider(), oauthCallback: "oob")
        let desktop = AuthorizationFlow(provider: "twitter", client: desktopClient, store: store)
        let browserOnDesktop = await #expect(throws: AuthorizationFlowError.self) {
            try await desktop.begin(session: session)
        }
        #expect(browserOnDesktop?.code == .invalidConfiguration)
        #expect(store.totalCalls == 0)
    }

    /// A desktop app may receive the redirect on its own loopback listener.
    @Test func desktopFlowWithALoopbackCallback() async throws {
        let provider = DanceFakeProvider()
        let client = DanceFakeClient(provider: provider, oauthCallback: "http://127.0.0.1:7777/cb")
        let flow = AuthorizationFlow(provider: "twitter", client: client, store: try await Self.memoryStore())
        let start = try await flow.begin(session: .outOfBand)
        let callback = try #require(client.callback(for: start))
        let wrong = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.complete(callbackQuery: callback, session: self.session)
        }
        #expect(wrong?.code == .sessionMismatch)
        let again = try await flow.begin(session: .outOfBand)
        let done = try await flow.complete(callbackQuery: try #require(client.callback(for: again)), session: .outOfBand)
        #expect(done.key.provider == "twitter")
    }

    @Test func outOfBandNeedsAPinAndAToken() async throws {
        let flow = Self.offlineFlow(store: try await Self.memoryStore())
        let noPin = await #expect(throws: OAuth1Error.self) {
            try await flow.completeOutOfBand(requestToken: "a", verifier: " \n")
        }
        #expect(noPin?.code == .missingVerifier)
        let noToken = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.completeOutOfBand(requestToken: "", verifier: "1")
        }
        #expect(noToken?.code == .invalidCallback)
    }

    @Test func signerNeedsAStoredTokenOfThisProvider() async throws {
        let store = try await Self.memoryStore()
        let flow = Self.offlineFlow(store: store)
        let missing = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.signer(for: AccessTokenKey(provider: "twitter", userID: "1"))
        }
        #expect(missing?.code == .accessTokenNotFound)
        try await store.saveAccessToken(
            AccessToken(provider: "twitter", userID: "1", token: "at", secret: "at-secret", createdAt: Date()))
        let signer = try await flow.signer(for: AccessTokenKey(provider: "twitter", userID: "1"))
        #expect(signer.token == TokenCredentials(token: "at", secret: "at-secret"))
        let foreign = await #expect(throws: AuthorizationFlowError.self) {
            try await flow.send(
                OAuth1HTTPRequest(url: URL(fileURLWithPath: "/")), as: AccessTokenKey(provider: "tumblr", userID: "1"))
        }
        #expect(foreign?.code == .providerMismatch)
    }

    @Test func errorCodesDescribeThemselves() {
        let codes: [AuthorizationFlowError.Code] = [
            .requestTokenNotFound, .sessionRequired, .sessionMismatch, .providerMismatch, .missingUserID,
            .accessTokenNotFound, .invalidCallback, .invalidConfiguration,
        ]
        #expect(Set(codes.map(\.description)).count == codes.count)
        let error = AuthorizationFlowError(.sessionMismatch, provider: "twitter", message: "m", record: "rt")
        #expect(error.description == "AuthorizationFlowError(session mismatch): twitter: m (rt)")
    }
}

@Suite("Dance callback forms", .inProcessTimeLimit)
struct DanceCallbackFormTests {
    @Test(arguments: [
        "https://app.example/cb?oauth_token=%@&oauth_verifier=%v#frag",
        "/cb?oauth_token=%@&oauth_verifier=%v",
        "?oauth_token=%@&oauth_verifier=%v",
        "oauth_token=%@&oauth_verifier=%v",
        "oauth_verifier=%v&oauth_token=%@&extra=a?b",
    ])
    func everyCallbackFormCompletes(_ template: String) async throws {
        let provider = DanceFakeProvider()
        let client = DanceFakeClient(provider: provider)
        let flow = AuthorizationFlow(provider: "twitter", client: client, store: DanceSpyStore())
        let session = FlowSession.browser(sessionID: "s-" + UUID().uuidString)
        let start = try await flow.begin(session: session)
        let verifier = try #require(provider.approve(start.requestToken))
        let callback =
            template
            .replacingOccurrences(of: "%@", with: OAuth1PercentEncoding.encode(start.requestToken))
            .replacingOccurrences(of: "%v", with: verifier)
        let done = try await flow.complete(callbackQuery: callback, session: session)
        #expect(done.key.provider == "twitter")
    }
}
