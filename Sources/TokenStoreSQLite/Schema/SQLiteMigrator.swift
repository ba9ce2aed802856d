import Foundation
import Logging
import TokenStoreKit

/// Applies the migrations a database lacks and records them in `schema_migrations`.
enum SQLiteMigrator {
    /// Migrates inside one `BEGIN IMMEDIATE` transaction: when two processes open a new
    /// database at once, the second waits (busy timeout) for the first to commit, then
    /// finds every migration recorded and applies none.
    ///
    /// - Returns: the schema version after migrating and the migrations applied.
    /// - Throws: ``TokenStoreError/Code/schemaTooNew`` when the database records a version
    ///   this build does not know; ``SQLiteError`` from SQLite.
    static func migrate(
        _ connection: SQLiteConnection,
        migrations: [SchemaMigration],
        nowMilliseconds: Int64,
        store: String,
        operation: String = "open",
        logger: Logger
    ) throws -> (version: Int, applied: [SchemaMigration]) {
        try connection.execute("BEGIN IMMEDIATE")
        do {
            try connection.execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations ("
                    + "version INTEGER NOT NULL PRIMARY KEY, name TEXT NOT NULL, applied_at INTEGER NOT NULL)")
            let applied: Set<Int> = try connection.withStatement("SELECT version FROM schema_migrations") { statement in
                var versions: Set<Int> = []
                while try connection.step(statement) {
                    versions.insert(Int(sqlite3Int(statement, 0)))
                }
                return versions
            }
            let known = migrations.map(\.version).max() ?? 0
            if let newest = applied.max(), newest > known {
                throw TokenStoreError(
                    .schemaTooNew, store: store, operation: operation,
                    message: "the database is at schema version \(newest) but this build knows versions up to \(known); "
                        + "upgrade swift-tokenstore (a newer version migrated this database)")
            }
            var done: [SchemaMigration] = []
            for migration in migrations.sorted(by: { $0.version < $1.version }) where !applied.contains(migration.version) {
                try connection.execute(migration.sql)
                try connection.withStatement(
                    "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?1, ?2, ?3)"
                ) { statement in
                    connection.bind(statement, 1, Int64(migration.version))
                    try connection.bind(statement, 2, migration.name)
                    connection.bind(statement, 3, nowMilliseconds)
                    while try connection.step(statement) {}
                }
                logger.info("applied migration", metadata: ["store": "\(store)", "migration": "\(migration.name)"])
                done.append(migration)
            }
            try connection.execute("COMMIT")
            return (max(known, applied.max() ?? 0), done)
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}

extension SQLiteMigrator {
    /// Reads the recorded migrations without changing anything: a database never
    /// migrated (no `schema_migrations` table) has none.
    static func status(_ connection: SQLiteConnection, migrations: [SchemaMigration]) throws -> SchemaStatus {
        let hasTable = try connection.withStatement(
            "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        ) { statement in try connection.step(statement) }
        guard hasTable else { return SchemaStatus(applied: [], known: migrations) }
        let applied = try connection.withStatement(
            "SELECT version, name, applied_at FROM schema_migrations ORDER BY version"
        ) { statement in
            var rows: [SchemaStatus.AppliedMigration] = []
            while try connection.step(statement) {
                let name = (try? connection.text(statement, 1, column: "name")) ?? nil
                rows.append(
                    SchemaStatus.AppliedMigration(
                        version: Int(sqlite3Int(statement, 0)), name: name ?? "?",
                        appliedAt: Date(milliseconds: sqlite3Int(statement, 2))))
            }
            return rows
        }
        return SchemaStatus(applied: applied, known: migrations)
    }
}
