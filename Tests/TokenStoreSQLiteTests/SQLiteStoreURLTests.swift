import Testing
import TokenStoreKit
@testable import TokenStoreSQLite

@Suite("SQLite store URLs", .inProcessTimeLimit)
struct SQLiteStoreURLTests {
    @Test("accepted forms", arguments: [
        ("sqlite:///var/lib/app/tokens.db", "/var/lib/app/tokens.db"),
        ("sqlite://localhost/var/tokens.db", "/var/tokens.db"),
        ("SQLite:///tmp/a%20b.db", "/tmp/a b.db"),
        ("sqlite:relative/dir/tokens.db", "relative/dir/tokens.db"),
        ("sqlite:/abs.db", "/abs.db"),
        ("sqlite::memory:", ":memory:"),
    ])
    func accepted(url: String, path: String) throws {
        #expect(try SQLiteStoreURL.parse(url).path == path)
    }

    @Test("query parameters")
    func parameters() throws {
        let parsed = try SQLiteStoreURL.parse("sqlite:///tmp/t.db?busy_timeout_ms=250&pool_max=3")
        #expect(parsed == SQLiteStoreURL(path: "/tmp/t.db", busyTimeoutMilliseconds: 250, maxConnections: 3))
    }

    @Test("malformed URLs are misconfigured and named", arguments: [
        "sqlite:", "sqlite://", "sqlite:///", "sqlite://db.example.com/tokens.db", "sqlite:///tmp/%zz.db",
        "sqlite:///tmp/dir/", "sqlite:///tmp/t.db?busy_timeout_ms=-1",
        "sqlite:///tmp/t.db?cache=shared", "sqlite:///tmp/t.db#x", "sqlite:///tmp/%00.db", "postgres:///x",
    ])
    func malformed(url: String) async throws {
        let error = try #require(throws: TokenStoreError.self) { try SQLiteStoreURL.parse(url) }
        #expect(error.code == .misconfigured)
        #expect(error.store == url)
        #expect(error.message.contains("sqlite:///absolute/path.db"))
        // Through the driver too: no store is opened.
        let viaDriver = await #expect(throws: TokenStoreError.self) {
            _ = try await SQLiteTokenStore.driver.open(url, TokenStoreOptions())
        }
        #expect(viaDriver?.code == .misconfigured)
    }
}
