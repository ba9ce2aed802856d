import Foundation

/// The SQL of every fixed query, with the schema name quoted in. Each is prepared once per
/// connection under its name.
struct PostgresStatements: Sendable {
    struct Statement: Sendable {
        let name: String
        let sql: String
        /// `name` as a C string, made once: a short Swift string handed to a C parameter
        /// is copied into a fresh array on every call.
        let cName: ContiguousArray<CChar>

        init(name: String, sql: String) {
            self.name = name
            self.sql = sql
            cName = name.utf8CString
        }
    }

    static let requestColumns = "token, provider, secret, callback_url, return_to, session_binding, metadata::text, created_at, expires_at"
    static let accessColumns = "provider, user_id, token, secret, screen_name, access_type, metadata::text, created_at, updated_at"

    let saveRequestToken: Statement
    let takeRequestToken: Statement
    let purgeRequestTokens: Statement
    let listRequestTokensFirst: Statement
    let listRequestTokensAfter: Statement
    let saveAccessTokenOverwrite: Statement
    let saveAccessTokenIfNewer: Statement
    let saveRequestTokens: Statement
    let saveAccessTokensOverwrite: Statement
    let saveAccessTokensIfNewer: Statement
    let accessToken: Statement
    let deleteAccessToken: Statement
    let listAccessTokensFirst: Statement
    let listAccessTokensAfter: Statement
    let counts: Statement
    let schemaVersion: Statement

    init(schema: String) {
        let s = PostgresStatements.quote(schema)
        let request = "\(s).request_tokens"
        let access = "\(s).access_tokens"
        saveRequestToken = Statement(
            name: "ts_save_rt",
            sql: """
                INSERT INTO \(request) (token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
                ON CONFLICT (token) DO UPDATE SET provider = EXCLUDED.provider, secret = EXCLUDED.secret,
                    callback_url = EXCLUDED.callback_url, return_to = EXCLUDED.return_to,
                    session_binding = EXCLUDED.session_binding, metadata = EXCLUDED.metadata,
                    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                """)
        // Deletes the token whether or not it expired (an expired one is garbage anyway);
        // the caller returns it only when `expires_at` is still ahead.
        takeRequestToken = Statement(
            name: "ts_take_rt", sql: "DELETE FROM \(request) WHERE token = $1 RETURNING \(Self.requestColumns)")
        purgeRequestTokens = Statement(name: "ts_purge_rt", sql: "DELETE FROM \(request) WHERE expires_at <= $1")
        listRequestTokensFirst = Statement(
            name: "ts_list_rt0",
            sql: "SELECT \(Self.requestColumns) FROM \(request) WHERE expires_at > $1 ORDER BY token LIMIT $2")
        listRequestTokensAfter = Statement(
            name: "ts_list_rt",
            sql: "SELECT \(Self.requestColumns) FROM \(request) WHERE token > $1 AND expires_at > $2 ORDER BY token LIMIT $3")
        let accessConflict = """
            ON CONFLICT (provider, user_id) DO UPDATE SET token = EXCLUDED.token, secret = EXCLUDED.secret,
                screen_name = EXCLUDED.screen_name, access_type = EXCLUDED.access_type,
                metadata = EXCLUDED.metadata, updated_at = EXCLUDED.updated_at
            """
        let upsert = """
            INSERT INTO \(access) (provider, user_id, token, secret, screen_name, access_type, metadata, created_at, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8, $9)
            \(accessConflict)
            """
        saveAccessTokenOverwrite = Statement(name: "ts_save_at", sql: upsert)
        // The bulk forms: one row per element of nine array parameters (text array literals).
        let accessBulk = """
            INSERT INTO \(access) (provider, user_id, token, secret, screen_name, access_type, metadata, created_at, updated_at)
            SELECT r.p, r.u, r.t, r.s, r.sn, r.at, r.m::jsonb, r.c, r.up
            FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
                AS r(p, u, t, s, sn, at, m, c, up)
            \(accessConflict)
            """
        saveAccessTokensOverwrite = Statement(name: "ts_save_at_bulk", sql: accessBulk)
        saveAccessTokensIfNewer = Statement(
            name: "ts_save_at_bulk_newer", sql: accessBulk + " WHERE EXCLUDED.updated_at > \(access).updated_at")
        saveRequestTokens = Statement(
            name: "ts_save_rt_bulk",
            sql: """
                INSERT INTO \(request) (token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at)
                SELECT r.t, r.p, r.s, r.cb, r.rt, r.sb, r.m::jsonb, r.c, r.e
                FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::bigint[], $9::bigint[])
                    AS r(t, p, s, cb, rt, sb, m, c, e)
                ON CONFLICT (token) DO UPDATE SET provider = EXCLUDED.provider, secret = EXCLUDED.secret,
                    callback_url = EXCLUDED.callback_url, return_to = EXCLUDED.return_to,
                    session_binding = EXCLUDED.session_binding, metadata = EXCLUDED.metadata,
                    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                """)
        saveAccessTokenIfNewer = Statement(
            name: "ts_save_at_newer", sql: upsert + " WHERE EXCLUDED.updated_at > \(access).updated_at")
        accessToken = Statement(
            name: "ts_get_at", sql: "SELECT \(Self.accessColumns) FROM \(access) WHERE provider = $1 AND user_id = $2")
        deleteAccessToken = Statement(
            name: "ts_delete_at", sql: "DELETE FROM \(access) WHERE provider = $1 AND user_id = $2")
        listAccessTokensFirst = Statement(
            name: "ts_list_at0", sql: "SELECT \(Self.accessColumns) FROM \(access) ORDER BY provider, user_id LIMIT $1")
        listAccessTokensAfter = Statement(
            name: "ts_list_at",
            sql: "SELECT \(Self.accessColumns) FROM \(access) WHERE (provider, user_id) > ($1, $2) ORDER BY provider, user_id LIMIT $3")
        counts = Statement(
            name: "ts_counts",
            sql: "SELECT (SELECT count(*) FROM \(request) WHERE expires_at > $1), (SELECT count(*) FROM \(access))")
        schemaVersion = Statement(
            name: "ts_schema_version", sql: "SELECT coalesce(max(version), 0) FROM \(s).schema_migrations")
    }

    /// `name` as a quoted SQL identifier.
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
