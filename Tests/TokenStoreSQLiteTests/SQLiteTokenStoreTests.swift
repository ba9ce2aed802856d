import Foundation
import Testing
import TokenStoreKit
@testable import TokenStoreSQLite
import TokenStoreSQLiteMigrations

@Suite("SQLite store behaviour", .inProcessTimeLimit)
struct SQLiteTokenStoreTests {
    @Test("round trips on a file and in memory", arguments: [false, true])
    func roundTrip(inMemory: Bool) async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: inMemory ? ":memory:" : directory.path + "/t.db"))
        let token = sampleAccessToken(userID: "42")
        #expect(try await store.saveAccessToken(token))
        #expect(try await store.accessToken(for: token.key) == token)
        let request = RequestToken(
            provider: "twitter", token: "rt'; DROP TABLE request_tokens; --", secret: "",
            context: RequestTokenContext(callbackURL: "https://app/cb", metadata: ["ü": "\u{0}"]), createdAt: Date())
        try await store.saveRequestToken(request)
        #expect(try await store.takeRequestToken(request.token) == request)
        #expect(try await store.takeRequestToken(request.token) == nil)
        #expect(try await store.schemaVersion() == SQLiteMigrations.latestVersion)
        try await store.close()
    }

    @Test("durability full: writes go through the connection's thread and persist")
    func durabilityFull() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path, durability: .full))
        let token = sampleAccessToken(userID: "durable")
        #expect(try await store.saveAccessToken(token))
        let request = RequestToken(provider: "p", token: "rt", secret: "s", createdAt: Date())
        try await store.saveRequestToken(request)
        #expect(try await store.takeRequestToken("rt") == request)
        try await store.close()
        #expect(try RawSQLite(path: path).rows("SELECT user_id FROM access_tokens") == [["durable"]])
    }

    @Test("overwrite keeps createdAt; ifNewer keeps a newer token")
    func upsertPolicies() async throws {
        let store = try await SQLiteTokenStore(configuration: .init(path: ":memory:"))
        let created = Date(milliseconds: 1_000_000)
        let first = AccessToken(provider: "p", userID: "u", token: "a", secret: "x", createdAt: created, updatedAt: Date(milliseconds: 2_000_000))
        try await store.saveAccessToken(first)
        var second = first
        second.token = "b"
        second.createdAt = Date(milliseconds: 5_000_000)
        second.updatedAt = Date(milliseconds: 1_500_000)
        #expect(try await store.saveAccessToken(second, policy: .ifNewer) == false)
        #expect(try await store.accessToken(for: first.key)?.token == "a")
        #expect(try await store.saveAccessToken(second, policy: .overwrite))
        let stored = try #require(try await store.accessToken(for: first.key))
        #expect(stored.token == "b")
        #expect(stored.createdAt == created)
        #expect(stored.updatedAt == second.updatedAt)
    }

    @Test("a batch is one transaction: a failure writes nothing")
    func batchAtomic() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        let tokens = (0..<10).map { sampleAccessToken(userID: "batch\($0)") }
        #expect(try await store.saveAccessTokens(tokens, policy: .overwrite) == 10)
        // A trigger makes the 5th insert of the next batch fail.
        try RawSQLite(path: path).execute(
            "CREATE TRIGGER fail_five BEFORE INSERT ON access_tokens WHEN NEW.user_id = 'new4' "
                + "BEGIN SELECT RAISE(ABORT, 'boom'); END")
        let failing = (0..<10).map { sampleAccessToken(userID: "new\($0)") }
        await #expect(throws: TokenStoreError.self) { try await store.saveAccessTokens(failing, policy: .overwrite) }
        #expect(try await store.accessToken(provider: "twitter", userID: "new0") == nil)
        #expect(try await store.counts().accessTokens == 10)
    }

    @Test("keyset pages follow UTF-8 byte order")
    func pagesInByteOrder() async throws {
        let store = try await SQLiteTokenStore(configuration: .init(path: ":memory:"))
        let ids = ["a", "B", "é", "z", "Z", "", "\u{1F600}", "aa", "a\u{0}b"]
        for id in ids { try await store.saveAccessToken(sampleAccessToken(provider: "p", userID: id)) }
        var seen: [AccessTokenKey] = []
        var cursor: AccessTokenKey?
        repeat {
            let page = try await store.listAccessTokens(after: cursor, limit: 2)
            seen += page.tokens.map(\.key)
            cursor = page.nextCursor
        } while cursor != nil
        #expect(seen == ids.map { AccessTokenKey(provider: "p", userID: $0) }.sorted())
        await #expect(throws: TokenStoreError.self) { try await store.listAccessTokens(after: nil, limit: 0) }
    }

    @Test("a new database file is created 0600")
    func filePermissions() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let store = try await SQLiteTokenStore(configuration: .init(path: path))
        try await store.saveAccessToken(sampleAccessToken(userID: "1"))
        for file in [path, path + "-wal"] {
            let attributes = try FileManager.default.attributesOfItem(atPath: file)
            let mode = try #require(attributes[.posixPermissions] as? Int)
            #expect(mode & 0o077 == 0, "\(file) has mode \(String(mode, radix: 8))")
        }
        try await store.close()
    }

    @Test("close: later calls throw closed, closing twice is harmless")
    func closeSemantics() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/t.db"))
        try await store.saveAccessToken(sampleAccessToken(userID: "1"))
        try await store.close()
        try await store.close()
        let error = await #expect(throws: TokenStoreError.self) {
            _ = try await store.accessToken(provider: "twitter", userID: "1")
        }
        #expect(error?.code == .closed)
        let saveError = await #expect(throws: TokenStoreError.self) {
            try await store.saveAccessTokens([sampleAccessToken(userID: "2")], policy: .overwrite)
        }
        #expect(saveError?.code == .closed)
        // The data survived the close.
        let reopened = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/t.db"))
        #expect(try await reopened.accessToken(provider: "twitter", userID: "1") != nil)
    }

    @Test("a missing directory is unavailable, a foreign file is not a database")
    func badFiles() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let missing = await #expect(throws: TokenStoreError.self) {
            _ = try await SQLiteTokenStore(configuration: .init(path: directory.path + "/no/such/dir/t.db"))
        }
        #expect(missing?.code == .unavailable)
        #expect(missing?.store.contains("/no/such/dir/t.db") == true)
        let foreign = directory.path + "/foreign.db"
        try Data(repeating: 0x41, count: 4096).write(to: URL(fileURLWithPath: foreign))
        let notDatabase = await #expect(throws: TokenStoreError.self) {
            _ = try await SQLiteTokenStore(configuration: .init(path: foreign))
        }
        #expect(notDatabase?.code == .unavailable)
    }

    @Test("the driver opens the same file by URL")
    func driverURL() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let direct = try await SQLiteTokenStore(configuration: .init(path: path))
        try await direct.saveAccessToken(sampleAccessToken(userID: "via-url"))
        let registry = TokenStoreRegistry(drivers: [SQLiteTokenStore.driver])
        let viaURL = try await registry.open("sqlite://" + path + "?busy_timeout_ms=100&connections=2")
        #expect(viaURL.displayName == "sqlite://" + path)
        #expect(try await viaURL.accessToken(provider: "twitter", userID: "via-url") != nil)
        let memory = try await registry.open("sqlite::memory:")
        #expect(memory.displayName == "sqlite::memory:")
        #expect(try await memory.accessToken(provider: "twitter", userID: "via-url") == nil)
    }
}
