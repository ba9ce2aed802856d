import Foundation
import Testing
import TokenStoreKit
import TokenStoreSQLite
import TokenStoreSQLiteMigrations

@Suite("SQLite migrations", .inProcessTimeLimit)
struct SQLiteMigrationTests {
    @Test("applied once on open, recorded in schema_migrations")
    func appliedOnce() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        for _ in 0..<3 {
            let store = try await SQLiteTokenStore(configuration: .init(path: path))
            #expect(try await store.schemaVersion() == SQLiteMigrations.latestVersion)
            try await store.close()
        }
        let rows = try RawSQLite(path: path).rows("SELECT version, name FROM schema_migrations ORDER BY version")
        #expect(rows == SQLiteMigrations.all.map { ["\($0.version)", $0.name] })
        let tables = try RawSQLite(path: path).rows("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        #expect(tables == [["access_tokens"], ["request_tokens"], ["schema_migrations"], ["token_sets"]])
        #expect(try RawSQLite(path: path).rows("PRAGMA journal_mode") == [["wal"]])
    }

    @Test("stores opening a fresh database at once migrate it once")
    func concurrentOpen() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        let versions = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<6 {
                group.addTask {
                    let store = try await SQLiteTokenStore(configuration: .init(path: path))
                    let version = try await store.schemaVersion()
                    try await store.close()
                    return version
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        #expect(versions == Array(repeating: SQLiteMigrations.latestVersion, count: 6))
        let rows = try RawSQLite(path: path).rows("SELECT count(*), count(DISTINCT version) FROM schema_migrations")
        #expect(rows == [["\(SQLiteMigrations.all.count)", "\(SQLiteMigrations.all.count)"]])
    }

    @Test("a database migrated by a newer version is schemaTooNew")
    func schemaTooNew() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.cleanup() }
        let path = directory.path + "/t.db"
        try await SQLiteTokenStore(configuration: .init(path: path)).close()
        let newer = SQLiteMigrations.latestVersion + 1
        try RawSQLite(path: path).execute(
            "INSERT INTO schema_migrations (version, name, applied_at) VALUES (\(newer), 'future', 0)")
        let error = await #expect(throws: TokenStoreError.self) { _ = try await SQLiteTokenStore(configuration: .init(path: path)) }
        #expect(error?.code == .schemaTooNew)
        #expect(error?.message.contains("\(newer)") == true)
    }

    @Test("SQLiteMigrations.all lists exactly the .sql files of Migrations/sqlite, in order")
    func listMatchesDirectory() throws {
        let root = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let directory = root.appendingPathComponent("Migrations/sqlite")
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
            .filter { $0.hasSuffix(".sql") }.sorted()
        #expect(SQLiteMigrations.all.map { $0.name + ".sql" } == files)
        for (index, migration) in SQLiteMigrations.all.enumerated() {
            #expect(migration.version == index + 1)
            #expect(migration.name.hasPrefix(String(format: "%04d_", migration.version)))
            let text = try String(contentsOf: directory.appendingPathComponent(migration.name + ".sql"), encoding: .utf8)
            #expect(migration.sql == text)
        }
    }
}
