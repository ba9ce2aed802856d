import Foundation
import OAuth1
import OAuth1Testing

/// A provider on loopback and a client registered with it, for one test.
struct DanceFixture {
    static let consumerKey = "dance-consumer"
    static let consumerSecret = "dance-consumer-secret-Zq9"
    static let callbackURL = URL(string: "https://app.example/oauth/callback?state=kept")!

    let provider: LocalOAuth1Provider
    var client: OAuth1Client

    // The default timeouts are safety nets, not expectations: the provider answers in
    // milliseconds, but it runs in this process, on the cooperative threads the whole suite
    // shares, and under a loaded run a task can wait tens of seconds for one.
    static func start(
        method: SignatureMethod = .hmacSHA1,
        placement: SignaturePlacement = .authorizationHeader,
        callback: OAuth1CallbackMode = .url(callbackURL),
        timeout: Duration = .seconds(60),
        configure: (inout LocalOAuth1Provider.Configuration) -> Void = { _ in }
    ) async throws -> DanceFixture {
        var configuration = LocalOAuth1Provider.Configuration(consumers: [
            .init(key: consumerKey, secret: consumerSecret, rsaPublicKeyPEM: SignatureMethodTests.testCasesPublicKeyPEM)
        ])
        configure(&configuration)
        let provider = try await LocalOAuth1Provider.start(configuration)
        let client = OAuth1Client(
            credentials: ClientCredentials(key: consumerKey, secret: consumerSecret),
            callback: callback, endpoints: provider.endpoints, signatureMethod: method, placement: placement,
            timeout: timeout)
        return DanceFixture(provider: provider, client: client)
    }

    /// Runs the fixture's body and stops the provider afterwards, also on failure.
    static func with<T>(
        method: SignatureMethod = .hmacSHA1,
        placement: SignaturePlacement = .authorizationHeader,
        callback: OAuth1CallbackMode = .url(callbackURL),
        timeout: Duration = .seconds(60),
        configure: (inout LocalOAuth1Provider.Configuration) -> Void = { _ in },
        _ body: (DanceFixture) async throws -> T
    ) async throws -> T {
        let fixture = try await start(method: method, placement: placement, callback: callback, timeout: timeout, configure: configure)
        do {
            let result = try await body(fixture)
            await fixture.provider.stop()
            return result
        } catch {
            await fixture.provider.stop()
            throw error
        }
    }

    /// Follows the authorize step like a browser: GET the authorize URL, return the redirect target.
    func authorizeInBrowser(_ url: URL) async throws -> URL? {
        let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: url), timeout: .seconds(60))
        guard response.status == 302, let location = response.header(named: "Location") else { return nil }
        return URL(string: location)
    }
}

/// Runs `body` and returns the ``OAuth1Error`` it threw, or `nil` if it did not throw one.
func oauthError(_ body: () async throws -> Void) async -> OAuth1Error? {
    do {
        try await body()
        return nil
    } catch let error as OAuth1Error {
        return error
    } catch {
        return nil
    }
}
