import Foundation
import OAuth1
import OAuth2
import OAuth2Testing
import Synchronization

/// A clock a test moves by hand, for the client and the provider alike.
final class ManualClock: Sendable {
    private let current: Mutex<Date>

    init(_ start: Date = Date(timeIntervalSince1970: 1_800_000_000)) { current = Mutex(start) }

    var now: Date { current.withLock { $0 } }
    func advance(by seconds: TimeInterval) { current.withLock { $0 = $0.addingTimeInterval(seconds) } }
    var clock: OAuth2Clock { OAuth2Clock { [self] in now } }
}

/// A transport that records every request and answers from a queue of canned responses
/// (or throws a canned error).
final class StubTransport: OAuth1Transport {
    enum Answer: Sendable {
        case response(OAuth1HTTPResponse)
        case failure(any Error)
        /// Waits until the calling task is cancelled, then throws `CancellationError`.
        case hang
    }

    private let state = Mutex<(answers: [Answer], requests: [OAuth1HTTPRequest])>(([], []))

    init(_ answers: [Answer] = []) { state.withLock { $0.answers = answers } }

    /// A transport answering once with `status`, `body` and `contentType`.
    convenience init(status: Int, body: String, contentType: String = "application/json") {
        self.init([.response(OAuth1HTTPResponse(status: status, headers: ["Content-Type": contentType], body: Data(body.utf8)))])
    }

    var requests: [OAuth1HTTPRequest] { state.withLock { $0.requests } }

    func send(_ request: OAuth1HTTPRequest, timeout: Duration) async throws -> OAuth1HTTPResponse {
        let answer = state.withLock { state -> Answer? in
            state.requests.append(request)
            return state.answers.isEmpty ? nil : state.answers.removeFirst()
        }
        switch answer {
        case .response(let response)?: return response
        case .failure(let error)?: throw error
        case .hang?:
            while !Task.isCancelled { try? await Task.sleep(for: .seconds(1)) }
            throw CancellationError()
        case nil: return OAuth1HTTPResponse(status: 599, body: Data("no canned answer left".utf8))
        }
    }
}

/// A provider on loopback and a client registered with it, for one test.
struct FlowFixture {
    static let clientID = "flow-client"
    static let clientSecret = "flow-secret: p@ss/w%rd & more"
    static let redirectURI = "https://app.example/oauth2/callback?keep=1"
    static let otherRedirectURI = "https://app.example/other-callback"

    let provider: LocalOAuth2Provider
    var client: OAuth2Client
    let clock: ManualClock

    static func with<T>(
        method: OAuth2ClientAuthenticationMethod = .clientSecretBasic,
        configure: (inout LocalOAuth2Provider.Configuration) -> Void = { _ in },
        _ body: (FlowFixture) async throws -> T
    ) async throws -> T {
        let clock = ManualClock()
        let secret: String? = method == .none ? nil : clientSecret
        var configuration = LocalOAuth2Provider.Configuration(
            clients: [
                .init(
                    id: clientID, secret: secret, redirectURIs: [redirectURI, otherRedirectURI],
                    authenticationMethod: method)
            ],
            accessTokenLifetime: .seconds(1), clock: clock.clock)
        configure(&configuration)
        let provider = try await LocalOAuth2Provider.start(configuration)
        let credentials =
            secret.map { OAuth2ClientCredentials(id: clientID, secret: $0, authenticationMethod: method) }
            ?? OAuth2ClientCredentials(publicClientID: clientID)
        let client = OAuth2Client(
            credentials: credentials, endpoints: provider.endpoints, redirectURI: URL(string: redirectURI)!,
            timeout: .seconds(60), clock: clock.clock)
        let fixture = FlowFixture(provider: provider, client: client, clock: clock)
        do {
            let result = try await body(fixture)
            await provider.stop()
            return result
        } catch {
            await provider.stop()
            throw error
        }
    }

    /// Follows the authorize step like a browser: GET the URL, return the redirect target.
    func authorizeInBrowser(_ url: URL) async throws -> URL? {
        let response = try await URLSessionTransport.shared.send(OAuth1HTTPRequest(url: url), timeout: .seconds(60))
        guard (300..<400).contains(response.status), let location = response.header(named: "Location") else { return nil }
        return URL(string: location)
    }

    /// Authorizes and exchanges: the tokens of a fresh sign-in.
    func signIn(scopes: [String] = ["users.read", "offline.access"]) async throws -> OAuth2TokenResponse {
        let pending = try client.authorizationRequest(scopes: scopes)
        guard let callbackURL = try await authorizeInBrowser(pending.url) else {
            throw OAuth2Error(.invalidCallback, message: "the provider did not redirect")
        }
        return try await client.exchange(try OAuth2Callback(url: callbackURL), for: pending)
    }
}

/// Runs `body` and returns the ``OAuth2Error`` it threw, or `nil` if it threw none.
func oauth2Error(_ body: () async throws -> Void) async -> OAuth2Error? {
    do {
        try await body()
        return nil
    } catch let error as OAuth2Error {
        return error
    } catch {
        return nil
    }
}

/// What `dump` prints, which walks the reflection mirrors.
func dumped(_ value: Any) -> String {
    var text = ""
    dump(value, to: &text)
    return text
}
