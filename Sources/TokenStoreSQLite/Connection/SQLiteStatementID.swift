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
    case counts
    case accessTokenCountsByProvider
    case schemaVersion
    case begin
    case commit
    case rollback

    /// The token columns (``SQLiteRecordCodec``).
    private static let requestColumns = SQLiteRecordCodec.requestColumns
    private static let accessColumns = SQLiteRecordCodec.accessColumns

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
        case .counts:
            "SELECT (SELECT count(*) FROM request_tokens WHERE expires_at > ?1), (SELECT count(*) FROM access_tokens)"
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
}
