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
        /// The column types its rows must have (token rows), checked once per result.
        let shape: PostgresResultShape?

        init(name: String, sql: String, shape: PostgresResultShape? = nil) {
            self.name = name
            self.sql = sql
            self.shape = shape
            cName = name.utf8CString
        }
    }

    /// A bulk upsert from a staging table, one round of keys at a time. Its SQL goes in a
    /// simple-query script with the `COPY` that fills the stage (no parameters there: the
    /// round is a literal number).
    struct StagedUpsert: Sendable {
        /// The staging table (in `pg_temp`).
        let stage: String
        /// `COPY` straight into the token table, the nine columns in stage order: the
        /// whole upsert when none of a chunk's keys exist yet (see ``PostgresStagedWrite``).
        let directCopy: String
        /// `UPDATE ... FROM stage WHERE <key matches> [AND newer] AND`, then the round.
        fileprivate let update: String
        /// `INSERT ... SELECT ... FROM stage WHERE`, then a condition.
        fileprivate let insert: String
        /// The condition that the staged row's key is not in the table.
        fileprivate let missing: String
        /// `ON CONFLICT ...` for ``conflictSafeSQL(round:)``.
        fileprivate let conflict: String
        /// The staged key columns, the order in which ``conflictSafeSQL(round:)`` locks rows.
        fileprivate let keyOrder: String

        /// The round's rows as an `UPDATE` of the keys present, then an `INSERT` of the
        /// missing ones: cheaper for the server than `INSERT ... ON CONFLICT`, which
        /// inserts every row speculatively (see Benchmarks/README.md). A concurrent writer inserting one of
        /// the keys in between makes the `INSERT` fail with a unique violation (23505):
        /// the caller then runs the whole batch again with ``conflictSafeSQL(round:)``.
        func sql(round: Int) -> String {
            "\(update) r.rnd = \(round);\n\(insert) r.rnd = \(round) AND \(missing)"
        }

        /// The round's rows as one `INSERT ... ON CONFLICT`, safe under any concurrency. Rows
        /// are taken in key order, so two such writes of one chunk's keys lock them in the
        /// same order and cannot deadlock each other.
        func conflictSafeSQL(round: Int) -> String {
            "\(insert) r.rnd = \(round) ORDER BY \(keyOrder)\n\(conflict)"
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
    let saveRequestTokens: StagedUpsert
    let saveAccessTokensOverwrite: StagedUpsert
    let saveAccessTokensIfNewer: StagedUpsert
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
            name: "ts_take_rt", sql: "DELETE FROM \(request) WHERE token = $1 RETURNING \(Self.requestColumns)",
            shape: .requestToken)
        purgeRequestTokens = Statement(name: "ts_purge_rt", sql: "DELETE FROM \(request) WHERE expires_at <= $1")
        listRequestTokensFirst = Statement(
            name: "ts_list_rt0",
            sql: "SELECT \(Self.requestColumns) FROM \(request) WHERE expires_at > $1 ORDER BY token LIMIT $2",
            shape: .requestToken)
        listRequestTokensAfter = Statement(
            name: "ts_list_rt",
            sql: "SELECT \(Self.requestColumns) FROM \(request) WHERE token > $1 AND expires_at > $2 ORDER BY token LIMIT $3",
            shape: .requestToken)
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
        // The bulk forms: rows are staged with COPY in a temporary table of the session
        // (emptied at commit) and upserted from there, one round of keys at a time.
        let accessStage = "pg_temp.\(Self.accessStage)"
        let accessUpdate = """
            UPDATE \(access) AS a SET token = r.t, secret = r.s, screen_name = r.sn, access_type = r.at, metadata = r.m::jsonb,
                updated_at = r.up
            FROM \(accessStage) AS r WHERE a.provider = r.p AND a.user_id = r.u
            """
        let accessInsert = """
            INSERT INTO \(access) (provider, user_id, token, secret, screen_name, access_type, metadata, created_at, updated_at)
            SELECT r.p, r.u, r.t, r.s, r.sn, r.at, r.m::jsonb, r.c, r.up FROM \(accessStage) AS r
            """
        let accessMissing = "NOT EXISTS (SELECT 1 FROM \(access) AS a WHERE a.provider = r.p AND a.user_id = r.u)"
        let accessCopy = "COPY \(access) (provider, user_id, token, secret, screen_name, access_type, metadata, created_at, updated_at) FROM STDIN"
        saveAccessTokensOverwrite = StagedUpsert(
            stage: Self.accessStage, directCopy: accessCopy, update: accessUpdate + " AND", insert: accessInsert + " WHERE", missing: accessMissing,
            conflict: accessConflict, keyOrder: "r.p, r.u")
        saveAccessTokensIfNewer = StagedUpsert(
            stage: Self.accessStage, directCopy: accessCopy, update: accessUpdate + " AND r.up > a.updated_at AND", insert: accessInsert + " WHERE",
            missing: accessMissing, conflict: accessConflict + " WHERE EXCLUDED.updated_at > \(access).updated_at", keyOrder: "r.p, r.u")
        let requestStage = "pg_temp.\(Self.requestStage)"
        saveRequestTokens = StagedUpsert(
            stage: Self.requestStage,
            directCopy: """
                COPY \(request) (token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at) \
                FROM STDIN
                """,
            update: """
                UPDATE \(request) AS q SET provider = r.p, secret = r.s, callback_url = r.cb, return_to = r.rt,
                    session_binding = r.sb, metadata = r.m::jsonb, created_at = r.c, expires_at = r.e
                FROM \(requestStage) AS r WHERE q.token = r.t AND
                """,
            insert: """
                INSERT INTO \(request) (token, provider, secret, callback_url, return_to, session_binding, metadata, created_at, expires_at)
                SELECT r.t, r.p, r.s, r.cb, r.rt, r.sb, r.m::jsonb, r.c, r.e FROM \(requestStage) AS r WHERE
                """,
            missing: "NOT EXISTS (SELECT 1 FROM \(request) AS q WHERE q.token = r.t)",
            conflict: """
                ON CONFLICT (token) DO UPDATE SET provider = EXCLUDED.provider, secret = EXCLUDED.secret,
                    callback_url = EXCLUDED.callback_url, return_to = EXCLUDED.return_to,
                    session_binding = EXCLUDED.session_binding, metadata = EXCLUDED.metadata,
                    created_at = EXCLUDED.created_at, expires_at = EXCLUDED.expires_at
                """,
            keyOrder: "r.t")
        saveAccessTokenIfNewer = Statement(
            name: "ts_save_at_newer", sql: upsert + " WHERE EXCLUDED.updated_at > \(access).updated_at")
        accessToken = Statement(
            name: "ts_get_at", sql: "SELECT \(Self.accessColumns) FROM \(access) WHERE provider = $1 AND user_id = $2",
            shape: .accessToken)
        deleteAccessToken = Statement(
            name: "ts_delete_at", sql: "DELETE FROM \(access) WHERE provider = $1 AND user_id = $2")
        listAccessTokensFirst = Statement(
            name: "ts_list_at0", sql: "SELECT \(Self.accessColumns) FROM \(access) ORDER BY provider, user_id LIMIT $1",
            shape: .accessToken)
        listAccessTokensAfter = Statement(
            name: "ts_list_at",
            sql: "SELECT \(Self.accessColumns) FROM \(access) WHERE (provider, user_id) > ($1, $2) ORDER BY provider, user_id LIMIT $3",
            shape: .accessToken)
        counts = Statement(
            name: "ts_counts",
            sql: "SELECT (SELECT count(*) FROM \(request) WHERE expires_at > $1), (SELECT count(*) FROM \(access))")
        schemaVersion = Statement(
            name: "ts_schema_version", sql: "SELECT coalesce(max(version), 0) FROM \(s).schema_migrations")
    }

    /// The session's staging tables for bulk writes: a round number, then the nine
    /// columns of ``PostgresRowCodec/parameters(_:)-(AccessToken)`` (or of a request token)
    /// in order. `ON COMMIT DELETE ROWS`: staged secrets never outlive their transaction.
    static let accessStage = "ts_stage_at"
    static let requestStage = "ts_stage_rt"
    static let createStages = """
        CREATE TEMPORARY TABLE IF NOT EXISTS \(accessStage) (rnd integer NOT NULL, p text, u text, t text, s text, sn text,
            at text, m text, c bigint, up bigint) ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE IF NOT EXISTS \(requestStage) (rnd integer NOT NULL, t text, p text, s text, cb text, rt text,
            sb text, m text, c bigint, e bigint) ON COMMIT DELETE ROWS
        """

    /// `name` as a quoted SQL identifier.
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
