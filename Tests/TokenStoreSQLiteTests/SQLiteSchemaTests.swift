import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLiteMigrations
import TokenStoreTesting

@testable import TokenStoreSQLite

/// `SchemaManagedTokenStore` on SQLite: a store opened without migrating, its status,
/// explicit upgrades, and the errors of a store whose schema is behind or too new.
@Suite("SQLite schema status and upgrade", .inProcessTimeLimit)
struct SQLiteSchemaTests {
    private func openUnmigrated(_ path: String, clock: TokenClock = .system) async throws -> SQLiteTokenStore {
        try await SQLiteTokenStore(configuration: .init(path: path, clock: clock, migrateSchemaOnOpen: false))
    }

    /// Every migration this build knows, as the status lists them.
    private static let allVersions = SQLiteMigrations.all.map(\.version)
    private static let allNames = SQLiteMigrations.all.map(\.name)

    @Test("the migrations are 0001 and 0002, in order")
    func knownMigrations() {
        #expect(Self.allVersions == [1, 2])
        #expect(Self.allNames == ["0001_create_tokens", "0002_create_token_sets"])
        #expect(SQLiteMigrations.latestVersion == 2)
    }

    @Test("a fresh database opened without migrating shows every migration pending and refuses token operations")
    func freshDatabaseIsPending() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let store = try await openUnmigrated(directory.path + "/tokens.db")
        let status = try await store.schemaStatus()
        #expect(status.applied.isEmpty)
        #expect(status.pending.map(\.version) == Self.allVersions)
        #expect(status.pending.map(\.name) == Self.allNames)
        #expect(status.currentVersion == 0)
        #expect(status.knownVersion == SQLiteMigrations.latestVersion)
        #expect(!status.isUpToDate)
        #expect(try await store.schemaVersion() == 0)

