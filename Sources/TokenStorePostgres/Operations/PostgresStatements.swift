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
        /// `COPY` straight into the token table, its columns in stage order: the
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
    let saveTokenSetOverwrite: Statement
    let saveTokenSetIfNewer: Statement
    let saveTokenSetsOverwrite: StagedUpsert
    let saveTokenSetsIfNewer: StagedUpsert
    let tokenSet: Statement
    let deleteTokenSet: Statement
    let listTokenSetsFirst: Statement
    let listTokenSetsAfter: Statement
    let replaceTokenSet: Statement
    let acquireRefreshLease: Statement
    let releaseRefreshLease: Statement
    let counts: Statement
    let schemaVersion: Statement

    init(schema: String) {
        let s = PostgresStatements.quote(schema)
        let request = "\(s).request_tokens"
        let access = "\(s).access_tokens"
        let sets = "\(s).token_sets"
        let requestColumns = PostgresRecordCodec.requestColumns
        let accessColumns = PostgresRecordCodec.accessColumns
        let setColumns = PostgresRecordCodec.tokenSetColumns
        saveRequestToken = Statement(
            name: "ts_save_rt",
            sql: """
                INSERT INTO \(request) (\(requestColumns.nameList))
                VALUES (\(requestColumns.placeholders))
                \(requestColumns.onConflictUpdate(stored: request))
                """)
        // Deletes the token whether or not it expired (an expired one is garbage anyway);
        // the caller returns it only when `expires_at` is still ahead.
        takeRequestToken = Statement(
            name: "ts_take_rt", sql: "DELETE FROM \(request) WHERE token = $1 RETURNING \(requestColumns.selectList)",
            shape: .requestToken)
        purgeRequestTokens = Statement(name: "ts_purge_rt", sql: "DELETE FROM \(request) WHERE expires_at <= $1")
        listRequestTokensFirst = Statement(
            name: "ts_list_rt0",
            sql: "SELECT \(requestColumns.selectList) FROM \(request) WHERE expires_at > $1 ORDER BY token LIMIT $2",
            shape: .requestToken)
        listRequestTokensAfter = Statement(
            name: "ts_list_rt",
            sql: "SELECT \(requestColumns.selectList) FROM \(request) WHERE token > $1 AND expires_at > $2 ORDER BY token LIMIT $3",
            shape: .requestToken)
        let accessConflict = accessColumns.onConflictUpdate(stored: access)
        let upsert = """
            INSERT INTO \(access) (\(accessColumns.nameList))
            VALUES (\(accessColumns.placeholders))
            \(accessConflict)
            """
        saveAccessTokenOverwrite = Statement(name: "ts_save_at", sql: upsert)
        // The bulk forms: rows are staged with COPY in a temporary table of the session
        // (emptied at commit) and upserted from there, one round of keys at a time.
        let accessStage = "pg_temp.\(Self.accessStage)"
        let accessUpdate = """
            UPDATE \(access) AS a SET \(accessColumns.setFromStage(stored: "a"))
            FROM \(accessStage) AS r WHERE \(accessColumns.keyMatch("a"))
            """
        let accessInsert = """
            INSERT INTO \(access) (\(accessColumns.nameList))
            SELECT \(accessColumns.stagedValues) FROM \(accessStage) AS r
            """
        let accessMissing = "NOT EXISTS (SELECT 1 FROM \(access) AS a WHERE \(accessColumns.keyMatch("a")))"
        let accessCopy = "COPY \(access) (\(accessColumns.nameList)) FROM STDIN"
        saveAccessTokensOverwrite = StagedUpsert(
            stage: Self.accessStage, directCopy: accessCopy, update: accessUpdate + " AND", insert: accessInsert + " WHERE", missing: accessMissing,
            conflict: accessConflict, keyOrder: accessColumns.stagedKeyOrder)
        saveAccessTokensIfNewer = StagedUpsert(
            stage: Self.accessStage, directCopy: accessCopy, update: accessUpdate + " AND r.up > a.updated_at AND", insert: accessInsert + " WHERE",
            missing: accessMissing, conflict: accessConflict + " WHERE EXCLUDED.updated_at > \(access).updated_at",
            keyOrder: accessColumns.stagedKeyOrder)
        let requestStage = "pg_temp.\(Self.requestStage)"
        saveRequestTokens = StagedUpsert(
            stage: Self.requestStage,
            directCopy: "COPY \(request) (\(requestColumns.nameList)) FROM STDIN",
            update: """
                UPDATE \(request) AS q SET \(requestColumns.setFromStage(stored: "q"))
                FROM \(requestStage) AS r WHERE \(requestColumns.keyMatch("q")) AND
                """,
            insert: """
                INSERT INTO \(request) (\(requestColumns.nameList))
                SELECT \(requestColumns.stagedValues) FROM \(requestStage) AS r WHERE
                """,
            missing: "NOT EXISTS (SELECT 1 FROM \(request) AS q WHERE \(requestColumns.keyMatch("q")))",
            conflict: requestColumns.onConflictUpdate(stored: request),
            keyOrder: requestColumns.stagedKeyOrder)
        saveAccessTokenIfNewer = Statement(
            name: "ts_save_at_newer", sql: upsert + " WHERE EXCLUDED.updated_at > \(access).updated_at")
        accessToken = Statement(
            name: "ts_get_at", sql: "SELECT \(accessColumns.selectList) FROM \(access) WHERE provider = $1 AND user_id = $2",
            shape: .accessToken)
        deleteAccessToken = Statement(
            name: "ts_delete_at", sql: "DELETE FROM \(access) WHERE provider = $1 AND user_id = $2")
        listAccessTokensFirst = Statement(
            name: "ts_list_at0", sql: "SELECT \(accessColumns.selectList) FROM \(access) ORDER BY provider, user_id LIMIT $1",
            shape: .accessToken)
        listAccessTokensAfter = Statement(
            name: "ts_list_at",
            sql: "SELECT \(accessColumns.selectList) FROM \(access) WHERE (provider, user_id) > ($1, $2) ORDER BY provider, user_id LIMIT $3",
            shape: .accessToken)
        // Token sets: the access tokens' statements over `token_sets`, each write counting
        // the version up (`PostgresRecordCodec.Column.isVersion`).
        let setConflict = setColumns.onConflictUpdate(stored: sets)
        let setUpsert = """
            INSERT INTO \(sets) (\(setColumns.nameList))
            VALUES (\(setColumns.placeholders))
            \(setConflict)
            """
        saveTokenSetOverwrite = Statement(name: "ts_save_set", sql: setUpsert)
        saveTokenSetIfNewer = Statement(name: "ts_save_set_newer", sql: setUpsert + " WHERE EXCLUDED.updated_at > \(sets).updated_at")
        let setStage = "pg_temp.\(Self.tokenSetStage)"
        let setUpdate = """
            UPDATE \(sets) AS a SET \(setColumns.setFromStage(stored: "a"))
            FROM \(setStage) AS r WHERE \(setColumns.keyMatch("a"))
            """
        let setInsert = """
            INSERT INTO \(sets) (\(setColumns.nameList))
            SELECT \(setColumns.stagedValues) FROM \(setStage) AS r
            """
        let setMissing = "NOT EXISTS (SELECT 1 FROM \(sets) AS a WHERE \(setColumns.keyMatch("a")))"
        let setCopy = "COPY \(sets) (\(setColumns.nameList)) FROM STDIN"
        saveTokenSetsOverwrite = StagedUpsert(
            stage: Self.tokenSetStage, directCopy: setCopy, update: setUpdate + " AND", insert: setInsert + " WHERE", missing: setMissing,
            conflict: setConflict, keyOrder: setColumns.stagedKeyOrder)
        saveTokenSetsIfNewer = StagedUpsert(
            stage: Self.tokenSetStage, directCopy: setCopy, update: setUpdate + " AND r.up > a.updated_at AND", insert: setInsert + " WHERE",
            missing: setMissing, conflict: setConflict + " WHERE EXCLUDED.updated_at > \(sets).updated_at",
            keyOrder: setColumns.stagedKeyOrder)
        tokenSet = Statement(
            name: "ts_get_set", sql: "SELECT \(setColumns.selectList) FROM \(sets) WHERE provider = $1 AND user_id = $2",
            shape: .tokenSet)
        // The row and its lease go together.
        deleteTokenSet = Statement(name: "ts_delete_set", sql: "DELETE FROM \(sets) WHERE provider = $1 AND user_id = $2")
        listTokenSetsFirst = Statement(
            name: "ts_list_set0", sql: "SELECT \(setColumns.selectList) FROM \(sets) ORDER BY provider, user_id LIMIT $1",
            shape: .tokenSet)
        listTokenSetsAfter = Statement(
            name: "ts_list_set",
            sql: "SELECT \(setColumns.selectList) FROM \(sets) WHERE (provider, user_id) > ($1, $2) ORDER BY provider, user_id LIMIT $3",
            shape: .tokenSet)
        // Compare-and-set in one statement: the row lock taken by the UPDATE makes a
        // concurrent replace at the same version wait, then find the version moved on.
        let replaced = PostgresRecordCodec.replacedTokenSetColumns
        replaceTokenSet = Statement(
            name: "ts_replace_set",
            sql: """
                UPDATE \(sets) SET \(replaced.setFromParameters)\(replaced.versionIncrement(stored: sets)),
                    lease_owner = NULL, lease_expires_at = NULL
                WHERE \(replaced.keyFromParameters) AND \(replaced.versionFromParameters)
                RETURNING \(setColumns.selectList)
                """,
            shape: .tokenSet)
        // The lease is two columns of the token set's row: taking it is one conditional
        // UPDATE (the row lock serializes concurrent takers; each re-checks the condition
        // on the row the one before it wrote), judged by the store's clock ($4), so no
        // advisory lock or session state outlives the call.
        acquireRefreshLease = Statement(
            name: "ts_lease_set",
            sql: """
                UPDATE \(sets) SET lease_owner = $3, lease_expires_at = $5
                WHERE provider = $1 AND user_id = $2 AND (lease_owner IS NULL OR lease_owner = $3 OR lease_expires_at <= $4)
                """)
        releaseRefreshLease = Statement(
            name: "ts_release_set",
            sql: """
                UPDATE \(sets) SET lease_owner = NULL, lease_expires_at = NULL
                WHERE provider = $1 AND user_id = $2 AND lease_owner = $3
                """)
        counts = Statement(
            name: "ts_counts",
            sql: """
                SELECT (SELECT count(*) FROM \(request) WHERE expires_at > $1), (SELECT count(*) FROM \(access)),
                    (SELECT count(*) FROM \(sets))
                """)
        schemaVersion = Statement(
            name: "ts_schema_version", sql: "SELECT coalesce(max(version), 0) FROM \(s).schema_migrations")
    }

    /// The session's staging tables for bulk writes: a round number, then the columns of
    /// ``PostgresRecordCodec/accessColumns`` (or ``PostgresRecordCodec/requestColumns``,
    /// ``PostgresRecordCodec/tokenSetColumns``) in order. `ON COMMIT DELETE ROWS`: staged
    /// secrets never outlive their transaction.
    static let accessStage = "ts_stage_at"
    static let requestStage = "ts_stage_rt"
    static let tokenSetStage = "ts_stage_set"
    static let createStages = """
        CREATE TEMPORARY TABLE IF NOT EXISTS \(accessStage) (rnd integer NOT NULL, \(PostgresRecordCodec.accessColumns.stageDefinition))
            ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE IF NOT EXISTS \(requestStage) (rnd integer NOT NULL, \(PostgresRecordCodec.requestColumns.stageDefinition))
            ON COMMIT DELETE ROWS;
        CREATE TEMPORARY TABLE IF NOT EXISTS \(tokenSetStage) (rnd integer NOT NULL, \(PostgresRecordCodec.tokenSetColumns.stageDefinition))
            ON COMMIT DELETE ROWS
        """

    /// `name` as a quoted SQL identifier.
    static func quote(_ name: String) -> String {
        "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
