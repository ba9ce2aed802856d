import Logging
import Synchronization
import Testing
import TokenStoreKit
import TokenStoreTesting
@testable import TokenStoreSQLite

/// `pool_max` (the name every driver uses for the pool ceiling) and its old SQLite name
/// `connections`, accepted for one release with a warning.
@Suite("SQLite pool_max URL parameter", .inProcessTimeLimit)
struct SQLitePoolMaxURLTests {
    @Test("pool_max sets maxConnections, and the opened store has that many connections")
    func poolMax() async throws {
        let log = LogCapture()
        let configuration = try SQLiteTokenStore.Configuration(
            url: "sqlite:///tmp/t.db?pool_max=7", options: TokenStoreOptions(logger: log.logger()))
        #expect(configuration.maxConnections == 7)
        #expect(log.messages(atLeast: .warning).isEmpty)

        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(url: "sqlite://" + directory.path + "/t.db?pool_max=3")
        #expect(store.pool.slots.count == 3)
        try await store.close()
    }

    @Test("the old name connections still works and logs a warning naming pool_max")
    func oldNameAccepted() async throws {
        let log = LogCapture()
        let configuration = try SQLiteTokenStore.Configuration(
            url: "sqlite:///tmp/t.db?connections=5", options: TokenStoreOptions(logger: log.logger()))
        #expect(configuration.maxConnections == 5)
        let warnings = log.messages(atLeast: .warning)
        #expect(warnings.count == 1)
        #expect(warnings.first?.contains("'connections'") == true)
        #expect(warnings.first?.contains("'pool_max'") == true)
    }

    @Test("both names at once are misconfigured")
    func bothNames() throws {
        let error = try #require(throws: TokenStoreError.self) {
            try SQLiteStoreURL.parse("sqlite:///tmp/t.db?connections=2&pool_max=3")
        }
        #expect(error.code == .misconfigured)
        #expect(error.message.contains("pool_max"))
    }

    @Test("a bad value gets the ConnectionLimits message, under the name the URL used", arguments: [
        ("pool_max", "0"), ("pool_max", "10001"), ("pool_max", "many"), ("connections", "0"), ("connections", "-2"),
    ])
    func badValue(name: String, value: String) async throws {
        let url = "sqlite:///tmp/t.db?\(name)=\(value)"
        let error = try #require(throws: TokenStoreError.self) { try SQLiteStoreURL.parse(url) }
        #expect(error.code == .misconfigured)
        #expect(error.store == url)
        #expect(error.message == "\(name) must be a whole number from 1 to 10000, got '\(value)'")
        let viaDriver = await #expect(throws: TokenStoreError.self) {
            _ = try await SQLiteTokenStore.driver.open(url, TokenStoreOptions())
        }
        #expect(viaDriver?.message == error.message)
    }

    @Test("maxConnections set in Swift is checked with the same rule", arguments: [0, -1, 10_001])
    func badSwiftValue(maxConnections: Int) async throws {
        let configuration = SQLiteTokenStore.Configuration(path: ":memory:", maxConnections: maxConnections)
        let error = try #require(throws: TokenStoreError.self) { try configuration.validate() }
        #expect(error.code == .misconfigured)
        #expect(error.message == "pool_max must be between 1 and 10000, got \(maxConnections)")
        let opening = await #expect(throws: TokenStoreError.self) {
            _ = try await SQLiteTokenStore(configuration: configuration)
        }
        #expect(opening?.message == error.message)
    }
}

