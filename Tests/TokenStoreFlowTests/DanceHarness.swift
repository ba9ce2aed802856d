import Foundation
import OAuth1
import OAuth1Testing
import TokenStoreFlow
import TokenStoreKit

/// A LocalOAuth1Provider on loopback and the client that talks to it.
struct DanceHarness: Sendable {
    let provider: LocalOAuth1Provider
    let consumer: ClientCredentials

    static func start() async throws -> DanceHarness {
        let consumer = ClientCredentials(key: "dance-app", secret: "dance-consumer-secret-" + UUID().uuidString)
        let provider = try await LocalOAuth1Provider.start(
            LocalOAuth1Provider.Configuration(consumers: [.init(key: consumer.key, secret: consumer.secret)]))
        return DanceHarness(provider: provider, consumer: consumer)
    }

    func stop() async { await provider.stop() }

    var consumerSecret: String { consumer.secret }
    var protectedResourceURL: URL { provider.protectedResourceURL }

    func client(callback: URL? = URL(string: "https://app.example/oauth/callback")) -> OAuth1Client {
        OAuth1Client(
            credentials: consumer, callback: callback.map { .url($0) } ?? .outOfBand, endpoints: provider.endpoints)
    }

    /// The user approves at the authorize page; returns the callback the browser is sent to.
    func approve(_ start: AuthorizationStart) throws -> URL {
        guard let url = try provider.approve(requestToken: start.requestToken).callbackURL else {
            throw OAuth1Error(.invalidRequest, message: "no callback for an oob token")
        }
        return url
    }
}
