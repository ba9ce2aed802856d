/// A ``TokenStore`` whose storage has a versioned schema (`Migrations/<dialect>/NNNN_name.sql`),
/// which it can report on and upgrade on request.
///
/// The SQLite and PostgreSQL drivers conform. Opened with
/// ``TokenStoreOptions/migrateSchemaOnOpen`` set to `false`, such a store leaves its schema
/// as it finds it: ``schemaStatus()`` then shows what is pending, and until
/// ``upgradeSchema()`` runs, token operations on a store that lacks migrations throw
/// ``TokenStoreError/Code/misconfigured`` telling the operator to run
/// `tokenstore schema upgrade URL`.
public protocol SchemaManagedTokenStore: TokenStore {
    /// The applied and pending migrations. Reads only; never changes the schema.
    ///
    /// - Throws: ``TokenStoreError`` when the store cannot be read.
    func schemaStatus() async throws -> SchemaStatus

    /// Applies the pending migrations in ascending order, each recorded in
    /// `schema_migrations`, guarded like the migration on open (SQLite `BEGIN IMMEDIATE`,
    /// a PostgreSQL advisory lock) so concurrent upgrades apply each migration once.
    ///
    /// - Returns: the migrations this call applied, empty when the schema was up to date.
    /// - Throws: ``TokenStoreError/Code/schemaTooNew`` when a newer build migrated the
    ///   store; other ``TokenStoreError``s when it cannot be written.
    @discardableResult
    func upgradeSchema() async throws -> [SchemaMigration]
}

extension TokenStoreError {
    /// The error a store opened without migrating throws from token operations while its
    /// schema lacks migrations this build needs.
    ///
    /// - Parameters:
    ///   - store: the store's display name.
    ///   - operation: the operation refused.
    ///   - current: the version the store records.
    ///   - needed: the version this build needs.
    public static func schemaUpgradeRequired(store: String, operation: String, current: Int, needed: Int) -> TokenStoreError {
        TokenStoreError(
            .misconfigured, store: store, operation: operation,
            message: "the store's schema is at version \(current) but this build needs version \(needed); "
                + "run `tokenstore schema upgrade URL` (or open the store with migrateSchemaOnOpen) first")
    }
}
