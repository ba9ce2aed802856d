import ArgumentParser
import Foundation
import OAuth1
import OAuth1Testing
import TokenStoreFlow
import TokenStoreKit

/// `tokenstore demo`: the whole dance with a store, against a local provider on loopback.
struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run the OAuth 1.0a dance with a token store against a local test provider.",
        discussion: """
            Starts a local OAuth 1.0a provider on 127.0.0.1, then does what a web app does: \
            "begin" saves a request token in the store and gives the authorize URL; the \
            authorize page is visited like a browser; "complete" takes the request token \
            from the store, exchanges it and stores the access token; a signed request is \
            made with the stored token. By default the store is a new SQLite file in a \
            temporary directory; --store URL uses any store (sqlite:, file:, postgres:, redis:, memory:).
            """)

    @Option(
        name: .customLong("store"), help: "The token store URL (default: a new SQLite file in a temporary directory).")
    var store: String?

    init() {}

    func run() async throws {
        try await execute(console: .standard)
    }

    /// Runs the demo with `console`'s streams.
    ///
    /// - Throws: ``CLIFailure`` naming the step that failed.
    func execute(console: CLIConsole) async throws {
        let storeURL = try store ?? "sqlite://" + StoreLocation.makeTemporaryDirectory() + "/tokens.db"
        console.print("tokenstore demo: the OAuth 1.0a dance with a token store")
        console.print()
        let consumer = ClientCredentials(key: "tokenstore-demo", secret: "demo-secret-" + UUID().uuidString)
        let provider = try await step("start the local provider") {
            try await LocalOAuth1Provider.start(
                LocalOAuth1Provider.Configuration(consumers: [.init(key: consumer.key, secret: consumer.secret)]))
        }
        do {
            try await run(console: console, provider: provider, consumer: consumer, storeURL: storeURL)
        } catch {
            await provider.stop()
            throw error
        }
        await provider.stop()
    }

    private func run(
        console: CLIConsole, provider: LocalOAuth1Provider, consumer: ClientCredentials, storeURL: String
    ) async throws {
        console.print("1. Local OAuth 1.0a provider listening on \(provider.baseURL.absoluteString)")
        let tokenStore = try await step("open the store \(StoreURLRedaction.redact(storeURL))") {
            try await StoreDrivers.open(storeURL)
        }
        do {
            try await dance(console: console, provider: provider, consumer: consumer, store: tokenStore)
        } catch {
            try? await tokenStore.close()
            throw error
        }
        try? await tokenStore.close()
    }

    private func dance(
        console: CLIConsole, provider: LocalOAuth1Provider, consumer: ClientCredentials, store: any TokenStore
    ) async throws {
        console.print("2. Token store: \(store.displayName)")
        let client = OAuth1Client(credentials: consumer, callback: .url(Self.callback), endpoints: provider.endpoints)
        let flow = AuthorizationFlow(provider: Self.providerID, client: client, store: store)
        // A web app passes its session cookie's value; the demo makes one up.
        let session = FlowSession.browser(sessionID: UUID().uuidString)

        // The redirect handler.
        let start = try await step("begin") { try await flow.begin(session: session, returnTo: "/welcome") }
        let pending = try await step("read the pending request token") {
            try await Self.pendingRequestToken(start.requestToken, in: store)
        }
        console.print("3. begin: saved request token \(start.requestToken) in the store")
        console.print("   expires \(start.expiresAt), callback \(pending?.context.callbackURL ?? "?"),")
        console.print(
            "   session binding \(Self.abbreviated(pending?.context.sessionBinding)) (a hash, never the session id)")
        console.print("   redirect the browser to \(start.authorizationURL.absoluteString)")

        // The browser at the provider.
        let callback = try await step("visit the authorize page") {
            try await AuthorizePageVisit.callbackURL(visiting: start.authorizationURL)
        }
        console.print("4. The provider approved and redirected the browser to the app's callback:")
        console.print("   \(Self.withoutVerifier(callback))")

        // The callback handler, on any worker.
        let done = try await step("complete") { try await flow.complete(callback: callback, session: session) }
        let token = done.accessToken
        console.print("5. complete: took request token \(start.requestToken) from the store and exchanged it")
        console.print(
            "   stored the access token under \(token.key)"
                + (token.screenName.map { " (@\($0))" } ?? "")
                + ": token \(token.token), secret kept in the store, not shown")
        let gone = try await step("look for the used request token") {
            try await Self.pendingRequestToken(start.requestToken, in: store) == nil
        }
        console.print("   the request token is \(gone ? "gone from the store" : "STILL IN THE STORE")")
        do {
            _ = try await flow.complete(callback: callback, session: session)
            throw CLIFailure("a replayed callback was accepted")
        } catch let error as AuthorizationFlowError where error.code == .requestTokenNotFound {
            console.print("   replaying the callback fails: \(error.code)")
        }

        // Any process, later.
        let response = try await step("make a signed request") {
            try await flow.send(OAuth1HTTPRequest(url: provider.protectedResourceURL), as: done.key)
        }
        console.print("6. Signed GET \(provider.protectedResourceURL.absoluteString) with the stored token:")
        console.print("   HTTP \(response.status) \(String(decoding: response.body, as: UTF8.self))")
        guard (200..<300).contains(response.status) else {
            throw CLIFailure("demo step 'make a signed request' failed: the provider answered HTTP \(response.status)")
        }

        let counts = try await step("count tokens") { try await store.counts() }
        console.print(
            "7. The store \(store.displayName) holds \(counts.accessTokens) access token(s) and "
                + "\(counts.requestTokens) pending request token(s)")
        console.print()
        console.print("Done: the dance ran through the store; a web app does the same with --store pointing at")
        console.print("a store all its workers share (postgres://..., redis://...).")
    }

    /// The provider id the demo stores tokens under.
    static let providerID = "local"

    /// The pending request token named `token`, read without taking it.
    static func pendingRequestToken(_ token: String, in store: any TokenStore) async throws -> RequestToken? {
        var cursor: String? = nil
        repeat {
            let page = try await store.listRequestTokens(after: cursor, limit: 100)
            if let found = page.tokens.first(where: { $0.token == token }) { return found }
            cursor = page.nextCursor
        } while cursor != nil
        return nil
    }

    /// The first characters of a binding, enough to show its shape.
    static func abbreviated(_ binding: String?) -> String {
        guard let binding else { return "(none)" }
        return binding.count > 17 ? binding.prefix(17) + "…" : binding
    }

    /// The app callback the demo registers; never served, the demo reads the redirect.
    static let callback = URL(string: "http://127.0.0.1/demo/callback") ?? URL(fileURLWithPath: "/")

    /// The callback URL with its one-time verifier hidden.
    static func withoutVerifier(_ url: URL) -> String {
        let text = url.absoluteString
        guard let start = text.range(of: "oauth_verifier=") else { return text }
        let end = text[start.upperBound...].firstIndex(where: { $0 == "&" || $0 == "#" }) ?? text.endIndex
        return text.replacingCharacters(in: start.upperBound..<end, with: "(hidden)")
    }

    /// Runs one step, turning a failure into a message naming it.
    private func step<Result>(_ name: String, _ body: () async throws -> Result) async throws -> Result {
        do {
            return try await CLIErrors.reporting(body)
        } catch let failure as CLIFailure {
            throw CLIFailure("demo step '\(name)' failed: \(failure.message)")
        } catch {
            throw CLIFailure("demo step '\(name)' failed: \(error)")
        }
    }
}
