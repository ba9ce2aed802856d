import Foundation
import TokenStoreKit
import TokenStorePostgresMigrations

extension PostgresTokenStore: SchemaManagedTokenStore {
    public func schemaVersion() async throws -> Int {
        if !schemaGate.allowsOperations { return try await schemaStatus().currentVersion }
        let rows = try await run(statements.schemaVersion, [], operation: "schemaVersion", idempotent: true)
        guard let value = rows.first?.first.flatMap({ $0 }).flatMap({ Int($0) }) else {
            throw corrupted("schemaVersion", record: "schema_migrations")
        }
        return value
    }

    /// Reads the store schema's `schema_migrations` (none when it was never migrated) and
    /// compares it with `Migrations/postgres`. Changes nothing in the database; a store
    /// whose token operations were refused serves them again once the status is up to
    /// date (another process upgraded it).
    ///
    /// - Throws: `TokenStoreError` when the server cannot be reached or read.
    public func schemaStatus() async throws -> SchemaStatus {
        let table = PostgresStatements.quote(configuration.schema) + ".schema_migrations"
        let existsQuery = "SELECT to_regclass(\(Self.literal(table))) IS NOT NULL"
        let listQuery =
            "SELECT version, name, (extract(epoch FROM applied_at) * 1000)::bigint FROM \(table) ORDER BY version"
        let rows = try await withConnection("schemaStatus", idempotent: true, gated: false) { connection, deadline throws(LibPQFailure) in
            let exists = try await connection.execute(sql: existsQuery, deadline: deadline)
            guard exists.first?.first == "t" else { return [[String?]]() }
            return try await connection.execute(sql: listQuery, deadline: deadline).map(Array.init)
        }
        let applied = try rows.map { row in
            guard row.count == 3, let version = row[0].flatMap({ Int($0) }), let name = row[1],
                let milliseconds = row[2].flatMap({ Int64($0) })
            else {
                throw TokenStoreError(
                    .corruptedRecord, store: displayName, operation: "schemaStatus",
                    message: "a row of schema_migrations cannot be decoded", record: "schema_migrations")
            }
            return SchemaStatus.AppliedMigration(version: version, name: name, appliedAt: Date(milliseconds: milliseconds))
        }
        let status = SchemaStatus(applied: applied, known: PostgresMigrations.all)
        if !schemaGate.allowsOperations { schemaGate.update(status) }
        return status
    }

    /// Applies the pending migrations in one transaction under the same advisory lock as
    /// the migration on open (a concurrent upgrade waits, then applies nothing), and lets
    /// token operations run again.
    ///
    /// - Returns: the migrations applied, empty when the schema was up to date.
    /// - Throws: `TokenStoreError.Code.schemaTooNew` when a newer build migrated the
    ///   schema; other `TokenStoreError`s when the server fails.
    @discardableResult
    public func upgradeSchema() async throws -> [SchemaMigration] {
        let applied = try await migrate(operation: "upgradeSchema")
        schemaGate.reopen()
        return applied
    }
}
