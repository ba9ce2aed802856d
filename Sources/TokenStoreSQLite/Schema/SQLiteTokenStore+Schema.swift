import Foundation
import TokenStoreKit
import TokenStoreSQLiteMigrations

extension SQLiteTokenStore {
    public func schemaVersion() async throws -> Int {
        if !schemaGate.allowsOperations { return try await schemaStatus().currentVersion }
        return try await pool.run("schemaVersion", access: .read, inline: true) { connection in
            let statement = try connection.statement(.schemaVersion)
            defer { connection.finish(statement) }
            guard try connection.step(statement) else { return 0 }
            return Int(sqlite3Int(statement, 0))
        }
    }
}

extension SQLiteTokenStore: SchemaManagedTokenStore {
    /// Reads `schema_migrations` (none when the database was never migrated) and compares
    /// it with `Migrations/sqlite`. Changes nothing in the database; a store whose token
    /// operations were refused serves them again once the status is up to date (another
    /// process upgraded it).
    ///
    /// - Throws: `TokenStoreError` when the database cannot be read.
    public func schemaStatus() async throws -> SchemaStatus {
        let status = try await pool.run("schemaStatus", access: .read, inline: false) { connection in
            try SQLiteMigrator.status(connection, migrations: SQLiteMigrations.all)
        }
        if !schemaGate.allowsOperations { schemaGate.update(status) }
        return status
    }

    /// Applies the pending migrations in one `BEGIN IMMEDIATE` transaction (another
    /// process upgrading at the same time waits, then finds nothing to do), and lets token
    /// operations run again.
    ///
    /// - Returns: the migrations applied, empty when the schema was up to date.
    /// - Throws: `TokenStoreError.Code.schemaTooNew` when a newer build migrated the
    ///   database; `TokenStoreError.Code.timedOut` when another process holds it locked
    ///   past the busy timeout.
    @discardableResult
    public func upgradeSchema() async throws -> [SchemaMigration] {
        let now = nowMilliseconds
        let store = displayName
        let logger = self.logger
        let applied = try await pool.run("upgradeSchema", access: .write, inline: false) { connection in
            try SQLiteMigrator.migrate(
                connection, migrations: SQLiteMigrations.all, nowMilliseconds: now, store: store,
                operation: "upgradeSchema", logger: logger
            ).applied
        }
        schemaGate.reopen()
        return applied
    }
}
