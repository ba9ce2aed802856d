/// Every statement the driver runs, prepared once per connection on first use.
///
/// The SQL texts are constants: no value is ever spliced in, so no error message or log
/// line can carry data.
enum SQLiteStatementID: Int, CaseIterable {
    case saveRequestToken
    case takeRequestToken
    case purgeRequestTokens
    case listRequestTokensFirst
    case listRequestTokensAfter
    case saveAccessTokenOverwrite
    case saveAccessTokenIfNewer
    case getAccessToken
    case deleteAccessToken
    case listAccessTokensFirst
    case listAccessTokensAfter
    case saveTokenSetOverwrite
    case saveTokenSetIfNewer
    case getTokenSet
    case deleteTokenSet
    case listTokenSetsFirst
    case listTokenSetsAfter
    case replaceTokenSet
    case acquireRefreshLease
    case releaseRefreshLease
    case counts
    case accessTokenCountsByProvider
    case schemaVersion
    case begin
    case commit
    case rollback

    /// The token columns (``SQLiteRecordCodec``).
    private static let requestColumns = SQLiteRecordCodec.requestColumns
    private static let accessColumns = SQLiteRecordCodec.accessColumns
    private static let tokenSetColumns = SQLiteRecordCodec.tokenSetColumns

    var sql: String {
        switch self {
        case .saveRequestToken:
            "INSERT OR REPLACE INTO request_tokens (\(Self.requestColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)"
        case .takeRequestToken:
            "DELETE FROM request_tokens WHERE token = ?1 AND expires_at > ?2 RETURNING \(Self.requestColumns)"
        case .purgeRequestTokens:
            "DELETE FROM request_tokens WHERE expires_at <= ?1"
        case .listRequestTokensFirst:
            "SELECT \(Self.requestColumns) FROM request_tokens WHERE expires_at > ?2 ORDER BY token LIMIT ?3"
        case .listRequestTokensAfter:
            "SELECT \(Self.requestColumns) FROM request_tokens WHERE token > ?1 AND expires_at > ?2 ORDER BY token LIMIT ?3"
        case .saveAccessTokenOverwrite:
            Self.upsert(condition: "")
        case .saveAccessTokenIfNewer:
            Self.upsert(condition: " WHERE excluded.updated_at > access_tokens.updated_at")
        case .getAccessToken:
            "SELECT \(Self.accessColumns) FROM access_tokens WHERE provider = ?1 AND user_id = ?2"
        case .deleteAccessToken:
            "DELETE FROM access_tokens WHERE provider = ?1 AND user_id = ?2"
        case .listAccessTokensFirst:
            "SELECT \(Self.accessColumns) FROM access_tokens ORDER BY provider, user_id LIMIT ?3"
        case .listAccessTokensAfter:
            "SELECT \(Self.accessColumns) FROM access_tokens WHERE (provider, user_id) > (?1, ?2) "
                + "ORDER BY provider, user_id LIMIT ?3"
        case .saveTokenSetOverwrite:
            Self.tokenSetUpsert(condition: "")
        case .saveTokenSetIfNewer:
            Self.tokenSetUpsert(condition: " WHERE excluded.updated_at > token_sets.updated_at")
        case .getTokenSet:
            "SELECT \(Self.tokenSetColumns) FROM token_sets WHERE provider = ?1 AND user_id = ?2"
        case .deleteTokenSet:
            "DELETE FROM token_sets WHERE provider = ?1 AND user_id = ?2"
        case .listTokenSetsFirst:
            "SELECT \(Self.tokenSetColumns) FROM token_sets ORDER BY provider, user_id LIMIT ?3"
        case .listTokenSetsAfter:
            "SELECT \(Self.tokenSetColumns) FROM token_sets WHERE (provider, user_id) > (?1, ?2) "
                + "ORDER BY provider, user_id LIMIT ?3"
        case .replaceTokenSet:
            // One statement: the version check and the write cannot be split by another
            // writer, in this process or another. Clears the lease of any owner.
            "UPDATE token_sets SET \(SQLiteRecordCodec.tokenSetAssignments), version = version + 1, "
                + "lease_owner = NULL, lease_expires_at = NULL "
                + "WHERE provider = ?1 AND user_id = ?2 AND version = ?14 RETURNING \(Self.tokenSetColumns)"
        case .acquireRefreshLease:
            // ?3 owner, ?4 the new expiry, ?5 now (the store's clock): free, already ours,
            // or expired. One statement, so at most one owner wins.
            "UPDATE token_sets SET lease_owner = ?3, lease_expires_at = ?4 WHERE provider = ?1 AND user_id = ?2 "
                + "AND (lease_owner IS NULL OR lease_owner = ?3 OR lease_expires_at <= ?5)"
        case .releaseRefreshLease:
            "UPDATE token_sets SET lease_owner = NULL, lease_expires_at = NULL "
                + "WHERE provider = ?1 AND user_id = ?2 AND lease_owner = ?3"
        case .counts:
            "SELECT (SELECT count(*) FROM request_tokens WHERE expires_at > ?1), (SELECT count(*) FROM access_tokens), "
                + "(SELECT count(*) FROM token_sets)"
        case .accessTokenCountsByProvider:
            // Walks the primary key in (provider, user_id) order: no sort, no temp table.
            "SELECT provider, count(*) FROM access_tokens GROUP BY provider ORDER BY provider"
        case .schemaVersion:
            "SELECT coalesce(max(version), 0) FROM schema_migrations"
        case .begin:
            "BEGIN IMMEDIATE"
        case .commit:
            "COMMIT"
        case .rollback:
            "ROLLBACK"
        }
    }

    /// The upsert: an existing row keeps its `created_at`.
    private static func upsert(condition: String) -> String {
        "INSERT INTO access_tokens (\(accessColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9) "
            + "ON CONFLICT (provider, user_id) DO UPDATE SET \(SQLiteRecordCodec.accessUpdates)" + condition
    }

    /// The token-set upsert: a new row is version 1; an existing row keeps its
    /// `created_at` and lease and counts its version up.
    private static func tokenSetUpsert(condition: String) -> String {
        "INSERT INTO token_sets (\(tokenSetColumns)) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, 1) "
            + "ON CONFLICT (provider, user_id) DO UPDATE SET \(SQLiteRecordCodec.tokenSetUpdates), "
            + "version = token_sets.version + 1" + condition
    }
}
