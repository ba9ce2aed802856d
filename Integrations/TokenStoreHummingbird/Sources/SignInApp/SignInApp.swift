import ArgumentParser
import Foundation
import Hummingbird
import Logging
import Metrics
import OAuth1
import OAuth1Testing
import OAuth2Testing
import Prometheus
import TokenStoreHummingbird
import TokenStoreFlow
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis
import TokenStoreSQLite

/// The example app: "Sign in with" a local OAuth 1.0a provider or a local OAuth 2.0
/// provider, tokens in any store.
@main
struct SignInApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "SignInApp",
        abstract: "A Hummingbird app that signs in with OAuth 1.0a or OAuth 2.0 and keeps its tokens in a TokenStore.",
        discussion: """
            With no options it listens on http://127.0.0.1:8080, keeps tokens in signin-app.db \
            (SQLite) and starts a local OAuth 1.0a and a local OAuth 2.0 provider on free loopback \
            ports. Metrics: /metrics.
            """)

    @Option(help: "The address to listen on (loopback by default).")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on.")
    var port = 8080

    @Option(help: "Token store URL: sqlite:FILE, postgres://..., redis://..., memory:.")
    var store = "sqlite:signin-app.db"

    @Option(help: "A local provider's root URL (another SignInApp's); by default one starts in this process.")
    var providerURL: String?

    @Option(help: "A local OAuth 2.0 provider's root URL (another SignInApp's); by default one starts in this process.")
    var oauth2ProviderURL: String?

    @Option(help: "How long the local OAuth 2.0 provider's access tokens live, in seconds (short, to show refreshes).")
    var oauth2TokenLifetime = 3

    @Option(help: "The app's public root URL for the provider's callback (another process sharing the store), by default http://HOST:PORT.")
    var callbackBase: String?

    /// The provider id: the route is /auth/local.
    static let provider = "local"
    static let consumer = LocalOAuth1Provider.Consumer(key: "signin-app", secret: "signin-app-consumer-secret")

    func run() async throws {
        let logger = Logger(label: "signin-app")
        let metrics = PrometheusCollectorRegistry()
        MetricsSystem.bootstrap(PrometheusMetricsFactory(registry: metrics))

        let registry = TokenStoreRegistry.shared
        registry.register(SQLiteTokenStore.driver)
        registry.register(PostgresTokenStore.driver)
        registry.register(RedisTokenStore.driver)
        let opened = try await registry.open(store)
        let scheme = String(store.prefix { $0 != ":" })
        let tokens = MeteredTokenStore(wrapping: opened, driver: scheme)

        var localProvider: LocalOAuth1Provider?
        let providerRoot: URL
        if let providerURL {
            guard let url = URL(string: providerURL), url.scheme != nil else {
                throw ValidationError("--provider-url must be an absolute URL, e.g. http://127.0.0.1:40123")
            }
            providerRoot = url
        } else {
            let started = try await LocalOAuth1Provider.start(
                LocalOAuth1Provider.Configuration(consumers: [Self.consumer], showsAuthorizationPage: true))
            localProvider = started
            providerRoot = started.baseURL
        }
        let base = callbackBase ?? "http://\(host.contains(":") ? "[\(host)]" : host):\(port)"
        guard let callbackURL = URL(string: base + "/auth/\(Self.provider)/callback"), callbackURL.host != nil else {
            throw ValidationError("--callback-base must be an absolute URL, e.g. http://127.0.0.1:8081")
        }
        let client = OAuth1Client(
            credentials: ClientCredentials(key: Self.consumer.key, secret: Self.consumer.secret),
            callback: .url(callbackURL),
            endpoints: OAuth1ProviderEndpoints(
                requestTokenURL: providerRoot.appendingPathComponent("oauth/request_token"),
                authorizeURL: providerRoot.appendingPathComponent("oauth/authorize"),
                accessTokenURL: providerRoot.appendingPathComponent("oauth/access_token")),
            timeout: .seconds(10))
        let flow = AuthorizationFlow(provider: Self.provider, client: client, store: tokens, logger: logger)

        guard oauth2TokenLifetime >= 2 else {
            throw ValidationError("--oauth2-token-lifetime must be at least 2 seconds (refreshes start 1 second early)")
        }
        let oauth2Root = try oauth2ProviderURL.map { text in
            guard let url = URL(string: text), url.scheme != nil else {
                throw ValidationError("--oauth2-provider-url must be an absolute URL, e.g. http://127.0.0.1:40124")
            }
            return url
        }
        guard let redirectURI = URL(string: base + "/auth/\(OAuth2Setup.provider)/callback") else {
            throw ValidationError("--callback-base must be an absolute URL, e.g. http://127.0.0.1:8081")
        }
        let oauth2 = try await OAuth2Setup.start(
            providerURL: oauth2Root, redirectURI: redirectURI, accessTokenLifetime: .seconds(oauth2TokenLifetime),
            store: tokens, logger: logger)

        // Processes that share sign-ins share this key (SIGNIN_APP_COOKIE_KEY); without
        // it each process has its own and sign-ins last as long as the process.
        let cookieKey = ProcessInfo.processInfo.environment["SIGNIN_APP_COOKIE_KEY"].flatMap { $0.isEmpty ? nil : $0 }
            ?? UUID().uuidString + UUID().uuidString
        let routes = AppRoutes(
            flow: flow, oauth2: oauth2, cookie: SignedInCookie(key: cookieKey), metrics: metrics,
            statusURL: providerRoot.appendingPathComponent("1.1/statuses/update.json"))
        let router = Router()
        routes.add(to: router)

        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            onServerRunning: { _ in
                // One line each, read by Scripts/browser-test to find the ports; written
                // unbuffered, so a reader of a redirected stdout sees them at once.
                let lines = "provider: \(providerRoot.absoluteString)\n"
                    + "oauth2-provider: \(oauth2.providerRoot.absoluteString)\nstore: \(tokens.displayName)\n"
                    + "listening: http://\(host):\(port)\n"
                FileHandle.standardOutput.write(Data(lines.utf8))
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            await localProvider?.stop()
            await oauth2.localProvider?.stop()
            try? await tokens.close()
            throw error
        }
        await localProvider?.stop()
        await oauth2.localProvider?.stop()
        try await tokens.close()
    }
}
