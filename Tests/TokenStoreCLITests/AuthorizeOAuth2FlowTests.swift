import ArgumentParser
import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Testing
import TokenStoreKit

@testable import TokenStoreCLI

/// `tokenstore authorize --oauth2` (RFC 8252 loopback redirect) then `tokenstore request`
/// with the stored token set as Bearer, refreshed through the store, against a
/// LocalOAuth2Provider; a "browser" task follows the printed URL to the loopback listener.
@Suite(.serverTimeLimit) struct AuthorizeOAuth2FlowTests {
    static let clientID = "cli2-app"
    static let clientSecret = "cli2-secret-" + UUID().uuidString
    static var environment: [String: String] {
        [OAuth2ClientOptions.idVariable: clientID, OAuth2ClientOptions.secretVariable: clientSecret]
    }

    /// Waits for the authorization URL in `captured`'s output, then does what a browser
    /// does: GET it, follow the provider's redirect to the loopback listener.
    static func browse(_ captured: CapturedConsole) async throws -> Int {
        let deadline = ContinuousClock.now + .seconds(60)
        while ContinuousClock.now < deadline {
            if let line = captured.output.split(separator: "\n").first(where: { $0.contains("/oauth2/authorize?") }),
                let url = URL(string: line.trimmingCharacters(in: .whitespaces))
            {
                let approval = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: url), timeout: .seconds(60))
                guard let location = approval.header(named: "Location"), let loopback = URL(string: location) else {
                    return approval.status
                }
                return try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: loopback), timeout: .seconds(60)).status
            }
            try await Task.sleep(for: .milliseconds(50))
        }
        return 0
    }

    @Test func authorizeThenRequestWithBearerAndRefresh() async throws {
        let provider = try await LocalOAuth2Provider.start(
            LocalOAuth2Provider.Configuration(
                clients: [.init(id: Self.clientID, secret: Self.clientSecret, redirectURIs: ["http://127.0.0.1/callback"])],
                accessTokenLifetime: .seconds(600)))
        defer { Task { await provider.stop() } }
        let store = "memory:cli-oauth2-\(UUID().uuidString)"
        let endpointFlags = [
            "--provider-id", "local2", "--authorization-url", provider.endpoints.authorizationURL.absoluteString,
            "--token-url", provider.endpoints.tokenURL.absoluteString,
        ]

        let captured = CapturedConsole(environment: Self.environment)
        let authorize = try #require(
            try TokenStoreCommand.parseAsRoot(
                ["authorize", "--oauth2", "--store", store, "--scope", "users.read", "--scope", "offline.access",
                 "--user-info-url", provider.protectedResourceURL.absoluteString] + endpointFlags) as? AuthorizeCommand)
        async let browser = Self.browse(captured)
        try await authorize.execute(console: captured.console)
        #expect(try await browser == 200, "the loopback listener did not answer the browser")
        let output = captured.output
        #expect(output.contains("redirect_uri=http%3A%2F%2F127.0.0.1%3A"))
        #expect(output.contains("code_challenge_method=S256"))
        #expect(output.contains("user id:       2244994945"))
        #expect(output.contains("screen name:   test_user"))
        #expect(output.contains("refresh token: stored"))

        let opened = try await StoreDrivers.open(store)
        let key = AccessTokenKey(provider: "local2", userID: "2244994945")
        let tokenSet = try #require(try await opened.tokenSet(for: key))
        #expect(!output.contains(tokenSet.accessToken) && !output.contains(tokenSet.refreshToken ?? "-"))
        #expect(!output.contains(Self.clientSecret))
        #expect(try await opened.counts().requestTokens == 0, "the pending authorization was left behind")

        func request(_ extra: [String]) async throws -> CapturedConsole {
            let console = CapturedConsole(environment: Self.environment)
            let command = try #require(
                try TokenStoreCommand.parseAsRoot(
                    ["request", "--store", store, "--provider", "local2", "--user", "2244994945"] + extra
                        + [provider.protectedResourceURL.absoluteString]) as? RequestCommand)
            try await command.execute(console: console.console)
            return console
        }
        let bearer = try await request([])
        #expect(bearer.output.hasPrefix("HTTP 200\n"))
        #expect(bearer.output.contains("test_user"))

        // Expired (as stored): without the client it refuses; with it, it refreshes.
        var expired = try #require(try await opened.tokenSet(for: key))
        expired.expiresAt = Date().addingTimeInterval(-1)
        try await opened.saveTokenSet(expired)
        await #expect(throws: CLIFailure.self) { _ = try await request([]) }
        let refreshed = try await request(["--token-url", provider.endpoints.tokenURL.absoluteString])
        #expect(refreshed.output.hasPrefix("HTTP 200\n"))
        #expect(provider.counters.refreshesServed == 1)
        let after = try #require(try await opened.tokenSet(for: key))
        #expect(after.version == tokenSet.version + 2, "the test's expiry write, then the refresh")
        #expect(after.refreshToken != tokenSet.refreshToken)
        try await opened.close()
    }

    @Test func oauth2FlagsWithoutOAuth2AreRefused() async throws {
        let command = try #require(
            try TokenStoreCommand.parseAsRoot(["authorize", "--oauth2-provider", "github"]) as? AuthorizeCommand)
        let failure = await #expect(throws: CLIFailure.self) {
            try await command.execute(console: CapturedConsole().console)
        }
        #expect(failure?.message.contains("--oauth2") == true)
        let noClient = try #require(
            try TokenStoreCommand.parseAsRoot(["authorize", "--oauth2", "--oauth2-provider", "github"]) as? AuthorizeCommand)
        let missing = await #expect(throws: CLIFailure.self) {
            try await noClient.execute(console: CapturedConsole().console)
        }
        #expect(missing?.message.contains(OAuth2ClientOptions.idVariable) == true)
        let unknown = try #require(
            try TokenStoreCommand.parseAsRoot(["authorize", "--oauth2", "--oauth2-provider", "nosuch"]) as? AuthorizeCommand)
        await #expect(throws: CLIFailure.self) { try await unknown.execute(console: CapturedConsole().console) }
    }
}
