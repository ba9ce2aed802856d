import Logging
import TokenStoreKit

/// Applies the migrations a database lacks and records them in `schema_migrations`.
enum SQLiteMigrator {
    /// Migrates inside one `BEGIN IMMEDIATE` transaction: when two processes open a new
    /// database at once, the second waits (busy timeout) for the first to commit, then
    /// finds every migration recorded and applies none.
    ///
    /// - Returns: the schema version after migrating.
    /// - Throws: ``TokenStoreError/Code/schemaTooNew`` when the database records a version
    ///   this build does not know; ``SQLiteError`` from SQLite.
    static func migrate(
        _ connection: SQLiteConnection,
        migrations: [SchemaMigration],
        nowMilliseconds: Int64,
        store: String,
        logger: Logger
    ) throws -> Int {
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
                    .schemaTooNew, store: store, operation: "open",
                    message: "the database is at schema version \(newest) but this build knows versions up to \(known); "
                        + "upgrade swift-tokenstore (a newer version migrated this database)")
            }
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
            }
            try connection.execute("COMMIT")
            return max(known, applied.max() ?? 0)
        } catch {
            try? connection.execute("ROLLBACK")
            throw error
        }
    }
}
