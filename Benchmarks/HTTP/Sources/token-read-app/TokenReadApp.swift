import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOCore
import ServiceLifecycle
import TokenStoreKit
import TokenStorePostgres
import TokenStoreRedis
import TokenStoreSQLite

/// The HTTP load benchmark's app: `GET /me` reads the signed-in user's access token on
/// every request. Benchmarks/HTTP/run starts it once per mode and drives it with wrk.
@main
struct TokenReadApp: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token-read-app",
        abstract: "A Hummingbird app whose GET /me reads the signed-in user's access token on every request.",
        discussion: """
            Give exactly one of --store, --constant, --postgres-nio, --sqlite-nio. On start it seeds \
            --users access tokens through the tokenstore driver, writes one Cookie header value per \
            user to --cookie-file, then prints "listening: http://HOST:PORT" and serves until \
            SIGINT or SIGTERM.
            """)

    @Option(help: "A tokenstore URL (memory:, sqlite:PATH, postgres://..., redis://...), passed through as given.")
    var store: String?

    @Flag(help: "No store call: a constant token (the framework's ceiling).")
    var constant = false

    @Option(name: .customLong("postgres-nio"), help: "postgres-nio reading the PostgreSQL driver's table at this postgres:// URL.")
    var postgresNIO: String?

    @Option(name: .customLong("sqlite-nio"), help: "sqlite-nio reading the SQLite driver's file at this path.")
    var sqliteNIO: String?

    @Option(help: "Connections sqlite-nio opens (default: 4, the SQLite driver's pool_max).")
    var sqliteConnections = 4

    @Option(help: "Users to seed.")
    var users = 1000

    @Option(help: "Where to write one Cookie header value per seeded user.")
    var cookieFile: String?

    @Option(help: "The address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "The port to listen on; 0 picks a free one.")
    var port = 0

    mutating func validate() throws {
        let modes = [store != nil, constant, postgresNIO != nil, sqliteNIO != nil].filter { $0 }.count
        guard modes == 1 else {
            throw ValidationError("give exactly one of --store URL, --constant, --postgres-nio URL, --sqlite-nio PATH")
        }
        guard (1...100_000).contains(users) else { throw ValidationError("--users must be 1 to 100000") }
        guard (1...64).contains(sqliteConnections) else { throw ValidationError("--sqlite-connections must be 1 to 64") }
        guard (0...65_535).contains(port) else { throw ValidationError("--port must be 0 to 65535") }
    }

    func run() async throws {
        var logger = Logger(label: "token-read-app")
        logger.logLevel = .notice
        let source = try await openSource(logger: logger)
        var services: [any Service] = []
        if let postgres = source as? PostgresNIOTokenSource { services.append(postgres.client) }

        let cookie = BenchCookie(key: UUID().uuidString + UUID().uuidString)
        if let cookieFile { try writeCookies(cookie, to: cookieFile) }

        let router = Router()
        MePage(cookie: cookie, source: source).add(to: router)
        router.get("/healthz") { _, _ in "ok" }
        let host = self.host
        let label = source.label
        let app = Application(
            router: router,
            configuration: .init(address: .hostname(host, port: port), serverName: nil),
            services: services,
            onServerRunning: { channel in
                // Read by Benchmarks/HTTP/run; written unbuffered so a redirected stdout has it at once.
                let bound = channel.localAddress?.port ?? 0
                FileHandle.standardOutput.write(Data("source: \(label)\nlistening: http://\(host):\(bound)\n".utf8))
            },
            logger: logger)
        do {
            try await app.runService()
        } catch {
            try? await source.close()
            throw error
        }
        try await source.close()
    }

    /// Seeds the users through the tokenstore driver and returns the mode's source. The
    /// direct modes open the driver on the same database only to create its schema and
    /// seed, and close it before serving.
    private func openSource(logger: Logger) async throws -> any TokenSource {
        if constant { return ConstantTokenSource() }
        let registry = TokenStoreRegistry.shared
        registry.register(SQLiteTokenStore.driver)
        registry.register(PostgresTokenStore.driver)
        registry.register(RedisTokenStore.driver)
        if let store {
            let opened = try await registry.open(store)
            let tokens = MeteredTokenStore(wrapping: opened, driver: String(store.prefix { $0 != ":" }))
            do {
                try await BenchUsers.seed(tokens, count: users)
            } catch {
                try? await tokens.close()
                throw error
            }
            return StoreTokenSource(store: tokens)
        }
        if let postgresNIO {
            let source = try PostgresNIOTokenSource(url: postgresNIO, logger: logger)
            try await seedAndClose(postgresNIO, registry: registry)
            return source
        }
        if let sqliteNIO {
            try await seedAndClose("sqlite:" + sqliteNIO, registry: registry)
            return try await SQLiteNIOTokenSource.open(path: sqliteNIO, count: sqliteConnections, logger: logger)
        }
        throw ValidationError("no mode given")
    }

    private func seedAndClose(_ url: String, registry: TokenStoreRegistry) async throws {
        let store = try await registry.open(url)
        do {
            try await BenchUsers.seed(store, count: users)
        } catch {
            try? await store.close()
            throw error
        }
        try await store.close()
    }

    private func writeCookies(_ cookie: BenchCookie, to path: String) throws {
        let now = Int64(Date().timeIntervalSince1970)
        var text = ""
        for index in 1...users {
            text += BenchCookie.name + "=" + (try cookie.value(userID: BenchUsers.userID(index), now: now)) + "\n"
        }
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }
}
