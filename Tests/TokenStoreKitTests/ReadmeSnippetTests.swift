import Foundation
import OAuth1
import OAuth2
import Testing
import TokenStoreFlow
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreSealing

/// The README's quick start, compiled here. `readmeShowsThisCode` keeps the two identical.
private func readmeQuickStart(consumerKey: String, consumerSecret: String) async throws {
    // snippet: quick-start
    // At startup: the store every worker shares and the client for the provider.
    TokenStoreRegistry.shared.register(SQLiteTokenStore.driver)
    let store = try await TokenStoreRegistry.shared.open("sqlite:///var/lib/myapp/tokens.db")
    let client = OAuth1Client(
        credentials: ClientCredentials(key: consumerKey, secret: consumerSecret),
        callback: .url(URL(string: "https://myapp.example/auth/twitter/callback")!),
        endpoints: .twitter)
    let flow = AuthorizationFlow(provider: "twitter", client: client, store: store)

    // GET /auth/twitter: answer 302 with the returned URL as Location.
    func beginSignIn(sessionID: String) async throws -> URL {
        let start = try await flow.begin(session: .browser(sessionID: sessionID), returnTo: "/settings")
        return start.authorizationURL
    }

    // GET /auth/twitter/callback?oauth_token=...&oauth_verifier=...
    func completeSignIn(callbackURL: URL, sessionID: String) async throws -> AccessTokenKey {
        let done = try await flow.complete(callback: callbackURL, session: .browser(sessionID: sessionID))
        return done.key  // (provider, user id): keep it with the user's account
    }

    // Later, in any process: a signed API call with the stored access token.
    func postStatus(_ text: String, as key: AccessTokenKey) async throws -> OAuth1HTTPResponse {
        var request = OAuth1HTTPRequest(
            method: "POST", url: URL(string: "https://api.twitter.com/1.1/statuses/update.json")!)
        request.setHeader("Content-Type", "application/x-www-form-urlencoded")
        request.body = Data(("status=" + OAuth1PercentEncoding.encode(text)).utf8)
        return try await flow.send(request, as: key)
    }
    // end snippet
    _ = (beginSignIn, completeSignIn, postStatus)
}

/// The README's OAuth 2.0 example, compiled here.
private func readmeOAuth2(
    store: any TokenStore, clientID: String, clientSecret: String,
    gitHubUser: @escaping @Sendable (String) async throws -> OAuth2UserIdentity
) async throws {
    // snippet: oauth2
    let github = OAuth2Client(
        credentials: OAuth2ClientCredentials(id: clientID, secret: clientSecret),
        endpoints: .github,
        redirectURI: URL(string: "https://myapp.example/auth/github/callback")!)
    let signIn = OAuth2AuthorizationFlow(provider: "github", client: github, store: store)
    let refresher = OAuth2TokenRefresher(store: store, client: github)

    // GET /auth/github: answer 302 with the returned URL as Location.
    func beginGitHubSignIn(sessionID: String) async throws -> URL {
        try await signIn.begin(session: .browser(sessionID: sessionID), scopes: ["read:user"]).authorizationURL
    }

    // GET /auth/github/callback?code=...&state=...
    func completeGitHubSignIn(callbackURL: URL, sessionID: String) async throws -> AccessTokenKey {
        let done = try await signIn.complete(
            callbackQuery: callbackURL.absoluteString, session: .browser(sessionID: sessionID)
        ) { tokens in
            try await gitHubUser(tokens.accessToken)  // who signed in: GitHub's GET /user
        }
        return done.tokenSet.key
    }

    // Later, in any worker: a token valid for at least a minute, refreshed once for all.
    func currentUser(_ key: AccessTokenKey) async throws -> OAuth1HTTPResponse {
        let tokens = try await refresher.validAccessToken(for: key)
        let request = OAuth1HTTPRequest(url: URL(string: "https://api.github.com/user")!)
        return try await github.send(request, accessToken: tokens.accessToken)
    }
    // end snippet
    _ = (beginGitHubSignIn, completeGitHubSignIn, currentUser)
}

/// The README's sealing example, compiled here.
private func readmeSealing(url: String) async throws -> any TokenStore {
    // snippet: sealing
    let keys = try SealingKeyRing.load(keyFile: "/etc/myapp/sealing.keys")
    let store = SealedTokenStore(wrapping: try await TokenStoreRegistry.shared.open(url), keys: keys)
    // end snippet
    return store
}

/// The README's metrics example, compiled here.
private func readmeMetrics(url: String, keys: SealingKeyRing) async throws -> any TokenStore {
    // snippet: metrics
    let store = MeteredTokenStore(
        wrapping: SealedTokenStore(wrapping: try await TokenStoreRegistry.shared.open(url), keys: keys),
        driver: "postgres")
    // end snippet
    return store
}

@Suite("README", .inProcessTimeLimit)
struct ReadmeSnippetTests {
    @Test("every swift snippet marked in README.md is code compiled above", arguments: ["quick-start", "oauth2", "sealing", "metrics"])
    func readmeShowsThisCode(snippet: String) throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let source = try String(contentsOf: URL(fileURLWithPath: #filePath), encoding: .utf8)

        let marker = try #require(readme.range(of: "<!-- snippet: \(snippet) -->\n```swift\n"))
        let end = try #require(readme.range(of: "\n```", range: marker.upperBound..<readme.endIndex))
        let shown = String(readme[marker.upperBound..<end.lowerBound])

        let begin = try #require(source.range(of: "    // snippet: \(snippet)\n"))
        let stop = try #require(source.range(of: "\n    // end snippet", range: begin.upperBound..<source.endIndex))
        let compiled = source[begin.upperBound..<stop.lowerBound]
            .split(separator: "\n", omittingEmptySubsequences: false)
            .map { $0.hasPrefix("    ") ? String($0.dropFirst(4)) : String($0) }
            .joined(separator: "\n")
        #expect(shown == compiled)
    }

    @Test("every snippet marker in README.md is checked")
    func everySnippetIsChecked() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.components(separatedBy: "<!-- snippet: ").count - 1 == 4)
    }
}
