import Foundation
import Testing
import TokenStoreKit
import TokenStorePostgresMigrations
import TokenStoreTesting

@testable import TokenStorePostgres

extension PostgresServerTests {
    /// `SchemaManagedTokenStore` on PostgreSQL, each test in its own `?schema=`.
    @Suite("PostgreSQL schema status and upgrade", .serverTimeLimit)
    struct Schema {
        private func openUnmigrated(_ url: String, clock: TokenClock = .system) async throws -> PostgresTokenStore {
            try await PostgresTokenStore(url: url, options: TokenStoreOptions(clock: clock, migrateSchemaOnOpen: false))
        }

        @Test("a fresh schema opened without migrating shows 0001 and 0002 pending and refuses token operations")
        func freshSchemaIsPending() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await openUnmigrated(url)
            let status = try await store.schemaStatus()
            #expect(status.applied.isEmpty)
            #expect(status.pending.map(\.version) == [1, 2])
            #expect(status.pending.map(\.name) == ["0001_create_tokens", "0002_create_token_sets"])
            #expect(status.currentVersion == 0)
            #expect(status.knownVersion == PostgresMigrations.all.map(\.version).max())
            #expect(try await store.schemaVersion() == 0)

            let error = await #expect(throws: TokenStoreError.self) {
                try await store.saveAccessTokens(
                    [AccessToken(provider: "p", userID: "u", token: "t", secret: "s", createdAt: Date())], policy: .overwrite)
            }
            #expect(error?.code == .misconfigured)
            #expect(error?.operation == "saveAccessTokens")
            #expect(error?.message.contains("tokenstore schema upgrade") == true)
            let take = await #expect(throws: TokenStoreError.self) { try await store.takeRequestToken("x") }
            #expect(take?.message.contains("tokenstore schema upgrade") == true)
            // Reading the status created nothing.
            #expect(try await store.schemaStatus().pending.count == 2)
            try await store.close()
        }

        @Test("upgrade applies 0001 and 0002, status shows them applied, a second upgrade applies nothing")
        func upgradeThenStatus() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let store = try await openUnmigrated(url)
            let before = Date()
            let applied = try await store.upgradeSchema()
            #expect(applied.map(\.version) == [1, 2])
            let status = try await store.schemaStatus()
            #expect(status.isUpToDate)
            #expect(status.currentVersion == 2)
            #expect(status.applied.map(\.name) == ["0001_create_tokens", "0002_create_token_sets"])
            let appliedAt = try #require(status.applied.first?.appliedAt)
            // The server's clock (same machine) stamped it: within a minute of ours.
            #expect(abs(appliedAt.timeIntervalSince(before)) < 60)

            let token = RequestToken(provider: "p", token: "rt", secret: "s", createdAt: Date())
            try await store.saveRequestToken(token)
            #expect(try await store.takeRequestToken("rt") == token)
            #expect(try await store.upgradeSchema().isEmpty)
            try await store.close()

            let reopened = try await openUnmigrated(url)
            #expect(try await reopened.schemaStatus().isUpToDate)
            #expect(try await reopened.counts().accessTokens == 0)
            try await reopened.close()
        }

        @Test("concurrent upgrades of one schema apply each migration once")
        func concurrentUpgrades() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            var stores: [PostgresTokenStore] = []
            for _ in 0..<4 { stores.append(try await openUnmigrated(url)) }
            let applied = try await withThrowingTaskGroup(of: Int.self) { group in
                for store in stores { group.addTask { try await store.upgradeSchema().count } }
                return try await group.reduce(0, +)
            }
            #expect(applied == 2)
            for store in stores {
                #expect(try await store.schemaStatus().applied.count == 2)
                try await store.close()
            }
        }

        @Test("a schema migrated by a newer build: status says so, operations and upgrade throw schemaTooNew")
        func tooNew() async throws {
            let url = try PostgresTestServer.urlWithFreshSchema()
            let migrated = try await PostgresTokenStore(url: url)
            let table = PostgresStatements.quote(migrated.configuration.schema) + ".schema_migrations"
            _ = try await migrated.withConnection("arrange", gated: false) { connection, deadline throws(LibPQFailure) in
                try await connection.execute(sql: "INSERT INTO \(table) (version, name) VALUES (99, '0099_future')", deadline: deadline)
            }
            try await migrated.close()

            let opening = await #expect(throws: TokenStoreError.self) { try await PostgresTokenStore(url: url) }
            #expect(opening?.code == .schemaTooNew)
            let store = try await openUnmigrated(url)
            let status = try await store.schemaStatus()
            #expect(status.isNewerThanBuild)
            #expect(status.currentVersion == 99)
            let refused = await #expect(throws: TokenStoreError.self) { try await store.counts() }
            #expect(refused?.code == .schemaTooNew)
            let upgrade = await #expect(throws: TokenStoreError.self) { try await store.upgradeSchema() }
            #expect(upgrade?.code == .schemaTooNew)
            try await store.close()
        }
    }
}

/// The embedded list against the files (no server needed): a migration added to one and
/// not the other, or edited after embedding, fails here.
@Suite("PostgreSQL migration files", .inProcessTimeLimit)
struct PostgresMigrationFilesTests {
    @Test("PostgresMigrations.all lists exactly the .sql files of Migrations/postgres, in order, as written")
    func listMatchesDirectory() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("Migrations/postgres")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(PostgresMigrations.all.map { $0.name + ".sql" } == files)
        for (index, migration) in PostgresMigrations.all.enumerated() {
            #expect(migration.version == index + 1)
            #expect(migration.name.hasPrefix(String(format: "%04d_", migration.version)))
            let text = try String(contentsOf: directory.appendingPathComponent(migration.name + ".sql"), encoding: .utf8)
            #expect(migration.sql == text)
        }
    }
}