        let error = await #expect(throws: TokenStoreError.self) {
            try await store.saveAccessToken(AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: Date()))
        }
        #expect(error?.code == .misconfigured)
        #expect(error?.operation == "saveAccessToken")
        #expect(error?.message.contains("tokenstore schema upgrade") == true)
        #expect(error?.message.contains("no such table") == false)
        for call in [
            { _ = try await store.takeRequestToken("x") },
            { _ = try await store.counts() },
            { _ = try await store.listAccessTokens(after: nil, limit: 10) },
            { _ = try await store.saveRequestTokens([]) },
            { _ = try await store.tokenSet(for: AccessTokenKey(provider: "p", userID: "u")) },
            { _ = try await store.acquireRefreshLease(for: AccessTokenKey(provider: "p", userID: "u"), owner: "o", duration: .seconds(1)) },
        ] as [@Sendable () async throws -> Void] {
            let refused = await #expect(throws: TokenStoreError.self) { try await call() }
            #expect(refused?.message.contains("tokenstore schema upgrade") == true)
        }
        // Status reads never created the table.
        let again = try await store.schemaStatus()
        #expect(again.pending.count == SQLiteMigrations.all.count)
        try await store.close()
    }

    @Test("upgrade applies every migration, status then shows them applied, a second upgrade applies nothing")
    func upgradeThenStatus() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        let clock = ManualTokenClock()
        let store = try await openUnmigrated(path, clock: clock.clock)
        let applied = try await store.upgradeSchema()
        #expect(applied.map(\.version) == Self.allVersions)
        #expect(applied.map(\.name) == Self.allNames)

        let status = try await store.schemaStatus()
        #expect(status.pending.isEmpty)
        #expect(status.isUpToDate)
        #expect(status.currentVersion == 2)
        #expect(status.applied.map(\.version) == Self.allVersions)
        #expect(status.applied.map(\.name) == Self.allNames)
        #expect(status.applied.allSatisfy { $0.appliedAt == TokenTimestamp.normalized(clock.now) })

        // The same handle works now, without reopening.
        let token = AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: clock.now)
        try await store.saveAccessToken(token)
        #expect(try await store.accessToken(for: token.key) == token)
        #expect(try await store.schemaVersion() == 2)
        let tokenSet = OAuth2TokenSet(provider: "p", userID: "u", accessToken: "a", createdAt: clock.now)
        try await store.saveTokenSet(tokenSet)
        #expect(try await store.tokenSet(for: tokenSet.key)?.version == 1)

        let second = try await store.upgradeSchema()
        #expect(second.isEmpty)
        try await store.close()

        // Reopened without migrating, an up-to-date database serves tokens at once.
        let reopened = try await openUnmigrated(path)
        #expect(try await reopened.accessToken(for: token.key) == token)
        #expect(try await reopened.schemaStatus().isUpToDate)
        try await reopened.close()
    }

    @Test("a refused store serves again once its status shows another process upgraded it")
    func statusAfterAnotherUpgrade() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        let behind = try await openUnmigrated(path)
        await #expect(throws: TokenStoreError.self) { try await behind.counts() }
        let other = try await SQLiteTokenStore(configuration: .init(path: path))
        try await other.close()
        // Still refused until it looks again.
        await #expect(throws: TokenStoreError.self) { try await behind.counts() }
        #expect(try await behind.schemaStatus().isUpToDate)
        #expect(try await behind.counts().accessTokens == 0)
        try await behind.close()
    }

    @Test("the registry honours migrateSchemaOnOpen for sqlite: URLs")
    func registryOption() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let registry = TokenStoreRegistry()
        registry.register(SQLiteTokenStore.driver)
        let url = "sqlite://" + directory.path + "/tokens.db"
        let store = try await registry.open(url, options: TokenStoreOptions(migrateSchemaOnOpen: false))
        let managed = try #require(store as? any SchemaManagedTokenStore)
        #expect(try await managed.schemaStatus().pending.count == SQLiteMigrations.all.count)
        try await store.close()
        let migrated = try await registry.open(url)
        #expect(try await migrated.schemaVersion() == 2)
        try await migrated.close()
    }

    @Test("concurrent upgrades of one file apply each migration once")
    func concurrentUpgrades() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        var stores: [SQLiteTokenStore] = []
        for _ in 0..<4 { stores.append(try await openUnmigrated(path)) }
        let applied = try await withThrowingTaskGroup(of: Int.self) { group in
            for store in stores { group.addTask { try await store.upgradeSchema().count } }
            return try await group.reduce(0, +)
        }
        #expect(applied == SQLiteMigrations.all.count)
        for store in stores {
            #expect(try await store.schemaStatus().applied.count == SQLiteMigrations.all.count)
            try await store.close()
        }
        let raw = try RawSQLite(path: path)
        #expect(try raw.rows("SELECT count(*) FROM schema_migrations") == [["\(SQLiteMigrations.all.count)"]])
    }

    @Test("a database migrated by a newer build: status says so, operations and upgrade throw schemaTooNew")
    func tooNew() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/tokens.db"
        try await SQLiteTokenStore(configuration: .init(path: path)).close()
        try RawSQLite(path: path).execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (99, '0099_future', 0)")

        let opening = await #expect(throws: TokenStoreError.self) { try await SQLiteTokenStore(configuration: .init(path: path)) }
        #expect(opening?.code == .schemaTooNew)

        let store = try await openUnmigrated(path)
        let status = try await store.schemaStatus()
        #expect(status.isNewerThanBuild)
        #expect(status.currentVersion == 99)
        #expect(status.pending.isEmpty)
        let refused = await #expect(throws: TokenStoreError.self) { try await store.counts() }
        #expect(refused?.code == .schemaTooNew)
        let upgrade = await #expect(throws: TokenStoreError.self) { try await store.upgradeSchema() }
        #expect(upgrade?.code == .schemaTooNew)
        #expect(upgrade?.operation == "upgradeSchema")
        try await store.close()
    }
}
