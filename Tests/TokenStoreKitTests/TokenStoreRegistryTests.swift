import Foundation
import Testing
import TokenStoreKit

@Suite("TokenStoreRegistry", .inProcessTimeLimit)
struct TokenStoreRegistryTests {
    @Test("an unknown scheme's error lists the registered schemes")
    func unknownScheme() async throws {
        // A registry of its own: what other suites register on the shared one must not matter.
        let registry = TokenStoreRegistry(drivers: [
            InMemoryTokenStore.driver,
            TokenStoreDriver(schemes: ["other"], summary: "test") { url, options in InMemoryTokenStore(clock: options.clock) },
        ])
        let error = await #expect(throws: TokenStoreError.self) {
            _ = try await registry.open("nosuchdb://user:hunter2@host/x")
        }
        #expect(error?.code == .unknownScheme)
        #expect(error?.message.contains("'nosuchdb'") == true)
        #expect(error?.message.contains("memory, other") == true, "\(String(describing: error?.message))")
        #expect(error?.store == "nosuchdb://user:***@host/x")
        #expect(error.map { !$0.description.contains("hunter2") } == true)
    }

    @Test("a URL without a scheme is misconfigured", arguments: ["/var/lib/tokens", "", "1sqlite:///x", "sq lite:x", "tokens.db"])
    func noScheme(url: String) async throws {
        let error = await #expect(throws: TokenStoreError.self) { _ = try await TokenStoreRegistry.shared.open(url) }
        #expect(error?.code == .misconfigured)
        #expect(error?.message.contains("registered schemes") == true)
    }

    @Test("a third-party driver registers with one call; schemes are case-insensitive")
    func customDriver() async throws {
        let registry = TokenStoreRegistry()
        #expect(registry.schemes.isEmpty)
        registry.register(TokenStoreDriver(schemes: ["Custom", "custom+tls"], summary: "test") { url, options in
            InMemoryTokenStore(named: "custom-" + url, clock: options.clock)
        })
        #expect(registry.schemes == ["custom", "custom+tls"])
        let store = try await registry.open("CUSTOM://a")
        #expect(store.displayName == "memory:custom-CUSTOM://a")
        _ = try await registry.open("custom+tls://b")
        #expect(registry.driver(forScheme: "CuStOm")?.summary == "test")
        let missing = await #expect(throws: TokenStoreError.self) { _ = try await registry.open("memory:") }
        #expect(missing?.code == .unknownScheme)
    }

    @Test("the shared registry knows memory; file: comes with TokenStoreFile's driver")
    func builtIns() {
        #expect(TokenStoreRegistry.shared.schemes.contains("memory"))
        #expect(TokenStoreRegistry(drivers: [InMemoryTokenStore.driver]).schemes == ["memory"])
    }

    @Test("memory: is private per open, memory:NAME is shared by name")
    func memoryNames() async throws {
        let token = AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: .now)
        let privateA = try await TokenStoreRegistry.shared.open("memory:")
        let privateB = try await TokenStoreRegistry.shared.open("memory:")
        try await privateA.saveAccessToken(token)
        #expect(try await privateB.accessToken(for: token.key) == nil)

        let name = "registry-test-\(UInt64.random(in: 0...UInt64.max))"
        let sharedA = try await TokenStoreRegistry.shared.open("memory:" + name)
        let sharedB = try await TokenStoreRegistry.shared.open("MEMORY:" + name)
        #expect(sharedA.displayName == "memory:" + name)
        try await sharedA.saveAccessToken(token)
        #expect(try await sharedB.accessToken(for: token.key) == token)
        try await sharedA.close()
        #expect(try await sharedB.accessToken(for: token.key) == token, "closing one handle must not close the others")
    }
}

@Suite("StoreURLRedaction", .inProcessTimeLimit)
struct StoreURLRedactionTests {
    @Test("passwords are removed", arguments: [
        ("postgres://app:s3cret@db/tokens", "postgres://app:***@db/tokens"),
        ("postgres://app:s3cret@db/tokens?password=x&sslmode=require", "postgres://app:***@db/tokens?password=***&sslmode=require"),
        ("redis://s3cret@cache:6379/0", "redis://***@cache:6379/0"),
        ("redis://:s3cret@cache", "redis://:***@cache"),
        ("rediss://user:p%40ss@cache", "rediss://user:***@cache"),
        ("postgres://db/tokens?user=app&client_secret=x&apikey=y&key=z", "postgres://db/tokens?user=app&client_secret=***&apikey=***&key=***"),
        ("postgres://a:b:c@db", "postgres://a:***@db"),
        ("postgres://db/tokens?pass%77ord=x&PASSWORD=y", "postgres://db/tokens?pass%77ord=***&PASSWORD=***"),
        ("postgres://app:s3cret@h1:5432,h2:5433/tokens", "postgres://app:***@h1:5432,h2:5433/tokens"),
        ("redis+cluster://u:s3cret@h1:7000,h2:7001/?prefix=a", "redis+cluster://u:***@h1:7000,h2:7001/?prefix=a"),
    ])
    func redacts(url: String, expected: String) {
        #expect(StoreURLRedaction.redact(url) == expected)
    }

    @Test("URLs without secrets are unchanged", arguments: [
        "sqlite:///var/lib/tokens.db", "memory:", "memory:name", "file:///tmp/x", "postgres://app@db/tokens",
        "sqlite::memory:", "postgres://db/tokens?sslmode=require", "",
    ])
    func unchanged(url: String) {
        #expect(StoreURLRedaction.redact(url) == url)
    }
}
