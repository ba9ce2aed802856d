import TokenStoreKit

/// The SQLite schema, embedded from the `.sql` files beside this one, in order.
///
/// SwiftPM names an embedded file by replacing characters an identifier cannot hold,
/// the leading digit included: `0001_create_tokens.sql` becomes `_001_create_tokens_sql`.
public enum SQLiteMigrations {
    /// Every migration this build knows, ascending by version.
    public static let all: [SchemaMigration] = [
        SchemaMigration(version: 1, name: "0001_create_tokens", utf8: PackageResources._001_create_tokens_sql),
        SchemaMigration(version: 2, name: "0002_create_token_sets", utf8: PackageResources._002_create_token_sets_sql),
    ]
}

extension SQLiteMigrations {
    /// The highest version this build knows.
    public static var latestVersion: Int { all.map(\.version).max() ?? 0 }
}
